package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// heapPeak samples the process's live heap (after a collection, so
// garbage not yet collected does not count) until stop is called, which
// returns the most it grew over what it was at the start, in bytes.
func heapPeak() (stop func() uint64) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-quit:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(quit)
		<-done
		return peak.Load()
	}
}

// TestResumeFlood: 30,000 resumes of a 60 KB answer on one connection
// cost the server no more memory than a few copies of the answer: one
// follower per answer and connection, however many resumes ask for it.
// (Before, each resume started a follower with its own copy in flight:
// the heap grew by hundreds of MB.)
func TestResumeFlood(t *testing.T) {
	up := &scripted{chunks: strings.Split(strings.Repeat(strings.Repeat("x", 5999)+"\n", 10), "\n")}
	for i := range up.chunks {
		up.chunks[i] += "\n"
	}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "long, please"})
	ack := c.next()
	text, _ := c.answer(0)
	if len(text) < 60000 {
		t.Fatalf("answer of %d bytes", len(text))
	}

	// Read everything the server sends, until the pong that follows the
	// resumes (the server reads a connection's frames in order).
	var received atomic.Int64
	pong := make(chan error, 1)
	go func() {
		for {
			f, err := c.read(time.Minute)
			if err != nil {
				pong <- err
				return
			}
			received.Add(int64(len(f.Content)))
			if f.Type == protocol.ControlPong {
				pong <- nil
				return
			}
		}
	}()
	stop := heapPeak()
	resume := string(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer}.Encode())
	for range 30000 {
		c.sendText(resume)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypePing})
	if err := <-pong; err != nil {
		t.Fatalf("no pong after the resumes: %v", err)
	}
	grew := stop()
	t.Logf("30,000 resumes of a %d-byte answer: heap grew by at most %.1f MB; %.1f MB of text sent", len(text), float64(grew)/1e6, float64(received.Load())/1e6)
	if grew > 64<<20 {
		t.Errorf("the heap grew by %.0f MB under a resume flood, want under 64 MB", float64(grew)/1e6)
	}
}

// TestRevokeClosesSockets: revoking a token closes the WebSockets open
// with it, on every instance, with the unauthorized error and close code
// 4401 (the page then stops reconnecting and asks to sign in); the other
// tokens' sockets stay. (Before, a revoked token's open socket went on
// being answered.)
func TestRevokeClosesSockets(t *testing.T) {
	st := testStore(t)
	ctx := context.Background()
	tok, secret, err := st.AddToken(ctx, "mallory", "")
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := st.AddToken(ctx, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	var instances []*testServer
	for range 2 {
		instances = append(instances, newTestServerWith(t, server.Config{Upstream: &scripted{chunks: []string{"hi"}}, Store: st, Tokens: st, RevokeCheck: 50 * time.Millisecond}))
	}
	var revoked []*client
	for _, ts := range instances {
		revoked = append(revoked, dialOwn(t, ts, secret))
	}
	stays := dialOwn(t, instances[0], other)
	if err := st.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	for i, c := range revoked {
		f, err := c.read(10 * time.Second)
		if err != nil || f.Status != protocol.StatusError || f.Code != protocol.CodeUnauthorized {
			t.Fatalf("instance %d: after the revocation %+v, %v; want the unauthorized error", i, f, err)
		}
		_, err = c.read(10 * time.Second)
		if code := websocket.CloseStatus(err); code != protocol.CloseUnauthorized {
			t.Errorf("instance %d: closed with %v (%v), want %d", i, code, err, protocol.CloseUnauthorized)
		}
	}
	stays.send(protocol.ClientFrame{Type: protocol.TypePing})
	if f := stays.next(); f.Type != protocol.ControlPong {
		t.Errorf("another token's socket: %+v, want a pong", f)
	}
}

// changingTokens is a Tokens that is not a TokenChecker, whose tokens a
// test revokes.
type changingTokens struct {
	mu     sync.Mutex
	tokens map[string]string
}

func (c *changingTokens) Authenticate(_ context.Context, token string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.tokens[token]; ok {
		return u, nil
	}
	return "", errors.New("unknown token")
}

// TestRevokeWithPlainTokens: a Tokens that only authenticates is asked
// token by token, and a revoked token's socket closes as well.
func TestRevokeWithPlainTokens(t *testing.T) {
	tokens := &changingTokens{tokens: map[string]string{"t1": "alice"}}
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: testStore(t), Tokens: tokens, RevokeCheck: 50 * time.Millisecond})
	c := dialOwn(t, ts, "t1")
	tokens.mu.Lock()
	delete(tokens.tokens, "t1")
	tokens.mu.Unlock()
	if f, err := c.read(10 * time.Second); err != nil || f.Code != protocol.CodeUnauthorized {
		t.Fatalf("after the revocation %+v, %v", f, err)
	}
}

