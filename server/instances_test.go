package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// instances starts n servers on one new PostgreSQL database, each with a
// store of its own (as separate processes have), sharing the upstream up.
func instances(t *testing.T, n int, up *scripted, stale time.Duration) ([]*testServer, store.Store) {
	t.Helper()
	url := pgtest.URL(t)
	open := func() store.Store {
		st, err := store.OpenPostgres(bg, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	var out []*testServer
	for range n {
		out = append(out, newTestServerWith(t, server.Config{Upstream: up, Store: open(), StaleAnswers: stale}))
	}
	return out, open()
}

// TestInstancesShareAnswers: an answer generated on one instance streams
// live to a client that resumes it on another, to its end (not cut short
// as interrupted); an ask sent again to another instance joins the answer
// and starts no second generation; a stop sent through another instance
// stops it.
func TestInstancesShareAnswers(t *testing.T) {
	up := &scripted{chunks: strings.Split(strings.Repeat("word ", 60), " "), interval: 10 * time.Millisecond}
	for i := range up.chunks {
		up.chunks[i] += " "
	}
	ts, _ := instances(t, 2, up, time.Minute)
	a, b := ts[0], ts[1]

	// Asked on A, the connection cut after the first text, resumed on B.
	ca := dialOwn(t, a, "alice-token")
	ca.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hi"})
	ack := ca.next()
	first := ca.next()
	if ack.Type != protocol.ControlAck || first.Status != protocol.StatusChunk {
		t.Fatalf("on A: %+v then %+v", ack, first)
	}
	ca.ws.CloseNow()
	cb := dialOwn(t, b, "alice-token")
	cb.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer, Offset: first.End()})
	rest, end := cb.answer(first.End())
	if first.Content+rest != up.text() || end.Status != protocol.StatusEnd || end.Finish != protocol.FinishStop {
		t.Fatalf("through B: %q, end %+v; want the whole answer, finish stop", first.Content+rest, end)
	}
	if n := metric(t, b.Server, "wasmchat_fanout_lag_seconds_count"); n < 1 {
		t.Errorf("B's fan-out lag was observed %v times", n)
	}

	// The same ask sent to B after A acknowledged it: B joins A's answer.
	calls := up.calls.Load()
	ca = dialOwn(t, a, "alice-token")
	ca.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Text: "again"})
	ack = ca.next()
	cb.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Text: "again"})
	ackB := cb.next()
	if ackB.Type != protocol.ControlAck || ackB.Answer != ack.Answer || ackB.Conversation != ack.Conversation {
		t.Fatalf("B's ack %+v, want A's answer %s", ackB, ack.Answer)
	}
	if text, end := cb.answer(0); text != up.text() || end.Finish != protocol.FinishStop {
		t.Fatalf("the joined answer on B: %q, %+v", text, end)
	}
	if n := up.calls.Load() - calls; n != 1 {
		t.Errorf("%d generations for one ask sent to two instances", n)
	}
	ca.answer(0)

	// Stopped through B, while A generates it.
	ca.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q3", Text: "stop me"})
	ack = ca.next()
	ca.next() // some text
	cb.send(protocol.ClientFrame{Type: protocol.TypeStop, Answer: ack.Answer})
	if _, end := ca.answer(0); end.Finish != protocol.FinishCancelled {
		t.Errorf("after a stop through B, A ended with %+v", end)
	}
}

// TestInstanceDied: an answer whose instance died (it stays streaming in
// the store, unwritten) ends interrupted, with its stored text, for a
// client that follows it through another instance.
func TestInstanceDied(t *testing.T) {
	up := &scripted{chunks: []string{"x"}}
	ts, st := instances(t, 1, up, time.Second)
	// What a dead instance left: a streaming answer with some text.
	asked, err := st.Ask(bg, "alice", store.Ask{Question: "q", Answer: "dead1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveAnswers(bg, []store.AnswerSave{{User: "alice", ID: "dead1", Text: "half an ans"}}); err != nil {
		t.Fatal(err)
	}
	c := dialOwn(t, ts[0], "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: "dead1", Offset: 4})
	text, end := c.answer(4)
	if text != " an ans" || end.Status != protocol.StatusEnd || end.Finish != protocol.FinishInterrupted {
		t.Fatalf("got %q, %+v; want the stored rest, interrupted", text, end)
	}
	if m, _ := st.Message(bg, "alice", "dead1"); m.Status != store.StatusDone || m.Finish != protocol.FinishInterrupted || m.Conversation != asked.Conversation.ID {
		t.Errorf("stored %+v", m)
	}
}
