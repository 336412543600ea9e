//go:build !js

package main

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/upstream/demo"
)

// slowLink emulates a link of bps bytes a second each way with latency,
// for the page and its worker, as DevTools' throttling does.
func slowLink(latency time.Duration, bps float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rule := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{
			Latency: float64(latency.Milliseconds()), DownloadThroughput: bps, UploadThroughput: bps,
		}}}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, rule)
		return err
	})
}

// startLoading navigates without waiting for the page to load (chromedp's
// Navigate waits for the load event, after the wasm).
func startLoading(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.Navigate, page.NavigateParams{URL: url})
		return err
	})
}

// typeText types text into whatever has the focus, as an input method
// commits it.
func typeText(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	})
}

// boxReady is true once the question box is laid out with the focus, and
// is what a click at its centre reaches: nothing covers it.
const boxReady = `(() => {
	const box = document.getElementById("composer");
	if (!box || document.activeElement !== box) return false;
	const r = box.getBoundingClientRect();
	return r.height > 0 && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === box;
})()`

// goRunning is true once the page's Go program has started.
const goRunning = `performance.getEntriesByName("go-running").length > 0`

// slowStart opens the page signed in over an emulated 10 Mbit/s link with
// 40 ms of latency and waits until the prerendered question box takes
// typing, which must be before the Go program runs.
// It counts the page's requests for its wasm and the WebSockets it opens.
func slowStart(tb testing.TB) (a *testApp, ctx context.Context, n *loadCounts) {
	tb.Helper()
	a = startApp(tb, map[string]string{"WASMCHAT_DEMO_CPS": "3000"})
	ctx = newBrowser(tb)
	must(tb, chromedp.Do(ctx, chromedp.Navigate("about:blank"), slowLink(40*time.Millisecond, 10e6/8)))
	n = new(loadCounts)
	must(tb, chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if strings.HasSuffix(e.Request.URL, ".wasm") {
				n.wasm.Add(1)
			}
		case *network.EventWebSocketCreated:
			n.sockets.Add(1)
		}
	}))
	must(tb, chromedp.Do(ctx, startLoading(a.URL+"/#token="+a.Token)))
	waitEval(tb, ctx, "the question box", boxReady)
	if running, err := chromedp.Run(ctx, chromedp.Evaluate[bool](goRunning)); err != nil || running {
		tb.Fatalf("the Go program ran before the prerendered page took typing (%v): nothing to test", err)
	}
	return a, ctx, n
}

// loadCounts are what slowStart counts of the page's requests.
type loadCounts struct{ wasm, sockets atomic.Int32 }

// waitEval evaluates expr every few milliseconds until it is true. Unlike
// chromedp's Poll it goes on over the page's navigation, which startLoading
// does not wait for.
func waitEval(tb testing.TB, ctx context.Context, what, expr string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// TestBrowserTypeAtFirstPaint types a question into the prerendered page
// as soon as its box is laid out, on a slow link, and presses Enter before
// the Go program runs: the question is shown at once, sent once the page
// runs, answered, and the box is empty. Enter in the empty box before that
// does nothing. The wasm, preloaded by the page's head and fetched by
// go-app's loader, was requested once, and the page opened one WebSocket:
// its early script's, open before the program ran, which the program took
// with what had arrived on it.
func TestBrowserTypeAtFirstPaint(t *testing.T) {
	_, ctx, n := slowStart(t)
	waitEval(t, ctx, "the early script's WebSocket open", `performance.getEntriesByName("ws-open").length > 0`)
	if running, err := chromedp.Run(ctx, chromedp.Evaluate[bool](goRunning)); err != nil || running {
		t.Errorf("the WebSocket opened after the Go program ran (%v), not while the wasm downloaded", err)
	}
	const q = "typed before the page ran"
	must(t, chromedp.Do(ctx, pressEnter(false), typeText(q), pressEnter(false)))
	early, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		document.getElementById("composer").value,
		document.querySelector('.message[data-role="user"] .content')?.textContent ?? "",
		String(performance.getEntriesByName("go-running").length)]`))
	must(t, err)
	if early[0] != "" || early[1] != q || early[2] != "0" {
		t.Fatalf("after Enter, before Go (go-running marks %s): box %q, question shown %q", early[2], early[0], early[1])
	}
	got := waitAnswers(t, ctx, 1, "done")
	checkShown(t, ctx, got[0], demo.Answer(q), true)
	after, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		document.getElementById("composer").value,
		[...document.querySelectorAll('.message[data-role="user"] .content')].map(e => e.textContent).join("|")]`))
	must(t, err)
	if after[0] != "" || after[1] != q {
		t.Errorf("after the answer: box %q, questions %q, want empty and %q once", after[0], after[1], q)
	}
	if n := n.wasm.Load(); n != 1 {
		t.Errorf("the wasm was requested %d times, want once (the preload taken by the loader)", n)
	}
	if n := n.sockets.Load(); n != 1 {
		t.Errorf("the page opened %d WebSockets, want one (the early script's)", n)
	}
	if left, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.wasmchatSocket !== undefined`)); err != nil || left {
		t.Errorf("the page did not take the early script's socket (%v)", err)
	}
}

// TestBrowserTypeAcrossStart types half a question before the Go program
// runs and the rest after: the whole question is sent, and the caret and
// focus stayed in the box across the switch. Enter in the empty box then
// does nothing (it used to add a line), and Send sends without reloading.
func TestBrowserTypeAcrossStart(t *testing.T) {
	_, ctx, _ := slowStart(t)
	const first, rest = "the first half, ", "and the rest"
	must(t, chromedp.Do(ctx, typeText(first)))
	poll(t, ctx, "the page running", goRunning+` && document.documentElement.classList.contains("live")`)
	must(t, chromedp.Do(ctx, typeText(rest)))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("composer").value`))
	must(t, err)
	if state != first+rest {
		t.Fatalf("box holds %q, want %q", state, first+rest)
	}
	must(t, chromedp.Do(ctx, pressEnter(false)))
	got := waitAnswers(t, ctx, 1, "done")
	checkShown(t, ctx, got[0], demo.Answer(first+rest), true)
	must(t, chromedp.Do(ctx, pressEnter(false), pressEnter(false)))
	time.Sleep(200 * time.Millisecond) // the page's own turn to act on the keys
	after, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		document.getElementById("composer").value,
		[...document.querySelectorAll('.message[data-role="user"] .content')].map(e => e.textContent).join("|")]`))
	must(t, err)
	if after[0] != "" || after[1] != first+rest {
		t.Errorf("after Enter in the empty box: box %q, questions %q", after[0], strings.Split(after[1], "|"))
	}

	// Send submits the form: the question goes, the page stays (a
	// submitted form would reload it).
	const viaSend = "sent with the button"
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sameDocument = true`))
	must(t, err)
	must(t, chromedp.Do(ctx, typeText(viaSend), chromedp.Click(chromedp.CSS(`button.send`))))
	waitAnswers(t, ctx, 2, "done")
	questions, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.message[data-role="user"] .content')].map(e => e.textContent).join("|") + "|" + (window.sameDocument === true)`))
	must(t, err)
	if want := first + rest + "|" + viaSend + "|true"; questions != want {
		t.Errorf("after Send: %q, want %q", questions, want)
	}
}

