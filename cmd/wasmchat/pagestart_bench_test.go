//go:build !js

package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// startPhases are what BenchmarkBrowserPageStart measures of a page load,
// in milliseconds from the navigation's start: the first paint; the
// question box usable (laid out, on top and focused: typing goes in); the
// wasm downloaded (its response's end); the Go program running (its main
// started); the WebSocket open (its open event: both pages mark it); the
// page connected (its Go code has the open socket; the floor's opens in
// its Go code, so there the two are one).
type startPhases struct {
	Paint   float64 `json:"paint"`
	Usable  float64 `json:"usable"`
	Wasm    float64 `json:"wasm"`
	Go      float64 `json:"go"`
	WS      float64 `json:"ws"`
	Page    float64 `json:"page"`
	Fetches int     `json:"fetches"` // how many times the wasm was fetched
}

// watchUsable runs in every page before its own scripts: it notes the
// first animation frame in which the question box takes typing.
const watchUsable = `(() => {
	const check = () => {
		const box = document.getElementById("composer");
		if (box && document.activeElement === box) {
			const r = box.getBoundingClientRect();
			if (r.height > 0 && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === box) {
				window.__usable = performance.now();
				return;
			}
		}
		requestAnimationFrame(check);
	};
	requestAnimationFrame(check);
})()`

const readPhases = `(() => {
	const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? -1;
	const paints = performance.getEntriesByType("paint");
	const paint = paints.find((e) => e.name === "first-paint") || paints[0];
	const wasm = performance.getEntriesByType("resource").filter((e) => /\.wasm$/.test(new URL(e.name).pathname));
	return {
		paint: paint ? paint.startTime : -1, usable: window.__usable ?? -1,
		wasm: wasm.length ? Math.max(...wasm.map((e) => e.responseEnd)) : -1, fetches: wasm.length,
		go: mark("go-running"), ws: mark("ws-open"), page: mark("ws-page"),
	};
})()`

