//go:build !js

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// addToken makes a token for user name with `wasmchat token add`.
func addToken(tb testing.TB, a *testApp, name string) string {
	tb.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "add", "-data", a.Data, name}, noenv, &out, io.Discard); err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

// openLink opens url as a page load, as a link opened from a mail does
// (a navigation that changes only the address's #fragment would not load
// the page again).
func openLink(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		return chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(url))
	})
}

// conversationsOf returns the titles of the conversations the server
// keeps for token's user.
func conversationsOf(tb testing.TB, a *testApp, token string) []string {
	tb.Helper()
	as := *a
	as.Token = token
	var list struct{ Conversations []struct{ Title string } }
	if code := apiCall(tb, &as, "GET", "/api/conversations", nil, &list); code != 200 {
		tb.Fatalf("list: %d", code)
	}
	var titles []string
	for _, c := range list.Conversations {
		titles = append(titles, c.Title)
	}
	return titles
}

// TestBrowserLoginLinkAsks: a login link for another account than the one
// signed in does not switch silently. The page names both and asks; "stay"
// keeps the account in use; "switch" signs in as the link's. A question
// waiting in the first account's outbox is not sent under the second
// (each account's storage is its own), and goes when the first signs in
// again. The page says who is signed in.
func TestBrowserLoginLinkAsks(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "20000"})
	bob := addToken(t, a, "bob")
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	waitForWorker(t, ctx)
	poll(t, ctx, "who is signed in", `document.getElementById("signed-in")?.textContent == "Signed in as owner"`)
	askInPage(t, ctx, "asked as the owner")
	waitAnswers(t, ctx, 1, "done")

	// bob's link, online: the page asks, naming both, and stays on "stay".
	must(t, chromedp.Do(ctx, openLink(a.URL+"/#token="+bob)))
	poll(t, ctx, "the question whether to switch", `document.getElementById("switch-text")?.textContent.includes("signs in as bob. You are signed in as owner")`)
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[localStorage.getItem("Authorization"), location.hash]`))
	must(t, err)
	if kept[0] != a.Token || kept[1] != "" {
		t.Fatalf("while asking: token %.8q…, address hash %q; want the owner's kept and the link's gone from the address", kept[0], kept[1])
	}
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#switch-no`))))
	poll(t, ctx, "the question gone, the owner's conversation still shown", `!document.getElementById("switch") &&
		document.querySelector('.message[data-role="user"] .content')?.textContent == "asked as the owner"`)

	// Offline, a question waits in the owner's outbox; bob's link, still
	// offline (the page starts from its worker); "switch".
	must(t, chromedp.Do(ctx, workerOffline(true)))
	poll(t, ctx, "offline", `document.querySelector('#connection').dataset.state == "offline"`)
	askInPage(t, ctx, "waiting in the owner's outbox")
	poll(t, ctx, "the question waiting", `[...document.querySelectorAll('.message[data-role="user"] .content')].some(e => e.textContent == "waiting in the owner's outbox")`)
	must(t, chromedp.Do(ctx, openLink(a.URL+"/#token="+bob)))
	poll(t, ctx, "the question whether to switch, offline", `document.getElementById("switch-text")?.textContent.includes("another account")`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#switch-yes`))))
	poll(t, ctx, "bob's page, showing none of the owner's", `document.readyState == "complete" && !document.getElementById("switch") &&
		document.querySelectorAll('.message').length == 0 && document.querySelectorAll('#conversations li').length == 0`)

	// Online as bob: bob's page connects, and sends nothing of the owner's.
	must(t, chromedp.Do(ctx, workerOffline(false)))
	poll(t, ctx, "bob connected and named", `document.querySelector('#connection').dataset.state == "open" &&
		document.getElementById("signed-in")?.textContent == "Signed in as bob"`)
	askInPage(t, ctx, "asked as bob")
	waitAnswers(t, ctx, 1, "done")
	if got := conversationsOf(t, a, bob); len(got) != 1 || got[0] != "asked as bob" {
		t.Errorf("bob's conversations: %q, want only his own", got)
	}
	if got := conversationsOf(t, a, a.Token); len(got) != 1 {
		t.Errorf("the owner's conversations while bob is signed in: %q, want the first only", got)
	}

	// The owner signs in again: the question that waited goes, as the owner.
	must(t, chromedp.Do(ctx, openLink(a.URL+"/#token="+a.Token)))
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#switch-yes`))))
	poll(t, ctx, "the owner's waiting question answered", `[...document.querySelectorAll('.message')].length == 4 &&
		[...document.querySelectorAll('.message[data-role="assistant"]')].every(m => m.dataset.status == "done")`)
	if got := conversationsOf(t, a, a.Token); len(got) != 1 {
		t.Errorf("the owner's conversations: %q", got)
	}
	if got := conversationsOf(t, a, bob); len(got) != 1 {
		t.Errorf("bob's conversations after the owner's question went: %q", got)
	}
}

