package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// stallStore is a store whose calls can be held up or made to fail, and
// counted, for the tests of the server's write path.
type stallStore struct {
	store.Store
	holdAsk    chan struct{} // when set, alice's asks wait for it to close
	endFails   atomic.Int32  // EndAnswer fails this many more times
	importing  atomic.Bool   // an Import is running
	mu         sync.Mutex
	calls      []string
	askStarted chan struct{}
}

func (s *stallStore) note(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
}

func (s *stallStore) called() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *stallStore) Asks(ctx context.Context, asks []store.Ask) ([]store.Asked, error) {
	s.note("Asks")
	for _, a := range asks {
		if a.User == "alice" && s.holdAsk != nil {
			s.askStarted <- struct{}{}
			<-s.holdAsk
			break
		}
	}
	return s.Store.Asks(ctx, asks)
}

func (s *stallStore) Messages(ctx context.Context, user, conv string, limit int) ([]store.Message, error) {
	s.note(fmt.Sprintf("Messages(%d)", limit))
	return s.Store.Messages(ctx, user, conv, limit)
}

func (s *stallStore) EndAnswer(ctx context.Context, user, id string, end store.Message) error {
	if s.endFails.Add(-1) >= 0 {
		return errors.New("database is locked")
	}
	return s.Store.EndAnswer(ctx, user, id, end)
}

func (s *stallStore) Import(ctx context.Context, user string, convs []store.Export) (int, error) {
	s.importing.Store(true)
	defer s.importing.Store(false)
	return s.Store.Import(ctx, user, convs)
}

// TestAskOutsideTheLock: while one user's ask is held up in the store, another
// user's is acknowledged and answered (by another of the hub's committers).
func TestAskOutsideTheLock(t *testing.T) {
	st := &stallStore{Store: testStore(t), holdAsk: make(chan struct{}), askStarted: make(chan struct{}, 1)}
	up := &scripted{chunks: helloChunks}
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	alice, bob := dialOwn(t, ts, "alice-token"), dialOwn(t, ts, "bob-token")
	alice.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "a1", Text: "held"})
	<-st.askStarted
	// A copy of alice's ask waits for the first, and starts nothing.
	alice2 := dialOwn(t, ts, "alice-token")
	alice2.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "a1", Text: "held"})
	bob.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "b1", Text: "not held"})
	if f := bob.next(); f.Type != protocol.ControlAck || f.Client != "b1" {
		t.Fatalf("bob got %+v, want his ack while alice's ask is in the store", f)
	}
	if text, _ := bob.answer(0); text != up.text() {
		t.Fatalf("bob's answer %q", text)
	}
	close(st.holdAsk)
	first, second := alice.next(), alice2.next()
	if first.Type != protocol.ControlAck || second.Type != protocol.ControlAck || first.Answer != second.Answer {
		t.Fatalf("alice's acks %+v and %+v, want one answer", first, second)
	}
	if text, _ := alice.answer(0); text != up.text() {
		t.Fatalf("alice's answer %q", text)
	}
	if n := up.calls.Load(); n != 2 {
		t.Errorf("%d generations, want 2 (the copy of alice's ask started none)", n)
	}
}

// TestReplaceReadsNoConversation: an ask that replaces an answer is one
// store call; the server reads none of the conversation for it (it used to
// read all of it, under the lock every user's ask waits for).
func TestReplaceReadsNoConversation(t *testing.T) {
	st := &stallStore{Store: testStore(t)}
	up := &scripted{chunks: helloChunks}
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "first"})
	ack := c.next()
	c.answer(0)
	poll(t, "the answer's end saved", func() bool {
		m, _ := st.Message(bg, "alice", ack.Answer)
		return m.Status == store.StatusDone
	})
	before := len(st.called())
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Text: "again", Conversation: ack.Conversation, Replace: ack.Answer})
	if f := c.next(); f.Type != protocol.ControlAck {
		t.Fatalf("got %+v, want the replace's ack", f)
	}
	c.answer(0)
	if got := st.called()[before:]; len(got) != 1 || got[0] != "Asks" {
		t.Errorf("the replace called the store for %q, want one Asks", got)
	}
	msgs, _ := st.Store.Messages(bg, "alice", ack.Conversation, 0)
	if len(msgs) != 2 || msgs[0].Text != "again" {
		t.Errorf("after the replace: %+v", msgs)
	}
}

