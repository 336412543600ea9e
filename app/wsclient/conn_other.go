//go:build !js

package wsclient

import (
	"context"
	"errors"

	"github.com/coder/websocket"
)

// Dial opens a WebSocket to url offering subprotocols, with
// coder/websocket.
func Dial(ctx context.Context, url string, subprotocols []string) (Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: subprotocols})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(ReadLimit)
	return nativeConn{ws}, nil
}

// Start begins a dial and returns what waits for it.
func Start(url string, subprotocols []string) func(context.Context) (Conn, error) {
	type result struct {
		conn Conn
		err  error
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		conn, err := Dial(ctx, url, subprotocols)
		done <- result{conn, err}
	}()
	return func(wait context.Context) (Conn, error) {
		// A wait whose context has ended gets its error, also when the
		// dial has finished: whatever it made is closed.
		var r result
		select {
		case r = <-done:
		case <-wait.Done():
		}
		cancel()
		if err := wait.Err(); err != nil {
			if r.conn == nil && r.err == nil {
				r = <-done
			}
			if r.conn != nil {
				_ = r.conn.CloseNow()
			}
			return nil, err
		}
		return r.conn, r.err
	}
}

type nativeConn struct{ ws *websocket.Conn }

func (c nativeConn) Read(ctx context.Context) ([]byte, error) {
	_, data, err := c.ws.Read(ctx)
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return nil, &CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return data, err
}

func (c nativeConn) Write(ctx context.Context, msg []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, msg)
}

func (c nativeConn) CloseNow() error { return c.ws.CloseNow() }

// DropEarly closes the page's early socket in the browser; natively there
// is none.
func DropEarly() {}
