//go:build !js

package main

import (
	"context"
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
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(selOpen)))
	got = uiTexts(t, ctx)
	for k, v := range map[string]string{"lang": "en", "newChat": "+ New chat", "placeholder": "Ask anything…", "send": "Send", "connection": "Connected", "code": "Copy code"} {
		if got[k] != v {
			t.Errorf("English, chosen and reloaded: %s is %q, want %q", k, got[k], v)
		}
	}
}