// TestFinalSaveRetried: when the store fails the answer's end, the server
// writes it again until it takes: the store never keeps less than the
// client received.
func TestFinalSaveRetried(t *testing.T) {
	st := &stallStore{Store: testStore(t)}
	st.endFails.Store(3)
	up := &scripted{chunks: helloChunks}
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hi"})
	ack := c.next()
	if text, end := c.answer(0); text != up.text() || end.Status != protocol.StatusEnd {
		t.Fatalf("received %q, %+v", text, end)
	}
	poll(t, "the end saved after the store's failures", func() bool {
		m, _ := st.Message(bg, "alice", ack.Answer)
		return m.Status == store.StatusDone
	})
	if m, _ := st.Message(bg, "alice", ack.Answer); m.Text != up.text() || m.Finish != protocol.FinishStop {
		t.Errorf("saved %+v, want the whole answer", m)
	}
	if n := st.endFails.Load(); n >= 0 {
		t.Errorf("EndAnswer failed %d times fewer than arranged", 3-n)
	}
}

// TestImportLetsOthersAsk: a large import, written in batches, does not
// hold up another user's question until it is over; and a second import of
// the same user is refused while the first runs.
func TestImportLetsOthersAsk(t *testing.T) {
	st := &stallStore{Store: testStore(t)}
	up := &scripted{chunks: helloChunks}
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	var file store.File
	file.Format = store.ExportFormat
	long := strings.Repeat("imported text ", 10)
	for i := range 40 {
		e := store.Export{Conversation: store.Conversation{ID: fmt.Sprintf("c%d", i), Title: "imported"}}
		for j := range 100 {
			e.Messages = append(e.Messages, store.Message{Role: []string{store.RoleUser, store.RoleAssistant}[j%2], Text: long, Status: store.StatusDone})
		}
		file.Conversations = append(file.Conversations, e)
	}
	data, _ := json.Marshal(file)
	done := make(chan int, 1)
	go func() {
		code, _ := call(t, ts, "POST", "/api/import", "alice-token", data, nil)
		done <- code
	}()
	poll(t, "the import to start", st.importing.Load)
	if code, body := call(t, ts, "POST", "/api/import", "alice-token", data, nil); code != 409 {
		t.Errorf("a second import while the first runs: %d %s, want 409", code, body)
	}
	bob := dialOwn(t, ts, "bob-token")
	bob.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "b1", Text: "during the import"})
	if f := bob.next(); f.Type != protocol.ControlAck {
		t.Fatalf("bob got %+v, want his ack", f)
	}
	if !st.importing.Load() {
		t.Error("the import was over before bob's ask was acknowledged: it is too small to show anything")
	}
	if code := <-done; code != 200 {
		t.Fatalf("import: %d", code)
	}
	if convs, _ := st.Conversations(bg, "alice", 0); len(convs) != 40 {
		t.Errorf("alice has %d conversations, want 40", len(convs))
	}
}

// TestChunksCoalesced: an answer emitted a character at a time reaches the
// client in far fewer frames, whole, the first chunk at once, the last text
// in the end frame; chunk frames name the answer and their offset, not the
// conversation.
func TestChunksCoalesced(t *testing.T) {
	up := &scripted{chunks: strings.Split(strings.Repeat("abcdefghij", 20), ""), interval: 5 * time.Millisecond}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hi"})
	ack := c.next()
	var text strings.Builder
	frames := 0
	for {
		f := c.next()
		if f.Offset != text.Len() || f.Answer != ack.Answer {
			t.Fatalf("frame %+v after %d bytes", f, text.Len())
		}
		text.WriteString(f.Content)
		frames++
		if f.Status == protocol.StatusEnd {
			break
		}
		if f.Conversation != "" {
			t.Errorf("a chunk frame names the conversation: %+v", f)
		}
	}
	if text.String() != up.text() {
		t.Fatalf("got %q", text.String())
	}
	// 200 emits over about a second: a frame per 100 ms or so, not one
	// per emit.
	if frames > 40 {
		t.Errorf("%d frames for %d emits: not coalesced", frames, len(up.chunks))
	}
}