// serveWithHTTPServer serves srv as `wasmchat serve` does, with its
// HTTPServer, on a loopback port.
func serveWithHTTPServer(t *testing.T, cfg server.Config) (*server.Server, string) {
	t.Helper()
	if cfg.Tokens == nil {
		cfg.Tokens = testTokens
	}
	cfg.Page, cfg.Web, cfg.Version = &app.Handler{Title: "test"}, testWeb("wasm"), "test"
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Config = srv.HTTPServer()
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Shutdown(context.Background())
	})
	return srv, hs.Listener.Addr().String()
}

// TestIdleConnectionsClosed: a keep-alive connection that sends nothing
// after its request is closed after Timeouts.Idle. (Before, it was kept
// forever: 3,000 of them exhaust a 512-descriptor limit.)
func TestIdleConnectionsClosed(t *testing.T) {
	_, addr := serveWithHTTPServer(t, server.Config{Upstream: &scripted{}, Store: testStore(t), Timeouts: server.Timeouts{Idle: 200 * time.Millisecond}})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", res, err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("an idle keep-alive connection: %v, want it closed by the server", err)
	}
}

// TestStalledBodyDropped: an import whose body stops coming, or trickles,
// is answered 408 and dropped once a window of Timeouts.Body brought less
// than MinBodyRate; the user's import slot is free again.
func TestStalledBodyDropped(t *testing.T) {
	_, addr := serveWithHTTPServer(t, server.Config{Upstream: &scripted{}, Store: testStore(t), Timeouts: server.Timeouts{Body: 300 * time.Millisecond}})
	for _, trickle := range []bool{false, true} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /api/import HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer alice-token\r\nContent-Length: 60000000\r\n\r\n{\"format\"", addr)
		stop := make(chan struct{})
		if trickle {
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
						_, _ = conn.Write([]byte(" "))
					}
				}
			}()
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		close(stop)
		conn.Close()
		if err != nil || res.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("trickle %v: %v %v, want 408", trickle, res, err)
		}
	}
	// The slot is free: an import goes through.
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/import", strings.NewReader(`{"format":"`+store.ExportFormat+`","conversations":[]}`))
	req.Header.Set("Authorization", "Bearer alice-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("an import after the dropped ones: %d", res.StatusCode)
	}
}

