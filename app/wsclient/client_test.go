//go:build !js

package wsclient_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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
	"github.com/wasmchat/wasmchat/internal/chaos"
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

// longAnswers answers each question with a long, deterministic text in
// small chunks, and counts its generations.
type longAnswers struct {
	chunks int
	every  time.Duration // the pause every third chunk; 1 ms if unset
	calls  atomic.Int32
}

func (l *longAnswers) text(q string) []string {
	out := make([]string, l.chunks)
	for i := range out {
		out[i] = fmt.Sprintf("%s·%d 流式 ", q, i)
	}
	return out
}

func (l *longAnswers) Stream(ctx context.Context, req server.Request, emit func(string)) (server.Result, error) {
	l.calls.Add(1)
	for i, c := range l.text(req.Question()) {
		if i%3 == 0 {
			select {
			case <-ctx.Done():
				return server.Result{}, ctx.Err()
			case <-time.After(cmp.Or(l.every, time.Millisecond)):
			}
		}
		emit(c)
	}
	return server.Result{Finish: protocol.FinishStop}, nil
}

// TestChaos runs many long answers through a TCP proxy that cuts every
// connection every 50-250 ms, with questions asked while the line may be
// down: every answer must arrive byte for byte, no chunk delivered twice,
// and no question answered twice.
func TestChaos(t *testing.T) {
	up := &longAnswers{chunks: 3000} // ~60 KB per answer
	addr := startServer(t, up)
	proxy, rec, c := proxied(t, addr)
	total := askThroughCuts(t, proxy, rec, c, up, jitter(50*time.Millisecond, 250*time.Millisecond))
	t.Logf("chaos: %d answers, %d bytes, %d connections cut, every answer byte for byte", chaosAnswers, total, proxy.Cuts())
}

// chaosAnswers is how many questions askThroughCuts asks.
const chaosAnswers = 20

// askThroughCuts asks chaosAnswers questions through c while proxy cuts
// every connection at intervals drawn by every, and checks that each
// answer arrived whole and finished, generated once, and that the proxy
// did cut. It returns the bytes received.
func askThroughCuts(t *testing.T, proxy *chaos.Proxy, rec *recorder, c *wsclient.Client, up *longAnswers, every func() time.Duration) int {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	proxy.CutEvery(ctx, every)
	for i := range chaosAnswers {
		c.Ask(context.Background(), ask(fmt.Sprint("q", i), fmt.Sprint("question ", i)))
		time.Sleep(time.Duration(i%4) * 40 * time.Millisecond)
	}
	rec.waitEnds(t, chaosAnswers)
	stop()
	total := 0
	for i := range chaosAnswers {
		q := fmt.Sprint("question ", i)
		got := rec.text(rec.answer(fmt.Sprint("q", i)))
		if want := strings.Join(up.text(q), ""); got != want {
			t.Errorf("%s: got %d bytes, want %d", q, len(got), len(want))
		}
		if end := rec.end(rec.answer(fmt.Sprint("q", i))); end.Finish != protocol.FinishStop {
			t.Errorf("%s ended %+v", q, end)
		}
		total += len(got)
	}
	if n := up.calls.Load(); n != chaosAnswers {
		t.Errorf("%d generations for %d questions", n, chaosAnswers)
	}
	if proxy.Cuts() < 3 {
		t.Errorf("only %d cuts: the test did not test", proxy.Cuts())
	}
	return total
}

// TestChaosInstances: three instances on one PostgreSQL behind a proxy that
// sends each new connection to the next instance (no sticky sessions) and
// cuts every connection every 300-700 ms, so each answer is followed
// through every instance in turn: all 20 arrive byte for byte, no chunk
// twice (the recorder fails the test on one), each generated once.
func TestChaosInstances(t *testing.T) {
	up := &longAnswers{chunks: 1500, every: 3 * time.Millisecond} // about 1.5 s an answer
	url := pgtest.URL(t)
	var addrs []string
	for range 3 {
		st, err := store.OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, startServerOn(t, up, st, time.Minute))
	}
	proxy, rec, c := proxied(t, addrs[0])
	proxy.SetBackends(addrs...)
	askThroughCuts(t, proxy, rec, c, up, jitter(300*time.Millisecond, 700*time.Millisecond))
	t.Logf("%d answers through 3 instances, %d connections cut", chaosAnswers, proxy.Cuts())
}

// TestRestartInterruptsWithTextHeld points the client at a fresh server in
// the middle of an answer, as after a crash: the answer ends interrupted,
// keeping the text that had arrived.
func TestRestartInterruptsWithTextHeld(t *testing.T) {
	up := &longAnswers{chunks: 100000}
	first := startServer(t, up)
	proxy, rec, c := proxied(t, first)
	c.Ask(context.Background(), ask("q", "long"))
	waitFor(t, "some text", func() bool { return len(rec.text(rec.answer("q"))) > 1000 })
	proxy.SetBackend(startServer(t, &longAnswers{chunks: 1}))
	proxy.Cut()
	rec.waitEnds(t, 1)
	answer := rec.answer("q")
	end := rec.end(answer)
	if end.Finish != protocol.FinishInterrupted || end.Offset != len(rec.text(answer)) {
		t.Errorf("end %+v after %d bytes, want interrupted at the text held", end, len(rec.text(answer)))
	}
	if want := strings.Join(up.text("long"), ""); !strings.HasPrefix(want, rec.text(answer)) {
		t.Error("the text held is not a prefix of the answer")
	}
}

