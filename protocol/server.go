package protocol

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Environment of the page (go-app's Handler.Env): the server sets it, the
// page reads it.
const (
	// EnvServer is the base URL of the wasmchat server the page talks to;
	// empty, the page's own origin.
	EnvServer = "WASMCHAT_SERVER"
	// EnvConnect lists, space-separated, the other servers the page's
	// settings may choose: server URLs, or "*" for any https server. The
	// page's Content-Security-Policy allows exactly these.
	EnvConnect = "WASMCHAT_CONNECT"
)

// ErrBadServer is returned for a server address that is not
// http(s)://host[:port][/path].
var ErrBadServer = errors.New("protocol: bad server address")

// ServerURL checks the address of a wasmchat server (typed in a page's
// settings, or given to a static build) and returns it normalized: http or
// https, a host, an optional path, no trailing slash, no user, query or
// fragment.
func ServerURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(u.Host, " \"'<>") {
		return "", fmt.Errorf("%w %q: want http(s)://host[:port][/path]", ErrBadServer, s)
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// WebSocketURL returns the WebSocket URL of channel on the server at base
// (a ServerURL).
func WebSocketURL(base string, channel int) string {
	return WebSocketBase(base) + Endpoint{Channel: channel}.Path()
}

// WebSocketBase returns base (a ServerURL, or its Origin) with the
// WebSocket scheme: ws: for http, wss: for https.
func WebSocketBase(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(base, "http://")
}

// Origin returns the origin (scheme://host) of a ServerURL.
func Origin(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ServerAllowed reports whether the page may talk to the server at base
// when its policy allows the origins of allowed ("*": any https server).
func ServerAllowed(base string, allowed []string) bool {
	origin := Origin(base)
	for _, a := range allowed {
		if (a == "*" && strings.HasPrefix(base, "https://")) || strings.EqualFold(Origin(a), origin) && origin != "" {
			return true
		}
	}
	return false
}