// TestBrowserFirstPaintLooksRight: before the Go program runs, the page has
// the theme chosen in it (no light page turning dark), go-app's loader is a
// bar along the top that covers nothing, and controls that need Go look
// inactive.
func TestBrowserFirstPaintLooksRight(t *testing.T) {
	a := startApp(t, nil)
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, chromedp.Navigate(a.URL+"/#token="+a.Token)))
	waitEval(t, ctx, "the page running", goRunning+` && document.documentElement.classList.contains("live")`)
	// The theme chosen; then a load from the network, not from the
	// worker's or the HTTP cache, so Go starts long after the first paint.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`localStorage.setItem("wasmchat.theme", "dark"),
		navigator.serviceWorker.getRegistrations().then((rs) => Promise.all(rs.map((r) => r.unregister()))).then(() => true)`,
		chromedp.EvalAwaitPromise))
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
		return err
	}), slowLink(40*time.Millisecond, 10e6/8), startLoading(a.URL+"/?cold")))
	waitEval(t, ctx, "the question box", boxReady)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
		const loader = document.getElementById("app-wasm-loader").getBoundingClientRect();
		return {
			running: performance.getEntriesByName("go-running").length > 0,
			theme: document.documentElement.dataset.theme ?? "",
			loaderHeight: loader.height,
			menuOpacity: getComputedStyle(document.querySelector("button.menu") || document.querySelector("button")).opacity,
			live: document.documentElement.classList.contains("live"),
		};
	})()`))
	must(t, err)
	if got["running"] == true || got["live"] == true {
		t.Fatalf("the Go program ran already: %v", got)
	}
	if got["theme"] != "dark" || got["loaderHeight"].(float64) > 4 || got["menuOpacity"] == "1" {
		t.Errorf("before Go runs: %v; want the dark theme, a loader bar of at most 4 px, inactive controls", got)
	}
	// Nothing moves when the Go page replaces the prerendered one (whose
	// pickers have only their chosen option).
	before, err := chromedp.Run(ctx, chromedp.Evaluate[map[string][]float64](placed))
	must(t, err)
	waitEval(t, ctx, "the page running", goRunning+` && document.documentElement.classList.contains("live")`)
	after, err := chromedp.Run(ctx, chromedp.Evaluate[map[string][]float64](placed))
	must(t, err)
	for what, was := range before {
		if now := after[what]; !slices.EqualFunc(was, now, func(a, b float64) bool { return math.Abs(a-b) < 0.5 }) {
			t.Errorf("%s was at %v before the Go program ran, at %v after", what, was, now)
		}
	}
	options, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#language option").length`))
	if err != nil || options < 2 {
		t.Errorf("the live language picker has %d options (%v), want them all", options, err)
	}
}

// placed is where the page's controls are: the question box's and the new
// chat button's boxes (left, top, width, height), and the sizes of the
// pickers (which move along the top bar as the connection's words change).
const placed = `(() => {
	const box = (sel) => {
		const r = document.querySelector(sel)?.getBoundingClientRect();
		return r ? [r.left, r.top, r.width, r.height] : [];
	};
	return {
		"#composer": box("#composer"), "button.send": box("button.send"), "#new-chat": box("#new-chat"),
		"#theme's size": box("#theme").slice(2), "#language's size": box("#language").slice(2),
	};
})()`
