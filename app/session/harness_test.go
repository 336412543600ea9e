package session_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/protocol"
)

// harness runs a Session as the page does: on one goroutine (the UI's),
// which runs what the session posts one at a time. Tests call the session
// through do, on that goroutine.
type harness struct {
	t       testing.TB
	s       *session.Session
	storage *session.Memory
	fns     chan func()
	quit    chan struct{}
	changes []session.Change // touched on the session's goroutine only
	ran     int              // how many posted functions have run: ditto
}

var texts = session.Texts{
	Loading: "Loading…", LoadFailed: "load failed: %s", RenameFailed: "rename failed: %s", DeleteFailed: "delete failed: %s", BranchFailed: "switch failed: %s",
	NotConnected: "not connected", ContinuePrompt: "continue", InstructionsFailed: "instructions failed: %s", ShareFailed: "share failed: %s",
}

// newHarness starts a session on storage (a new one when nil) with api.
func newHarness(t testing.TB, storage *session.Memory, api session.API) *harness {
	t.Helper()
	return newHarnessAs(t, storage, api, "")
}

// newHarnessAs starts a session of account on storage.
func newHarnessAs(t testing.TB, storage *session.Memory, api session.API, account string) *harness {
	t.Helper()
	if storage == nil {
		storage = &session.Memory{}
	}
	h := &harness{t: t, storage: storage, fns: make(chan func()), quit: make(chan struct{})}
	go func() {
		for {
			select {
			case f := <-h.fns:
				f()
			case <-h.quit:
				return
			}
		}
	}()
	t.Cleanup(func() { close(h.quit) })
	post := func(f func()) {
		select {
		case h.fns <- func() { f(); h.ran++ }:
		case <-h.quit:
		}
	}
	h.do(func() {
		h.s = session.New(session.Config{
			Local:    session.Local{Storage: storage, Site: "/site", Account: account},
			API:      api,
			Post:     post,
			OnChange: func(c session.Change) { h.changes = append(h.changes, c) },
			Version:  "v1",
		})
		h.s.Texts = texts
	})
	return h
}

// do runs f on the session's goroutine and waits for it.
func (h *harness) do(f func()) {
	done := make(chan struct{})
	h.fns <- func() {
		defer close(done)
		f()
	}
	<-done
}

// until waits, for at most 5 s, until cond holds on the session's
// goroutine.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok bool
		h.do(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// posted returns how many posted functions have run.
func (h *harness) posted() (n int) {
	h.do(func() { n = h.ran })
	return n
}

// settle waits until more than n posted functions have run.
func (h *harness) settle(n int) {
	h.t.Helper()
	h.until("the session's background work", func() bool { return h.ran > n })
}

// frames applies frames as the client delivers them.
func (h *harness) frames(fs ...protocol.ServerFrame) {
	for _, f := range fs {
		h.s.OnFrame(f) // posts: the harness's goroutine runs it in order
	}
	h.do(func() {})
}

// lastChange returns the last change reported.
func (h *harness) lastChange() (c session.Change) {
	h.do(func() {
		if len(h.changes) > 0 {
			c = h.changes[len(h.changes)-1]
		}
	})
	return c
}

// fakeClient records what the session hands the WebSocket client.
type fakeClient struct {
	mu      sync.Mutex
	asks    []protocol.ClientFrame
	sent    []protocol.ClientFrame
	tracked map[string]int
	resumed map[string]int
}

func newFakeClient() *fakeClient {
	return &fakeClient{tracked: map[string]int{}, resumed: map[string]int{}}
}

func (c *fakeClient) Ask(_ context.Context, f protocol.ClientFrame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asks = append(c.asks, f)
}

func (c *fakeClient) Send(_ context.Context, f protocol.ClientFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, f)
	return nil
}

func (c *fakeClient) Track(answer string, held int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tracked[answer] = held
}

func (c *fakeClient) Resume(_ context.Context, answer string, held int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resumed[answer] = held
}

func (c *fakeClient) lastAsk() protocol.ClientFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.asks) == 0 {
		return protocol.ClientFrame{}
	}
	return c.asks[len(c.asks)-1]
}

