package server_test

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/server"
)

// pageWeb is testWeb with the icons a page names.
func pageWeb() fstest.MapFS {
	web := testWeb("wasm-v1")
	for _, name := range []string{"icon-192.png", "icon-512.png", "icon-maskable.png"} {
		web[name] = &fstest.MapFile{Data: []byte("\x89PNG\r\n\x1a\n" + name)}
	}
	web["icon.svg"] = &fstest.MapFile{Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}
	web["wasm_exec.js"] = &fstest.MapFile{Data: []byte("// glue")}
	return web
}

func pageHandler() *app.Handler {
	return &app.Handler{
		Name: "wasmchat", ShortName: "wasmchat", Title: "wasmchat", Description: "chat", Lang: "en",
		BackgroundColor: "#ffffff", ThemeColor: "#0d8466",
		Icon:   app.Icon{Default: "/web/icon-192.png", Large: "/web/icon-512.png", SVG: "/web/icon.svg", AppleTouch: "/web/icon-192.png"},
		Styles: []string{"/web/style.css"},
	}
}

func newPageServer(t *testing.T, origins ...string) *testServer {
	t.Helper()
	return newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: testStore(t), Page: pageHandler(), Web: pageWeb(), OriginPatterns: origins})
}

func body(t *testing.T, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	res := get(t, url, header)
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var hashedName = regexp.MustCompile(`/web/[a-z0-9-]+\.[0-9a-f]{12}\.[a-z]+`)

// checkInlineStyle checks that page carries its style sheets inline, one
// <style> with go-app's app.css and the page's own (which has want), and
// links none; and that policy allows that style by its hash.
func checkInlineStyle(t *testing.T, page, policy, want string) {
	t.Helper()
	if regexp.MustCompile(`<link[^>]*(stylesheet|\.css")`).MatchString(page) {
		t.Errorf("the page links a style sheet:\n%.3000s", page)
	}
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
	if len(m) != 1 || !strings.Contains(m[0][1], ".goapp-app-info") || !strings.Contains(m[0][1], want) {
		t.Fatalf("the page's inline style: %d, %.300q", len(m), m)
	}
	sum := sha256.Sum256([]byte(m[0][1]))
	if hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(policy, "style-src 'self' "+hash+";") {
		t.Errorf("the policy %q does not allow the inline style (%s)", policy, hash)
	}
}

// The page carries its style inline; it names its other files by content
// hash, and those are cached for good, the plain names revalidated.
func TestHashedAssets(t *testing.T) {
	ts := newPageServer(t)
	res, page := body(t, ts.URL+"/", nil)
	checkInlineStyle(t, page, res.Header.Get("Content-Security-Policy"), "color: red")
	icon := regexp.MustCompile(`href="(/web/icon-192\.[0-9a-f]{12}\.png)"`).FindStringSubmatch(page)
	if icon == nil {
		t.Fatalf("the page links no content-hashed icon:\n%.2000s", page)
	}
	res, hashed := body(t, ts.URL+icon[1], nil)
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("%s: Cache-Control %q", icon[1], cc)
	}
	res, plain := body(t, ts.URL+"/web/icon-192.png", nil)
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("/web/icon-192.png: Cache-Control %q", cc)
	}
	if hashed != plain || plain == "" {
		t.Errorf("hashed and plain icons differ")
	}
	if res, _ := body(t, ts.URL+"/web/style.000000000000.css", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a stale hash: %d, want 404", res.StatusCode)
	}
}

type manifestIcon struct{ Src, Type, Sizes, Purpose string }

type webManifest struct {
	ID, Name, Description, Lang, Display string
	ShortName                            string `json:"short_name"`
	StartURL                             string `json:"start_url"`
	Scope                                string
	BackgroundColor                      string `json:"background_color"`
	ThemeColor                           string `json:"theme_color"`
	Icons                                []manifestIcon
}

// checkManifest checks what makes the page installable: names, colours,
// scope, and local icons at 192 and 512 px, an SVG and a maskable one,
// each of which get returns.
func checkManifest(t *testing.T, data []byte, root string, get func(string) (int, string)) {
	t.Helper()
	var m webManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest: %v\n%s", err, data)
	}
	if m.Name == "" || m.ShortName == "" || m.Description == "" || m.BackgroundColor == "" || m.ThemeColor == "" ||
		m.Display != "standalone" || m.StartURL != root || m.Scope != root || m.ID != root {
		t.Errorf("manifest fields: %+v", m)
	}
	want := map[string]bool{"192x192 image/png ": false, "512x512 image/png ": false, "512x512 image/png maskable": false, "any image/svg+xml ": false}
	for _, i := range m.Icons {
		key := i.Sizes + " " + i.Type + " " + i.Purpose
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected icon %+v", i)
		}
		want[key] = true
		if !strings.HasPrefix(i.Src, root+"web/") || !hashedName.MatchString(i.Src) {
			t.Errorf("icon %q is not a local content-hashed file under %s", i.Src, root)
		}
		if status, ctype := get(i.Src); status != http.StatusOK || ctype != i.Type {
			t.Errorf("icon %s: %d %s", i.Src, status, ctype)
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("manifest lacks the icon %q", k)
		}
	}
}

