//go:build !js

package wsclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
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
	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		pgtest.Stop()
		os.Exit(code)
	}))
}

type tokens map[string]string

func (t tokens) Authenticate(_ context.Context, tok string) (string, error) {
	if u, ok := t[tok]; ok {
		return u, nil
	}
	return "", context.Canceled
}

// startServer runs the real wasmchat server on loopback and returns its
// host:port. It stops at the end of the test.
func startServer(t *testing.T, up server.Upstream) string {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return startServerOn(t, up, st, 0)
}

// startServerOn starts a server on st (stale: see server.Config).
func startServerOn(t *testing.T, up server.Upstream, st store.Store, stale time.Duration) string {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{
		Tokens: tokens{"tok": "alice"}, Store: st, Upstream: up, Page: &app.Handler{}, StaleAnswers: stale,
		Web: fstest.MapFS{"app.wasm": {Data: []byte("wasm")}},
		// The chaos tests ask 20 questions at once through connections cut
		// every 50-250 ms: past the default per-user limits, which are
		// tested in the server's package.
		Limits: server.Limits{Connections: 1000, Answers: 1000, PerMinute: 1000},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return strings.TrimPrefix(hs.URL, "http://")
}

func wsURL(hostport string) string { return "ws://" + hostport + "/ws/0" }

// recorder collects what a Client delivers and checks, per answer, that
// chunks arrive contiguous and the end arrives once.
type recorder struct {
	t      *testing.T
	mu     sync.Mutex
	texts  map[string]*strings.Builder // by answer
	ends   map[string]protocol.ServerFrame
	acks   map[string]string // client id -> answer
	errors []protocol.ServerFrame
	ended  chan string
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{
		t: t, texts: make(map[string]*strings.Builder), ends: make(map[string]protocol.ServerFrame),
		acks: make(map[string]string), ended: make(chan string, 1000),
	}
}

func (r *recorder) onFrame(f protocol.ServerFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch f.Status {
	case protocol.StatusControl:
		if f.Type == protocol.ControlAck {
			r.acks[f.Client] = f.Answer
		}
		return
	case protocol.StatusError:
		r.errors = append(r.errors, f)
		return
	}
	if _, done := r.ends[f.Answer]; done {
		r.t.Errorf("answer %s: frame %+v after its end", f.Answer, f)
		return
	}
	b := r.texts[f.Answer]
	if b == nil {
		b = new(strings.Builder)
		r.texts[f.Answer] = b
	}
	if f.Offset != b.Len() {
		r.t.Errorf("answer %s: chunk at %d, held %d (duplicate or gap delivered)", f.Answer, f.Offset, b.Len())
	}
	b.WriteString(f.Content)
	if f.Status == protocol.StatusEnd {
		r.ends[f.Answer] = f
		r.ended <- f.Answer
	}
}

func (r *recorder) text(answer string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.texts[answer]; b != nil {
		return b.String()
	}
	return ""
}

// answer returns the answer id acknowledged for client id.
func (r *recorder) answer(client string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acks[client]
}

// end returns the end frame of answer.
func (r *recorder) end(answer string) protocol.ServerFrame {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ends[answer]
}

func (r *recorder) config(url string) wsclient.Config {
	return wsclient.Config{
		URL: url, Token: "tok", OnFrame: r.onFrame,
		Backoff: wsclient.Backoff{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond},
	}
}

// running starts c.Run and stops it at the end of the test.
func running(t *testing.T, c *wsclient.Client) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (r *recorder) waitEnds(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-r.ended:
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d answers ended", i, n)
		}
	}
}

// countDials makes cfg count its dials.
func countDials(cfg *wsclient.Config) *atomic.Int32 {
	var n atomic.Int32
	cfg.Dial = func(ctx context.Context, u string, protos []string) (wsclient.Conn, error) {
		n.Add(1)
		return wsclient.Dial(ctx, u, protos)
	}
	return &n
}

func ask(id, text string) protocol.ClientFrame {
	return protocol.ClientFrame{Type: protocol.TypeAsk, ID: id, Text: text}
}

