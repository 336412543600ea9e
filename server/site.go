package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// MaskableIcon is the icon, under /web/, that the manifest offers for
// masking (its drawing stays within the safe zone, the background fills
// the square); the manifest lists it when the web files have it.
const MaskableIcon = "/web/icon-maskable.png"

// workerJS is the page's service worker (go-app's ServiceWorkerTemplate).
//
//go:embed worker.js
var workerJS string

// earlyJS is the page's first script, inline in its head: it keeps what is
// typed before the Go program runs (see the file). The CSP allows it by
// its hash, earlyHash, and no other inline script.
//
//go:embed early.js
var earlyJS string

var earlyHash = func() string {
	sum := sha256.Sum256([]byte(earlyJS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// earlyScript is the page's early script with what it needs to know: the
// site's storage prefix, and where the page's WebSocket goes (see
// early.js): its endpoint on the page's own origin when the server serves
// the page, or on the server a static build was made for; none when a
// static page has no server until its settings choose one.
func earlyScript(o siteOptions) string {
	socket := ""
	switch {
	case o.server != "":
		socket = protocol.WebSocketURL(o.server, protocol.ChannelChat)
	case len(o.connect) == 0:
		socket = protocol.Endpoint{Channel: protocol.ChannelChat}.Path()
	}
	return `<script data-prefix="` + html.EscapeString(o.prefix) + `" data-socket="` + html.EscapeString(socket) +
		`" data-protocols="` + protocol.Subprotocol + `" data-token-prefix="` + protocol.SubprotocolTokenPrefix + `">` + earlyJS + `</script>`
}

// siteOptions say where and how the page is served.
type siteOptions struct {
	prefix  string   // the URL path the page lives under: "" or "/repo"
	server  string   // the server the page talks to ("" = its own origin)
	connect []string // other servers it may be pointed at (protocol.EnvConnect)
	// metaCSP puts the policy in the page: a static host sets no headers.
	metaCSP bool
}

// site serves the page: go-app's document, app.js and worker, our manifest
// and Go glue, and the web files by content-hashed names, which the worker
// caches for offline starts. The server and a static build serve the same.
type site struct {
	page     *app.Handler
	assets   *assets
	manifest []byte
	appJS    appJS
	style    inlineStyle
	mux      *http.ServeMux
	handler  http.Handler // mux, its documents compressed
}

// newSite readies page to be served with the files of a, at version.
func newSite(page *app.Handler, a *assets, version string, o siteOptions) *site {
	p := provider{assets: a, prefix: o.prefix}
	page.Resources = p
	page.Version = version
	page.ServiceWorkerTemplate = workerJS
	// The style sheets are inline (pageStyle), not linked: a linked sheet
	// holds the first paint until it has come.
	var sheets []string
	for _, s := range page.Styles {
		if f, ok := a.files[s]; ok {
			sheets = append(sheets, string(f.raw))
		}
	}
	page.Styles = nil
	icon := &page.Icon
	icon.Default, icon.Large, icon.SVG, icon.AppleTouch = a.url(icon.Default), a.url(icon.Large), a.url(icon.SVG), a.url(icon.AppleTouch)
	// The worker caches every web file but the glue (served at /wasm_exec.js).
	for _, u := range a.hashedURLs() {
		if !strings.HasPrefix(u, "/web/wasm_exec.") {
			page.CacheableResources = append(page.CacheableResources, u)
		}
	}
	if page.Env == nil {
		page.Env = make(map[string]string)
	}
	page.Env[protocol.EnvServer] = o.server
	page.Env[protocol.EnvConnect] = strings.Join(o.connect, " ")

	s := &site{page: page, assets: a, manifest: manifest(page, a, o.prefix), mux: http.NewServeMux()}
	s.appJS = loaderJS(page, len(a.wasm())) // go-app readies itself here
	s.style = pageStyle(page, sheets)
	page.Styles = nil // go-app's link to its app.css: inline too
	if o.metaCSP {
		page.RawHeaders = append(page.RawHeaders,
			`<meta http-equiv="Content-Security-Policy" content="`+contentSecurityPolicy(connectOrigins(o.server, o.connect), true, s.style.hash)+`">`)
	}
	page.RawHeaders = append(page.RawHeaders,
		s.style.tag,
		// The wasm's download starts with the document, not when the
		// deferred app.js runs after it; go-app's fetch (mode cors, same
		// origin credentials) takes the preloaded response.
		`<link rel="preload" href="`+p.AppWASM()+`" as="fetch" type="application/wasm" crossorigin="anonymous">`,
		earlyScript(o),
	)

	s.mux.HandleFunc("GET /manifest.webmanifest", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/manifest+json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(s.manifest)
	})
	if _, ok := a.files["/web/wasm_exec.js"]; ok {
		// The Go runtime's glue from the Go that built the wasm (make wasm
		// writes it), with the page's own lines, instead of go-app's copy,
		// which is an older Go's.
		s.mux.HandleFunc("GET /wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/web/wasm_exec.js"
			a.ServeHTTP(w, r2)
		})
	}
	s.mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", s.appJS.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", s.appJS.etag)
		if r.Header.Get("If-None-Match") == s.appJS.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(s.appJS.body)))
		_, _ = w.Write(s.appJS.body)
	})
	s.mux.Handle("/", page)
	s.handler = newCompressing(s.mux)
	return s
}

// inlineStyle is the page's style: one <style> in its head, and its hash
// for the Content-Security-Policy.
type inlineStyle struct{ tag, hash string }