func TestManifest(t *testing.T) {
	ts := newPageServer(t)
	_, page := body(t, ts.URL+"/", nil)
	if link := regexp.MustCompile(`<link [^>]*rel="manifest"[^>]*>`).FindString(page); !strings.Contains(link, `href="/manifest.webmanifest"`) {
		t.Fatalf("the page links no manifest: %q", link)
	}
	res, data := body(t, ts.URL+"/manifest.webmanifest", nil)
	if ct := res.Header.Get("Content-Type"); ct != "application/manifest+json" {
		t.Errorf("Content-Type %q", ct)
	}
	checkManifest(t, []byte(data), "/", func(p string) (int, string) {
		res, _ := body(t, ts.URL+p, nil)
		return res.StatusCode, res.Header.Get("Content-Type")
	})
	if strings.Contains(page, "githubusercontent") || strings.Contains(data, "://") {
		t.Errorf("a remote icon is named (go-app's defaults are remote)")
	}
}

// TestLoaderKnowsTheLength: app.js carries the wasm's decoded length for
// the loading progress (a static host sends no header with it, and one
// compressing on the fly sends the compressed length), and is revalidated
// by its ETag.
func TestLoaderKnowsTheLength(t *testing.T) {
	ts := newPageServer(t)
	res, js := body(t, ts.URL+"/app.js", nil)
	if !strings.Contains(js, "const total = 7;") || strings.Contains(js, "parseInt(contentLength") {
		t.Fatalf("app.js does not carry the wasm's length 7 (has go-app's loader changed?):\n%s", js)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("app.js Content-Type %q, Cache-Control %q", ct, res.Header.Get("Cache-Control"))
	}
	etag := res.Header.Get("ETag")
	if res, _ := body(t, ts.URL+"/app.js", http.Header{"If-None-Match": {etag}}); etag == "" || res.StatusCode != http.StatusNotModified {
		t.Errorf("app.js with its ETag %q: %d, want 304", etag, res.StatusCode)
	}
}

// The worker caches the shell and every content-hashed file at the page's
// version, and leaves the API and the WebSocket alone.
func TestWorker(t *testing.T) {
	ts := newPageServer(t)
	res, js := body(t, ts.URL+"/app-worker.js", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(js, `cachePrefix + "`+ts.Version()+`"`) {
		t.Fatalf("worker %d lacks the version %s:\n%s", res.StatusCode, ts.Version(), js)
	}
	list := regexp.MustCompile(`const resourcesToCache = (\[.*?\])`).FindStringSubmatch(js)
	if list == nil {
		t.Fatal("the worker lists no files to cache")
	}
	var files []string
	if err := json.Unmarshal([]byte(list[1]), &files); err != nil {
		t.Fatal(err)
	}
	cached := strings.Join(files, " ")
	for _, want := range []string{"/", "/app.js", "/app.css", "/wasm_exec.js", "/manifest.webmanifest"} {
		if !strings.Contains(" "+cached+" ", " "+want+" ") {
			t.Errorf("the worker does not cache %s: %v", want, files)
		}
	}
	for _, name := range []string{"app", "style", "icon-192", "icon-512", "icon-maskable", "icon"} {
		if !regexp.MustCompile(`/web/` + name + `\.[0-9a-f]{12}\.`).MatchString(cached) {
			t.Errorf("the worker does not cache the hashed %s: %v", name, files)
		}
	}
	for _, f := range files {
		if res, _ := body(t, ts.URL+f, http.Header{"Accept-Encoding": {"identity"}}); res.StatusCode != http.StatusOK {
			t.Errorf("%s, which the worker caches: %d", f, res.StatusCode)
		}
	}
	if !strings.Contains(js, `rest.startsWith("api/")`) || !strings.Contains(js, `rest.startsWith("ws/")`) {
		t.Error("the worker does not leave the API and the WebSocket alone")
	}
}

// A static site of the page on another origin, listed in -origin, may
// call the API; any other origin's page may not read it.
func TestAPICrossOrigin(t *testing.T) {
	ts := newPageServer(t, "https://pages.example")
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/api/conversations", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := preflight("https://pages.example")
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "https://pages.example" ||
		!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("allowed origin's preflight: %d %v", res.StatusCode, res.Header)
	}
	if res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials allowed: the API takes bearer tokens only")
	}
	for _, o := range []string{"https://evil.example", "http://pages.example", "null"} {
		if res := preflight(o); res.StatusCode != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("origin %s's preflight: %d %v", o, res.StatusCode, res.Header)
		}
	}
	h := http.Header{"Authorization": {"Bearer alice-token"}, "Origin": {"https://pages.example"}}
	if res, _ := body(t, ts.URL+"/api/conversations", h); res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "https://pages.example" {
		t.Errorf("allowed origin's GET: %d %v", res.StatusCode, res.Header)
	}
	h.Set("Origin", "https://evil.example")
	if res, _ := body(t, ts.URL+"/api/conversations", h); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a foreign origin may read the API: %v", res.Header)
	}
}

