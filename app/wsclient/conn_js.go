//go:build js

package wsclient

import (
	"context"
	"fmt"
	"sync"
	"syscall/js"
)

// Dial opens a WebSocket to url offering subprotocols, with the
// browser's WebSocket. It waits for the connection to open, or fail, or
// ctx to end.
//
// The browser's WebSocket is what coder/websocket wraps in wasm; using it
// directly keeps net/http, which coder/websocket's API names, out of the
// page, and with it the TLS and X.509 code whose package initialisation
// would otherwise be linked in and run at every start.
func Dial(ctx context.Context, url string, subprotocols []string) (Conn, error) {
	return Start(url, subprotocols)(ctx)
}

// Start begins a dial and returns what waits for it. The browser's socket
// is made before Start returns, so its handshake goes on while the Go
// program does other work (the page's first render) without yielding.
//
// When the page's early script opened a socket to the same url offering
// the same subprotocols (window.wasmchatSocket, server/early.js), Start
// takes that one, with what arrived on it so far, instead; an early socket
// to anything else is closed. Either way it is gone after the first Start
// (on a first visit the early script opens it after the page's first frame: taken
// before, it never opens one, and Start dials).
func Start(url string, subprotocols []string) func(context.Context) (Conn, error) {
	c := &browserConn{notify: make(chan struct{}, 1), opened: make(chan struct{})}
	if early, events := takeEarly(url, subprotocols); early.Truthy() {
		c.ws = early
		c.listen()
		for i := range events.Length() {
			c.handle(events.Index(i))
		}
		return c.wait
	}
	protos := make([]any, len(subprotocols))
	for i, p := range subprotocols {
		protos[i] = p
	}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("wsclient: the browser refused the WebSocket: %v", r)
			}
		}()
		c.ws = js.Global().Get("WebSocket").New(url, protos)
	}()
	if err != nil {
		return func(context.Context) (Conn, error) { return nil, err }
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.listen()
	return c.wait
}

// takeEarly takes the early script's socket, if there is one: it and the
// events it kept, when it goes to url offering subprotocols; else it
// closes it and returns js.Undefined.
func takeEarly(url string, subprotocols []string) (js.Value, js.Value) {
	early := js.Global().Get("wasmchatSocket")
	if !early.Truthy() {
		return js.Undefined(), js.Undefined()
	}
	events := early.Call("take")
	ws := early.Get("ws")
	if !ws.Truthy() {
		return js.Undefined(), js.Undefined() // taken before it opened one
	}
	same := early.Get("url").String() == url && early.Get("protocols").Length() == len(subprotocols)
	for i := 0; same && i < len(subprotocols); i++ {
		same = early.Get("protocols").Index(i).String() == subprotocols[i]
	}
	if !same {
		ws.Call("close")
		return js.Undefined(), js.Undefined()
	}
	return ws, events
}

// DropEarly closes the early script's socket when the page will not use
// it (it is not to connect at all).
func DropEarly() {
	if early := js.Global().Get("wasmchatSocket"); early.Truthy() {
		early.Call("take")
		if ws := early.Get("ws"); ws.Truthy() {
			ws.Call("close")
		}
	}
}

// wait waits for c to open, or fail, or ctx to end.
func (c *browserConn) wait(ctx context.Context) (Conn, error) {
	if ctx.Err() != nil {
		_ = c.CloseNow()
		return nil, ctx.Err()
	}
	select {
	case <-c.opened:
		return c, nil
	case <-c.notify:
		select {
		case <-c.opened:
			// Open, and a message (or the close) came before this
			// wait ran: Read takes them, and needs the token back.
			c.wake()
			return c, nil
		default:
		}
		// Closed before it opened.
		c.release()
		return nil, c.closeErr()
	case <-ctx.Done():
		_ = c.CloseNow()
		return nil, ctx.Err()
	}
}

// browserConn is a browser WebSocket. Its event handlers never block
// (a JavaScript callback that waits on Go would stall the page): messages
// queue, and a token in notify wakes the reader.
type browserConn struct {
	ws     js.Value
	opened chan struct{}
	notify chan struct{}
	funcs  []js.Func

	mu     sync.Mutex
	queue  [][]byte
	closed *CloseError
	once   sync.Once
}

// listen handles the socket's events from now on.
func (c *browserConn) listen() {
	for _, event := range []string{"open", "message", "close"} {
		fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
			c.handle(args[0])
			return nil
		})
		c.funcs = append(c.funcs, fn)
		c.ws.Set("on"+event, fn)
	}
}

// handle takes one event of the socket: as it fires, or kept by the early
// script until the page took the socket.
func (c *browserConn) handle(e js.Value) {
	switch e.Get("type").String() {
	case "open":
		close(c.opened)
	case "message":
		data := e.Get("data")
		var msg []byte
		if data.Type() == js.TypeString {
			msg = []byte(data.String())
		} else {
			buf := js.Global().Get("Uint8Array").New(data)
			msg = make([]byte, buf.Length())
			js.CopyBytesToGo(msg, buf)
		}
		c.mu.Lock()
		if len(msg) > ReadLimit {
			if c.closed == nil {
				c.closed = &CloseError{Code: 1009, Reason: "message over the read limit"}
			}
			c.mu.Unlock()
			c.ws.Call("close")
			c.wake()
			return
		}
		c.queue = append(c.queue, msg)
		c.mu.Unlock()
		c.wake()
	case "close":
		c.mu.Lock()
		if c.closed == nil {
			c.closed = &CloseError{Code: e.Get("code").Int(), Reason: e.Get("reason").String()}
		}
		c.mu.Unlock()
		c.wake()
		c.release()
	}
}

func (c *browserConn) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// release lets the handlers go once the socket is closed: none fires
// after "close".
func (c *browserConn) release() {
	c.once.Do(func() {
		for _, ev := range []string{"open", "message", "close"} {
			c.ws.Set("on"+ev, js.Null())
		}
		for _, f := range c.funcs {
			f.Release()
		}
	})
}

func (c *browserConn) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed == nil {
		return &CloseError{Code: 1006}
	}
	return c.closed
}

func (c *browserConn) Read(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if len(c.queue) > 0 {
			msg := c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			c.mu.Unlock()
			return msg, nil
		}
		closed := c.closed
		c.mu.Unlock()
		if closed != nil {
			return nil, closed
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (c *browserConn) Write(_ context.Context, msg []byte) error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed != nil {
		return closed
	}
	if c.ws.Get("readyState").Int() != 1 { // OPEN
		return &CloseError{Code: 1006, Reason: "not open"}
	}
	c.ws.Call("send", string(msg))
	return nil
}

// CloseNow closes the socket. Its "close" event ends the reads (the
// browser fires it also for a close of our own).
func (c *browserConn) CloseNow() error {
	c.mu.Lock()
	if c.closed == nil {
		c.closed = &CloseError{Code: 1000, Reason: "closed by the page"}
	}
	c.mu.Unlock()
	c.ws.Call("close")
	c.wake()
	return nil
}
