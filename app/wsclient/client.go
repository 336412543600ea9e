// Package wsclient is the page's one WebSocket to the server: the seed's
// WebSocketClass done right, in Go.
//
// It keeps one connection up: it dials with a timeout, reconnects after a
// drop with exponential backoff and full jitter (reset only once a
// connection has stayed up a while), never reconnects after the user closed
// it or the server refused the token, and reports every change of state so
// the page can show it honestly.
//
// The token travels in the Sec-WebSocket-Protocol list, never in the URL.
//
// The package builds and runs natively and in the browser: coder/websocket
// keeps one API on both, so the tests dial a real server natively.
//
// # Wasm
//
// In the browser, coder/websocket's Ping is a no-op (the browser answers
// pings but cannot send them) and cancelling a Read's context closes the
// socket, so Run reads with the connection's own context and never with a
// per-read timeout. Read reports a close as net.ErrClosed, without its close
// code, so a refused token is recognised by the status-1 "unauthorized" frame
// the server sends before closing, not by the close code alone.
package wsclient

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
)

// State is the connection state shown by the page's #connection indicator.
type State string

// Connection states.
const (
	Connecting   State = "connecting"   // first dial in progress
	Open         State = "open"         // connected
	Reconnecting State = "reconnecting" // waiting to dial again, or dialing
	Offline      State = "offline"      // the browser reports no network
	Closed       State = "closed"       // closed for good: user close or auth refusal
)

// CloseUnauthorized is the close code the server uses for an unknown token.
const CloseUnauthorized websocket.StatusCode = 4401

// ReadLimit bounds one frame from the server. It is above the server's
// largest frame (a 16 KiB chunk, JSON-escaped) with room to spare.
const ReadLimit = 1 << 20

// ErrNotConnected is returned by Send while no connection is open.
var ErrNotConnected = errors.New("wsclient: not connected")

// Status is a snapshot of the connection for the page.
type Status struct {
	State State
	// RetryAt is when the next dial starts, while Reconnecting.
	RetryAt time.Time
	// Unauthorized is set when the server refused the token: sign in again.
	Unauthorized bool
}

// Config configures a Client.
type Config struct {
	URL   string // ws:// or wss:// URL of /ws/{channel}
	Token string
	// OnFrame receives every frame from the server, in order, on the
	// client's goroutine. It must not block for long.
	OnFrame func(protocol.ServerFrame)
	// OnState receives every change of Status.
	OnState func(Status)
	// OnOpen runs on each new connection before frames are read, e.g. to
	// resume answers in flight.
	OnOpen func(ctx context.Context)

	Backoff     Backoff
	DialTimeout time.Duration // default 10 s
	// StableAfter is how long a connection must stay up to reset the
	// backoff (default 5 s), so a server that accepts and then drops at
	// once cannot cause a reconnect storm.
	StableAfter time.Duration
	// Dial opens a connection; default websocket.Dial.
	Dial func(ctx context.Context, url string, opts *websocket.DialOptions) (*websocket.Conn, error)
}

// Client keeps one WebSocket connection up.
type Client struct {
	cfg Config

	mu     sync.Mutex
	conn   *websocket.Conn
	status Status
	now    chan struct{} // a receive cuts the current backoff wait short
}

// New returns a Client; Run connects it.
func New(cfg Config) *Client {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.StableAfter <= 0 {
		cfg.StableAfter = 5 * time.Second
	}
	if cfg.Backoff.Base <= 0 || cfg.Backoff.Max <= 0 {
		cfg.Backoff = DefaultBackoff()
	}
	if cfg.Dial == nil {
		cfg.Dial = func(ctx context.Context, url string, opts *websocket.DialOptions) (*websocket.Conn, error) {
			c, _, err := websocket.Dial(ctx, url, opts)
			return c, err
		}
	}
	if cfg.OnFrame == nil {
		cfg.OnFrame = func(protocol.ServerFrame) {}
	}
	if cfg.OnState == nil {
		cfg.OnState = func(Status) {}
	}
	return &Client{cfg: cfg, now: make(chan struct{}, 1)}
}

// Run connects and keeps the connection up until ctx ends or the server
// refuses the token. Ending ctx is the user's close: no reconnect follows.
func (c *Client) Run(ctx context.Context) {
	attempt := 0
	c.setStatus(Status{State: Connecting})
	for {
		up, unauthorized := c.connect(ctx)
		switch {
		case ctx.Err() != nil:
			c.setStatus(Status{State: Closed})
			return
		case unauthorized:
			c.setStatus(Status{State: Closed, Unauthorized: true})
			return
		case up >= c.cfg.StableAfter:
			attempt = 0
		}
		wait := c.cfg.Backoff.Delay(attempt)
		attempt++
		c.setStatus(Status{State: Reconnecting, RetryAt: time.Now().Add(wait)})
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			c.setStatus(Status{State: Closed})
			return
		case <-c.now:
			t.Stop()
		case <-t.C:
		}
	}
}

// RetryNow cuts the current backoff wait short: for "retry now", the
// browser going online, or the tab becoming visible.
func (c *Client) RetryNow() {
	select {
	case c.now <- struct{}{}:
	default:
	}
}

// connect dials, reads until the connection ends, and reports how long it
// was up and whether the server refused the token.
func (c *Client) connect(ctx context.Context) (up time.Duration, unauthorized bool) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	ws, err := c.cfg.Dial(dctx, c.cfg.URL, &websocket.DialOptions{
		Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + c.cfg.Token},
	})
	cancel()
	if err != nil {
		return 0, false
	}
	defer ws.CloseNow()
	ws.SetReadLimit(ReadLimit)
	start := time.Now()
	connCtx, stop := context.WithCancel(ctx)
	defer stop()

	c.mu.Lock()
	c.conn = ws
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	refused := false
	for {
		_, data, err := ws.Read(connCtx)
		if err != nil {
			return time.Since(start), refused || websocket.CloseStatus(err) == CloseUnauthorized
		}
		f, err := protocol.DecodeServer(data)
		if err != nil {
			continue // a frame we cannot read is no reason to drop the line
		}
		if f.Status == protocol.StatusError && f.Code == protocol.CodeUnauthorized {
			refused = true
		}
		if f.Status == protocol.StatusControl && f.Type == protocol.ControlHello {
			// The server says hello only once it accepted the token: the
			// connection is open only now.
			c.setStatus(Status{State: Open})
			if c.cfg.OnOpen != nil {
				c.cfg.OnOpen(connCtx)
			}
		}
		c.cfg.OnFrame(f)
	}
}

// Send writes a frame on the open connection, or returns ErrNotConnected.
func (c *Client) Send(ctx context.Context, f protocol.ClientFrame) error {
	c.mu.Lock()
	ws := c.conn
	c.mu.Unlock()
	if ws == nil {
		return ErrNotConnected
	}
	return ws.Write(ctx, websocket.MessageText, f.Encode())
}

// Status returns the current status.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *Client) setStatus(s Status) {
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
	c.cfg.OnState(s)
}
