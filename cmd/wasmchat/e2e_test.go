//go:build !js

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wasmchat/wasmchat/upstream/demo"
)

// TestBrowserAskStreamsAnswer is the walking skeleton end to end: the real
// server with the real wasm in headless Chromium. It signs in with the
// login link, asks in #composer, presses Enter and waits for the assistant
// message to be done with the whole demo answer.
func TestBrowserAskStreamsAnswer(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "1500"})
	ctx := newBrowser(t)
	const question = "What makes a chat frontend reliable?"

	must(t, chromedp.Do(ctx, chromedp.Navigate("about:blank"))) // the browser is up
	start := time.Now()
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/#token="+a.Token),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="open"]`)),
	))
	ready := time.Since(start)

	// The token left the address bar and sits in the seed's storage key.
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	must(t, err)
	if strings.Contains(loc, a.Token) {
		t.Errorf("address bar still shows the token: %s", loc)
	}
	stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem("Authorization")`))
	must(t, err)
	if stored != a.Token {
		t.Errorf("localStorage Authorization = %q, want the token", stored)
	}

	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#composer`), question)))
	asked := time.Now()
	must(t, chromedp.Do(ctx, pressEnter(false)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](
		`(document.querySelector('.message[data-role="assistant"] .content')?.textContent || "").length > 0`))
	must(t, err)
	firstChunk := time.Since(asked)
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`.message[data-role="assistant"][data-status="done"]`))))
	done := time.Since(asked)

	got := waitAnswers(t, ctx, 1, "done")[0]
	checkShown(t, ctx, got, demo.Answer(question), true)
	user, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('.message[data-role="user"] .content').textContent`))
	must(t, err)
	if user != question {
		t.Errorf("user message %q, want %q", user, question)
	}
	composer, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#composer').value`))
	must(t, err)
	if composer != "" {
		t.Errorf("composer not cleared after sending: %q", composer)
	}
	t.Logf("page ready (navigate to #connection open): %v; first chunk shown: %v after Enter; answer of %d bytes done: %v",
		ready.Round(time.Millisecond), firstChunk.Round(time.Millisecond), got.Bytes, done.Round(time.Millisecond))

	if dir := os.Getenv("WASMCHAT_SCREENSHOTS"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		must(t, err)
		must(t, os.MkdirAll(dir, 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "skeleton.png"), png, 0o644))
	}
}

// TestBrowserShiftEnterIsNewline checks the composer keys: Shift+Enter adds
// a line, Enter sends the two lines as one question.
func TestBrowserShiftEnterIsNewline(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "5000"})
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/#token="+a.Token),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="open"]`)),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "line one"),
		pressEnter(true),
		chromedp.SendKeys(chromedp.CSS(`#composer`), "line two"),
	))
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.message').length`))
	must(t, err)
	if n != 0 {
		t.Fatalf("Shift+Enter sent the question (%d messages)", n)
	}
	must(t, chromedp.Do(ctx,
		pressEnter(false),
		chromedp.WaitVisible(chromedp.CSS(`.message[data-role="assistant"][data-status="done"]`)),
	))
	user, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('.message[data-role="user"] .content').textContent`))
	must(t, err)
	if user != "line one\nline two" {
		t.Errorf("question %s, want two lines", strconv.Quote(user))
	}
}

// TestBrowserWithoutTokenAsksToSignIn opens the page with no login link.
func TestBrowserWithoutTokenAsksToSignIn(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="closed"]`)),
	))
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#connection').textContent`))
	must(t, err)
	if !strings.Contains(label, "sign in") {
		t.Errorf("indicator says %q, want a sign-in hint", label)
	}
	// A wrong token: the server refuses it and the page stops reconnecting.
	must(t, chromedp.Do(ctx,
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(a.URL+"/#token=not-a-token"),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="closed"]`)),
	))
	label, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#connection').textContent`))
	must(t, err)
	if !strings.Contains(label, "sign in again") {
		t.Errorf("after a refused token the indicator says %q", label)
	}
	// Signed out, the settings are open and take a token instead of a link;
	// a page served by the server offers no other server.
	open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#settings').open && !document.querySelector('#server-url')`))
	must(t, err)
	if !open {
		t.Error("signed out, the settings are folded or offer a server")
	}
	must(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#token-input`), a.Token),
		chromedp.Click(chromedp.CSS(`#save-settings`)),
	))
	poll(t, ctx, "signing in with the pasted token", `document.querySelector('#connection')?.dataset.state == "open"`)
}