// TestExportStreams: a large account's export holds one conversation at a
// time (the heap grows by far less than the export's size); a second
// export of the same user meanwhile is refused 409, and another user's
// beyond MaxTransfers 503; the file imports whole.
func TestExportStreams(t *testing.T) {
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: st, MaxTransfers: 1})
	ctx := context.Background()
	user := "alice" // the test tokens' user ids are the names
	var convs []store.Export
	big := strings.Repeat("x", 200<<10)
	for i := range 150 {
		convs = append(convs, store.Export{
			Conversation: store.Conversation{ID: fmt.Sprintf("C%06d", i), Title: fmt.Sprint("conversation ", i), Created: time.Now(), Updated: time.Now()},
			Messages: []store.Message{
				{ID: fmt.Sprintf("Q%06d", i), Role: store.RoleUser, Text: "q", Status: store.StatusDone},
				{ID: fmt.Sprintf("A%06d", i), Role: store.RoleAssistant, Text: big, Status: store.StatusDone},
			},
		})
	}
	if _, err := st.Import(ctx, user, convs); err != nil {
		t.Fatal(err)
	}

	// Read the export slowly, so that it is still running when the others
	// come.
	req, _ := http.NewRequest("GET", ts.URL+"/api/export", nil)
	req.Header.Set("Authorization", "Bearer alice-token")
	var file bytes.Buffer
	file.Grow(48 << 20) // before the heap is measured: the client's own copy is not the server's
	stop := heapPeak()
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("export: %v %v", res, err)
	}
	defer res.Body.Close()
	if _, err := io.CopyN(&file, res.Body, 1<<20); err != nil {
		t.Fatal(err)
	}
	if code, body := call(t, ts, "GET", "/api/export", "alice-token", nil, nil); code != http.StatusConflict {
		t.Errorf("a second export of the same user: %d %s, want 409", code, body)
	}
	if code, body := call(t, ts, "GET", "/api/export", "carol-token", nil, nil); code != http.StatusServiceUnavailable {
		t.Errorf("another user's export beyond MaxTransfers: %d %s, want 503", code, body)
	}
	_, err = io.Copy(&file, res.Body)
	grew := stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("an export of %.1f MB: the heap grew by at most %.1f MB", float64(file.Len())/1e6, float64(grew)/1e6)
	if grew > uint64(file.Len())/3 {
		t.Errorf("the heap grew by %.0f MB for an export of %.0f MB: want a third of it at most", float64(grew)/1e6, float64(file.Len())/1e6)
	}
	got, err := store.DecodeImport(file.Bytes())
	if err != nil || len(got) != 150 {
		t.Fatalf("the export decodes to %d conversations, %v", len(got), err)
	}
	for _, c := range got {
		if len(c.Messages) != 2 || c.Messages[1].Text != big {
			t.Fatalf("conversation %s exported with %d messages", c.ID, len(c.Messages))
		}
	}
}

// gatedSearch is a real store whose searches, once gated, wait for the
// gate to open: a test sees searches that are still running, however fast
// the machine.
type gatedSearch struct {
	store.Store
	gate    chan struct{}
	running atomic.Int32
}

func (g *gatedSearch) Search(ctx context.Context, user, q string, limit int) ([]store.Hit, error) {
	g.running.Add(1)
	defer g.running.Add(-1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Store.Search(ctx, user, q, limit)
}

// TestSearchBounded: a user with a 30 MB message who runs six searches at
// once, while others run theirs, does not hold up another user's list or
// sign-in: a user searches one at a time (429), MaxSearches run in all
// (503), and each looks through the first store.SearchChars of a message.
// (Before, each search scanned the whole 30 MB message for ~30 s, four of
// them took every reader, and the list waited over 100 s.) The searches
// are held running (gatedSearch) until the list has been read.
func TestSearchBounded(t *testing.T) {
	st := &gatedSearch{Store: testStore(t), gate: make(chan struct{})}
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{chunks: []string{"hi"}}, Store: st})
	// A pattern that matches 499 bytes at every position of the text before
	// it fails: the worst case of LIKE.
	huge := "搜索 " + strings.Repeat("a", 30<<20)
	if _, err := st.Import(context.Background(), "dave", []store.Export{{
		Conversation: store.Conversation{ID: "huge", Title: "huge", Created: time.Now(), Updated: time.Now()},
		Messages:     []store.Message{{ID: "m1", Role: store.RoleUser, Text: huge, Status: store.StatusDone}},
	}}); err != nil {
		t.Fatal(err)
	}
	q := "/api/search?q=" + strings.Repeat("a", 499) + "b"
	codes := make(chan int, 8)
	search := func(token string) {
		go func() {
			code, _ := call(t, ts, "GET", q, token, nil, nil)
			codes <- code
		}()
	}
	count := map[int]int{}
	for range 6 {
		search("dave-token")
	}
	poll(t, "dave's first search running", func() bool { return st.running.Load() == 1 })
	for range 5 {
		count[<-codes]++
	}
	search("carol-token")
	poll(t, "carol's search running", func() bool { return st.running.Load() == 2 })
	search("alice-token")
	count[<-codes]++
	start := time.Now()
	if code, body := call(t, ts, "GET", "/api/conversations", "bob-token", nil, nil); code != 200 {
		t.Fatalf("bob's list: %d %s", code, body)
	}
	c := dialOwn(t, ts, "bob-token") // its token checked, its hello sent
	c.ws.CloseNow()
	waited := time.Since(start)
	close(st.gate)
	for range 2 {
		count[<-codes]++
	}
	t.Logf("bob's list and sign-in took %v among the searches; search answers %v", waited.Round(time.Millisecond), count)
	if waited > 5*time.Second {
		t.Errorf("bob waited %v for his list and sign-in behind the searches", waited)
	}
	if count[http.StatusTooManyRequests] != 5 || count[http.StatusServiceUnavailable] != 1 || count[http.StatusOK] != 2 {
		t.Errorf("searches answered %v, want dave's 5 more refused (429), alice's past MaxSearches (503), 2 run", count)
	}
	// The text past the first SearchChars is not searched; before it, it is,
	// in every script.
	if code, body := call(t, ts, "GET", "/api/search?q=搜索", "dave-token", nil, nil); code != 200 || !strings.Contains(body, `"huge"`) {
		t.Errorf("search in the first part: %d %.200s", code, body)
	}
}

