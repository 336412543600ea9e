package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
)

// TestSecurityHeaders: every response carries the CSP and the other
// headers; the CSP allows no inline script but the page's early one (by
// its hash), no eval'd script and no framing.
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: []string{"x"}})
	for _, path := range []string{"/", "/web/app.wasm", "/healthz", "/api/conversations"} {
		res := get(t, ts.URL+path, nil)
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self' 'wasm-unsafe-eval' 'sha256-", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "connect-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("%s: CSP allows inline or eval'd script: %q", path, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, res.Header)
		}
		if res.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
}

// TestCrossSiteWebSocketRefused: a page on another site cannot open a
// WebSocket with the browser's credentials (cross-site WebSocket
// hijacking): a foreign Origin is refused before any frame, unless it is
// one of the configured origins.
func TestCrossSiteWebSocketRefused(t *testing.T) {
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{chunks: []string{"x"}}, Store: testStore(t), OriginPatterns: []string{"chat.example.org"}})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws/alice-token-0"
	dialFrom := func(origin string) (*websocket.Conn, *http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
	}
	ws, res, err := dialFrom("https://evil.example")
	if err == nil {
		ws.CloseNow()
		t.Fatal("a WebSocket from https://evil.example was accepted")
	}
	if res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v, %v; want 403", res, err)
	}
	for _, origin := range []string{ts.URL, "https://chat.example.org"} {
		ws, _, err := dialFrom(origin)
		if err != nil {
			t.Errorf("origin %s refused: %v", origin, err)
			continue
		}
		c := &client{tb: t, ws: ws}
		if f := c.next(); f.Type != protocol.ControlHello {
			t.Errorf("origin %s: first frame %+v", origin, f)
		}
		ws.CloseNow()
	}
}
