//go:build !js

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// lastTurns returns the messages of the model server's last request, each
// as role:content.
func (f *fakeModels) lastTurns() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) == 0 {
		return ""
	}
	msgs, _ := f.bodies[len(f.bodies)-1]["messages"].([]any)
	var out []string
	for _, m := range msgs {
		m, _ := m.(map[string]any)
		out = append(out, fmt.Sprint(m["role"], ":", m["content"]))
	}
	return strings.Join(out, "|")
}

// shownBranches is what the page shows: each message's first words, and
// its "k / n" when it has versions.
const shownBranches = `[...document.querySelectorAll('.message')].map(m =>
	m.querySelector('.content').textContent.trim().slice(0, 11).trim() + (m.querySelector('.branch-of') ? " (" + m.querySelector('.branch-of').textContent + ")" : "")).join("|")`

// TestBrowserBranches: regenerate and edit keep what they replace as
// versions the page switches between ("‹ 1 / 2 ›"), the model is sent
// only the branch shown, and the branch shown stays over a reload.
func TestBrowserBranches(t *testing.T) {
	t.Parallel()
	fake := &fakeModels{}
	a, ctx := appOnFake(t, fake)
	askInPage(t, ctx, "one")
	waitAnswers(t, ctx, 1, "done")
	askInPage(t, ctx, "two")
	waitAnswers(t, ctx, 2, "done")
	shows := func(what, want string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](fmt.Sprintf(`(%s) == %q && ![...document.querySelectorAll('.message')].some(m => m.dataset.status == "streaming")`, shownBranches, want),
			chromedp.WithPollingTimeout(20e9)))
		if err != nil {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](shownBranches+` + " notice: " + document.querySelector('.notice')?.textContent + " prev disabled: " + [...document.querySelectorAll('.branch-prev')].map(b => b.disabled)`))
			conv, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith("wasmchat.conversation@")))).ID`))
			t.Fatalf("%s: the page shows %q, want %q; the server shows %q", what, got, want, storedTexts(t, a, conv))
		}
	}
	sent := func(what, want string) {
		t.Helper()
		if got := fake.lastTurns(); got != want {
			t.Errorf("%s: the model was sent %q, want %q", what, got, want)
		}
	}

	// Clicked from the page's own script once enabled: a click at
	// coordinates can miss a button the page is still moving (the end of
	// an answer lays out its buttons, and the page follows the end).
	click := func(sel string) {
		t.Helper()
		poll(t, ctx, "a click on "+sel, `(() => { const b = document.querySelector(`+jsString(sel)+`); if (!b || b.disabled) return false; b.click(); return true; })()`)
	}
	click(`.regenerate`)
	shows("after regenerating", "one|Answered by|two|Answered by (2 / 2)")
	sent("regenerating", "user:one|assistant:Answered by model-a|user:two")

	// Edit the first question: its branch starts anew.
	poll(t, ctx, "the edit sent", `(() => {
		const box = document.querySelector('.edit-box');
		if (!box) { document.querySelector('.message.user .edit')?.click(); return false; }
		box.value = "uno";
		box.parentElement.querySelector('.edit-send').click();
		return true;
	})()`)
	shows("after the edit", "uno (2 / 2)|Answered by")
	sent("the edit", "user:uno")

	// Back to the first version: as it was left, the regenerated answer
	// last; then its first answer.
	click(`.message.user .branch-prev`)
	shows("the first version", "one (1 / 2)|Answered by|two|Answered by (2 / 2)")
	click(`article.message:last-of-type .branch-prev`)
	shows("the first answer", "one (1 / 2)|Answered by|two|Answered by (1 / 2)")
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('article.message:last-of-type .branch-prev').disabled`))
	must(t, err)
	if !disabled {
		t.Error("‹ offered on the first version")
	}

	// The server remembers it: a reload shows the same, and a question
	// goes on from it.
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	shows("after a reload", "one (1 / 2)|Answered by|two|Answered by (1 / 2)")
	askInPage(t, ctx, "three")
	shows("after a third question", "one (1 / 2)|Answered by|two|Answered by (1 / 2)|three|Answered by")
	sent("the third question", "user:one|assistant:Answered by model-a|user:two|assistant:Answered by model-a|user:three")

	// Search finds the other version, and its hit shows it.
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#search`), "uno")))
	click(`#hits .hit .open`)
	shows("the search hit's version", "uno (2 / 2)|Answered by")
}