// pageStyle returns go-app's app.css (its loader, restyled by ours) and
// sheets, the page's style sheets, as one inline style. Inline, the first
// paint waits for no request: a linked sheet, however small, took 40–50
// ms to come on loopback in a fresh Chromium, and a round trip on a slow
// link, and the early script (parser-blocking) waited for it too. go-app
// must be ready (its app.css is served from then on).
func pageStyle(page *app.Handler, sheets []string) inlineStyle {
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app.css", nil))
	css := strings.Join(append([]string{rec.Body.String()}, sheets...), "\n")
	css = strings.ReplaceAll(css, "</", `<\/`) // "\/" is "/" to CSS; no "</style>" ends it early
	sum := sha256.Sum256([]byte(css))
	return inlineStyle{tag: "<style>" + css + "</style>", hash: "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"}
}

// loaderTotal is the line of go-app's app.js that takes the wasm's length
// from a response header, for the loading progress.
const loaderTotal = "const total = parseInt(contentLength, 10);"

// loaderJS returns go-app's app.js for page with the wasm's decoded length
// written in. go-app's loader shows bytes read over the length it finds in
// a header or Content-Length; a static host sends no header of ours, and
// one that compresses on the fly sends the compressed length, so the label
// ran past 100 %. The site knows the length. Without a wasm (or should
// go-app change that line, which TestLoaderKnowsTheLength notices), app.js
// is served as go-app writes it.
func loaderJS(page *app.Handler, wasmLength int) appJS {
	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app.js", nil))
	js := rec.Body.String()
	if wasmLength > 0 {
		js = strings.Replace(js, loaderTotal, "const total = "+strconv.Itoa(wasmLength)+";", 1)
	}
	sum := sha256.Sum256([]byte(js))
	return appJS{body: []byte(js), ctype: rec.Header().Get("Content-Type"), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// appJS is the page's app.js, as served.
type appJS struct {
	body        []byte
	ctype, etag string
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// provider is go-app's ResourceProvider: the web files, under prefix.
type provider struct {
	assets *assets
	prefix string
}

func (p provider) Package() string { return p.prefix }
func (p provider) Static() string  { return p.prefix }
func (p provider) AppWASM() string { return p.prefix + p.assets.url(WasmPath) }

func (p provider) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.assets.ServeHTTP(w, r) }

// manifest returns the web app manifest: go-app's lists no maskable icon
// and no id, so we write our own from the page's description.
func manifest(page *app.Handler, a *assets, prefix string) []byte {
	type icon struct {
		Src     string `json:"src"`
		Type    string `json:"type"`
		Sizes   string `json:"sizes"`
		Purpose string `json:"purpose,omitempty"`
	}
	var icons []icon
	add := func(p, typ, sizes, purpose string) {
		if p != "" {
			icons = append(icons, icon{Src: prefix + a.url(p), Type: typ, Sizes: sizes, Purpose: purpose})
		}
	}
	add(page.Icon.SVG, "image/svg+xml", "any", "")
	add(page.Icon.Default, "image/png", "192x192", "")
	add(page.Icon.Large, "image/png", "512x512", "")
	if _, ok := a.files[MaskableIcon]; ok {
		add(MaskableIcon, "image/png", "512x512", "maskable")
	}
	root := prefix + "/"
	b, _ := json.MarshalIndent(struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		ShortName       string `json:"short_name"`
		Description     string `json:"description"`
		Lang            string `json:"lang"`
		StartURL        string `json:"start_url"`
		Scope           string `json:"scope"`
		Display         string `json:"display"`
		BackgroundColor string `json:"background_color"`
		ThemeColor      string `json:"theme_color"`
		Icons           []icon `json:"icons"`
	}{
		ID: root, Name: page.Name, ShortName: page.ShortName, Description: page.Description, Lang: page.Lang,
		StartURL: root, Scope: root, Display: "standalone",
		BackgroundColor: page.BackgroundColor, ThemeColor: page.ThemeColor, Icons: icons,
	}, "", "  ")
	return b
}

// contentSecurityPolicy allows what the page needs and nothing else: its
// own scripts and the wasm ('wasm-unsafe-eval', never 'unsafe-eval'; no
// inline script but the early script, by its hash), its own styles (the
// page's inline style by its hash, styleHash; no style attributes),
// images from itself and inline data: images (markdown's only images),
// connections to itself (fetch and the WebSocket: CSP 3's 'self' covers
// ws: and wss: of the same host) and to the servers in connect, its
// manifest and worker. No plugins, no <base>, no framing (clickjacking),
// forms only to itself. In a <meta> (meta), frame-ancestors is left out:
// browsers ignore it there.
func contentSecurityPolicy(connect []string, meta bool, styleHash string) string {
	src := append([]string{"'self'"}, connect...)
	p := "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' " + earlyHash + "; style-src 'self' " + styleHash + "; " +
		"img-src 'self' data: blob:; connect-src " + strings.Join(src, " ") + "; manifest-src 'self'; worker-src 'self'; font-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'"
	if !meta {
		p += "; frame-ancestors 'none'"
	}
	return p
}

// connectOrigins returns the connect-src sources for a page talking to
// server and allowed to be pointed at the servers of connect (ServerURLs,
// as WriteStatic leaves them; "" none): each origin for HTTP and for its
// WebSocket; "*" stands for any https server.
func connectOrigins(server string, connect []string) []string {
	var out []string
	for _, s := range append([]string{server}, connect...) {
		switch {
		case s == "*":
			out = append(out, "https:", "wss:")
		case s != "":
			origin := protocol.Origin(s)
			out = append(out, origin, protocol.WebSocketBase(origin))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// originAllowed reports whether origin (an Origin header) matches one of
// patterns, as the WebSocket origin check matches them: a host pattern
// ("pages.example.com", "*.example.com") or, with a scheme, an origin
// pattern ("https://pages.example.com").
func originAllowed(patterns []string, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}
