package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// askDone asks q in conv over c, reads its ack and answer to the end, and
// waits until the store has the answer's end.
func askDone(t *testing.T, c *client, st store.Store, user, id, conv, replace, q string) protocol.ServerFrame {
	t.Helper()
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: id, Conversation: conv, Replace: replace, Text: q})
	ack := c.next()
	if ack.Type != protocol.ControlAck {
		t.Fatalf("ask %s: %+v, want an ack", id, ack)
	}
	c.answer(0)
	poll(t, "the answer's end saved", func() bool {
		m, err := st.Message(bg, user, ack.Answer)
		return err == nil && m.Status != store.StatusStreaming
	})
	return ack
}

func texts(t *testing.T, st store.Store, user, conv string) []string {
	t.Helper()
	msgs, err := st.Messages(bg, user, conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Role[:1]+":"+m.Text)
	}
	return out
}

// TestReplace: edit and resend, and regenerate, continue the conversation
// from before the replaced question: the store forgets what came after and
// the model is sent only what came before. Refused while an answer streams,
// for an answer not in the conversation (another user's included), and by
// a server whose model keeps its own context.
func TestReplace(t *testing.T) {
	up := &scripted{chunks: []string{"an ", "answer"}}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	if !slices.Contains(c.features, protocol.FeatureReplace) {
		t.Fatalf("features %q, want replace", c.features)
	}
	a1 := askDone(t, c, st, "alice", "c1", "", "", "first question")
	conv := a1.Conversation
	a2 := askDone(t, c, st, "alice", "c2", conv, "", "second question")
	askDone(t, c, st, "alice", "c3", conv, "", "third question")

	// Edit the second question: the second and third exchanges go.
	e := askDone(t, c, st, "alice", "c4", conv, a2.Answer, "second question, edited")
	if got := strings.Join(texts(t, st, "alice", conv), "|"); got != "u:first question|a:an answer|u:second question, edited|a:an answer" {
		t.Errorf("after the edit the conversation is %s", got)
	}
	var sent []string
	for _, turn := range up.lastRequest().Turns {
		sent = append(sent, turn.Text)
	}
	if strings.Join(sent, "|") != "first question|an answer|second question, edited" {
		t.Errorf("the model was sent %q", sent)
	}
	// Regenerate the last answer: same question, a new answer in its place.
	r := askDone(t, c, st, "alice", "c5", conv, e.Answer, "second question, edited")
	if got := texts(t, st, "alice", conv); len(got) != 4 || got[2] != "u:second question, edited" {
		t.Errorf("after regenerating: %q", got)
	}
	if _, err := st.Message(bg, "alice", e.Answer); err == nil {
		t.Error("the regenerated answer is still stored")
	}
	if r.Answer == e.Answer {
		t.Error("regenerating gave the same answer id")
	}
	// The same ask again (its ack lost) joins the answer, removes nothing.
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "c5", Conversation: conv, Replace: e.Answer, Text: "second question, edited"})
	if again := c.next(); again.Type != protocol.ControlAck || again.Answer != r.Answer {
		t.Errorf("resent replace: %+v, want the ack of %s", again, r.Answer)
	}
	c.answer(0)

	for _, bad := range []struct {
		name, token, conv, replace, code string
	}{
		{"an answer not in the conversation", "alice-token", conv, "no-such-answer", protocol.CodeNotFound},
		{"a question's id, not an answer's", "alice-token", conv, "c1", protocol.CodeNotFound},
		{"alice's answer, by bob", "bob-token", conv, r.Answer, protocol.CodeNotFound},
	} {
		bc := dialOwn(t, ts, bad.token)
		bc.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "bad", Conversation: bad.conv, Replace: bad.replace, Text: "x"})
		if f := bc.next(); f.Status != protocol.StatusError || f.Code != bad.code || f.Client != "bad" {
			t.Errorf("%s: %+v, want error %s", bad.name, f, bad.code)
		}
	}
	if got := texts(t, st, "alice", conv); len(got) != 4 {
		t.Errorf("refused replaces changed alice's conversation: %q", got)
	}

	// While an answer streams, the conversation cannot be cut.
	up.interval = 200 * time.Millisecond
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "c6", Conversation: conv, Text: "a slow one"})
	slow := c.next()
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "c7", Conversation: conv, Replace: r.Answer, Text: "cut"})
	for {
		f := c.next()
		if f.Client == "c7" {
			if f.Status != protocol.StatusError || f.Code != protocol.CodeBusy {
				t.Errorf("replace while streaming: %+v, want busy", f)
			}
			break
		}
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeStop, Answer: slow.Answer})

	// A server whose model keeps its own context offers no replace.
	st2 := testStore(t)
	ts2 := newTestServerWith(t, server.Config{Upstream: &scripted{chunks: []string{"x"}, stateful: true}, Store: st2})
	c2 := dialOwn(t, ts2, "alice-token")
	if len(c2.features) != 0 {
		t.Errorf("features %q from a stateful upstream", c2.features)
	}
	a := askDone(t, c2, st2, "alice", "s1", "", "", "q")
	c2.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "s2", Conversation: a.Conversation, Replace: a.Answer, Text: "q"})
	if f := c2.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeUnsupported {
		t.Errorf("replace on a stateful upstream: %+v, want unsupported", f)
	}
}