// TestBrowserStoppedProgram: when the page's Go program can no longer run
// (a wasm trap, or a Go fatal error's exit), the page says so and offers a
// reload instead of ignoring clicks. The served wasm_exec.js does this; the
// test drives its Go class with a program that traps, then one that exits.
func TestBrowserStoppedProgram(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="closed"]`)),
	))
	for _, stop := range []string{
		`(() => {
			const go = new Go();
			go._inst = { exports: { resume() { throw new WebAssembly.RuntimeError("memory access out of bounds"); } } };
			try { go._resume(); } catch (e) { return go.exited && e instanceof WebAssembly.RuntimeError; }
			return false;
		})()`,
		`(() => { document.getElementById("stopped").remove(); new Go().exit(2); return true; })()`,
	} {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](stop))
		must(t, err)
		if !ok {
			t.Fatalf("%s: the trap was swallowed or the program not marked exited", stop)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#stopped[role="alert"]')?.textContent ?? ""`))
		must(t, err)
		if !strings.Contains(text, "The page stopped") || !strings.Contains(text, "Reload") {
			t.Errorf("after %s the page shows %q, want the stopped notice with a reload button", stop, text)
		}
	}
}

// TestBrowserWithoutWebSocket shows the seed's message in a browser that
// has no WebSocket.
func TestBrowserWithoutWebSocket(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete window.WebSocket;`})
		return err
	})))
	must(t, chromedp.Do(ctx,
		chromedp.Navigate(a.URL+"/#token="+a.Token),
		chromedp.WaitVisible(chromedp.CSS(`#connection[data-state="closed"]`)),
	))
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#connection').textContent`))
	must(t, err)
	if !strings.Contains(label, "您的浏览器不支持WebSocket") {
		t.Errorf("indicator says %q, want the seed's message", label)
	}
}

// TestBrowserStop stops a streaming answer with Esc and then with the stop
// button: each ends as stopped, keeping the text shown so far.
func TestBrowserStop(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "100"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	apps, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#app option').length`))
	must(t, err)
	if apps != 4 {
		t.Errorf("the app picker offers %d choices, want Chat and the 3 built-in apps", apps)
	}
	for i, stop := range []chromedp.Action[chromedp.Void]{
		chromedp.KeyEvent(kb.Escape),
		chromedp.Click(chromedp.CSS(`#stop`)),
	} {
		q := fmt.Sprint("stop me ", i)
		askInPage(t, ctx, q)
		waitShown(t, ctx, 20)
		must(t, chromedp.Do(ctx, stop))
		got := waitAnswers(t, ctx, i+1, "done")
		checkShown(t, ctx, got[i], demo.Answer(q), false)
		note, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`document.querySelectorAll('%s')[%d].querySelector('.note')?.textContent || ""`, selAssistants, i)))
		must(t, err)
		if note != "Stopped." {
			t.Errorf("stop %d: note %q", i, note)
		}
	}
}

// TestBrowserCopy copies a code block with its button and the whole answer
// as markdown with the answer's, through a recording clipboard.
func TestBrowserCopy(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "5000"})
	ctx := newBrowser(t)
	must(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__copied = []; Object.defineProperty(navigator, "clipboard", {value: {writeText: (s) => { window.__copied.push(s); return Promise.resolve(); }}});`,
		})
		return err
	})))
	signIn(t, ctx, a.URL, a.Token)
	const q = "copy this"
	askInPage(t, ctx, q)
	waitAnswers(t, ctx, 1, "done")
	must(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(selAssistants+` .copy-code`)),
		chromedp.Click(chromedp.CSS(selAssistants+` .copy-answer`)),
	))
	copied, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__copied`))
	must(t, err)
	answer := demo.Answer(q)
	fence := answer[strings.Index(answer, "```"):]
	code := fence[strings.Index(fence, "\n")+1 : strings.Index(fence, "```\n\n")]
	if len(copied) != 2 || copied[0] != code || copied[1] != answer {
		t.Errorf("copied %q\nwant the code %q and the answer", copied, code)
	}
}

// slowLongAnswer opens the page in a small window and asks for an answer
// that streams slowly, until it is taller than the view.
func slowLongAnswer(tb testing.TB) context.Context {
	tb.Helper()
	a := startApp(tb, map[string]string{"WASMCHAT_DEMO_CPS": "100"})
	ctx := newBrowser(tb)
	must(tb, chromedp.Do(ctx, chromedp.EmulateViewport(600, 360)))
	signIn(tb, ctx, a.URL, a.Token)
	askInPage(tb, ctx, "a long answer to scroll through")
	poll(tb, ctx, "an answer taller than the view", `(() => { const m = document.getElementById("messages"); return m.scrollHeight > m.clientHeight + 150 })()`)
	return ctx
}

// TestBrowserJumpToLatest scrolls up while an answer streams: the view stays
// where the reader put it, and "jump to latest" brings them back.
func TestBrowserJumpToLatest(t *testing.T) {
	ctx := slowLongAnswer(t)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("messages").scrollTop = 0`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.getElementById("jump")`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const m = document.getElementById("messages"); return JSON.stringify({top: m.scrollTop, h: m.scrollHeight, c: m.clientHeight, st: [...document.querySelectorAll(".message")].map(e => e.dataset.status + ":" + e.dataset.bytes)}) })()`))
		t.Fatalf("no jump button: %v; %s", err, st)
	}
	waitShown(t, ctx, 700) // more text arrived
	top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("messages").scrollTop`))
	must(t, err)
	if top != 0 {
		t.Errorf("the view moved to %v while the reader was scrolled up", top)
	}
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#jump`))))
	gap, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
		`(() => { const m = document.getElementById("messages"); return m.scrollHeight - m.scrollTop - m.clientHeight })()`))
	must(t, err)
	if gap > 80 {
		t.Errorf("after jump to latest the view is %v px from the end", gap)
	}
}

