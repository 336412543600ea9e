//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/store"
)

// steadyModel is an OpenAI-compatible server that streams text at cps
// characters per second, in a chunk every 20 ms, whatever the question.
func steadyModel(tb testing.TB, text string, cps int) string {
	tb.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		flusher := w.(http.Flusher)
		const every = 20 * time.Millisecond
		per := max(1, cps*int(every)/int(time.Second))
		tick := time.NewTicker(every)
		defer tick.Stop()
		for rest := []rune(text); len(rest) > 0; {
			n := min(per, len(rest))
			sseChunk(w, "steady", string(rest[:n]))
			rest = rest[n:]
			flusher.Flush()
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
		sseStop(w, "steady")
	}))
	tb.Cleanup(hs.Close)
	return hs.URL + "/v1/"
}

// longAnswer is about n characters of the markdown a model writes:
// paragraphs, a list, a code block, repeated.
func longAnswer(n int) string {
	block := "## Part %d\n\n" + strings.Repeat("The answer goes on at a steady pace, word by word. ", 8) +
		"\n\n- one point\n- another point\n\n```go\nfor i := range n {\n\tfmt.Println(i)\n}\n```\n\n"
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, block, i)
	}
	return b.String()[:n]
}

// BenchmarkBrowserTypewriter measures, in Chromium, what the page spends
// per typewriter tick while a 20,000-character answer streams at 2,000
// characters per second at the end of a conversation of 500 messages, all
// rendered. Go's time is the time spent in the wasm (every call from
// JavaScript into Go, timers and events, renders included), taken by
// wrapping the page's resume; ticks are the renders of the answer's text.
// "following" keeps the view at the end, which makes the browser lay out
// the page once per tick from inside Go; "scrolled-up" is the tick alone.
func BenchmarkBrowserTypewriter(b *testing.B) {
	for _, follow := range []bool{true, false} {
		name := "following"
		if !follow {
			name = "scrolled-up"
		}
		b.Run(name, func(b *testing.B) { benchTypewriter(b, follow) })
	}
}

func benchTypewriter(b *testing.B, follow bool) {
	const size, cps = 20000, 2000
	a := startAppWith(b, appOptions{env: map[string]string{
		"WASMCHAT_UPSTREAM": "openai", "OPENAI_BASE_URL": steadyModel(b, longAnswer(size), cps), "OPENAI_API_KEY": "sk-test", "WASMCHAT_MODEL": "steady",
	}})
	f := store.File{Format: store.ExportFormat}
	conv := store.Export{Conversation: store.Conversation{ID: "five-hundred", Title: "Five hundred messages"}}
	for i := range 500 {
		role, text := store.RoleUser, fmt.Sprintf("Question %d?", i)
		if i%2 == 1 {
			role, text = store.RoleAssistant, longAnswer(1000)
		}
		conv.Messages = append(conv.Messages, store.Message{Role: role, Text: text, Status: store.StatusDone})
	}
	f.Conversations = append(f.Conversations, conv)
	body, err := json.Marshal(f)
	must(b, err)
	if code := apiCall(b, a, "POST", "/api/import", body, nil); code != 200 {
		b.Fatalf("import: %d", code)
	}
	ctx := newBrowser(b)
	signIn(b, ctx, a.URL, a.Token)
	poll(b, ctx, "the conversation listed", `document.querySelector('#conversations li[data-id="five-hundred"]') != null`)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#conversations li[data-id="five-hundred"] .open').click(), true`))
	must(b, err)
	for want := 100; want <= 500; want += 50 {
		poll(b, ctx, "Show earlier", `document.querySelector('#earlier') != null`)
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#earlier').click(), true`))
		must(b, err)
		poll(b, ctx, fmt.Sprintf("%d messages", want), fmt.Sprintf(`document.querySelectorAll('.message').length == %d`, want))
	}
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const resume = Go.prototype._resume;
		window.goTime = 0;
		Go.prototype._resume = function () {
			const t0 = performance.now();
			try { return resume.call(this); } finally { goTime += performance.now() - t0; }
		};
		return true;
	})()`))
	must(b, err)

	b.ResetTimer()
	var goMS, ticks, wall float64
	for i := range b.N {
		q := fmt.Sprintf("a long answer, please (%d)", i)
		askInPage(b, ctx, q)
		// The page keeps rendering the last 500 messages.
		poll(b, ctx, "the answer streaming", fmt.Sprintf(`(() => {
			const m = [...document.querySelectorAll('.message')];
			return m.length == 500 && m[498].textContent == %q && m[499].dataset.status == "streaming";
		})()`, q))
		if !follow {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("messages").scrollTop = 0, true`))
			must(b, err)
			poll(b, ctx, "the jump button", `document.getElementById("jump") != null`)
		}
		res, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`new Promise(resolve => {
			const answer = [...document.querySelectorAll('.message')].pop();
			const go0 = goTime, t0 = performance.now();
			let ticks = 0;
			const seen = new MutationObserver(() => ticks++);
			seen.observe(answer, { attributes: true, attributeFilter: ["data-bytes"] });
			const check = () => answer.dataset.status == "done"
				? (seen.disconnect(), resolve({ go: goTime - go0, ticks, wall: performance.now() - t0 }))
				: setTimeout(check, 50);
			check();
		})`, chromedp.EvalAwaitPromise))
		must(b, err)
		goMS, ticks, wall = goMS+res["go"], ticks+res["ticks"], wall+res["wall"]
	}
	b.StopTimer()
	b.ReportMetric(goMS/ticks*1000, "µs-go/tick")
	b.ReportMetric(ticks/float64(b.N), "ticks/answer")
	b.ReportMetric(goMS/wall*100, "%-go")
}
