//go:build !js

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/internal/chaos"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// Selectors of the page's test hooks.
const (
	selOpen       = `#connection[data-state="open"]`
	selAssistants = `.message[data-role="assistant"]`
)

// signIn opens the page with the login link and waits for the connection.
func signIn(tb testing.TB, ctx context.Context, base, token string) {
	tb.Helper()
	must(tb, chromedp.Do(ctx,
		chromedp.Navigate(base+"/#token="+token),
		chromedp.WaitVisible(selOpen),
	))
}

// askInPage types a question into the composer and presses Enter.
func askInPage(tb testing.TB, ctx context.Context, question string) {
	tb.Helper()
	must(tb, chromedp.Do(ctx, chromedp.SendKeys(`#composer`, question), pressEnter(false)))
}

// waitAnswers waits until n assistant messages are done and returns their
// texts.
func waitAnswers(tb testing.TB, ctx context.Context, n int, status string) []string {
	tb.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`document.querySelectorAll('%s[data-status="%s"]').length >= %d`, selAssistants, status, n),
		chromedp.WithPollingTimeout(90*time.Second)))
	must(tb, err)
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('`+selAssistants+` .content')].map(e => e.textContent)`))
	must(tb, err)
	return texts
}

// waitShown waits until the last assistant message shows more than n bytes.
func waitShown(tb testing.TB, ctx context.Context, n int) {
	tb.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`([...document.querySelectorAll('%s .content')].pop()?.textContent || "").length > %d`, selAssistants, n)))
	must(tb, err)
}

// shownText returns the text of the last assistant message.
func shownText(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('`+selAssistants+` .content')].map(e => e.textContent).pop() || ""`))
	must(tb, err)
	return s
}

// TestBrowserChaos runs the page through a TCP proxy that cuts every
// connection every few hundred milliseconds while answers stream: each
// answer shows byte for byte, with no chunk shown twice (a duplicate would
// lengthen the text).
func TestBrowserChaos(t *testing.T) {
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "600"})
	proxy, err := chaos.New(a.Addr)
	must(t, err)
	defer proxy.Close()
	ctx := newBrowser(t)
	base := "http://" + proxy.Addr()
	signIn(t, ctx, base, a.Token)

	cutCtx, stopCutting := context.WithCancel(context.Background())
	defer stopCutting()
	const maxCuts = 8
	proxy.CutEvery(cutCtx, func() time.Duration {
		if proxy.Cuts() >= maxCuts {
			stopCutting() // enough: the backoff has grown, let it finish
		}
		return 300*time.Millisecond + time.Duration(rand.Int64N(int64(400*time.Millisecond)))
	})
	questions := []string{"chaos one", "chaos two: 断线重连", "chaos three"}
	for _, q := range questions {
		askInPage(t, ctx, q)
	}
	texts := waitAnswers(t, ctx, len(questions), "done")
	stopCutting()
	total := 0
	for i, q := range questions {
		if want := demo.Answer(q); texts[i] != want {
			t.Errorf("answer %d: %d bytes shown, want %d:\n%s", i, len(texts[i]), len(want), texts[i])
		}
		total += len(texts[i])
	}
	if proxy.Cuts() < 3 {
		t.Errorf("only %d cuts: the test did not test", proxy.Cuts())
	}
	t.Logf("browser chaos: %d answers, %d bytes, %d connections cut; every answer byte for byte", len(questions), total, proxy.Cuts())
}

// TestBrowserReloadMidAnswer reloads the page while an answer streams: the
// answer completes after the reload, identical.
func TestBrowserReloadMidAnswer(t *testing.T) {
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "300"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	const q = "reload me"
	askInPage(t, ctx, q)
	waitShown(t, ctx, 200)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(selOpen)))
	texts := waitAnswers(t, ctx, 1, "done")
	if len(texts) != 1 || texts[0] != demo.Answer(q) {
		t.Errorf("after the reload: %d answers, %q", len(texts), texts)
	}
	user, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.message[data-role="user"]').length`))
	must(t, err)
	if user != 1 {
		t.Errorf("%d questions shown after the reload, want 1", user)
	}
}

// setOffline emulates the network going away or coming back, as DevTools
// does: requests fail and navigator.onLine changes, with its events.
func setOffline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rule := network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{{
			Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
		}}}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, rule); err != nil {
			return err
		}
		state := network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, state)
		return err
	})
}

// TestBrowserOfflineQuestion types a question while offline: it waits in
// the outbox and is answered exactly once when the network is back.
func TestBrowserOfflineQuestion(t *testing.T) {
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "3000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	must(t, chromedp.Do(ctx,
		setOffline(true),
		chromedp.WaitVisible(`#connection[data-state="offline"]`),
	))
	const q = "asked while offline"
	askInPage(t, ctx, q)
	time.Sleep(300 * time.Millisecond)
	if s := shownText(t, ctx); s != "" {
		t.Fatalf("an answer arrived while offline: %q", s)
	}
	must(t, chromedp.Do(ctx, setOffline(false)))
	waitAnswers(t, ctx, 1, "done")
	time.Sleep(300 * time.Millisecond) // a second answer would show by now
	texts := waitAnswers(t, ctx, 1, "done")
	if len(texts) != 1 || texts[0] != demo.Answer(q) {
		t.Errorf("after going online: %d answers %q, want the answer once", len(texts), texts)
	}
}

// TestBrowserRestartMidAnswer restarts the server in the middle of an
// answer: the page shows the answer as interrupted, keeping its text, with
// a "continue" action, and reconnects to the new server.
func TestBrowserRestartMidAnswer(t *testing.T) {
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "100"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	const q = "interrupt me"
	askInPage(t, ctx, q)
	waitShown(t, ctx, 50)
	a.Stop() // SIGTERM: the answer cannot finish within the grace period
	startAppWith(t, appOptions{addr: a.Addr, data: a.Data, token: a.Token})
	texts := waitAnswers(t, ctx, 1, "interrupted")
	if len(texts[0]) < 50 || !strings.HasPrefix(demo.Answer(q), texts[0]) {
		t.Errorf("interrupted answer %q is not the start of the demo answer", texts[0])
	}
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(selAssistants+` .continue`),
		chromedp.WaitVisible(selOpen),
	))
}
