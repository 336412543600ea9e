// Package wsclient is the page's one WebSocket to the server: the seed's
// WebSocketClass done right, in Go.
//
// The seed reconnected after a fixed second, lost whatever was streaming
// when the line broke, and lost a question sent while the socket was closed.
// Client keeps one connection up and loses no word:
//
//   - Reconnect: exponential backoff with full jitter (Backoff), reset only
//     once a connection has stayed up StableAfter; at once on RetryNow (the
//     browser went online, the tab became visible, the user asked); never
//     after the user's close (the end of Run's context) or a refused token.
//     A dial timeout bounds each attempt.
//   - Heartbeat: the browser cannot send WebSocket pings, so the client sends
//     an application ping every Heartbeat; a connection silent for two
//     intervals is dead and replaced.
//   - Outbox: Ask queues a question with its client id until the server
//     acknowledges it, and sends it again on each new connection; the server
//     starts one answer per client id, so a resent question is never
//     answered twice.
//   - Resume: the client counts the bytes it has delivered of each answer in
//     flight. On each new connection it asks for the rest of each from that
//     offset; frames already held are dropped, an overlap is trimmed, and a
//     gap asks for a resume. OnFrame therefore sees every byte of an answer
//     exactly once, in order. An answer the server no longer knows (it
//     restarted) ends with finish "interrupted" and the text held.
//
// The token travels in the Sec-WebSocket-Protocol list, never in the URL.
//
// The package builds and runs natively and in the browser, behind one
// Conn: natively coder/websocket, so the tests dial a real server; in the
// browser its own WebSocket (conn_js.go).
//
// # Wasm
//
// The browser cannot send WebSocket pings (it answers the server's), hence
// the application heartbeat. A refused token is recognised by the status-1
// "unauthorized" frame the server sends before closing, and by the close
// code 4401.
package wsclient

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// State is the connection state shown by the page's #connection indicator.
type State string

// Connection states.
const (
	Connecting   State = "connecting"   // first dial in progress
	Open         State = "open"         // connected and signed in
	Reconnecting State = "reconnecting" // waiting to dial again, or dialing
	Offline      State = "offline"      // the browser reports no network
	Closed       State = "closed"       // closed for good: user close or auth refusal
)

// ReadLimit bounds one frame from the server. It is above the server's
// largest frame (a 16 KiB chunk, JSON-escaped) with room to spare, so a
// replay of a long answer is never refused.
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
	// OnFrame receives the server's frames in order, on the client's
	// goroutine; chunks of an answer arrive exactly once and contiguous.
	// It must not block for long.
	OnFrame func(protocol.ServerFrame)
	// OnState receives every change of Status.
	OnState func(Status)

	Backoff     Backoff
	DialTimeout time.Duration // default 10 s
	// StableAfter is how long a connection must stay up to reset the
	// backoff (default 5 s), so a server that accepts and then drops at
	// once cannot cause a reconnect storm.
	StableAfter time.Duration
	// Heartbeat is the ping interval (default 15 s); a connection that
	// receives nothing for two intervals is replaced.
	Heartbeat time.Duration
	// Dial opens a connection offering subprotocols; default Dial.
	Dial func(ctx context.Context, url string, subprotocols []string) (Conn, error)
	// After is the clock of the backoff waits; default time.After.
	After func(time.Duration) <-chan time.Time
}

// Client keeps one WebSocket connection up.
type Client struct {
	cfg  Config
	wake chan struct{} // a receive cuts the current wait short

	mu      sync.Mutex
	conn    Conn
	drop    context.CancelFunc // ends the current connection
	status  Status
	offline bool
	outbox  []protocol.ClientFrame // asks not yet acknowledged, in order
	held    map[string]int         // answers in flight: bytes delivered
	resumed map[string]int         // the offset of the last resume asked
}

