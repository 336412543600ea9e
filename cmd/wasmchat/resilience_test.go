//go:build !js

package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/app/markdown"
	"github.com/wasmchat/wasmchat/internal/chaos"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// Selectors of the page's test hooks. Tests query the page with
// chromedp.CSS, never a plain string: chromedp's default query (Search)
// also matches the page's text, and the page's inline style names its
// selectors (a click on ".regenerate" waited on the style's text).
const (
	selOpen       = `#connection[data-state="open"]`
	selAssistants = `.message[data-role="assistant"]`
)

// signIn opens the page with the login link and waits for the connection.
func signIn(tb testing.TB, ctx context.Context, base, token string) {
	tb.Helper()
	must(tb, chromedp.Do(ctx,
		chromedp.Navigate(base+"/#token="+token),
		chromedp.WaitVisible(chromedp.CSS(selOpen)),
	))
}

// askInPage types a question into the composer and presses Enter.
func askInPage(tb testing.TB, ctx context.Context, question string) {
	tb.Helper()
	must(tb, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#composer`), question), pressEnter(false)))
}

// shown is what an assistant message shows: its rendered HTML, and how many
// bytes of the answer's markdown it renders (data-bytes).
type shown struct {
	HTML  string `json:"html"`
	Bytes int    `json:"bytes"`
}

// waitAnswers waits until n assistant messages have data-status status and
// returns what every assistant message shows.
func waitAnswers(tb testing.TB, ctx context.Context, n int, status string) []shown {
	tb.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`document.querySelectorAll('%s[data-status="%s"]').length >= %d`, selAssistants, status, n),
		chromedp.WithPollingTimeout(90*time.Second)))
	must(tb, err)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]shown](`[...document.querySelectorAll('`+selAssistants+`')].map(e =>
		({html: e.querySelector('.content').innerHTML, bytes: +e.dataset.bytes}))`))
	must(tb, err)
	return got
}

// waitShown waits until the last assistant message shows more than n bytes.
func waitShown(tb testing.TB, ctx context.Context, n int) {
	tb.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(
		`+([...document.querySelectorAll('%s')].pop()?.dataset.bytes || 0) > %d`, selAssistants, n)))
	must(tb, err)
}

// checkShown fails unless got shows exactly the first got.Bytes bytes of
// answer rendered as markdown (all of them when whole): the DOM the page
// built equals the one the browser builds from the renderer's HTML.
func checkShown(tb testing.TB, ctx context.Context, got shown, answer string, whole bool) {
	tb.Helper()
	if got.Bytes > len(answer) || (whole && got.Bytes != len(answer)) || (!whole && got.Bytes == len(answer)) {
		tb.Errorf("shows %d bytes of a %d-byte answer (whole: %v)", got.Bytes, len(answer), whole)
		return
	}
	want, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(() => { const d = document.createElement('div'); d.innerHTML = `+jsString(markdown.Render(answer[:got.Bytes]))+`; return d.innerHTML })()`))
	must(tb, err)
	if got.HTML != want {
		tb.Errorf("shows\n%s\nwant\n%s", got.HTML, want)
	}
}

// TestBrowserChaos runs the page through a TCP proxy that cuts every
// connection every few hundred milliseconds while answers stream: each
// answer shows byte for byte, with no chunk shown twice (a duplicate would
// lengthen the text).
func TestBrowserChaos(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "600"})
	proxy, err := chaos.New(a.Addr)
	must(t, err)
	defer proxy.Close()
	ctx := newBrowser(t)
	base := "http://" + proxy.Addr()
	signIn(t, ctx, base, a.Token)
	questions := []string{"chaos one", "chaos two: 断线重连", "chaos three"}
	total := askPageThroughCuts(t, ctx, proxy, questions)
	t.Logf("browser chaos: %d answers, %d bytes, %d connections cut; every answer byte for byte", len(questions), total, proxy.Cuts())
}

// askPageThroughCuts asks questions in the page while proxy cuts every
// connection every 300-700 ms (8 cuts at most: the backoff grows, then it
// may finish) and checks that each answer shows byte for byte and that
// the proxy did cut. It returns the bytes shown.
func askPageThroughCuts(t *testing.T, ctx context.Context, proxy *chaos.Proxy, questions []string) int {
	t.Helper()
	cutCtx, stopCutting := context.WithCancel(context.Background())
	defer stopCutting()
	const maxCuts = 8
	proxy.CutEvery(cutCtx, func() time.Duration {
		if proxy.Cuts() >= maxCuts {
			stopCutting()
		}
		return 300*time.Millisecond + time.Duration(rand.Int64N(int64(400*time.Millisecond)))
	})
	for _, q := range questions {
		askInPage(t, ctx, q)
	}
	got := waitAnswers(t, ctx, len(questions), "done")
	stopCutting()
	total := 0
	for i, q := range questions {
		checkShown(t, ctx, got[i], demo.Answer(q), true)
		total += got[i].Bytes
	}
	if proxy.Cuts() < 3 {
		t.Errorf("only %d cuts: the test did not test", proxy.Cuts())
	}
	return total
}

// TestBrowserReloadMidAnswer reloads the page while an answer streams: the
// answer completes after the reload, identical.
func TestBrowserReloadMidAnswer(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "300"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	const q = "reload me"
	askInPage(t, ctx, q)
	waitShown(t, ctx, 200)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	got := waitAnswers(t, ctx, 1, "done")
	if len(got) != 1 {
		t.Fatalf("after the reload: %d answers", len(got))
	}
	checkShown(t, ctx, got[0], demo.Answer(q), true)
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
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "3000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	must(t, chromedp.Do(ctx,
		setOffline(true),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="offline"]`)),
	))
	const q = "asked while offline"
	askInPage(t, ctx, q)
	time.Sleep(300 * time.Millisecond)
	if got := waitAnswers(t, ctx, 0, "streaming"); len(got) != 1 || got[0].Bytes != 0 {
		t.Fatalf("while offline: %+v, want one empty answer waiting", got)
	}
	must(t, chromedp.Do(ctx, setOffline(false)))
	waitAnswers(t, ctx, 1, "done")
	time.Sleep(300 * time.Millisecond) // a second answer would show by now
	got := waitAnswers(t, ctx, 1, "done")
	if len(got) != 1 {
		t.Fatalf("after going online: %d answers, want the answer once", len(got))
	}
	checkShown(t, ctx, got[0], demo.Answer(q), true)
}

// TestBrowserRestartMidAnswer restarts the server in the middle of an
// answer: the page shows the answer as interrupted, keeping its text, with
// a "continue" action, and reconnects to the new server.
func TestBrowserRestartMidAnswer(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "100"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	const q = "interrupt me"
	askInPage(t, ctx, q)
	waitShown(t, ctx, 50)
	a.Stop() // SIGTERM: the answer cannot finish within the grace period
	startAppWith(t, appOptions{addr: a.Addr, data: a.Data, token: a.Token})
	got := waitAnswers(t, ctx, 1, "interrupted")
	checkShown(t, ctx, got[0], demo.Answer(q), false)
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(selAssistants+` .continue`)),
		chromedp.WaitVisible(chromedp.CSS(selOpen)),
	))
}
