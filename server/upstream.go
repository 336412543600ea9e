package server

import (
	"context"

	"github.com/wasmchat/wasmchat/upstream"
)

// The upstream contract is package upstream's; these names are the
// server's for it.
type (
	Upstream      = upstream.Upstream
	Stateless     = upstream.Stateless
	Request       = upstream.Request
	Turn          = upstream.Turn
	Result        = upstream.Result
	UpstreamError = upstream.Error
)

// Roles of a Turn.
const (
	RoleSystem    = upstream.RoleSystem
	RoleUser      = upstream.RoleUser
	RoleAssistant = upstream.RoleAssistant
)

// Tokens authenticates the bearer tokens of WebSocket clients.
type Tokens interface {
	// Authenticate returns the user a token belongs to, or an error when the
	// token is unknown or cannot be checked.
	Authenticate(ctx context.Context, token string) (user string, err error)
}
