package server

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// StaticConfig describes a static build of the page: files any static host
// serves (GitHub Pages, a bucket, nginx), talking to a wasmchat server
// elsewhere.
type StaticConfig struct {
	Page    *app.Handler // as for Config; its routes registered by the caller
	Web     fs.FS        // as for Config
	Version string       // as for Config
	// Base is the URL path the site is served under: "/" or "/repo/".
	Base string
	// Server is the wasmchat server's base URL, e.g.
	// https://chat.example.com. The server must list the site's origin in
	// its -origin patterns. Empty, the page asks for one in its settings.
	Server string
	// Connect are the other servers the page's settings may choose
	// (origins, or "*" for any https server); its Content-Security-Policy
	// allows connections to Server and these only.
	Connect []string
}

// staticPages are what go-app serves besides the web files.
var staticPages = []string{"/", "/app.js", "/app-worker.js", "/manifest.webmanifest", "/app.css", "/wasm_exec.js"}

// WriteStatic writes the static site of cfg into dir: index.html (and
// 404.html, the same shell, for hosts that serve it for unknown paths),
// app.js, app-worker.js, manifest.webmanifest, app.css, wasm_exec.js and
// web/ with every file by its content-hashed name, each with its .br and
// .gz beside it. A static host sets no headers, so the policy is a <meta>
// in the page.
func WriteStatic(dir string, cfg StaticConfig) error {
	if cfg.Page == nil || cfg.Web == nil {
		return errors.New("static: Page and Web are required")
	}
	prefix := "/" + strings.Trim(cfg.Base, "/")
	if prefix == "/" {
		prefix = ""
	}
	if u, err := url.Parse(prefix); err != nil || u.Path != prefix || strings.ContainsAny(prefix, `"<>'`) {
		return fmt.Errorf("static: base %q is not a URL path", cfg.Base)
	}
	if cfg.Server == "" && len(cfg.Connect) == 0 {
		return errors.New("static: name the wasmchat server (-server), or those the page's settings may choose (-connect)")
	}
	var err error
	if cfg.Server != "" {
		if cfg.Server, err = protocol.ServerURL(cfg.Server); err != nil {
			return fmt.Errorf("static: %w", err)
		}
	}
	for i, c := range cfg.Connect {
		if c == "*" {
			continue
		}
		if cfg.Connect[i], err = protocol.ServerURL(c); err != nil {
			return fmt.Errorf("static: %w", err)
		}
	}
	a, err := newAssets(cfg.Web)
	if err != nil {
		return err
	}
	if a.wasm() == nil {
		return errors.New("static: the web files have no app.wasm: build it first (make wasm)")
	}
	version := buildVersion(cfg.Version, a)
	s := newSite(cfg.Page, a, version, siteOptions{prefix: prefix, server: cfg.Server, connect: cfg.Connect, metaCSP: true})

	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		return err
	}
	for _, p := range staticPages {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("static: %s: %d %s", p, rec.Code, rec.Body.Bytes())
		}
		body := rec.Body.Bytes()
		name := p
		if p == "/" {
			name = "/index.html"
			// The prerendered page names the host it was rendered on.
			body = ogURL.ReplaceAll(body, nil)
		}
		names := []string{name}
		if p == "/" {
			names = append(names, "/404.html")
		}
		for _, name := range names {
			if err := writeEncoded(filepath.Join(dir, name), body); err != nil {
				return err
			}
		}
	}
	for plain, hashed := range a.hashed {
		if plain == "/web/wasm_exec.js" {
			continue // served as /wasm_exec.js
		}
		f := a.files[plain]
		// With the precompressed variants next to it, for hosts that serve
		// them (nginx gzip_static, Caddy precompressed).
		for _, v := range []struct {
			ext  string
			data []byte
		}{{"", f.raw}, {".br", f.br}, {".gz", f.gz}} {
			if v.data == nil {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(hashed)+v.ext), v.data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeEncoded writes body to name, and its brotli and gzip variants to
// name.br and name.gz for hosts that serve them (as the web files have).
func writeEncoded(name string, body []byte) error {
	if err := os.WriteFile(name, body, 0o644); err != nil {
		return err
	}
	if len(body) < 512 {
		return nil
	}
	br, err := compress(body)
	if err != nil {
		return err
	}
	if err := os.WriteFile(name+".br", br, 0o644); err != nil {
		return err
	}
	return os.WriteFile(name+".gz", gzipped(body, gzip.BestCompression), 0o644)
}

// ogURL matches go-app's og:url tag (it prints attributes in any order).
var ogURL = regexp.MustCompile(`<meta [^>]*property="og:url"[^>]*>\n?`)