// loadPage loads url in ctx's tab over link (nil: unthrottled) and returns
// its phases once its WebSocket is open, the page has it, and the first
// paint is known (its entry comes in a task of its own, after the Go
// program's start on a warm load).
func loadPage(tb testing.TB, ctx context.Context, url string, link chromedp.Action[chromedp.Void]) startPhases {
	tb.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchUsable})
		return err
	})}
	if link != nil {
		steps = append(steps, link)
	}
	must(tb, chromedp.Do(ctx, append(steps, startLoading(url))...))
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := chromedp.Run(ctx, chromedp.Evaluate[startPhases](readPhases))
		if err == nil && p.Paint >= 0 && p.WS >= 0 && p.Page >= 0 && p.Usable >= 0 {
			return p
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: no open WebSocket and usable question box in 30 s: %+v, %v", url, p, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// workerReady waits until the page's service worker is active (it has
// cached the page's files).
func workerReady(tb testing.TB, ctx context.Context) {
	tb.Helper()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wait, chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(() => true)`, chromedp.EvalAwaitPromise)); err != nil {
		tb.Fatalf("the page's service worker: %v", err)
	}
}

// serveBinary builds wasmchat and runs `wasmchat serve` in a process of its
// own, as the floor's server runs, and returns its address and token.
func serveBinary(tb testing.TB) (url, token string) {
	tb.Helper()
	dir := tb.TempDir()
	bin := filepath.Join(dir, "wasmchat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return startBinary(tb, bin, dir, append(os.Environ(), "WASMCHAT_UPSTREAM=demo"))
}

// startBinary runs `bin serve` in dir, with its data there, on a free
// loopback port, until the end of the test, and returns the address and
// the token of the login link it prints.
func startBinary(tb testing.TB, bin, dir string, env []string) (url, token string) {
	tb.Helper()
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "data"))
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.StdoutPipe()
	must(tb, err)
	must(tb, cmd.Start())
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	for (url == "" || token == "") && lines.Scan() {
		if _, u, ok := strings.Cut(lines.Text(), " listening on "); ok {
			url = u
		}
		if _, t, ok := strings.Cut(lines.Text(), "/#token="); ok {
			token = t
		}
	}
	if url == "" || token == "" {
		tb.Fatal("wasmchat serve printed no address or login link")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return url, token
}

// floorSite builds the floor page (internal/floor: go-app v9 and
// coder/websocket, nothing else) and starts its server; the wasm is
// brotli-compressed as wasmchat's is, and kept in the user's cache by
// content, since compressing takes a while.
func floorSite(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	web := filepath.Join(dir, "web")
	must(tb, os.MkdirAll(web, 0o755))
	build := func(env []string, out string, flags ...string) {
		args := append([]string{"build", "-trimpath", "-o", out}, flags...)
		cmd := exec.Command("go", append(args, "github.com/wasmchat/wasmchat/internal/floor")...)
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("build the floor: %v\n%s", err, b)
		}
	}
	build([]string{"GOOS=js", "GOARCH=wasm"}, filepath.Join(web, "app.wasm"), "-ldflags=-s -w")
	build(nil, filepath.Join(dir, "floor"))
	wasm, err := os.ReadFile(filepath.Join(web, "app.wasm"))
	must(tb, err)
	sum := sha256.Sum256(wasm)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cached := filepath.Join(cache, "wasmchat-floor", hex.EncodeToString(sum[:8])+".wasm.br")
	br, err := os.ReadFile(cached)
	if err != nil {
		var b strings.Builder
		w := brotli.NewWriterLevel(&b, brotli.BestCompression)
		_, _ = w.Write(wasm)
		must(tb, w.Close())
		br = []byte(b.String())
		_ = os.MkdirAll(filepath.Dir(cached), 0o755)
		_ = os.WriteFile(cached, br, 0o644) // only a cache
	}
	must(tb, os.WriteFile(filepath.Join(web, "app.wasm.br"), br, 0o644))

	cmd := exec.Command(filepath.Join(dir, "floor"), "-addr", "127.0.0.1:0", "-web", web)
	out, err := cmd.StdoutPipe()
	must(tb, err)
	must(tb, cmd.Start())
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("the floor's server: %v", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		tb.Fatalf("the floor's server said %q", line)
	}
	return url
}

// BenchmarkBrowserPageStart loads wasmchat's page and the floor (the least
// page of go-app v9 and coder/websocket, built here) in Chromium, each in a
// fresh profile (cold) and then again in a new tab of that profile, with
// its service worker and caches (warm), unthrottled and over an emulated
// 10 Mbit/s link with 40 ms of latency. It prints the median of nine loads
// per phase and the ratios issue 13 asks for.
func BenchmarkBrowserPageStart(b *testing.B) {
	const samples = 9
	site, token := serveBinary(b)
	floor := floorSite(b)
	links := []struct {
		name string
		link chromedp.Action[chromedp.Void]
	}{{"loopback", nil}, {"10Mbit/40ms", slowLink(40*time.Millisecond, 10e6/8)}}
	pages := []struct{ name, cold, warm string }{
		{"wasmchat", site + "/#token=" + token, site + "/"},
		{"floor", floor + "/", floor + "/"},
	}
	type key struct{ page, link, load string }
	got := map[key][]startPhases{}
	for range b.N {
		for _, l := range links {
			for range samples {
				for _, p := range pages {
					ctx, cancel := freshBrowser(b, 2*time.Minute)
					got[key{p.name, l.name, "cold"}] = append(got[key{p.name, l.name, "cold"}], loadPage(b, ctx, p.cold, l.link))
					workerReady(b, ctx)
					tab, closeTab := chromedp.NewContext(ctx)
					got[key{p.name, l.name, "warm"}] = append(got[key{p.name, l.name, "warm"}], loadPage(b, tab, p.warm, l.link))
					closeTab()
					cancel()
				}
			}
		}
	}
	med := func(k key, f func(startPhases) float64) float64 {
		var v []float64
		for _, p := range got[k] {
			v = append(v, f(p))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	phases := []struct {
		name string
		f    func(startPhases) float64
	}{
		{"first paint", func(p startPhases) float64 { return p.Paint }},
		{"box usable", func(p startPhases) float64 { return p.Usable }},
		{"wasm downloaded", func(p startPhases) float64 { return p.Wasm }},
		{"Go running", func(p startPhases) float64 { return p.Go }},
		{"WebSocket open", func(p startPhases) float64 { return p.WS }},
		{"page connected", func(p startPhases) float64 { return p.Page }},
		{"wasm fetches", func(p startPhases) float64 { return float64(p.Fetches) }},
	}
	var t strings.Builder
	fmt.Fprintf(&t, "page start, median of %d loads, ms from navigation (fetches: of the wasm, 0 = from the worker)\n", samples)
	fmt.Fprintf(&t, "%-16s", "")
	for _, l := range links {
		for _, load := range []string{"cold", "warm"} {
			for _, p := range pages {
				fmt.Fprintf(&t, "%22s", p.name+" "+load+" "+strings.Split(l.name, "/")[0])
			}
		}
	}
	t.WriteString("\n")
	for _, ph := range phases {
		fmt.Fprintf(&t, "%-16s", ph.name)
		for _, l := range links {
			for _, load := range []string{"cold", "warm"} {
				for _, p := range pages {
					fmt.Fprintf(&t, "%22.0f", med(key{p.name, l.name, load}, ph.f))
				}
			}
		}
		t.WriteString("\n")
	}
	paint := func(l string) float64 { return med(key{"floor", l, "cold"}, phases[0].f) }
	for _, l := range links {
		usable := med(key{"wasmchat", l.name, "cold"}, phases[1].f) / paint(l.name)
		fmt.Fprintf(&t, "%s: wasmchat's box usable / floor's first paint, cold: %.2f (target ≤ 1.1)\n", l.name, usable)
		b.ReportMetric(usable, "usable/floor-paint-"+strings.Split(l.name, "/")[0])
	}
	ws := med(key{"wasmchat", "loopback", "cold"}, phases[4].f) / med(key{"floor", "loopback", "cold"}, phases[3].f)
	warm := med(key{"wasmchat", "loopback", "warm"}, phases[4].f)
	fmt.Fprintf(&t, "loopback: wasmchat's WebSocket open / floor's Go running, cold: %.2f (target ≤ 1.25)\n", ws)
	fmt.Fprintf(&t, "loopback: wasmchat's WebSocket open, warm: %.0f ms (target ≤ 200)\n", warm)
	connected := med(key{"wasmchat", "loopback", "cold"}, phases[5].f) / med(key{"floor", "loopback", "cold"}, phases[5].f)
	fmt.Fprintf(&t, "loopback: wasmchat's page connected / floor's, cold: %.2f\n", connected)
	b.ReportMetric(ws, "ws/floor-go-cold")
	b.ReportMetric(connected, "connected/floor-cold")
	b.ReportMetric(warm, "ms-ws-warm")
	b.Log("\n" + t.String())
}
