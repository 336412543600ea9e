package protocol

import (
	"errors"
	"strconv"
	"strings"
)

// ErrBadEndpoint is returned for a /ws/ path that names no valid channel.
var ErrBadEndpoint = errors.New("protocol: bad endpoint")

// CloseUnauthorized is the WebSocket close code for an unknown token.
// Browsers hide the HTTP status of a refused handshake from scripts, so the
// server completes the handshake, sends a status-1 frame with code
// CodeUnauthorized and closes with this code; a client then says "sign in
// again" instead of reconnecting.
const CloseUnauthorized = 4401

// EndpointPrefix is the path prefix of the WebSocket endpoint.
const EndpointPrefix = "/ws/"

// Endpoint is what the WebSocket path says: the channel, and the token when
// the path is in the seed form /ws/{token}-{channel}.
type Endpoint struct {
	Token   string
	Channel int
}

// ParseEndpoint parses /ws/{token}-{channel} (seed form) or /ws/{channel}.
// The token may itself contain '-': the channel follows the last one.
func ParseEndpoint(path string) (Endpoint, error) {
	rest, ok := strings.CutPrefix(path, EndpointPrefix)
	if !ok {
		return Endpoint{}, ErrBadEndpoint
	}
	var e Endpoint
	ch := rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		e.Token, ch = rest[:i], rest[i+1:]
		if e.Token == "" {
			return Endpoint{}, ErrBadEndpoint
		}
	}
	n, err := strconv.Atoi(ch)
	if err != nil || (n != ChannelChat && n != ChannelApp) || len(ch) != 1 {
		return Endpoint{}, ErrBadEndpoint
	}
	e.Channel = n
	return e, nil
}

// Path returns the path of our own form of the endpoint, which keeps the
// token out of the URL.
func (e Endpoint) Path() string {
	return EndpointPrefix + strconv.Itoa(e.Channel)
}

// SeedPath returns the seed form of the endpoint, token included.
func (e Endpoint) SeedPath() string {
	return EndpointPrefix + e.Token + "-" + strconv.Itoa(e.Channel)
}

// TokenFromSubprotocols returns the token offered in a Sec-WebSocket-Protocol
// list as SubprotocolTokenPrefix+token, or "".
func TokenFromSubprotocols(protos []string) string {
	for _, p := range protos {
		if t, ok := strings.CutPrefix(strings.TrimSpace(p), SubprotocolTokenPrefix); ok {
			return t
		}
	}
	return ""
}
