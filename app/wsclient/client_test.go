//go:build !js

package wsclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coder/websocket"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
	"go.uber.org/goleak"

	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type tokens map[string]string

func (t tokens) Authenticate(_ context.Context, tok string) (string, error) {
	if u, ok := t[tok]; ok {
		return u, nil
	}
	return "", context.Canceled
}

// realServer is the wasmchat server with the demo upstream, on loopback.
func realServer(t *testing.T) string {
	t.Helper()
	srv, err := server.New(server.Config{
		Tokens: tokens{"tok": "alice"}, Upstream: demo.New(20000), Page: &app.Handler{},
		Web: fstest.MapFS{"app.wasm": {Data: []byte("wasm")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Shutdown(context.Background())
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws/0"
}

// recorder collects what a Client reports.
type recorder struct {
	mu     sync.Mutex
	states []wsclient.Status
	frames []protocol.ServerFrame
	ended  chan struct{}
}

func newRecorder() *recorder { return &recorder{ended: make(chan struct{}, 16)} }

func (r *recorder) config(url, token string) wsclient.Config {
	return wsclient.Config{
		URL: url, Token: token,
		OnState: func(s wsclient.Status) { r.mu.Lock(); r.states = append(r.states, s); r.mu.Unlock() },
		OnFrame: func(f protocol.ServerFrame) {
			r.mu.Lock()
			r.frames = append(r.frames, f)
			r.mu.Unlock()
			if f.Status == protocol.StatusEnd {
				r.ended <- struct{}{}
			}
		},
	}
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, f := range r.frames {
		if f.Status == protocol.StatusChunk || f.Status == protocol.StatusEnd {
			b.WriteString(f.Content)
		}
	}
	return b.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAskAndStream(t *testing.T) {
	url := realServer(t)
	rec := newRecorder()
	c := wsclient.New(rec.config(url, "tok"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	waitFor(t, "open", func() bool { return c.Status().State == wsclient.Open })
	if err := c.Send(ctx, protocol.ClientFrame{Type: protocol.TypeAsk, ID: "1", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rec.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("no end frame")
	}
	if got, want := rec.text(), demo.Answer("hello"); got != want {
		t.Errorf("streamed %d bytes, want the demo answer's %d", len(got), len(want))
	}
	cancel()
	<-done
	if st := c.Status(); st.State != wsclient.Closed || st.Unauthorized {
		t.Errorf("after the user's close: %+v", st)
	}
	if err := c.Send(context.Background(), protocol.ClientFrame{Type: protocol.TypePing}); err != wsclient.ErrNotConnected {
		t.Errorf("Send after close = %v", err)
	}
}

func TestUnauthorizedStopsReconnecting(t *testing.T) {
	url := realServer(t)
	rec := newRecorder()
	cfg := rec.config(url, "wrong")
	var dials atomic.Int32
	cfg.Dial = func(ctx context.Context, u string, o *websocket.DialOptions) (*websocket.Conn, error) {
		dials.Add(1)
		c, _, err := websocket.Dial(ctx, u, o)
		return c, err
	}
	c := wsclient.New(cfg)
	done := make(chan struct{})
	go func() { c.Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept going after the token was refused")
	}
	if st := c.Status(); st.State != wsclient.Closed || !st.Unauthorized {
		t.Errorf("status %+v, want closed and unauthorized", st)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials, want 1", n)
	}
}

// TestReconnectBacksOff points the client at a server that drops every
// connection at once: it must keep reconnecting, spaced by the backoff, and
// reconnect at once on RetryNow.
func TestReconnectBacksOff(t *testing.T) {
	var mu sync.Mutex
	var at []time.Time
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		mu.Unlock()
		ws, err := websocket.Accept(w, r, nil)
		if err == nil {
			ws.Close(websocket.StatusInternalError, "bye")
		}
	}))
	defer hs.Close()
	rec := newRecorder()
	cfg := rec.config("ws"+strings.TrimPrefix(hs.URL, "http"), "tok")
	cfg.Backoff = wsclient.Backoff{Base: 40 * time.Millisecond, Max: 160 * time.Millisecond}
	c := wsclient.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(at) }
	waitFor(t, "five dials", func() bool { return count() >= 5 })
	waitFor(t, "a long wait", func() bool {
		st := c.Status()
		return st.State == wsclient.Reconnecting && time.Until(st.RetryAt) > 0
	})
	n := count()
	c.RetryNow()
	waitFor(t, "the retry", func() bool { return count() > n })
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 20*time.Millisecond && i != n {
			t.Errorf("dial %d came %v after the previous: faster than the backoff floor", i, gap)
		}
	}
}