// TestOutboxWhileServerDown asks before any server is up: the question is
// sent once the connection opens, and answered once.
func TestOutboxWhileServerDown(t *testing.T) {
	proxy, rec, c := proxied(t, "127.0.0.1:1") // nothing listens there
	c.Ask(context.Background(), ask("q", "typed offline"))
	waitFor(t, "reconnecting", func() bool { return c.Status().State == wsclient.Reconnecting })
	up := &longAnswers{chunks: 50}
	proxy.SetBackend(startServer(t, up))
	rec.waitEnds(t, 1)
	if got, want := rec.text(rec.answer("q")), strings.Join(up.text("typed offline"), ""); got != want {
		t.Errorf("answer %q, want %q", got, want)
	}
	if n := up.calls.Load(); n != 1 {
		t.Errorf("%d generations, want 1", n)
	}
}

// TestResumeAfterReload is what a reloaded page does: a new Client that
// knows only the answer id and the bytes kept resumes from there.
func TestResumeAfterReload(t *testing.T) {
	up := &longAnswers{chunks: 2000}
	addr := startServer(t, up)
	rec := newRecorder(t)
	c := wsclient.New(rec.config(wsURL(addr)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	c.Ask(ctx, ask("q", "reload"))
	waitFor(t, "some text", func() bool { return len(rec.text(rec.answer("q"))) > 100 })
	cancel() // the page goes away
	<-done
	answer, kept := rec.answer("q"), rec.text(rec.answer("q"))

	rec2 := newRecorder(t)
	rec2.texts[answer] = new(strings.Builder)
	rec2.texts[answer].WriteString(kept)
	c2 := wsclient.New(rec2.config(wsURL(addr)))
	c2.Track(answer, len(kept))
	running(t, c2)
	rec2.waitEnds(t, 1)
	if got, want := rec2.text(answer), strings.Join(up.text("reload"), ""); got != want {
		t.Errorf("after the reload: %d bytes, want %d", len(got), len(want))
	}
}

// TestResumeWhileConnected: a second page (another tab) that opens the
// conversation mid-answer follows the answer from where it loaded it.
func TestResumeWhileConnected(t *testing.T) {
	up := &longAnswers{chunks: 2000}
	addr := startServer(t, up)
	rec := newRecorder(t)
	c := wsclient.New(rec.config(wsURL(addr)))
	running(t, c)
	c.Ask(context.Background(), ask("q", "two tabs"))
	waitFor(t, "some text", func() bool { return len(rec.text(rec.answer("q"))) > 100 })
	answer := rec.answer("q")

	rec2 := newRecorder(t)
	c2 := wsclient.New(rec2.config(wsURL(addr)))
	running(t, c2)
	waitFor(t, "the second tab connected", func() bool { return c2.Status().State == wsclient.Open })
	rec2.texts[answer] = new(strings.Builder)
	rec2.texts[answer].WriteString(rec.text(answer)[:2])
	c2.Resume(context.Background(), answer, 2)
	c2.Resume(context.Background(), answer, 0) // already followed: ignored
	rec2.waitEnds(t, 1)
	rec.waitEnds(t, 1)
	if got, want := rec2.text(answer), rec.text(answer); got != want || len(got) < 1000 {
		t.Errorf("second tab: %d bytes, first %d", len(got), len(want))
	}
}

// TestHeartbeatReplacesSilentConnection talks to a server that says hello
// and then nothing, not even pong: the client must give up on it after two
// heartbeats and dial again.
func TestHeartbeatReplacesSilentConnection(t *testing.T) {
	var dials atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dials.Add(1)
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{protocol.Subprotocol}})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		hello := protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlHello}
		_ = ws.Write(r.Context(), websocket.MessageText, hello.Encode())
		for { // read and ignore pings until the client gives up
			if _, _, err := ws.Read(r.Context()); err != nil {
				return
			}
		}
	}))
	defer hs.Close()
	cfg := newRecorder(t).config(wsURL(strings.TrimPrefix(hs.URL, "http://")))
	cfg.Heartbeat = 50 * time.Millisecond
	c := wsclient.New(cfg)
	running(t, c)
	waitFor(t, "a second dial", func() bool { return dials.Load() >= 2 })
}

// TestOfflineHoldsDials checks that offline means no dialing at all, and
// online means dialing at once.
func TestOfflineHoldsDials(t *testing.T) {
	addr := startServer(t, demo.New(20000))
	cfg := newRecorder(t).config(wsURL(addr))
	dials := countDials(&cfg)
	c := wsclient.New(cfg)
	c.SetOnline(false)
	running(t, c)
	waitFor(t, "offline", func() bool { return c.Status().State == wsclient.Offline })
	time.Sleep(100 * time.Millisecond)
	if n := dials.Load(); n != 0 {
		t.Fatalf("%d dials while offline", n)
	}
	c.SetOnline(true)
	waitFor(t, "open", func() bool { return c.Status().State == wsclient.Open })
	c.SetOnline(false) // drops the open connection
	waitFor(t, "offline again", func() bool { return c.Status().State == wsclient.Offline })
}

// proxied runs a client through a chaos proxy in front of backend, with a
// recorder of what it delivers. All stop at the end of the test.
func proxied(t *testing.T, backend string) (*chaos.Proxy, *recorder, *wsclient.Client) {
	t.Helper()
	proxy, err := chaos.New(backend)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	rec := newRecorder(t)
	c := wsclient.New(rec.config(wsURL(proxy.Addr())))
	running(t, c) // cleanups run last first: the client stops before the proxy
	return proxy, rec, c
}

// jitter returns uniform durations in [lo, hi).
func jitter(lo, hi time.Duration) func() time.Duration {
	return func() time.Duration { return lo + time.Duration(rand.Int64N(int64(hi-lo))) }
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