// TestRefusalsThrottled: a client that retries with a bad token a thousand
// times costs the log a few lines, the last saying how many it held back.
func TestRefusalsThrottled(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	})
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: testStore(t), Logger: slog.New(slog.NewTextHandler(w, nil))})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws/0"
	for range 1000 {
		ws, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + "wrong"}})
		if err != nil {
			t.Fatal(err)
		}
		_, _, _ = ws.Read(context.Background()) // the refusal
		ws.CloseNow()
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logged.String(), "unknown token"); n > 10 {
		t.Errorf("1,000 refusals logged %d lines, want at most 10 a period", n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestResumeRightAfterEnd: a resume that comes as its answer's end goes out
// on the same connection is answered, not absorbed by the follower that is
// finishing (go test -count found TestReplace waiting for it).
func TestResumeRightAfterEnd(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: []string{"an ", "answer"}})
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "q"})
	ack := c.next()
	c.answer(0)
	for i := range 300 {
		c.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer, Offset: 3})
		if text, end := c.answer(3); text != "answer" || end.Status != protocol.StatusEnd {
			t.Fatalf("resume %d: %q %+v", i, text, end)
		}
	}
}

// TestSlowImportAnswered: an import that takes longer to write than
// Timeouts.Body and Timeouts.Write keeps its context and gets its answer:
// the answer's write deadline starts once the import is done.
func TestSlowImportAnswered(t *testing.T) {
	st := &slowImport{Store: testStore(t), delay: 600 * time.Millisecond}
	_, addr := serveWithHTTPServer(t, server.Config{Upstream: &scripted{}, Store: st, Timeouts: server.Timeouts{Body: 200 * time.Millisecond, Write: 300 * time.Millisecond}})
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/import", strings.NewReader(`{"format":"`+store.ExportFormat+`","conversations":[]}`))
	req.Header.Set("Authorization", "Bearer alice-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || st.err != nil {
		t.Errorf("a slow import: %d %s (its context: %v)", res.StatusCode, body, st.err)
	}
}

// slowImport is a store whose imports take delay, and remember whether
// their context ended meanwhile.
type slowImport struct {
	store.Store
	delay time.Duration
	err   error
}

func (s *slowImport) Import(ctx context.Context, user string, convs []store.Export) (int, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		s.err = ctx.Err()
		return 0, ctx.Err()
	}
	return s.Store.Import(ctx, user, convs)
}