func TestWriteStatic(t *testing.T) {
	dir := t.TempDir()
	err := server.WriteStatic(dir, server.StaticConfig{
		Page: pageHandler(), Web: pageWeb(), Version: "v7", Base: "/repo/", Server: "https://chat.example.com/",
		Connect: []string{"http://127.0.0.1:9000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	index := read("index.html")
	for _, want := range []string{
		`src="/repo/app.js"`, `src="/repo/wasm_exec.js"`, `href="/repo/manifest.webmanifest"`,
		`<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-`,
		`connect-src 'self' http://127.0.0.1:9000 https://chat.example.com ws://127.0.0.1:9000 wss://chat.example.com;`,
		`object-src 'none'; base-uri 'none'`,
		`<script data-prefix="/repo" data-socket="wss://chat.example.com/ws/0" `,
	} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	policy := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(index)
	if policy == nil {
		t.Fatal("index.html has no policy")
	}
	checkInlineStyle(t, index, policy[1], "color: red")
	if strings.Contains(index, "og:url") || strings.Contains(index, "frame-ancestors") || strings.Contains(index, "'unsafe-eval'") {
		t.Errorf("index.html names the build's host, or a policy a meta cannot carry:\n%s", index)
	}
	if read("404.html") != index {
		t.Error("404.html is not the shell")
	}
	appJS := read("app.js")
	if !strings.Contains(appJS, `"WASMCHAT_SERVER":"https://chat.example.com"`) || !strings.Contains(appJS, `"GOAPP_ROOT_PREFIX":"/repo"`) ||
		!strings.Contains(appJS, "const total = 7;") ||
		!regexp.MustCompile(`"/repo/web/app\.[0-9a-f]{12}\.wasm"`).MatchString(appJS) {
		t.Errorf("app.js:\n%s", appJS)
	}
	checkManifest(t, []byte(read("manifest.webmanifest")), "/repo/", func(p string) (int, string) {
		if _, err := os.Stat(filepath.Join(dir, strings.TrimPrefix(p, "/repo/"))); err != nil {
			return http.StatusNotFound, ""
		}
		return http.StatusOK, map[string]string{".png": "image/png", ".svg": "image/svg+xml"}[filepath.Ext(p)]
	})
	if read("wasm_exec.js") != "// glue" {
		t.Error("wasm_exec.js is not the build's glue")
	}
	worker := read("app-worker.js")
	if !strings.Contains(worker, `"/repo/app.js"`) {
		t.Errorf("the worker does not cache the site's files:\n%s", worker)
	}
	// The documents come with their brotli and gzip variants, as the
	// web files do, for hosts that serve those (nginx gzip_static).
	for _, name := range []string{"index.html", "404.html", "app.js", "app-worker.js", "app.css", "manifest.webmanifest"} {
		raw := read(name)
		zr, err := gzip.NewReader(strings.NewReader(read(name + ".gz")))
		if err != nil {
			t.Errorf("%s.gz: %v", name, err)
			continue
		}
		gz, _ := io.ReadAll(zr)
		br, _ := io.ReadAll(brotli.NewReader(strings.NewReader(read(name + ".br"))))
		if string(gz) != raw || string(br) != raw {
			t.Errorf("%s: its .gz or .br does not hold it", name)
		}
	}
	webFiles, _ := filepath.Glob(filepath.Join(dir, "web", "*"))
	var names []string
	for _, f := range webFiles {
		name := filepath.Base(f)
		names = append(names, regexp.MustCompile(`\.[0-9a-f]{12}\.`).ReplaceAllString(name, ".#."))
		if !hashedName.MatchString("/web/" + name) {
			t.Errorf("web/%s is not content-hashed", name)
		}
	}
	want := "app.#.wasm app.#.wasm.br app.#.wasm.gz icon-192.#.png icon-512.#.png icon-maskable.#.png icon.#.svg style.#.css style.#.css.br"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("web/ holds %s, want %s", got, want)
	}
	if gz, _ := os.ReadFile(filepath.Join(dir, "web", filepath.Base(webFiles[2]))); string(gz) != "GZ:wasm-v1" {
		t.Errorf("app.wasm.gz holds %q", gz)
	}

	for _, bad := range []server.StaticConfig{
		{Page: pageHandler(), Web: pageWeb(), Base: "/", Server: "ftp://x"},
		{Page: pageHandler(), Web: pageWeb(), Base: `/a"b/`, Server: "https://x"},
		{Page: pageHandler(), Web: pageWeb(), Base: "/"},
		{Page: pageHandler(), Web: pageWeb(), Base: "/", Server: "https://x", Connect: []string{"javascript:alert(1)"}},
		{Page: pageHandler(), Web: fstest.MapFS{"style.css": {Data: []byte("x")}}, Base: "/", Server: "https://x"},
	} {
		if err := server.WriteStatic(t.TempDir(), bad); err == nil {
			t.Errorf("WriteStatic(%+v) wrote a site", bad)
		}
	}
}

// TestDocumentsCompressed: the page, app.js, app.css, the worker and the
// manifest are served in brotli or gzip as the browser takes them, the
// same as plain, and an ETag of one encoding revalidates it.
func TestDocumentsCompressed(t *testing.T) {
	ts := newPageServer(t)
	for _, p := range []string{"/", "/app.js", "/app.css", "/app-worker.js", "/manifest.webmanifest"} {
		_, plain := body(t, ts.URL+p, http.Header{"Accept-Encoding": {"identity"}})
		for _, enc := range []string{"br", "gzip"} {
			res, got := body(t, ts.URL+p, http.Header{"Accept-Encoding": {enc}})
			if ce := res.Header.Get("Content-Encoding"); ce != enc {
				t.Errorf("%s with Accept-Encoding %s: Content-Encoding %q", p, enc, ce)
				continue
			}
			var r io.Reader = brotli.NewReader(strings.NewReader(got))
			if enc == "gzip" {
				zr, err := gzip.NewReader(strings.NewReader(got))
				if err != nil {
					t.Fatal(err)
				}
				r = zr
			}
			// go-app prints a page's attributes in random order: the
			// page is the same bytes only in length.
			if decoded, _ := io.ReadAll(r); string(decoded) != plain && (p != "/" || len(decoded) != len(plain)) {
				t.Errorf("%s in %s decodes to %d bytes, not the %d served plain", p, enc, len(decoded), len(plain))
			}
			if len(got) >= len(plain) || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s in %s: %d bytes for %d plain, Vary %q", p, enc, len(got), len(plain), res.Header.Get("Vary"))
			}
			if etag := res.Header.Get("ETag"); etag != "" {
				if res, _ := body(t, ts.URL+p, http.Header{"Accept-Encoding": {enc}, "If-None-Match": {etag}}); res.StatusCode != http.StatusNotModified {
					t.Errorf("%s in %s with its ETag %s: %d, want 304", p, enc, etag, res.StatusCode)
				}
			}
		}
	}
}

// TestPageStartsEarly: the page's head preloads the wasm under the name
// go-app's loader fetches, and carries the early script, which the CSP
// allows by its hash and nothing else inline.
func TestPageStartsEarly(t *testing.T) {
	ts := newPageServer(t)
	res, page := body(t, ts.URL+"/", nil)
	head, _, _ := strings.Cut(page, "</head>")
	_, js := body(t, ts.URL+"/app.js", nil)
	wasm := regexp.MustCompile(`fetchWithProgress\("([^"]+)"`).FindStringSubmatch(js)
	if wasm == nil {
		t.Fatalf("app.js fetches no wasm (has go-app's loader changed?)")
	}
	preload := regexp.MustCompile(`<link rel="preload" href="([^"]+)" as="fetch" type="application/wasm" crossorigin="anonymous">`).FindStringSubmatch(head)
	if preload == nil || preload[1] != wasm[1] {
		t.Errorf("head preloads %v, app.js fetches %s", preload, wasm[1])
	}
	script := regexp.MustCompile(`(?s)<script data-prefix="" data-socket="([^"]*)" data-protocols="wasmchat.v1" data-token-prefix="wasmchat.token.">(.*?)</script>`).FindStringSubmatch(head)
	if script == nil {
		t.Fatal("no early script in the head")
	}
	if script[1] != "/ws/0" {
		t.Errorf("the early script's socket is %q, want the page's own /ws/0", script[1])
	}
	sum := sha256.Sum256([]byte(script[2]))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval' "+hash+";") {
		t.Errorf("CSP %q does not allow the early script (%s)", csp, hash)
	}
}

// TestEarlyScriptNamesNoSelector: the browser tests query "#composer"
// with chromedp's default search, which also matches text: the early
// script inline in every page must not contain it.
func TestEarlyScriptNamesNoSelector(t *testing.T) {
	ts := newPageServer(t)
	_, page := body(t, ts.URL+"/", nil)
	if strings.Contains(page, "#composer") {
		t.Error(`the page's text contains "#composer": chromedp's SendKeys("#composer") would wait on it for ever`)
	}
}
