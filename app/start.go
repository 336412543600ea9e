package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
)

// start is what the page readies when its program starts, before go-app
// renders anything: the server and token it talks with, and the first
// dial of its WebSocket, whose handshake then runs while the page renders
// (the first render takes about 100 ms of a cold start, and does not
// yield to the browser). The client takes that connection for its first
// dial.
type start struct {
	servers servers
	token   string
	offered string // a login link's token for another account: see takeToken

	mark  sync.Once
	mu    sync.Mutex
	url   string
	first chan dialed // the first dial's outcome; nil once taken, or if none began
}

type dialed struct {
	conn  wsclient.Conn
	err   error
	proto []string
}

// begin readies the page's start and, when the page can connect, dials.
func begin() *start {
	s := readyStart()
	w := app.Window()
	if s.token == "" || s.servers.Base == "" || !w.Get("WebSocket").Truthy() || !w.Get("navigator").Get("onLine").Bool() {
		wsclient.DropEarly()
		return s
	}
	s.url = protocol.WebSocketURL(s.servers.Base, protocol.ChannelChat)
	first := make(chan dialed, 1)
	s.first = first
	proto := wsclient.Subprotocols(s.token)
	// The socket is made now, before go-app renders (which does not
	// yield): its handshake runs during the first render. Usually the
	// page's early script made it already, while the wasm downloaded, and
	// this takes it (wsclient.Start).
	wait := wsclient.Start(s.url, proto)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := wait(ctx)
		if err == nil {
			s.opened()
		}
		first <- dialed{conn: conn, err: err, proto: proto}
	}()
	return s
}

// readyStart reads the page's servers and its token.
func readyStart() *start {
	s := &start{servers: pageServers()}
	s.token, s.offered = takeToken(s.servers.tokenKey(s.servers.Base))
	return s
}

// dial is the client's Dial. Its first call takes the connection begun at
// start (waiting for it if need be) when it is to the same URL with the
// same token; any other dial opens a new one.
func (s *start) dial(ctx context.Context, url string, proto []string) (wsclient.Conn, error) {
	s.mu.Lock()
	first := s.first
	s.first = nil
	s.mu.Unlock()
	if first != nil {
		select {
		case d := <-first:
			if d.err == nil && url == s.url && slices.Equal(proto, d.proto) {
				return d.conn, nil
			}
			if d.conn != nil {
				_ = d.conn.CloseNow()
			}
		case <-ctx.Done():
			go func() {
				if d := <-first; d.conn != nil {
					_ = d.conn.CloseNow()
				}
			}()
			return nil, ctx.Err()
		}
	}
	conn, err := wsclient.Dial(ctx, url, proto)
	if err == nil {
		s.opened()
	}
	return conn, err
}

// opened marks, once, when the page first has an open WebSocket, for the
// page benchmark (BenchmarkBrowserPageStart): "ws-page", and "ws-open"
// (the socket's open) unless the early script marked that already.
func (s *start) opened() {
	s.mark.Do(func() {
		perf := app.Window().Get("performance")
		if perf.Call("getEntriesByName", "ws-open").Length() == 0 {
			perf.Call("mark", "ws-open")
		}
		perf.Call("mark", "ws-page")
	})
}
