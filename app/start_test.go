package app

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/app/wsclient"
)

// fakeConn is a connection dialed at start, as the client receives it.
type fakeConn struct{ closed atomic.Bool }

func (c *fakeConn) Read(ctx context.Context) ([]byte, error) { <-ctx.Done(); return nil, ctx.Err() }
func (c *fakeConn) Write(context.Context, []byte) error      { return nil }
func (c *fakeConn) CloseNow() error                          { c.closed.Store(true); return nil }

var _ wsclient.Conn = (*fakeConn)(nil)

func begun(conn wsclient.Conn, proto []string) (*start, chan dialed) {
	first := make(chan dialed, 1)
	s := &start{url: "ws://127.0.0.1:1/ws/0", first: first}
	if conn != nil {
		first <- dialed{conn: conn, proto: proto}
	}
	return s, first
}

// TestStartDialTakesTheFirstConnection: the client's first dial takes the
// connection begun at start; the next dials anew.
func TestStartDialTakesTheFirstConnection(t *testing.T) {
	conn := &fakeConn{}
	proto := wsclient.Subprotocols("tok")
	s, _ := begun(conn, proto)
	got, err := s.dial(context.Background(), s.url, proto)
	if err != nil || got != conn {
		t.Fatalf("first dial: %v, %v; want the connection begun at start", got, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if got, err := s.dial(ctx, s.url, proto); err == nil || got == conn {
		t.Errorf("second dial: %v, %v; want a new dial (which finds no server)", got, err)
	}
}

// TestStartDialOtherToken: a connection begun with another token (or to
// another URL) is closed, not used.
func TestStartDialOtherToken(t *testing.T) {
	conn := &fakeConn{}
	s, _ := begun(conn, wsclient.Subprotocols("old"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if got, _ := s.dial(ctx, s.url, wsclient.Subprotocols("new")); got == conn {
		t.Error("dialed with another token, got the connection begun with the old one")
	}
	if !conn.closed.Load() {
		t.Error("the unused connection was left open")
	}
}

// TestStartDialGivesUp: a first dial that times out waiting for the one
// begun at start returns, and that connection is closed when it comes.
func TestStartDialGivesUp(t *testing.T) {
	s, first := begun(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.dial(ctx, s.url, nil); err == nil {
		t.Fatal("dial with an ended context succeeded")
	}
	conn := &fakeConn{}
	first <- dialed{conn: conn}
	deadline := time.Now().Add(2 * time.Second)
	for !conn.closed.Load() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !conn.closed.Load() {
		t.Error("the connection that came late was left open")
	}
}
