//go:build !js

package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/store"
)

// storedTexts is what the server has of conversation id: role:text of
// each message.
func storedTexts(tb testing.TB, a *testApp, id string) []string {
	tb.Helper()
	var conv struct{ Messages []store.Message }
	if code := apiCall(tb, a, "GET", "/api/conversations/"+id, nil, &conv); code != 200 {
		tb.Fatalf("get %s: %d", id, code)
	}
	var out []string
	for _, m := range conv.Messages {
		out = append(out, m.Role[:1]+":"+strings.SplitN(m.Text, "\n", 2)[0]+":"+m.ID)
	}
	return out
}

// TestBrowserEditAndRegenerate: "regenerate" puts a new answer in the
// last one's place, and editing an earlier question asks the edited
// question in its place, on the page and in the branch the server shows
// (what they replace stays as another branch: TestBrowserBranches).
func TestBrowserEditAndRegenerate(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "5000"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	askInPage(t, ctx, "first question")
	waitAnswers(t, ctx, 1, "done")
	askInPage(t, ctx, "second question")
	waitAnswers(t, ctx, 2, "done")
	poll(t, ctx, "regenerate offered on the last answer only", `document.querySelectorAll('.regenerate').length == 1 &&
		[...document.querySelectorAll('.message')].pop().querySelector('.regenerate') != null &&
		document.querySelectorAll('.message.user .edit').length == 2`)
	conv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith("wasmchat.conversation@")))).ID`))
	must(t, err)
	before := storedTexts(t, a, conv)

	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.regenerate`))))
	// The server has a new answer in the last one's place (the demo's
	// answer to the same question is the same text: the id tells).
	var after []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = storedTexts(t, a, conv)
		if len(after) == 4 && after[3] != before[3] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("regenerating: the server had\n%q\nand now has\n%q", before, after)
		}
	}
	if after[0] != before[0] || after[1] != before[1] {
		t.Errorf("regenerating changed the first exchange:\n%q\n%q", before, after)
	}
	// The page draws a frame after it changed: until then the old answer
	// still shows done. The switcher shows only once the new one is drawn.
	poll(t, ctx, "the new answer shown", `document.querySelectorAll('.message').length == 4 &&
		document.querySelector('article.message:last-of-type .branch-of')?.textContent == "2 / 2" &&
		[...document.querySelectorAll('.message')].pop().dataset.status == "done" &&
		document.querySelectorAll('.regenerate').length == 1`)

	// Edit the first question: the branch shown starts anew.
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.message.user .edit`))))
	poll(t, ctx, "the edit sent", `(() => {
		const box = document.querySelector('.edit-box');
		if (!box) { document.querySelector('.message.user .edit')?.click(); return false; }
		if (box.value != "first question") return false;
		box.value = "first question, better put";
		box.parentElement.querySelector('.edit-send').click();
		return true;
	})()`)
	c, cancel := context.WithTimeout(ctx, 20e9)
	defer cancel()
	_, err = chromedp.Run(c, chromedp.Poll[bool](`(() => {
		const m = [...document.querySelectorAll('.message')];
		return m.length == 2 && m[0].textContent.startsWith("first question, better put") && m[1].dataset.status == "done";
	})()`))
	if err != nil {
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.message')].map(m => m.dataset.role + ": " + m.textContent.slice(0, 60)).join("\n")`))
		t.Fatalf("after the edit the page shows:\n%s", shown)
	}
	answer, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelectorAll('.message')[1].textContent`))
	must(t, err)
	if !strings.Contains(answer, "first question, better put") {
		t.Errorf("the answer does not quote the edited question: %.200s", answer)
	}
	got := storedTexts(t, a, conv)
	if len(got) != 2 || !strings.HasPrefix(got[0], "u:first question, better put:") {
		t.Errorf("after the edit the server has %q", got)
	}
	// And it stays so over a reload.
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	poll(t, ctx, "the edited conversation after a reload", fmt.Sprintf(`document.querySelectorAll('.message').length == 2 &&
		document.querySelector('.message.user').textContent.startsWith(%q)`, "first question, better put"))
}
