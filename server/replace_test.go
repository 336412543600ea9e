package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// askDone asks f over c, reads its ack and answer to the end, and waits
// until the store has the answer's end.
func askDone(t *testing.T, c *client, st store.Store, user string, f protocol.ClientFrame) protocol.ServerFrame {
	t.Helper()
	f.Type = protocol.TypeAsk
	c.send(f)
	ack := c.next()
	if ack.Type != protocol.ControlAck {
		t.Fatalf("ask %s: %+v, want an ack", f.ID, ack)
	}
	c.answer(0)
	poll(t, "the answer's end saved", func() bool {
		m, err := st.Message(bg, user, ack.Answer)
		return err == nil && m.Status != store.StatusStreaming
	})
	return ack
}

// texts returns the branch conv shows, each message as role:text, with
// (k/n) when it has siblings.
func texts(t *testing.T, st store.Store, user, conv string) []string {
	t.Helper()
	msgs, err := st.Messages(bg, user, conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		s := m.Role[:1] + ":" + m.Text
		if len(m.Siblings) > 0 {
			s += fmt.Sprintf("(%d/%d)", slices.Index(m.Siblings, m.ID)+1, len(m.Siblings))
		}
		out = append(out, s)
	}
	return out
}

func sentTurns(up *scripted) string {
	var sent []string
	for _, turn := range up.lastRequest().Turns {
		sent = append(sent, turn.Text)
	}
	return strings.Join(sent, "|")
}