func TestAskAndStream(t *testing.T) {
	addr := startServer(t, demo.New(20000))
	rec := newRecorder(t)
	c := wsclient.New(rec.config(wsURL(addr)))
	running(t, c)
	waitFor(t, "open", func() bool { return c.Status().State == wsclient.Open })
	c.Ask(context.Background(), ask("1", "hello"))
	rec.waitEnds(t, 1)
	if got, want := rec.text(rec.answer("1")), demo.Answer("hello"); got != want {
		t.Errorf("streamed %d bytes, want the demo answer's %d", len(got), len(want))
	}
}

func TestUserCloseIsFinal(t *testing.T) {
	addr := startServer(t, demo.New(20000))
	rec := newRecorder(t)
	c := wsclient.New(rec.config(wsURL(addr)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	waitFor(t, "open", func() bool { return c.Status().State == wsclient.Open })
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
	addr := startServer(t, demo.New(20000))
	cfg := newRecorder(t).config(wsURL(addr))
	cfg.Token = "wrong"
	dials := countDials(&cfg)
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

// TestBackoffWithFakeClock points the client at a server that drops every
// connection at once, with a clock that records each wait and lets it pass
// at once: the waits grow from 0.5 s to 15 s and never drop below the
// floor, so no reconnect storm.
func TestBackoffWithFakeClock(t *testing.T) {
	var dials atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dials.Add(1)
		if ws, err := websocket.Accept(w, r, nil); err == nil {
			ws.Close(websocket.StatusInternalError, "bye")
		}
	}))
	defer hs.Close()
	cfg := newRecorder(t).config(wsURL(strings.TrimPrefix(hs.URL, "http://")))
	cfg.Backoff = wsclient.DefaultBackoff()
	cfg.Backoff.Rand = func() float64 { return 0.999 }
	var mu sync.Mutex
	var waits []time.Duration
	cfg.After = func(d time.Duration) <-chan time.Time {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		ch := make(chan time.Time, 1)
		ch <- time.Now()
		return ch
	}
	c := wsclient.New(cfg)
	running(t, c)
	waitFor(t, "12 waits", func() bool { mu.Lock(); defer mu.Unlock(); return len(waits) >= 12 })
	mu.Lock()
	defer mu.Unlock()
	bound := 500 * time.Millisecond
	for i, d := range waits[:12] {
		if d < 250*time.Millisecond || d > bound {
			t.Errorf("wait %d = %v, want in [250ms, %v]", i, d, bound)
		}
		if i > 0 && d < waits[i-1] {
			t.Errorf("wait %d = %v shrank from %v without a stable connection", i, d, waits[i-1])
		}
		bound = min(2*bound, 15*time.Second)
	}
	if last := waits[11]; last < 14*time.Second {
		t.Errorf("after 12 failures the wait is %v, want near the 15 s cap", last)
	}
}

// TestStart: a dial begun with Start is waited for later; the connection
// then reads what the server sent meanwhile, and a close carries its code.
// A wait that ends first closes the connection when it comes.
func TestStart(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{protocol.Subprotocol}})
		if err != nil {
			return
		}
		_ = ws.Write(r.Context(), websocket.MessageText, []byte("hello"))
		_ = ws.Close(websocket.StatusCode(protocol.CloseUnauthorized), "go away")
	}))
	defer hs.Close()
	url := wsURL(strings.TrimPrefix(hs.URL, "http://"))
	wait := wsclient.Start(url, wsclient.Subprotocols("tok"))
	time.Sleep(50 * time.Millisecond) // the program does other work
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if msg, err := conn.Read(ctx); err != nil || string(msg) != "hello" {
		t.Fatalf("first read: %q, %v", msg, err)
	}
	var ce *wsclient.CloseError
	if _, err := conn.Read(ctx); !errors.As(err, &ce) || ce.Code != protocol.CloseUnauthorized {
		t.Errorf("after the server's close: %v, want close code %d", err, protocol.CloseUnauthorized)
	}

	ended, end := context.WithCancel(context.Background())
	end()
	if _, err := wsclient.Start(url, nil)(ended); err == nil {
		t.Error("a wait with an ended context returned a connection")
	}
}
