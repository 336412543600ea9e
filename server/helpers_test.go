package server_test

import (
	"context"
	"encoding/json"
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

	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

func TestMain(m *testing.M) {
	app.Route("/", &testPage{})
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		pgtest.Stop()
		os.Exit(code)
	}))
}

type testPage struct{ app.Compo }

func (p *testPage) Render() app.UI { return app.P().Text("test page") }

// scripted is an upstream that answers every question with the same chunks,
// one per interval, and counts its generations.
type scripted struct {
	chunks   []string
	interval time.Duration
	fail     error // returned after the chunks, when set
	calls    atomic.Int32
	started  chan struct{} // receives once per generation, if set
	usage    *protocol.Usage
	stateful bool // reports Stateless false: no edit or regenerate

	mu       sync.Mutex
	requests []server.Request // of the generations that finished
}

func (s *scripted) lastRequest() server.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[len(s.requests)-1]
}

func (s *scripted) Stream(ctx context.Context, req server.Request, emit func(string)) (server.Result, error) {
	s.calls.Add(1)
	if s.started != nil {
		s.started <- struct{}{}
	}
	for _, c := range s.chunks {
		select {
		case <-ctx.Done():
			return server.Result{}, ctx.Err()
		case <-time.After(s.interval):
		}
		emit(c)
	}
	if s.fail != nil {
		return server.Result{}, s.fail
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	return server.Result{Finish: protocol.FinishStop, Usage: s.usage}, nil
}

func (s *scripted) text() string { return strings.Join(s.chunks, "") }

func (s *scripted) Stateless() bool { return !s.stateful }

// tokenMap is a Tokens of fixed tokens.
type tokenMap map[string]string

func (m tokenMap) Authenticate(_ context.Context, token string) (string, error) {
	if u, ok := m[token]; ok {
		return u, nil
	}
	return "", errors.New("unknown token")
}

var testTokens = tokenMap{"alice-token": "alice", "bob-token": "bob", "carol-token": "carol", "dave-token": "dave"}

// testWeb is a small /web/ with a fake wasm and its precompressed variants.
func testWeb(wasm string) fstest.MapFS {
	return fstest.MapFS{
		"app.wasm":    {Data: []byte(wasm)},
		"app.wasm.br": {Data: []byte("BR:" + wasm)},
		"app.wasm.gz": {Data: []byte("GZ:" + wasm)},
		"style.css":   {Data: []byte(strings.Repeat("body { color: red; }\n", 100))},
	}
}

type testServer struct {
	*server.Server
	URL string
	up  *scripted
}

func newTestServer(tb testing.TB, up *scripted) *testServer {
	tb.Helper()
	return newTestServerWith(tb, server.Config{Upstream: up, Store: testStore(tb)})
}

// testStore is a SQLite store in a temporary folder.
func testStore(tb testing.TB) store.Store {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil { // else the store warns of a folder open to others
		tb.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// newTestServerWith starts a server of cfg, with the test tokens, page and
// web files unless cfg sets them.
func newTestServerWith(tb testing.TB, cfg server.Config) *testServer {
	tb.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = testTokens
	}
	if cfg.Page == nil {
		cfg.Page = &app.Handler{Title: "test"}
	}
	if cfg.Web == nil {
		cfg.Web = testWeb("wasm-v1")
	}
	cfg.Version = "test"
	srv, err := server.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	up, _ := cfg.Upstream.(*scripted)
	return &testServer{Server: srv, URL: hs.URL, up: up}
}

// client is a test WebSocket connection that collects frames.
type client struct {
	tb       testing.TB
	ws       *websocket.Conn
	features []string // from the server's features frame
}

func dialSeed(tb testing.TB, ts *testServer, token string) *client {
	tb.Helper()
	return dial(tb, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/"+token+"-0", nil)
}

func dialOwn(tb testing.TB, ts *testServer, token string) *client {
	tb.Helper()
	return dial(tb, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/0",
		[]string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + token})
}

func dial(tb testing.TB, url string, protos []string) *client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: protos})
	if err != nil {
		tb.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	tb.Cleanup(func() { ws.CloseNow() })
	c := &client{tb: tb, ws: ws}
	if f := c.next(); f.Type != protocol.ControlHello {
		tb.Fatalf("first frame %+v, want hello", f)
	}
	if f := c.next(); f.Type != protocol.ControlApps {
		tb.Fatalf("second frame %+v, want the apps", f)
	}
	f := c.next()
	if f.Type != protocol.ControlFeatures || json.Unmarshal([]byte(f.Content), &c.features) != nil {
		tb.Fatalf("third frame %+v, want the features", f)
	}
	return c
}

func (c *client) sendText(s string) {
	c.tb.Helper()
	if err := c.ws.Write(context.Background(), websocket.MessageText, []byte(s)); err != nil {
		c.tb.Fatalf("write: %v", err)
	}
}

func (c *client) send(f protocol.ClientFrame) { c.tb.Helper(); c.sendText(string(f.Encode())) }

// next returns the next frame, failing the test after 10 s.
func (c *client) next() protocol.ServerFrame {
	c.tb.Helper()
	f, err := c.read(10 * time.Second)
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) read(timeout time.Duration) (protocol.ServerFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		return protocol.ServerFrame{}, err
	}
	return protocol.DecodeServer(data)
}

// answer reads chunks until the end frame and returns the text, checking
// that chunks are contiguous from offset from.
func (c *client) answer(from int) (string, protocol.ServerFrame) {
	c.tb.Helper()
	var b strings.Builder
	for {
		f := c.next()
		switch f.Status {
		case protocol.StatusChunk:
			if f.Offset != from+b.Len() {
				c.tb.Fatalf("chunk at offset %d, want %d", f.Offset, from+b.Len())
			}
			b.WriteString(f.Content)
		case protocol.StatusEnd, protocol.StatusError:
			b.WriteString(f.Content)
			return b.String(), f
		}
	}
}

func get(tb testing.TB, url string, header http.Header) *http.Response {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip
	if err != nil {
		tb.Fatal(err)
	}
	return res
}
