package server_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
)

// heapPeak samples the process's heap until stop is called, which returns
// the most it grew over what it was at the start, in bytes.
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