// TestBrowserKeepsWhatIsTyped: parts of the page that come and go (the
// jump button, the drawer's scrim, the install button) leave what the user
// is typing alone: the same question box with the same draft, the same
// message list, the same half-typed token in the settings.
func TestBrowserKeepsWhatIsTyped(t *testing.T) {
	t.Parallel()
	ctx := slowLongAnswer(t)
	const draft = "my next question, half typed"
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#composer`), draft)))
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		window.kept = {box: document.getElementById("composer"), list: document.getElementById("messages"), token: document.getElementById("token-input")};
		kept.token.value = "half a token";
		return true;
	})()`))
	must(t, err)
	kept := func(after string) {
		t.Helper()
		lost, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const lost = [];
			if (document.getElementById("composer") !== kept.box) lost.push("the question box was rebuilt");
			if (kept.box.value !== `+jsString(draft)+`) lost.push("the draft is " + JSON.stringify(kept.box.value));
			if (document.getElementById("messages") !== kept.list) lost.push("the message list was rebuilt");
			if (document.getElementById("token-input") !== kept.token) lost.push("the settings were rebuilt");
			if (kept.token.value !== "half a token") lost.push("the token typed is " + JSON.stringify(kept.token.value));
			return lost;
		})()`))
		must(t, err)
		if len(lost) > 0 {
			t.Errorf("after %s: %s", after, strings.Join(lost, "; "))
		}
	}

	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("messages").scrollTop = 0`)))
	poll(t, ctx, "the jump button", `!!document.getElementById("jump")`)
	kept("the jump button showed")
	must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#jump`))))
	poll(t, ctx, "the jump button to go", `!document.getElementById("jump")`)
	kept("the jump button went")

	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("menu").click()`)))
	poll(t, ctx, "the drawer's scrim", `!!document.querySelector(".scrim")`)
	kept("the drawer opened")

	// Chromium may have offered installation already: "installed" takes
	// the offer back, then a new offer brings the button.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.dispatchEvent(new Event('appinstalled'))`))
	must(t, err)
	poll(t, ctx, "the install button to go", `!document.getElementById("install")`)
	kept("the install button went")
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.dispatchEvent(new Event('beforeinstallprompt', {cancelable: true}))`))
	must(t, err)
	poll(t, ctx, "the install button", `!!document.getElementById("install")`)
	kept("the install button showed")
}

// watchCSP collects, in every page the browser loads from now on, the
// violations of its Content-Security-Policy in window.cspViolations.
func watchCSP(tb testing.TB, ctx context.Context) {
	tb.Helper()
	must(tb, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.cspViolations = [];
				document.addEventListener('securitypolicyviolation', e => cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
		})
		return err
	})))
}

// checkNoCSPViolation fails the test if the page violated its policy.
func checkNoCSPViolation(tb testing.TB, ctx context.Context) {
	tb.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`cspViolations`))
	must(tb, err)
	if len(got) > 0 {
		tb.Errorf("CSP violations: %q", got)
	}
}

// TestBrowserUnderCSP: the page works under the server's
// Content-Security-Policy (no inline script, no eval, wasm allowed) with
// not one violation: load, connect, a streamed answer with code, the
// sidebar's API calls, a theme switch.
func TestBrowserUnderCSP(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	ctx := newBrowser(t)
	watchCSP(t, ctx)
	signIn(t, ctx, a.URL, a.Token)
	askInPage(t, ctx, "show me code under a strict policy")
	waitAnswers(t, ctx, 1, "done")
	poll(t, ctx, "the chat in the sidebar", `document.querySelectorAll('#conversations li').length == 1`)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.querySelector('#theme');
		s.value = 'dark';
		return s.dispatchEvent(new Event('change'));
	})()`))
	must(t, err)
	poll(t, ctx, "the dark theme", `document.documentElement.dataset.theme == "dark"`)
	checkNoCSPViolation(t, ctx)
	// The policy is in force: an inline script (what an XSS would add) is
	// refused.
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(resolve => {
		window.inlineRan = false;
		const s = document.createElement('script');
		s.textContent = 'window.inlineRan = true';
		document.body.append(s);
		setTimeout(() => resolve(window.inlineRan || cspViolations.length == 0), 100);
	})`, chromedp.EvalAwaitPromise))
	must(t, err)
	if ran {
		t.Error("an inline script ran, or was refused without a violation: the CSP is not in force")
	}
}