// New returns a Client; Run connects it.
func New(cfg Config) *Client {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.StableAfter <= 0 {
		cfg.StableAfter = 5 * time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Backoff.Base <= 0 || cfg.Backoff.Max <= 0 {
		cfg.Backoff = DefaultBackoff()
	}
	if cfg.Dial == nil {
		cfg.Dial = Dial
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.OnFrame == nil {
		cfg.OnFrame = func(protocol.ServerFrame) {}
	}
	if cfg.OnState == nil {
		cfg.OnState = func(Status) {}
	}
	return &Client{
		cfg: cfg, wake: make(chan struct{}, 1),
		held: make(map[string]int), resumed: make(map[string]int),
	}
}

// Run connects and keeps the connection up until ctx ends or the server
// refuses the token. Ending ctx is the user's close: no reconnect follows.
func (c *Client) Run(ctx context.Context) {
	attempt := 0
	if !c.isOffline() {
		c.setStatus(Status{State: Connecting}) // else the loop says offline at once
	}
	for {
		if c.isOffline() {
			c.setStatus(Status{State: Offline})
			attempt = 0
			if !c.wait(ctx, nil) {
				return
			}
			continue
		}
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
		if c.isOffline() {
			continue
		}
		d := c.cfg.Backoff.Delay(attempt)
		attempt++
		c.setStatus(Status{State: Reconnecting, RetryAt: time.Now().Add(d)})
		if !c.wait(ctx, c.cfg.After(d)) {
			return
		}
	}
}

// wait blocks until timer fires, RetryNow, or ctx ends (then it reports
// false and the client is closed).
func (c *Client) wait(ctx context.Context, timer <-chan time.Time) bool {
	select {
	case <-ctx.Done():
		c.setStatus(Status{State: Closed})
		return false
	case <-c.wake:
	case <-timer:
	}
	return true
}

// RetryNow cuts the current backoff wait short: for "retry now", the
// browser going online, or the tab becoming visible.
func (c *Client) RetryNow() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// SetOnline tells the client what the browser says of the network. Offline,
// it drops the connection and does not dial; back online, it dials at once.
func (c *Client) SetOnline(online bool) {
	c.mu.Lock()
	c.offline = !online
	drop := c.drop
	c.mu.Unlock()
	if !online && drop != nil {
		drop()
	}
	c.RetryNow()
}

func (c *Client) isOffline() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offline
}

// connect dials, serves the connection until it ends, and reports how long
// it was up and whether the server refused the token.
func (c *Client) connect(ctx context.Context) (up time.Duration, unauthorized bool) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	ws, err := c.cfg.Dial(dctx, c.cfg.URL, Subprotocols(c.cfg.Token))
	cancel()
	if err != nil {
		return 0, closeCode(err) == protocol.CloseUnauthorized
	}
	defer ws.CloseNow()
	start := time.Now()
	connCtx, drop := context.WithCancel(ctx)
	defer drop()
	c.mu.Lock()
	c.drop = drop
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn, c.drop = nil, nil
		c.mu.Unlock()
	}()

	var seen atomic.Int64 // unix nanos of the last frame received
	seen.Store(time.Now().UnixNano())
	go c.heartbeat(connCtx, drop, ws, &seen)

	refused := false
	for {
		data, err := ws.Read(connCtx)
		if err != nil {
			return time.Since(start), refused || closeCode(err) == protocol.CloseUnauthorized
		}
		seen.Store(time.Now().UnixNano())
		f, err := protocol.DecodeServer(data)
		if err != nil {
			continue // a frame we cannot read is no reason to drop the line
		}
		switch {
		case f.Status == protocol.StatusError && f.Code == protocol.CodeUnauthorized:
			refused = true
		case f.Status == protocol.StatusControl && f.Type == protocol.ControlHello:
			// The server says hello only once it accepted the token: the
			// connection is open only now.
			c.opened(connCtx, ws)
		}
		c.receive(connCtx, f)
	}
}

// opened makes ws the connection, sends the outbox and resumes every
// answer in flight.
func (c *Client) opened(ctx context.Context, ws Conn) {
	c.mu.Lock()
	c.conn = ws
	frames := append([]protocol.ClientFrame(nil), c.outbox...)
	for answer, off := range c.held {
		frames = append(frames, protocol.ClientFrame{Type: protocol.TypeResume, Answer: answer, Offset: off})
		c.resumed[answer] = off
	}
	c.mu.Unlock()
	c.setStatus(Status{State: Open})
	for _, f := range frames {
		if ws.Write(ctx, f.Encode()) != nil {
			return // the connection broke: the next one sends them again
		}
	}
}

// heartbeat pings every interval and drops the connection once nothing has
// arrived for two intervals.
func (c *Client) heartbeat(ctx context.Context, drop context.CancelFunc, ws Conn, seen *atomic.Int64) {
	t := time.NewTicker(c.cfg.Heartbeat)
	defer t.Stop()
	ping := protocol.ClientFrame{Type: protocol.TypePing}.Encode()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(time.Unix(0, seen.Load())) > 2*c.cfg.Heartbeat {
				drop()
				return
			}
			_ = ws.Write(ctx, ping)
		}
	}
}

// receive passes a frame through the offset bookkeeping to OnFrame.
func (c *Client) receive(ctx context.Context, f protocol.ServerFrame) {
	deliver, resume := c.track(&f)
	if resume != nil {
		_ = c.Send(ctx, *resume)
	}
	if deliver {
		c.cfg.OnFrame(f)
	}
}

// Ask queues a question until the server acknowledges it, and sends it now
// if the connection is open. f must have a client id.
func (c *Client) Ask(ctx context.Context, f protocol.ClientFrame) {
	c.mu.Lock()
	c.outbox = append(c.outbox, f)
	c.mu.Unlock()
	_ = c.Send(ctx, f) // when it fails, the next connection sends it
}

// Track makes the client resume answer from offset held: for answers in
// flight when the page was reloaded.
func (c *Client) Track(answer string, held int) {
	c.mu.Lock()
	c.held[answer] = held
	c.mu.Unlock()
}

// Resume makes the client follow an answer from offset held, now if a
// connection is open: for an answer still streaming in a conversation the
// page just loaded. An answer the client follows already is left as it is.
func (c *Client) Resume(ctx context.Context, answer string, held int) {
	c.mu.Lock()
	_, ok := c.held[answer]
	if !ok {
		c.held[answer] = held
		c.resumed[answer] = held
	}
	ws := c.conn
	c.mu.Unlock()
	if !ok && ws != nil {
		_ = ws.Write(ctx, protocol.ClientFrame{Type: protocol.TypeResume, Answer: answer, Offset: held}.Encode())
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
	return ws.Write(ctx, f.Encode())
}

// Subprotocols are what the client offers in Sec-WebSocket-Protocol: the
// protocol and the token, which so never appears in a URL.
func Subprotocols(token string) []string {
	return []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + token}
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