// TestBrowserShareLink: sharing a conversation from the sidebar gives a
// link that opens in a fresh browser, with no token, as a read-only copy
// that runs no script; "stop sharing" ends it.
func TestBrowserShareLink(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "20000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	askInPage(t, ctx, "worth sharing")
	waitAnswers(t, ctx, 1, "done")
	poll(t, ctx, "the conversation in the sidebar", `document.querySelectorAll('#conversations .share-btn').length == 1`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations .share-btn`))))
	poll(t, ctx, "the share link", `document.querySelector('#conversations .share-link')?.href.includes("/s/")`)
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#conversations .share-link').href`))
	must(t, err)

	fresh, cancel := freshBrowser(t, time.Minute)
	defer cancel()
	must(t, chromedp.Do(fresh, chromedp.Navigate(link)))
	shown, err := chromedp.Run(fresh, chromedp.Evaluate[[]string](`[document.querySelector('h1')?.textContent ?? "",
		document.querySelector('.message.user .content')?.textContent ?? "", String(document.scripts.length),
		document.querySelector('meta[name="robots"]')?.content ?? ""]`))
	must(t, err)
	if shown[0] != "worth sharing" || shown[1] != "worth sharing" || shown[2] != "0" || shown[3] != "noindex, nofollow" {
		t.Errorf("the shared page shows %q", shown)
	}

	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations .unshare`))))
	poll(t, ctx, "the link gone from the row", `!document.querySelector('#conversations .share-link') && !document.querySelector('#conversations .share-btn.shared')`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(link)
		must(t, err)
		res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the link after stop sharing: %d", res.StatusCode)
		}
	}
}

// TestBrowserReadAloud: "Read aloud" under an answer hands its text, as
// shown, to the browser's speech synthesis in the answer's language, and
// "Stop reading" stops it; the end of the reading resets the button. (The
// synthesis itself is recorded, not played: this machine has no voices.)
func TestBrowserReadAloud(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "20000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	askInPage(t, ctx, "read this")
	waitAnswers(t, ctx, 1, "done")
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		window.utterances = []; window.cancels = 0;
		speechSynthesis.speak = (u) => utterances.push(u);
		speechSynthesis.cancel = () => cancels++;
		return true;
	})()`))
	must(t, err)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.message[data-role="assistant"] .read-aloud`))))
	poll(t, ctx, "the answer read", `utterances.length == 1 && utterances[0].lang == "en" &&
		utterances[0].text == document.querySelector('.message[data-role="assistant"] .content').textContent &&
		document.querySelector('.read-aloud').getAttribute('aria-pressed') == "true" && document.querySelector('.read-aloud').textContent == "Stop reading"`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.message[data-role="assistant"] .read-aloud`))))
	poll(t, ctx, "the reading stopped", `cancels >= 2 && document.querySelector('.read-aloud').textContent == "Read aloud"`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.message[data-role="assistant"] .read-aloud`))))
	poll(t, ctx, "read again", `utterances.length == 2 && document.querySelector('.read-aloud').textContent == "Stop reading"`)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(utterances[1].onend(), true)`))
	must(t, err)
	poll(t, ctx, "the end of the reading", `document.querySelector('.read-aloud').getAttribute('aria-pressed') == "false"`)
}
