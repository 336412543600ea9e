package protocol

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://chat.example.com":        "https://chat.example.com",
		" https://chat.example.com/ ":     "https://chat.example.com",
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080",
		"https://example.com/chat/":       "https://example.com/chat",
		"HTTPS://Example.com:443/a%20b":   "https://Example.com:443/a%20b",
		"https://[::1]:8443/":             "https://[::1]:8443",
		"https://xn--fiq228c.example.com": "https://xn--fiq228c.example.com",
	} {
		got, err := ServerURL(in)
		if err != nil || got != want {
			t.Errorf("ServerURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "chat.example.com", "ftp://x", "javascript:alert(1)", "https://", "https://u:p@x",
		"https://x/?q=1", "https://x/#f", "https://x?", "ws://x", "//x", "https:x", `https://x"onload=1`,
	} {
		if got, err := ServerURL(in); !errors.Is(err, ErrBadServer) {
			t.Errorf("ServerURL(%q) = %q, %v; want ErrBadServer", in, got, err)
		}
	}
}

func TestWebSocketURL(t *testing.T) {
	for base, want := range map[string]string{
		"http://127.0.0.1:8080":    "ws://127.0.0.1:8080/ws/0",
		"https://chat.example.com": "wss://chat.example.com/ws/0",
		"https://example.com/chat": "wss://example.com/chat/ws/0",
	} {
		if got := WebSocketURL(base, ChannelChat); got != want {
			t.Errorf("WebSocketURL(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestServerAllowed(t *testing.T) {
	allowed := []string{"https://chat.example.com", "http://127.0.0.1:9000"}
	for base, want := range map[string]bool{
		"https://chat.example.com":       true,
		"https://chat.example.com/other": true, // same origin, another path
		"https://CHAT.example.com":       true,
		"http://chat.example.com":        false,
		"https://chat.example.com:8443":  false,
		"http://127.0.0.1:9000":          true,
		"https://evil.example":           false,
	} {
		if got := ServerAllowed(base, allowed); got != want {
			t.Errorf("ServerAllowed(%q) = %v", base, got)
		}
	}
	if !ServerAllowed("https://any.example", []string{"*"}) || ServerAllowed("http://any.example", []string{"*"}) {
		t.Error(`"*" allows any https server, and only those`)
	}
	if ServerAllowed("https://x", nil) {
		t.Error("nothing allowed, something allowed")
	}
}

// FuzzServerURL: what a person types in the settings either is refused or
// becomes an http(s) origin and path that parses back to itself and gives
// a ws(s) endpoint on the same host.
func FuzzServerURL(f *testing.F) {
	for _, s := range []string{"https://chat.example.com/", "http://127.0.0.1:8080", "javascript:x", "https://u@x", "https://x/a b", "https://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		base, err := ServerURL(s)
		if err != nil {
			return
		}
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("ServerURL(%q) = %q", s, base)
		}
		if again, err := ServerURL(base); err != nil || again != base {
			t.Fatalf("ServerURL(%q) = %q, then %q, %v", s, base, again, err)
		}
		ws, err := url.Parse(WebSocketURL(base, ChannelChat))
		if err != nil || ws.Host != u.Host || !strings.HasSuffix(ws.Path, "/ws/0") || (ws.Scheme != "ws" && ws.Scheme != "wss") {
			t.Fatalf("WebSocketURL(%q) = %v, %v", base, ws, err)
		}
		if !ServerAllowed(base, []string{base}) {
			t.Fatalf("%q is not allowed by itself", base)
		}
	})
}
