//go:build !js

package wsclient_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/internal/chaos"
	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

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
