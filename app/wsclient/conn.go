package wsclient

import (
	"context"
	"errors"
	"fmt"
)

// Conn is one WebSocket connection as the client uses it: whole text
// messages in and out. Dial returns the platform's: coder/websocket
// natively, the browser's own WebSocket in wasm (conn_js.go), which keeps
// net/http and the TLS stack coder/websocket's Dial brings out of the page.
type Conn interface {
	// Read returns the next message. A connection the server closed
	// returns a *CloseError. Ending ctx ends the wait, not the connection.
	Read(ctx context.Context) ([]byte, error)
	// Write sends msg as a text message.
	Write(ctx context.Context, msg []byte) error
	// CloseNow closes the connection without waiting for the peer.
	CloseNow() error
}

// CloseError is a connection's end as the server closed it: its close
// code (4401: the token was refused) and reason.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("wsclient: connection closed: %d %s", e.Code, e.Reason)
}

// closeCode returns the close code err carries, or -1.
func closeCode(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
