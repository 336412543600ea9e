//go:build !js

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/app/markdown"
)

// echoModel is an OpenAI-compatible server whose answer is the question,
// streamed in two chunks in the chat.completion.chunk format: hostile
// markdown then reaches the page through the real upstream path (the SDK,
// the answer log, the WebSocket, the client, the renderer).
func echoModel(t *testing.T) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error","param":null,"code":null}}`, http.StatusBadRequest)
			return
		}
		q := req.Messages[len(req.Messages)-1].Content
		half := len(q) / 2
		for half > 0 && half < len(q) && (q[half]&0xC0) == 0x80 {
			half--
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, part := range []string{q[:half], q[half:]} {
			sseChunk(w, "echo", part)
		}
		sseStop(w, "echo")
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/v1/"
}

// sseChunk writes one chunk of text in OpenAI's streaming format
// (chat.completion.chunk), as a fake model server does.
func sseChunk(w io.Writer, model, text string) {
	content, _ := json.Marshal(text)
	fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1732000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", model, content)
}

// sseStop writes the last chunk (finish_reason "stop") and [DONE].
func sseStop(w io.Writer, model string) {
	fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1732000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", model)
}

// domCheck walks every answer's rendered DOM and lists what must never be
// there: elements outside the renderer's set, event handlers and other
// attributes, links to anything but http(s), mailto and #fragments, images
// that fetch.
const domCheck = `(() => {
  const tags = new Set(["DIV","P","H1","H2","H3","H4","H5","H6","UL","OL","LI","BLOCKQUOTE","PRE","CODE","EM","STRONG","DEL","A","IMG","BR","HR","TABLE","THEAD","TBODY","TR","TH","TD","INPUT","SPAN","BUTTON"]);
  const attrs = new Set(["href","src","alt","title","rel","target","class","start","align","type","checked","disabled"]);
  // MathML (app/markdown/mathml.go): its elements, in its namespace, and
  // its attributes with the values the converter writes.
  const mathTags = new Set(["math","semantics","annotation","mrow","mi","mn","mo","mtext","mspace","msub","msup","msubsup",
    "munder","mover","munderover","mfrac","msqrt","mroot","mtable","mtr","mtd","merror"]);
  const mathAttrs = {display: /^(block|inline)$/, mathvariant: /^(normal|bold|italic|bold-italic)$/, largeop: /^true$/,
    movablelimits: /^true$/, stretchy: /^(true|false)$/, fence: /^true$/, accent: /^true$/, accentunder: /^true$/,
    linethickness: /^0$/, encoding: /^application\/x-tex$/, width: /^[0-9.]+em$/, class: /^math-[a-z-]+$/};
  const bad = [];
  for (const root of document.querySelectorAll('.message[data-role="assistant"] .content')) {
    for (const el of [root, ...root.querySelectorAll("*")]) {
      if (el.namespaceURI === "http://www.w3.org/1998/Math/MathML") {
        if (!mathTags.has(el.tagName)) bad.push("math element " + el.tagName);
        for (const a of el.attributes) {
          if (!(a.name in mathAttrs) || !mathAttrs[a.name].test(a.value)) bad.push(el.tagName + " attribute " + a.name + "=" + a.value);
        }
        continue;
      }
      if (!tags.has(el.tagName)) bad.push("element " + el.tagName);
      for (const a of el.attributes) {
        if (!attrs.has(a.name)) bad.push(el.tagName + " attribute " + a.name + "=" + a.value);
      }
      if (el.tagName === "A" && el.hasAttribute("href") && !/^(https?:|mailto:|#)/i.test(el.getAttribute("href"))) bad.push("href " + el.getAttribute("href"));
      if (el.tagName === "IMG" && !/^data:image\/(png|gif|jpeg|webp);/i.test(el.getAttribute("src") || "")) bad.push("img src " + el.getAttribute("src"));
      if (el.tagName === "INPUT" && el.type !== "checkbox") bad.push("input " + el.type);
      if (el.tagName === "BUTTON" && (el.type !== "button" || el.className !== "copy-code")) bad.push("button " + el.outerHTML);
    }
  }
  return bad;
})()`

// TestBrowserXSSCorpus sends every vector of the corpus through the real
// upstream path and renders it in Chromium: no script runs, no dialog
// opens, no dangerous element or attribute reaches the DOM, and what shows
// is exactly the renderer's output.
func TestBrowserXSSCorpus(t *testing.T) {
	t.Parallel()
	a := startAppWith(t, appOptions{env: map[string]string{
		"WASMCHAT_UPSTREAM": "openai", "OPENAI_BASE_URL": echoModel(t), "OPENAI_API_KEY": "sk-test", "WASMCHAT_MODEL": "echo",
	}})
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__xss = []; window.xss = () => window.__xss.push(String(new Error().stack));
				window.alert = window.confirm = window.prompt = () => window.__xss.push("dialog");`,
		})
		return err
	})))
	signIn(t, ctx, a.URL, a.Token)
	// Ten vectors to a question, each as its own paragraph run: every
	// vector goes the whole way, in a few answers rather than sixty (the
	// renderer is also checked one vector at a time, natively).
	var batches []string
	for i := 0; i < len(markdown.XSSCorpus); i += 10 {
		batches = append(batches, strings.Join(markdown.XSSCorpus[i:min(i+10, len(markdown.XSSCorpus))], "\n\n"))
	}
	for i, b := range batches {
		must(t, chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`(() => { const c = document.querySelector('#composer'); c.value = `+jsString(b)+`; c.focus() })()`),
			pressEnter(false),
		))
		waitAnswers(t, ctx, i+1, "done")
	}
	got := waitAnswers(t, ctx, len(batches), "done")
	time.Sleep(500 * time.Millisecond) // let any deferred handler (onload, onerror, autofocus) fire
	for i, b := range batches {
		checkShown(t, ctx, got[i], strings.TrimSpace(b), true)
	}
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__xss`))
	must(t, err)
	if len(ran) != 0 {
		t.Errorf("script ran %d times: %v", len(ran), ran)
	}
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](domCheck))
	must(t, err)
	if len(bad) != 0 {
		t.Errorf("dangerous DOM: %v", bad)
	}
	if !t.Failed() {
		t.Logf("%d XSS vectors rendered through the openai upstream: nothing ran, nothing dangerous in the DOM", len(markdown.XSSCorpus))
	}
}