// TestBranches: edit and resend, and regenerate, continue the conversation
// from before the replaced question, keeping what they replace as another
// branch; the model is sent only the branch the question is on, and
// switching branches (the API) changes what the next question follows.
// Refused while an answer streams, for an answer not in the conversation
// (another user's included), and by a server whose model keeps its own
// context.
func TestBranches(t *testing.T) {
	up := &scripted{chunks: []string{"an ", "answer"}}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	if !slices.Contains(c.features, protocol.FeatureReplace) || !slices.Contains(c.features, protocol.FeatureBranches) {
		t.Fatalf("features %q, want replace and branches", c.features)
	}
	a1 := askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c1", Text: "first question"})
	conv := a1.Conversation
	a2 := askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c2", Conversation: conv, Text: "second question"})
	askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c3", Conversation: conv, Text: "third question"})
	if a1.Question == "" || a2.Question == "" || a1.Question == a2.Question {
		t.Errorf("acks name questions %q and %q", a1.Question, a2.Question)
	}

	// Edit the second question: a branch beside it.
	e := askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c4", Conversation: conv, Replace: a2.Answer, Text: "second question, edited"})
	if got := strings.Join(texts(t, st, "alice", conv), "|"); got != "u:first question|a:an answer|u:second question, edited(2/2)|a:an answer" {
		t.Errorf("after the edit the conversation shows %s", got)
	}
	if got := sentTurns(up); got != "first question|an answer|second question, edited" {
		t.Errorf("the model was sent %q", got)
	}
	// Regenerate the last answer: its question again, stored once, whatever
	// text the ask carries.
	r := askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c5", Conversation: conv, Replace: e.Answer, Regenerate: true, Text: "not this"})
	if got := strings.Join(texts(t, st, "alice", conv), "|"); got != "u:first question|a:an answer|u:second question, edited(2/2)|a:an answer(2/2)" {
		t.Errorf("after regenerating: %s", got)
	}
	if got := sentTurns(up); got != "first question|an answer|second question, edited" {
		t.Errorf("the model was sent %q for the regenerate", got)
	}
	if r.Answer == e.Answer || r.Question != e.Question {
		t.Errorf("regenerate: answer %s (was %s), question %s (was %s)", r.Answer, e.Answer, r.Question, e.Question)
	}
	tree, _ := st.Tree(bg, "alice", conv)
	if len(tree) != 9 {
		t.Errorf("the conversation keeps %d messages, want all 9", len(tree))
	}
	// The same ask again (its ack lost) joins the answer, adds nothing.
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "c5", Conversation: conv, Replace: e.Answer, Regenerate: true, Text: "x"})
	if again := c.next(); again.Type != protocol.ControlAck || again.Answer != r.Answer || again.Question != r.Question {
		t.Errorf("resent regenerate: %+v, want the ack of %s", again, r.Answer)
	}
	c.answer(0)

	// Switch back to the first branch through the API: the next question
	// follows its last answer, and the model gets that branch.
	var shown protocol.Export
	if code, body := call(t, ts, "POST", "/api/conversations/"+conv+"/show", "alice-token", []byte(`{"message":"`+a2.Question+`"}`), &shown); code != 200 {
		t.Fatalf("show: %d %s", code, body)
	}
	if len(shown.Messages) != 6 || shown.Messages[2].Text != "second question" || len(shown.Messages[2].Siblings) != 2 || shown.Leaf == "" {
		t.Errorf("shown %+v", shown)
	}
	askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c6", Conversation: conv, Text: "fourth"})
	if got := sentTurns(up); got != "first question|an answer|second question|an answer|third question|an answer|fourth" {
		t.Errorf("after switching, the model was sent %q", got)
	}
	// An ask naming what it follows goes there, whatever is shown.
	askDone(t, c, st, "alice", protocol.ClientFrame{ID: "c7", Conversation: conv, Parent: e.Answer, Text: "after the first edit's answer"})
	if got := sentTurns(up); got != "first question|an answer|second question, edited|an answer|after the first edit's answer" {
		t.Errorf("an ask after e: the model was sent %q", got)
	}
	for _, bad := range []struct{ body, token string }{{`{"message":"nope"}`, "alice-token"}, {`{"message":"` + a2.Question + `"}`, "bob-token"}, {`{}`, "alice-token"}} {
		if code, _ := call(t, ts, "POST", "/api/conversations/"+conv+"/show", bad.token, []byte(bad.body), nil); code != 404 && code != 400 {
			t.Errorf("show %s as %s: %d", bad.body, bad.token, code)
		}
	}
	var md string
	_, md = call(t, ts, "GET", "/api/conversations/"+conv+"/markdown", "alice-token", nil, nil)
	if !strings.Contains(md, "## You (branch 2 of 2)\n\nsecond question, edited") {
		t.Errorf("markdown:\n%s", md)
	}
	asked := len(texts(t, st, "alice", conv))

	for _, bad := range []struct {
		name, token, conv, replace, code string
	}{
		{"an answer not in the conversation", "alice-token", conv, "no-such-answer", protocol.CodeNotFound},
		{"a question's id, not an answer's", "alice-token", conv, "c1", protocol.CodeNotFound},
		{"alice's answer, by bob", "bob-token", conv, r.Answer, protocol.CodeNotFound},
		{"after a message not in the conversation", "alice-token", conv, "parent:nope", protocol.CodeNotFound},
	} {
		bc := dialOwn(t, ts, bad.token)
		f := protocol.ClientFrame{Type: protocol.TypeAsk, ID: "bad", Conversation: bad.conv, Replace: bad.replace, Text: "x"}
		if p, ok := strings.CutPrefix(bad.replace, "parent:"); ok {
			f.Replace, f.Parent = "", p
		}
		bc.send(f)
		if f := bc.next(); f.Status != protocol.StatusError || f.Code != bad.code || f.Client != "bad" {
			t.Errorf("%s: %+v, want error %s", bad.name, f, bad.code)
		}
	}
	if got := texts(t, st, "alice", conv); len(got) != asked {
		t.Errorf("refused replaces changed alice's conversation: %q", got)
	}

	// While an answer streams, the conversation cannot be cut.
	up.interval = 200 * time.Millisecond
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "slow", Conversation: conv, Text: "a slow one"})
	slow := c.next()
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "cut", Conversation: conv, Replace: r.Answer, Text: "cut"})
	for {
		f := c.next()
		if f.Client == "cut" {
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
	a := askDone(t, c2, st2, "alice", protocol.ClientFrame{ID: "s1", Text: "q"})
	c2.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "s2", Conversation: a.Conversation, Replace: a.Answer, Text: "q"})
	if f := c2.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeUnsupported {
		t.Errorf("replace on a stateful upstream: %+v, want unsupported", f)
	}
}
