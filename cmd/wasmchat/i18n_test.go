//go:build !js

package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// uiTexts reads a few of the page's labels and <html lang>.
func uiTexts(tb testing.TB, ctx context.Context) map[string]string {
	tb.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		lang: document.documentElement.lang,
		newChat: document.querySelector('#new-chat').textContent,
		placeholder: document.querySelector('#composer').placeholder,
		send: document.querySelector('.composer .send').textContent,
		connection: document.querySelector('#connection .label').textContent,
		code: document.querySelector('.copy-code')?.textContent ?? "",
	})`))
	must(tb, err)
	return got
}

// TestBrowserLanguages: the page speaks the browser's language (Chinese
// here), switches to English from the top bar, and keeps the choice over a
// reload; code blocks' copy button follows.
func TestBrowserLanguages(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(navigator, 'languages', { get: () => ['zh-CN', 'zh', 'en'] });`,
		})
		return err
	})))
	signIn(t, ctx, a.URL, a.Token)
	askInPage(t, ctx, "show me some code")
	waitAnswers(t, ctx, 1, "done")

	want := map[string]string{"lang": "zh-CN", "newChat": "+ 新对话", "placeholder": "输入你的问题…", "send": "发送", "connection": "已连接", "code": "复制代码"}
	got := uiTexts(t, ctx)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Chinese from the browser: %s is %q, want %q", k, got[k], v)
		}
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.querySelector('#language');
		s.value = 'en';
		return s.dispatchEvent(new Event('change'));
	})()`))
	must(t, err)
	poll(t, ctx, "English after the switch", `document.querySelector('#new-chat').textContent == "+ New chat"`)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	got = uiTexts(t, ctx)
	for k, v := range map[string]string{"lang": "en", "newChat": "+ New chat", "placeholder": "Ask anything…", "send": "Send", "connection": "Connected", "code": "Copy code"} {
		if got[k] != v {
			t.Errorf("English, chosen and reloaded: %s is %q, want %q", k, got[k], v)
		}
	}
}

// unnamedControls lists the page's controls that have no accessible name:
// no text, no aria-label, no aria-labelledby, no <label>.
const unnamedControls = `[...document.querySelectorAll('button, input, select, textarea, [role="button"]')]
	.filter(el => el.offsetParent !== null || el.matches('.skip'))
	.filter(el => !((el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby') ||
		(el.labels && el.labels.length) || (el.tagName == 'BUTTON' && el.textContent.trim())))
	.map(el => el.outerHTML.slice(0, 120))`

// TestBrowserAccessibility: every visible control has a name, in both
// languages; the first control in the focus order is "skip to the question
// box", and Enter on it moves the focus there; a streaming answer is aria-busy until it is whole, so a
// screen reader reads it once.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "200"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	askInPage(t, ctx, "how do screen readers read this?")
	poll(t, ctx, "an answer streaming, busy", `document.querySelector('.message.assistant[data-status="streaming"][aria-busy="true"][aria-live="polite"]') != null`)
	poll(t, ctx, "the answer whole, not busy", `document.querySelector('.message.assistant[data-status="done"][aria-busy="false"]') != null`)
	for _, lang := range []string{"en", "zh-CN"} {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			const s = document.querySelector('#language');
			s.value = %q;
			return s.dispatchEvent(new Event('change'));
		})()`, lang)))
		must(t, err)
		poll(t, ctx, "the page in "+lang, fmt.Sprintf(`document.documentElement.lang == %q`, lang))
		unnamed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](unnamedControls))
		must(t, err)
		if len(unnamed) > 0 {
			t.Errorf("%s: controls without a name: %q", lang, unnamed)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button, input, select, textarea').length`))
		must(t, err)
		if n < 10 {
			t.Errorf("%s: only %d controls audited", lang, n)
		}
	}
	// The first control in the focus order is "skip to the question box"
	// (the box itself has the focus at load).
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const all = [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex]')]
			.filter(el => !el.disabled && el.tabIndex >= 0);
		all[0].focus();
		return document.activeElement.className;
	})()`))
	must(t, err)
	if first != "skip" {
		t.Fatalf("the first control in the focus order is %q, want the skip button", first)
	}
	must(t, chromedp.Do(ctx, chromedp.KeyEvent("\r")))
	poll(t, ctx, "the question box focused", `document.activeElement.id == "composer"`)
}
