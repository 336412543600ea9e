package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

var bg = context.Background()

// poll calls f every 10 ms until it returns true, failing after 5 s.
func poll(tb testing.TB, what string, f func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); !f(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestAnswerSavedWhileStreaming: the store has the question at the ack and
// the answer's text progressively (every 250 ms), then whole at the end.
func TestAnswerSavedWhileStreaming(t *testing.T) {
	up := &scripted{chunks: strings.Split(strings.Repeat("abcdefghij", 10), ""), interval: 10 * time.Millisecond, usage: &protocol.Usage{Prompt: 1, Completion: 2, Total: 3}}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "Explain\nsomething"})
	ack := c.next()
	msgs, err := st.Messages(bg, "alice", ack.Conversation, 0)
	if err != nil || len(msgs) != 2 || msgs[0].Text != "Explain\nsomething" || msgs[0].Client != "q1" || msgs[1].ID != ack.Answer || msgs[1].Status != store.StatusStreaming {
		t.Fatalf("at the ack the store has %+v (%v)", msgs, err)
	}
	if conv, _ := st.Conversation(bg, "alice", ack.Conversation); conv.Title != "Explain" {
		t.Errorf("title %q, want the first line of the question", conv.Title)
	}
	// Mid-answer (1 s of text at 10 ms a byte), the saved text is a growing
	// prefix.
	poll(t, "a progressive save", func() bool {
		m, _ := st.Message(bg, "alice", ack.Answer)
		return m.Status == store.StatusStreaming && len(m.Text) >= 20
	})
	if m, _ := st.Message(bg, "alice", ack.Answer); !strings.HasPrefix(up.text(), m.Text) {
		t.Fatalf("saved %q, not a prefix of the answer", m.Text)
	}
	c.answer(0)
	poll(t, "the end saved", func() bool {
		m, _ := st.Message(bg, "alice", ack.Answer)
		return m.Status == store.StatusDone
	})
	m, _ := st.Message(bg, "alice", ack.Answer)
	if m.Text != up.text() || m.Finish != protocol.FinishStop || m.Usage == nil || m.Usage.Total != 3 {
		t.Errorf("saved answer %+v", m)
	}
}

// TestAnswerAfterCrash: an answer a dead server left streaming comes back
// interrupted, with its text, through a resume; a client that holds more
// than was saved keeps it.
func TestAnswerAfterCrash(t *testing.T) {
	st := testStore(t)
	conv, _, _ := st.OpenConversation(bg, "alice", store.Conversation{Title: "t"})
	st.AddMessage(bg, "alice", store.Message{Conversation: conv.ID, Role: store.RoleUser, Text: "q", Status: store.StatusDone})
	st.AddMessage(bg, "alice", store.Message{ID: "dead-answer", Conversation: conv.ID, Role: store.RoleAssistant, Status: store.StatusStreaming})
	if err := st.SaveAnswers(bg, []store.AnswerSave{{User: "alice", ID: "dead-answer", Text: "saved before the crash"}}); err != nil {
		t.Fatal(err)
	}
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: st})
	if m, _ := st.Message(bg, "alice", "dead-answer"); m.Status != store.StatusDone || m.Finish != protocol.FinishInterrupted {
		t.Fatalf("after start the dead answer is %+v", m)
	}
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: "dead-answer", Offset: 6})
	text, end := c.answer(6)
	if text != "before the crash" || end.Finish != protocol.FinishInterrupted {
		t.Errorf("resumed %q, end %+v", text, end)
	}
	// The page got further than the last save: it keeps its text.
	c.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: "dead-answer", Offset: 40})
	if f := c.next(); f.Status != protocol.StatusEnd || f.Offset != 40 || f.Finish != protocol.FinishInterrupted {
		t.Errorf("resume past the saved text: %+v", f)
	}
	// Not bob's.
	bob := dialOwn(t, ts, "bob-token")
	bob.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: "dead-answer"})
	if f := bob.next(); f.Code != protocol.CodeNotFound {
		t.Errorf("bob resuming alice's stored answer: %+v", f)
	}
}

// TestWebSocketIsolation: bob naming alice's conversation gets his own,
// and the model sees nothing of alice's; bob cannot stop her answer.
func TestWebSocketIsolation(t *testing.T) {
	up := &scripted{chunks: []string{"a", "b", "c"}, interval: 50 * time.Millisecond}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	alice := dialOwn(t, ts, "alice-token")
	alice.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "1", Text: "alice's secret"})
	ack := alice.next()
	alice.answer(0)

	bob := dialOwn(t, ts, "bob-token")
	bob.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "1", Conversation: ack.Conversation, Text: "what did she say?"})
	bob.next()
	bob.answer(0)
	if turns := up.lastRequest().Turns; len(turns) != 1 || turns[0].Text != "what did she say?" {
		t.Errorf("bob's question reached the model with %+v", turns)
	}
	if msgs, _ := st.Messages(bg, "alice", ack.Conversation, 0); len(msgs) != 2 {
		t.Errorf("alice's conversation has %d messages, want her 2", len(msgs))
	}
	// Bob's stop of alice's answer does nothing.
	alice.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "2", Conversation: ack.Conversation, Text: "again"})
	ack2 := alice.next()
	bob.send(protocol.ClientFrame{Type: protocol.TypeStop, Answer: ack2.Answer})
	if _, end := alice.answer(0); end.Finish != protocol.FinishStop {
		t.Errorf("alice's answer ended %+v after bob's stop", end)
	}
}

// TestStoreDownKeepsQuestion: when the store fails, the ask is refused as
// unavailable (the page keeps it and sends it again), nothing is generated.
func TestStoreDownKeepsQuestion(t *testing.T) {
	up := &scripted{chunks: []string{"x"}}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	st.Close()
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "hi"})
	if f := c.next(); f.Code != protocol.CodeUnavailable || f.Client != "q" {
		t.Errorf("ask with the store down: %+v", f)
	}
	if n := up.calls.Load(); n != 0 {
		t.Errorf("%d generations", n)
	}
}
