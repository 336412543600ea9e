//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/store"
)

// apiCall calls the app's HTTP API as token and decodes the answer into out.
func apiCall(tb testing.TB, a *testApp, method, path string, body []byte, out any) int {
	tb.Helper()
	req, _ := http.NewRequest(method, a.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.Token)
	res, err := http.DefaultClient.Do(req)
	must(tb, err)
	defer res.Body.Close()
	if out != nil && res.StatusCode == 200 {
		must(tb, json.NewDecoder(res.Body).Decode(out))
	}
	return res.StatusCode
}

// sidebarTitles returns the titles the sidebar lists, top to bottom.
func sidebarTitles(tb testing.TB, ctx context.Context) []string {
	tb.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('#conversations .title')].map(e => e.textContent)`))
	must(tb, err)
	return got
}

// poll waits until the JavaScript expression is true.
func poll(tb testing.TB, ctx context.Context, what, expr string) {
	tb.Helper()
	// A poll that meets a navigation (the page reloading itself) starts
	// again on the new page; a timeout is final.
	for try := 0; ; try++ {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second)))
		if err == nil {
			return
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) || try == 2 {
			tb.Fatalf("waiting for %s: %v", what, err)
		}
	}
}

// TestBrowserSidebar: conversations are listed newest first, titled from
// their first question; switching, new chat (button and Ctrl+K), rename,
// search and delete work without a reload, and what was opened stays
// readable offline.
func TestBrowserSidebar(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "20000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)

	askInPage(t, ctx, "First question about owls")
	waitAnswers(t, ctx, 1, "done")
	poll(t, ctx, "the first chat listed", `document.querySelectorAll('#conversations li').length == 1`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#new-chat`))))
	poll(t, ctx, "an empty chat", `document.querySelectorAll('.message').length == 0`)
	askInPage(t, ctx, "Second question about zebras")
	waitAnswers(t, ctx, 1, "done")
	poll(t, ctx, "two chats listed", `document.querySelectorAll('#conversations li').length == 2`)
	if got := sidebarTitles(t, ctx); strings.Join(got, "|") != "Second question about zebras|First question about owls" {
		t.Fatalf("sidebar %q", got)
	}

	// Switch to the first: its question and answer show, no reload.
	must(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`window.sameDocument = true`),
		chromedp.Click(chromedp.CSS(`#conversations li:nth-child(2) .open`)),
	))
	poll(t, ctx, "the first chat shown", `document.querySelector('.message[data-role="user"] .content')?.textContent == "First question about owls" &&
		document.querySelector('.message[data-role="assistant"][data-status="done"]') != null && window.sameDocument`)
	// And back to the second, in the row that listed the first before the
	// second came: it opens what it shows now.
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations li:nth-child(1) .open`))))
	poll(t, ctx, "the second chat shown again", `document.querySelector('.message[data-role="user"] .content')?.textContent == "Second question about zebras"`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations li:nth-child(2) .open`))))
	poll(t, ctx, "the first chat shown again", `document.querySelector('.message[data-role="user"] .content')?.textContent == "First question about owls"`)

	// Ctrl+K starts a new chat.
	must(t, chromedp.Do(ctx, chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl))))
	poll(t, ctx, "a new chat after Ctrl+K", `document.querySelectorAll('.message').length == 0`)

	// Rename the owls chat in the sidebar.
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations li:nth-child(2) .rename-btn`))))
	poll(t, ctx, "the rename box", `document.querySelector('#conversations input.rename') != null`)
	must(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#conversations input.rename').select()`),
		chromedp.SendKeys(chromedp.CSS(`#conversations input.rename`), "Owls"), pressEnter(false)))
	poll(t, ctx, "the new title", `[...document.querySelectorAll('#conversations .title')].some(e => e.textContent == "Owls")`)
	var list struct{ Conversations []store.Conversation }
	deadline := time.Now().Add(10 * time.Second)
	for apiCall(t, a, "GET", "/api/conversations", nil, &list); list.Conversations[1].Title != "Owls"; apiCall(t, a, "GET", "/api/conversations", nil, &list) {
		if time.Now().After(deadline) {
			t.Fatalf("the server has %+v", list.Conversations)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Search finds the zebras, in a message.
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#search`), "zebra")))
	poll(t, ctx, "a search hit", `document.querySelectorAll('#hits .hit').length > 0`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#hits .hit .open`))))
	poll(t, ctx, "the zebras chat", `document.querySelector('.message[data-role="user"] .content')?.textContent == "Second question about zebras"`)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#search').value = ""; document.querySelector('#search').dispatchEvent(new Event('input'))`)))
	poll(t, ctx, "the list back", `document.querySelectorAll('#conversations li').length == 2`)

	// After a reload (nothing in the page's memory) and with the server
	// gone, the owls chat reads from the copy kept in browser storage.
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	poll(t, ctx, "the zebras chat after the reload", `document.querySelector('.message[data-role="user"] .content')?.textContent == "Second question about zebras"`)
	a.Stop()
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations li:nth-child(2) .open`))))
	poll(t, ctx, "the owls chat, server down", `document.querySelector('.message[data-role="user"] .content')?.textContent == "First question about owls" &&
		document.querySelector('.message[data-role="assistant"][data-status="done"]') != null`)
	a = startAppWith(t, appOptions{addr: a.Addr, data: a.Data, token: a.Token})
	poll(t, ctx, "the connection back", `document.querySelector('`+selOpen+`') != null`)

	// Delete the owls chat, after confirming.
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations li:nth-child(2) .delete-btn`))))
	poll(t, ctx, "the confirmation", `document.querySelector('#conversations .confirm .danger') != null`)
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations .confirm .danger`))))
	poll(t, ctx, "one chat left", `document.querySelectorAll('#conversations li').length == 1`)
	apiCall(t, a, "GET", "/api/conversations", nil, &list)
	if len(list.Conversations) != 1 || list.Conversations[0].Title != "Second question about zebras" {
		t.Errorf("the server has %+v after the delete", list.Conversations)
	}

	// A reload lists what the server has.
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	poll(t, ctx, "the list after a reload", `document.querySelectorAll('#conversations li').length == 1`)
	if dir := os.Getenv("WASMCHAT_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		must(t, err)
		must(t, os.WriteFile(dir+"/sidebar.png", shot, 0o644))
	}
}

// bigHistory imports 1,000 conversations, one of them of 1,000 messages
// (about 1 KB each, markdown), and returns that one's id.
func bigHistory(tb testing.TB, a *testApp) string {
	tb.Helper()
	f := store.File{Format: store.ExportFormat}
	long := store.Export{Conversation: store.Conversation{ID: "long-one", Title: "A very long conversation"}}
	for i := range 1000 {
		role, text := store.RoleUser, fmt.Sprintf("Question %d: how does **this** work?", i)
		if i%2 == 1 {
			role = store.RoleAssistant
			text = fmt.Sprintf("## Answer %d\n\n%s\n\n- one\n- two\n\n```go\nfmt.Println(%d)\n```\n", i, strings.Repeat("Some words of the answer. ", 35), i)
		}
		long.Messages = append(long.Messages, store.Message{Role: role, Text: text, Status: store.StatusDone})
	}
	base := time.Now().Add(-time.Hour)
	for i := range 999 {
		f.Conversations = append(f.Conversations, store.Export{Conversation: store.Conversation{
			Title: fmt.Sprintf("Conversation %d", i), Created: base, Updated: base.Add(time.Duration(i) * time.Second),
		}, Messages: []store.Message{{Role: store.RoleUser, Text: "hi"}, {Role: store.RoleAssistant, Text: "hello"}}})
	}
	long.Updated = time.Now()
	f.Conversations = append(f.Conversations, long)
	body, err := json.Marshal(f)
	must(tb, err)
	var res struct{ Imported int }
	if code := apiCall(tb, a, "POST", "/api/import", body, &res); code != 200 || res.Imported != 1000 {
		tb.Fatalf("import: %d %+v", code, res)
	}
	return long.ID
}

// openBigHistory starts an app with bigHistory and a page signed in to it
// listing the 1,000 conversations; it returns the long one's id.
func openBigHistory(tb testing.TB) (*testApp, context.Context, string) {
	tb.Helper()
	a := startApp(tb, nil)
	long := bigHistory(tb, a)
	ctx := newBrowser(tb)
	signIn(tb, ctx, a.URL, a.Token)
	poll(tb, ctx, "1,000 chats listed", `document.querySelectorAll('#conversations li').length == 1000`)
	return a, ctx, long
}

// switchInto opens conversation id from the sidebar of a page showing
// another, and returns how long until its messages are rendered, measured
// in the page from the click.
func switchInto(tb testing.TB, ctx context.Context, id string) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(`new Promise(resolve => {
		const t0 = performance.now();
		document.querySelector('#conversations li[data-id="%s"] .open').click();
		const last = () => [...document.querySelectorAll('.message[data-role="assistant"][data-status="done"]')].pop();
		const check = () => document.querySelector('#earlier') != null && last()?.querySelector('h2')?.textContent == "Answer 999"
			? requestAnimationFrame(() => resolve(performance.now() - t0)) : setTimeout(check, 5);
		check();
	})`, id), chromedp.EvalAwaitPromise))
	if err != nil {
		state, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Evaluate[string](`document.querySelector('.chat').innerText.slice(0, 500)`))
		tb.Fatalf("switching into %s: %v; the page shows:\n%s", id, err, state)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// TestBrowserBigHistory: 1,000 conversations in the sidebar, and one of
// 1,000 messages opens with its last 50 rendered and a button for the
// earlier ones, which shows them all, 50 at a time. The page must keep
// working throughout: with hundreds of components rendered in a frame it
// used to die of a Go js/wasm runtime bug on the next window event (see
// cmd/wasmfix). The switch time is logged; BenchmarkBrowserSwitch measures
// it.
func TestBrowserBigHistory(t *testing.T) {
	t.Parallel()
	_, ctx, long := openBigHistory(t)
	if got := sidebarTitles(t, ctx); got[0] != "A very long conversation" || got[1] != "Conversation 998" {
		t.Fatalf("sidebar starts %q", got[:2])
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pageErrors = [];
		addEventListener('error', e => pageErrors.push(e.message + (e.error?.stack ? '\n' + e.error.stack : ''))); true`))
	must(t, err)
	d := switchInto(t, ctx, long)
	t.Logf("switching into 1,000 messages: %v to render", d)
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.message').length`))
	must(t, err)
	if n != 50 {
		t.Errorf("%d messages rendered, want the last 50", n)
	}
	last, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.message')].pop().querySelector('h2').textContent`))
	must(t, err)
	if last != "Answer 999" {
		t.Errorf("last message's heading %q", last)
	}

	for want := 100; want <= 1000; want += 50 {
		must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#earlier`))))
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := chromedp.Run(c, chromedp.Poll[bool](fmt.Sprintf(`document.querySelectorAll('.message').length == %d`, want)))
		cancel()
		if err != nil {
			n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.message').length`))
			errs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`pageErrors`))
			t.Fatalf("after a click on \"Show earlier\": %d messages, want %d; page errors: %q", n, want, errs)
		}
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.message .content').textContent`))
	must(t, err)
	if first != "Question 0: how does **this** work?" || pageHas(t, ctx, "#earlier") {
		t.Errorf("all shown, the first message is %q and the button still shows: %v", first, pageHas(t, ctx, "#earlier"))
	}
	// Window events (go-app's and the page's listeners) still work with
	// 1,000 messages rendered: Ctrl+K opens a new chat.
	must(t, chromedp.Do(ctx, chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl))))
	poll(t, ctx, "a new chat after Ctrl+K", `document.querySelectorAll('.message').length == 0`)
	if errs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`pageErrors`)); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

func pageHas(t *testing.T, ctx context.Context, selector string) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) != null`, selector)))
	must(t, err)
	return ok
}

// BenchmarkBrowserSwitch measures, in Chromium, switching from a small
// conversation into one of 1,000 messages until its messages are rendered.
func BenchmarkBrowserSwitch(b *testing.B) {
	a, ctx, long := openBigHistory(b)
	var small string
	var list struct{ Conversations []store.Conversation }
	apiCall(b, a, "GET", "/api/conversations?limit=2", nil, &list)
	small = list.Conversations[1].ID
	var total time.Duration
	for b.Loop() {
		must(b, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#conversations li[data-id="`+small+`"] .open`))))
		poll(b, ctx, "the small chat", `document.querySelectorAll('.message').length == 2`)
		total += switchInto(b, ctx, long)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/switch")
}
