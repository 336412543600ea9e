//go:build !js

package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/wasmchat/wasmchat/assets"
	"github.com/wasmchat/wasmchat/internal/pgtest"
)

// testApp is the whole program, started in-process by run as
// `wasmchat serve`.
type testApp struct {
	URL   string // http://127.0.0.1:port
	Addr  string // 127.0.0.1:port
	Token string // from the first-start login link, or given
	Data  string

	client *http.Client // for its TLS certificate; nil: the default
	stop   func()
}

// appOptions start an app on a given address and data folder, as a restart
// does; the zero value picks a free port and a fresh folder.
type appOptions struct {
	env        map[string]string
	addr, data string
	token      string   // the token of an earlier start on the same data
	args       []string // more flags of serve
}

// startApp runs `wasmchat serve` on a free loopback port with a fresh data
// folder and stops it at the end of the test.
func startApp(tb testing.TB, env map[string]string) *testApp {
	tb.Helper()
	return startAppWith(tb, appOptions{env: env})
}

func startAppWith(tb testing.TB, o appOptions) *testApp {
	tb.Helper()
	if _, err := assets.Web().Open("app.wasm"); err != nil {
		tb.Fatal("assets/web/app.wasm is missing: run `make wasm` (make test does) before these tests")
	}
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	if o.data == "" {
		o.data = tb.TempDir()
	}
	a := &testApp{Data: o.data, Token: o.token}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	getenv := func(k string) string {
		if v, ok := o.env[k]; ok {
			return v
		}
		if k == "WASMCHAT_UPSTREAM" {
			return "demo" // whatever runs on this machine (an Ollama?), tests talk to the demo
		}
		return ""
	}
	go func() {
		args := append([]string{"serve", "-addr", o.addr, "-data", a.Data, "-grace", "500ms"}, o.args...)
		err := run(ctx, args, getenv, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("wasmchat serve: %v", err)
			}
		})
	}
	tb.Cleanup(a.stop)
	lines := bufio.NewScanner(pr)
	for a.URL == "" || a.Token == "" {
		if !lines.Scan() {
			tb.Fatalf("wasmchat serve printed no address or login link (%v)", lines.Err())
		}
		line := lines.Text()
		if _, u, ok := strings.Cut(line, " listening on "); ok {
			a.URL, a.Addr = u, u[strings.Index(u, "://")+3:]
		}
		if _, t, ok := strings.Cut(line, "/#token="); ok {
			a.Token = t
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return a
}

// Stop shuts the app down as SIGTERM does.
func (a *testApp) Stop() { a.stop() }

// chromiumPath finds Debian's Chromium; `make test` installs it.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	tb.Fatal("Chromium not found: install Debian's chromium package (`make test` does, as root)")
	return ""
}

// TestMain stops what the tests share: the Chromium and the PostgreSQL
// cluster, if they started.
func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	pgtest.Stop()
	os.Exit(code)
}

// shared is the test binary's Chromium, started by the first newBrowser
// and stopped by TestMain (stopBrowser).
var shared struct {
	once   sync.Once
	ctx    context.Context
	stop   func()
	err    error
	create sync.Mutex // one new tab at a time
}

// newBrowser opens a new tab of the test binary's headless Chromium for
// the test, in a browser context of its own, closed at its end: its
// page's storage, caches and worker are its own, also when its server has
// the port of an earlier test's (go test -count=5 found a conversation
// kept by another test). (A test that needs a fresh profile, a cold start,
// uses freshBrowser.)
func newBrowser(tb testing.TB) context.Context {
	tb.Helper()
	return newTab(tb, true)
}

// newTab returns a new tab of the test binary's Chromium. An isolated one
// is in a browser context of its own (storage, caches, service workers):
// tests on a loopback port that an earlier test used see nothing of it.
// The default context is for what Chromium offers only there
// (installation).
func newTab(tb testing.TB, isolated bool) context.Context {
	tb.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "wasmchat-chromium-")
		if err != nil {
			shared.err = err
			return
		}
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browserOptions(tb, dir)...)
		ctx, cancel := chromedp.NewContext(actx)
		shared.ctx, shared.stop = ctx, func() {
			cancel()
			cancelAlloc()
			os.RemoveAll(dir)
		}
		shared.err = chromedp.Do(ctx) // starts it, with its first tab
	})
	if shared.err != nil {
		tb.Fatalf("chromium: %v", shared.err)
	}
	shared.create.Lock()
	var opts []chromedp.ContextOption
	if isolated {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	tab, closeTab := chromedp.NewContext(shared.ctx, opts...)
	err := chromedp.Do(tab) // the tab is made now, not under the timeout below
	shared.create.Unlock()
	must(tb, err)
	ctx, cancel := context.WithTimeout(tab, 3*time.Minute)
	tb.Cleanup(func() {
		cancel()
		closeTab()
	})
	return ctx
}

// stopBrowser stops the test binary's Chromium, if it started.
func stopBrowser() {
	if shared.stop != nil {
		shared.stop()
	}
}

// browserOptions are Chromium's flags, with its profile in dir.
func browserOptions(tb testing.TB, dir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(tb)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 900),
	)
}

// freshBrowser starts a headless Chromium with a fresh profile, for at
// most timeout, and returns a cancel that ends it.
func freshBrowser(tb testing.TB, timeout time.Duration) (context.Context, context.CancelFunc) {
	tb.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), browserOptions(tb, tb.TempDir())...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	return ctx, func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	}
}

// pressEnter presses Enter as a keyboard does: one keydown that carries the
// text "\r", so a handler that cancels the keydown cancels the newline too.
// (chromedp's SendKeys sends the text as a separate char event, which a
// cancelled keydown does not stop.)
func pressEnter(shift bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		down := input.DispatchKeyEventParams{
			Type: input.DispatchKeyEventTypeKeyDown, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r",
		}
		if shift {
			down.Modifiers = int64(chromedp.ModifierShift)
		}
		up := down
		up.Type, up.Text, up.UnmodifiedText = input.DispatchKeyEventTypeKeyUp, "", ""
		for _, p := range []input.DispatchKeyEventParams{down, up} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
