//go:build !js

package main

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/upstream/demo"
)

// seedClient is the seed page's WebSocketClass and its index.vue callback
// (../shared/seed/chatgpt-frontend-layer.md), as written there, with the
// module syntax removed and the uni-app and helper imports stubbed: the
// server must keep working for it unchanged.
const seedClient = `
const isJSON = (s) => { try { const o = JSON.parse(s); return typeof o === "object" && o !== null; } catch (e) { return false; } };
const uni = { getStorageSync: (k) => localStorage.getItem(k) };

class WebSocketClass {
  constructor(url) {
    this.lockReconnect = false;
    this.ws = null;
    this.wsUrl = "";
    this.globalCallback = null;
    this.userClose = false;
    this.createWebSocket(url);
  }
  createWebSocket(url) {
    if (typeof (WebSocket) === 'undefined') {
      this.Toast("您的浏览器不支持WebSocket，无法获取数据");
      return false
    }
    this.wsUrl = url;
    try {
      this.ws = new WebSocket(this.wsUrl);
      this.initEventHandle();
    } catch (e) {
      this.reconnect(url);
    }
  }
  initEventHandle() {
    this.ws.onopen = (event) => { console.log("WebSocket连接打开"); };
    this.ws.onclose = (event) => { if (!this.userClose) { this.reconnect(this.wsUrl); } };
    this.ws.onerror = (event) => { console.log('连接异常'); if (!this.userClose) { this.reconnect(this.wsUrl); } };
    this.ws.onmessage = (event) => {
      if (isJSON(event.data)) {
        const jsonobject = JSON.parse(event.data)
        this.globalCallback(jsonobject)
      } else {
        this.globalCallback(event)
      }
    };
  }
  reconnect(url) {
    if (this.lockReconnect) return;
    this.ws.close();
    this.lockReconnect = true;
    setTimeout(() => { this.createWebSocket(url); this.lockReconnect = false; }, 1000);
  }
  webSocketSendMsg(msg) {
    const token = uni.getStorageSync("Authorization");
    this.ws && this.ws.send(msg)
  }
  getWebSocketMsg(callback) { this.globalCallback = callback }
  closeSocket() {
    if (this.ws) { this.userClose = true; this.ws.close(); }
  }
}
`

// TestSeedClientStillWorks runs the seed page's own client logic in
// Chromium against /ws/{token}-0: it sends the bare question and receives
// status 0 chunks, then status 2, whose contents add up to the answer.
func TestSeedClientStillWorks(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "4000"})
	ctx := newBrowser(t)
	// Any page of the server's origin, as the seed page would be served.
	must(t, chromedp.Do(ctx, chromedp.Navigate(a.URL+"/healthz")))
	const question = "你好，seed page"
	script := seedClient + `
new Promise((resolve, reject) => {
  localStorage.setItem("Authorization", ` + jsString(a.Token) + `);
  const token = uni.getStorageSync("Authorization");
  const ws = new WebSocketClass("ws://" + location.host + "/ws/" + token + "-0");
  const statuses = [];
  let tempText = "";
  ws.getWebSocketMsg((data) => {
    statuses.push(data.status);
    if (data.status == 0) { tempText = tempText + data.content; }
    if (data.status == 2) {
      tempText = tempText + data.content;
      ws.closeSocket();
      resolve({ statuses, text: tempText });
    }
  });
  const timer = setInterval(() => {
    if (ws.ws.readyState === WebSocket.OPEN) { clearInterval(timer); ws.webSocketSendMsg(` + jsString(question) + `); }
  }, 10);
  setTimeout(() => reject(new Error("no status 2 within 20 s")), 20000);
})`
	type result struct {
		Statuses []int  `json:"statuses"`
		Text     string `json:"text"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[result](script, chromedp.EvalAwaitPromise))
	must(t, err)
	if want := demo.Answer(question); got.Text != want {
		t.Errorf("seed client assembled %q, want the demo answer %q", got.Text, want)
	}
	// Control frames (status 3) are ignored by the seed's logic; of the
	// frames it acts on, all are chunks (0) but the last, the end (2).
	var acted []int
	for _, s := range got.Statuses {
		if s == 0 || s == 2 {
			acted = append(acted, s)
		}
	}
	ok := len(acted) >= 2 && acted[len(acted)-1] == 2
	for _, s := range acted[:max(len(acted)-1, 0)] {
		ok = ok && s == 0
	}
	if !ok {
		t.Errorf("statuses %v: want status 0 chunks followed by one status 2", got.Statuses)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