// fakeAPI is the server's API as a test scripts it. Each call may be held
// until the test releases it (gate), to order answers as a slow network
// does.
type fakeAPI struct {
	mu     sync.Mutex
	list   []session.Summary
	convs  map[string]*session.Conversation
	err    error                    // every call fails with it, when set
	hits   map[string][]session.Hit // by query
	gates  map[string]chan struct{} // by "search:"+q, "rename:"+id…: held until closed
	limits map[string][]int         // the limits Get was called with, by id
	models protocol.Models          // what Models returns
	called map[string]int           // calls by name
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{convs: map[string]*session.Conversation{}, hits: map[string][]session.Hit{}, gates: map[string]chan struct{}{},
		limits: map[string][]int{}, called: map[string]int{}}
}

// enter counts a call and waits at its gate, if any.
func (a *fakeAPI) enter(ctx context.Context, key string) error {
	a.mu.Lock()
	a.called[key]++
	gate, err := a.gates[key], a.err
	a.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (a *fakeAPI) hold(key string) (release func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	gate := make(chan struct{})
	a.gates[key] = gate
	return func() { close(gate) }
}

func (a *fakeAPI) fail(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.err = err
}

func (a *fakeAPI) calls(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.called[key]
}

func (a *fakeAPI) Models(ctx context.Context) (protocol.Models, error) {
	if err := a.enter(ctx, "models"); err != nil {
		return protocol.Models{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.models, nil
}

func (a *fakeAPI) Me(ctx context.Context) (string, error) {
	if err := a.enter(ctx, "me"); err != nil {
		return "", err
	}
	return "alice", nil
}

func (a *fakeAPI) List(ctx context.Context) ([]session.Summary, error) {
	if err := a.enter(ctx, "list"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]session.Summary(nil), a.list...), nil
}

// Show shows what Get does: the fake keeps one branch per conversation.
// (Branches are tested against the real server: TestSessionWithServer.)
func (a *fakeAPI) Show(ctx context.Context, id, message string, limit int) (*session.Conversation, error) {
	if err := a.enter(ctx, "show:"+id); err != nil {
		return nil, err
	}
	return a.Get(ctx, id, limit)
}

func (a *fakeAPI) Get(ctx context.Context, id string, limit int) (*session.Conversation, error) {
	if err := a.enter(ctx, "get:"+id); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limits[id] = append(a.limits[id], limit)
	c, ok := a.convs[id]
	if !ok {
		return nil, &protocol.Error{Code: protocol.CodeNotFound, Message: "no such conversation"}
	}
	out := *c
	out.Messages = nil
	for _, m := range c.Messages {
		m := *m
		out.Messages = append(out.Messages, &m)
	}
	if limit > 0 && len(out.Messages) > limit {
		out.Messages, out.More = out.Messages[len(out.Messages)-limit:], true
	}
	return &out, nil
}

func (a *fakeAPI) Rename(ctx context.Context, id, title string) error {
	return a.enter(ctx, "rename:"+id)
}

func (a *fakeAPI) SetInstructions(ctx context.Context, id, system string, temperature *float64) error {
	return a.enter(ctx, "instructions:"+id)
}

func (a *fakeAPI) Share(ctx context.Context, id string) (protocol.Share, error) {
	if err := a.enter(ctx, "share:"+id); err != nil {
		return protocol.Share{}, err
	}
	return protocol.Share{Conversation: id, Path: "/s/secret-" + id}, nil
}

func (a *fakeAPI) Unshare(ctx context.Context, id string) error { return a.enter(ctx, "unshare:"+id) }

func (a *fakeAPI) Shares(ctx context.Context) ([]protocol.Share, error) {
	if err := a.enter(ctx, "shares"); err != nil {
		return nil, err
	}
	return nil, nil
}

func (a *fakeAPI) Remove(ctx context.Context, id string) error {
	return a.enter(ctx, "remove:"+id)
}

func (a *fakeAPI) Search(ctx context.Context, q string) ([]session.Hit, error) {
	if err := a.enter(ctx, "search:"+q); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hits[q], nil
}
