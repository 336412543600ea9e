package session_test

import (
	"strings"
	"testing"

	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/protocol"
)

func ack(client, answer, conv string) protocol.ServerFrame {
	return protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: client, Answer: answer, Conversation: conv}
}

func chunk(answer string, off int, s string) protocol.ServerFrame {
	return protocol.ServerFrame{Status: protocol.StatusChunk, Answer: answer, Offset: off, Content: s}
}

func end(answer string, off int, s string) protocol.ServerFrame {
	return protocol.ServerFrame{Status: protocol.StatusEnd, Answer: answer, Offset: off, Content: s, Finish: protocol.FinishStop}
}

// asked asks q on a connected session and returns the ask's frame.
func asked(h *harness, c *fakeClient, q string) protocol.ClientFrame {
	h.do(func() { h.s.Ask(q) })
	return c.lastAsk()
}

// TestAskStreamsAnswer: a question shows at once and goes to the client;
// its answer lands chunk by chunk, each a change of its message alone; a
// new chat joins the sidebar at its ack, and all is kept in storage.
func TestAskStreamsAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c); h.s.SetApp("translate") })
	f := asked(h, c, "hello?")
	if f.Type != protocol.TypeAsk || f.Text != "hello?" || f.ID == "" || f.App != "translate" || f.Conversation != "" {
		t.Fatalf("ask sent %+v", f)
	}
	if k := h.lastChange().Kind; k != session.Moved {
		t.Errorf("asking: change %v, want Moved (follow the answer)", k)
	}
	h.frames(ack(f.ID, "a1", "conv-1"), chunk("a1", 0, "Hel"))
	ch := h.lastChange()
	h.do(func() {
		msgs := h.s.Conversation().Messages
		if ch.Kind != session.Chunk || ch.Message != msgs[1] {
			t.Errorf("chunk: change %+v, want Chunk of the answer", ch)
		}
		if !h.s.Streaming() {
			t.Error("an answer acknowledged and not ended is not streaming")
		}
		if l := h.s.List(); len(l) != 1 || l[0].ID != "conv-1" || l[0].Title != "hello?" {
			t.Errorf("sidebar after the ack: %+v", l)
		}
	})
	h.frames(end("a1", 3, "lo"))
	h.do(func() {
		m := h.s.Conversation().Messages[1]
		if m.Text != "Hello" || !m.Ended || m.Finish != protocol.FinishStop || h.s.Streaming() {
			t.Errorf("answer %+v", *m)
		}
	})
	// What a reload finds.
	r := newHarness(t, h.storage, nil)
	r.do(func() {
		conv := r.s.Conversation()
		if conv.ID != "conv-1" || len(conv.Messages) != 2 || conv.Messages[1].Text != "Hello" || len(r.s.List()) != 1 {
			t.Errorf("after a reload: %+v, list %+v", conv, r.s.List())
		}
	})
}

// TestAskWithoutConnection: with no server to send to, a question shows
// with an error saying so, not a spinner forever.
func TestAskWithoutConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.do(func() {
		h.s.Ask("are you there?")
		msgs := h.s.Conversation().Messages
		if len(msgs) != 2 || msgs[1].Error != texts.NotConnected || !msgs[1].Ended {
			t.Errorf("messages %+v %+v", *msgs[0], *msgs[1])
		}
	})
}

// TestFramesOffScreen: an answer keeps streaming into its conversation
// while another is on screen, without drawing the page, and its
// conversation is kept for offline reading when it ends.
func TestFramesOffScreen(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c) })
	f := asked(h, c, "first question")
	h.frames(ack(f.ID, "a1", "conv-1"), chunk("a1", 0, "Hel"))
	var first *session.Conversation
	h.do(func() {
		first = h.s.Conversation()
		if !h.s.NewChat() || h.s.NewChat() {
			t.Error("NewChat from a conversation, then from a new chat: want true, false")
		}
		h.changes = nil
	})
	h.frames(end("a1", 3, "lo"))
	h.do(func() {
		if m := first.Messages[1]; m.Text != "Hello" || !m.Ended {
			t.Errorf("the answer off screen: %+v", *m)
		}
		if len(h.s.Conversation().Messages) != 0 {
			t.Error("the frame landed in the new chat")
		}
		for _, ch := range h.changes {
			if ch.Kind != session.Changed {
				t.Errorf("a frame off screen made change %+v: only the sidebar changed", ch)
			}
		}
		h.s.Open("conv-1")
		if h.s.Conversation() != first {
			t.Error("opening it again did not show the conversation loaded this session")
		}
	})
	// Offline, a reload can read it.
	r := newHarness(t, h.storage, nil)
	r.do(func() {
		r.s.Open("conv-1")
		if m := r.s.Conversation().Messages; len(m) != 2 || m[1].Text != "Hello" {
			t.Errorf("offline copy %+v", r.s.Conversation())
		}
	})
}

// TestOutboxAndReload: a question asked while nothing acknowledges it, and
// an answer half streamed, survive a reload: the reloaded page sends the
// question again with the same client id and resumes the answer from the
// bytes it holds.
func TestOutboxAndReload(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c) })
	first := asked(h, c, "one")
	h.frames(ack(first.ID, "a1", "conv"), chunk("a1", 0, "part"), chunk("a1", 4, "ial"))
	h.do(func() {}) // chunks are not saved: the reload resumes from the last save
	second := asked(h, c, "two")

	r := newHarness(t, h.storage, nil)
	rc := newFakeClient()
	r.do(func() { r.s.Connect(rc) })
	if len(rc.asks) != 1 || rc.asks[0].ID != second.ID || rc.asks[0].Text != "two" || rc.asks[0].Conversation != "conv" {
		t.Errorf("asks sent again: %+v, want the unacknowledged %q", rc.asks, second.ID)
	}
	// Saved at the ack and the second ask: the answer's text then.
	if held, ok := rc.tracked["a1"]; !ok || held != len("partial") {
		t.Errorf("tracked %v, want a1 from %d", rc.tracked, len("partial"))
	}
}

// TestEditAndRegenerate: with a server that can replace, a question whose
// answer ended offers edit and the last answer regenerate; neither while
// an answer streams; an edit asks in place of the question and everything
// after it; regenerate asks the same question again.
func TestEditAndRegenerate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c) })
	for i, q := range []string{"one", "two"} {
		f := asked(h, c, q)
		a := []string{"a1", "a2"}[i]
		h.frames(ack(f.ID, a, "conv"), end(a, 0, "answer "+q))
	}
	replaceable := func() (out []string) {
		h.do(func() {
			msgs, _ := h.s.Shown()
			for i := range msgs {
				out = append(out, h.s.Replaceable(msgs, i))
			}
		})
		return out
	}
	if got := strings.Join(replaceable(), ","); got != ",,," {
		t.Errorf("server without replace offers %q", got)
	}
	h.frames(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlFeatures, Content: `["replace"]`})
	if got := strings.Join(replaceable(), ","); got != "a1,,a2,a2" {
		t.Errorf("replaceable %q, want a1,,a2,a2 (edit one, edit two, regenerate two)", got)
	}

	h.do(func() { h.s.Edit("a1", "one, edited") })
	if f := c.lastAsk(); f.Replace != "a1" || f.Text != "one, edited" || f.Conversation != "conv" {
		t.Errorf("edit sent %+v", f)
	}
	h.do(func() {
		if n := len(h.s.Conversation().Messages); n != 2 {
			t.Errorf("%d messages after editing the first question, want 2", n)
		}
	})
	edited := c.lastAsk()
	h.frames(ack(edited.ID, "a3", "conv"), chunk("a3", 0, "new"))
	if got := strings.Join(replaceable(), ","); got != "," {
		t.Errorf("while an answer streams: %q offered", got)
	}
	h.frames(end("a3", 3, " answer"))
	h.do(func() {
		h.s.Regenerate("a3")
		h.s.Regenerate("no-such-answer")
	})
	if f := c.lastAsk(); f.Replace != "a3" || f.Text != "one, edited" || len(c.asks) != 4 {
		t.Errorf("regenerate sent %+v (%d asks)", f, len(c.asks))
	}
	// Stop stops what streams on screen.
	h.frames(ack(c.lastAsk().ID, "a4", "conv"))
	h.do(func() { h.s.Stop() })
	if len(c.sent) != 1 || c.sent[0].Type != protocol.TypeStop || c.sent[0].Answer != "a4" {
		t.Errorf("stop sent %+v", c.sent)
	}
}

// TestAskEarly: questions typed before the program ran start a new chat,
// leave the conversation kept last time in the sidebar, and are asked in
// order.
func TestAskEarly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c) })
	f := asked(h, c, "from last time")
	h.frames(ack(f.ID, "a1", "old"), end("a1", 0, "old answer"))
	h.storage.Set(session.SiteKey("/site", session.EarlyKey), `["first", "  ", "second"]`)

	r := newHarness(t, h.storage, nil)
	rc := newFakeClient()
	r.do(func() {
		r.s.Connect(rc)
		r.s.AskEarly()
		conv := r.s.Conversation()
		if conv.ID != "" || len(conv.Messages) != 4 || conv.Messages[0].Text != "first" || conv.Messages[2].Text != "second" {
			t.Errorf("early questions: %+v", conv.Messages)
		}
	})
	if len(rc.asks) != 2 || rc.asks[0].Text != "first" || rc.asks[1].Text != "second" {
		t.Errorf("asked %+v", rc.asks)
	}
	if v := h.storage.Get(session.SiteKey("/site", session.EarlyKey)); v != "" {
		t.Errorf("early questions left in storage: %s", v)
	}
	r.do(func() {
		if l := r.s.List(); len(l) != 1 || l[0].ID != "old" {
			t.Errorf("last time's conversation left the sidebar: %+v", l)
		}
	})
}

// TestControlFrames: the apps and features frames set what the page
// offers; a hello from another version asks for an update; an unreadable
// control frame offers nothing rather than failing.
func TestControlFrames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.frames(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlApps, Content: `[{"id":"tr","title":"Translate"}]`})
	h.do(func() {
		if apps, _ := h.s.Apps(); len(apps) != 1 || apps[0].ID != "tr" {
			t.Errorf("apps %+v", apps)
		}
	})
	h.frames(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlApps, Content: `{not json`})
	h.do(func() {
		if apps, _ := h.s.Apps(); len(apps) != 0 {
			t.Errorf("unreadable apps frame left %+v", apps)
		}
	})
	h.frames(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlHello, Content: "v1"})
	if k := h.lastChange().Kind; k == session.Outdated {
		t.Error("a hello of the page's own version asked for an update")
	}
	h.frames(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlHello, Content: "v2"})
	if k := h.lastChange().Kind; k != session.Outdated {
		t.Errorf("hello of another version: change %v, want Outdated", k)
	}
}

// TestAccountsApart: what a session keeps belongs to the token it runs
// with. A question waiting in the outbox under one token is not sent when
// the page runs with another (a login link of another account), and that
// account sees none of the first's conversations; back under the first
// token, the question goes.
func TestAccountsApart(t *testing.T) {
	t.Parallel()
	storage := &session.Memory{}
	alice, bob := session.AccountOf("alice-token"), session.AccountOf("bob-token")
	if alice == bob || alice == "" || strings.Contains(alice, "alice") {
		t.Fatalf("accounts %q %q", alice, bob)
	}
	a := newHarnessAs(t, storage, nil, alice)
	a.do(func() {
		a.s.Connect(newFakeClient()) // never acknowledges
		a.s.Ask("asked as alice")
	})
	b := newHarnessAs(t, storage, nil, bob)
	bc := newFakeClient()
	b.do(func() {
		b.s.Connect(bc)
		if n := len(b.s.Conversation().Messages); n != 0 || len(b.s.List()) != 0 {
			t.Errorf("bob's page shows %d messages of alice's", n)
		}
	})
	if len(bc.asks) != 0 {
		t.Errorf("alice's question was sent with bob's token: %+v", bc.asks)
	}
	again := newHarnessAs(t, storage, nil, alice)
	ac := newFakeClient()
	again.do(func() { again.s.Connect(ac) })
	if len(ac.asks) != 1 || ac.asks[0].Text != "asked as alice" {
		t.Errorf("back as alice, sent %+v", ac.asks)
	}
}

// TestAdoptKeptBeforeAccounts: what a page kept before storage had
// accounts goes, once, to the account the page next runs as, its question
// waiting in the outbox included; no other account gets it.
func TestAdoptKeptBeforeAccounts(t *testing.T) {
	t.Parallel()
	storage := &session.Memory{}
	old := newHarness(t, storage, nil) // no account: the old keys
	old.do(func() {
		old.s.Connect(newFakeClient())
		old.s.Ask("kept by the old page")
	})
	a := newHarnessAs(t, storage, nil, session.AccountOf("t1"))
	c := newFakeClient()
	a.do(func() { a.s.Connect(c) })
	if len(c.asks) != 1 || c.asks[0].Text != "kept by the old page" {
		t.Errorf("adopted outbox sent %+v", c.asks)
	}
	b := newHarnessAs(t, storage, nil, session.AccountOf("t2"))
	b.do(func() {
		if n := len(b.s.Conversation().Messages); n != 0 {
			t.Errorf("a second account got %d adopted messages", n)
		}
	})
}

// TestModelChoice: the models the server offers, the one chosen for the
// conversation on screen (its own, else the last used, else the default),
// sent with each question and remembered with the conversation; a new
// chat, and a reload, start with the last used; one no longer offered
// falls back to the default; with no choice offered, questions name none.
func TestModelChoice(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	api.models = protocol.Models{Models: []string{"small", "large"}, Default: "small"}
	h := newHarness(t, nil, api)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c); h.s.Refresh() })
	h.until("the models", func() bool { offered, _ := h.s.Models(); return len(offered) == 2 })
	h.do(func() {
		if _, chosen := h.s.Models(); chosen != "small" {
			t.Errorf("chosen %q before any choice, want the default", chosen)
		}
		h.s.SetModel("large")
	})
	f := asked(h, c, "big question")
	if f.Model != "large" {
		t.Errorf("asked with %q, want large", f.Model)
	}
	h.frames(ack(f.ID, "a1", "k1"))
	h.do(func() {
		conv := h.s.Conversation()
		if conv.Model != "large" || conv.Messages[1].Model != "large" {
			t.Errorf("conversation model %q, answer's %q", conv.Model, conv.Messages[1].Model)
		}
		h.s.NewChat()
		if _, chosen := h.s.Models(); chosen != "large" {
			t.Errorf("a new chat starts with %q, want the last used", chosen)
		}
	})
	r := newHarness(t, h.storage, api)
	r.do(func() { r.s.Refresh() })
	r.until("the models, after a reload", func() bool { _, chosen := r.s.Models(); return chosen == "large" })

	api.mu.Lock()
	api.models = protocol.Models{Models: []string{"small", "medium"}, Default: "small"}
	api.mu.Unlock()
	r.do(func() { r.s.Refresh() })
	r.until("large gone", func() bool { _, chosen := r.s.Models(); return chosen == "small" })

	api.mu.Lock()
	api.models = protocol.Models{Models: []string{"demo"}, Default: "demo"}
	api.mu.Unlock()
	rc := newFakeClient()
	r.do(func() { r.s.Connect(rc); r.s.Refresh() })
	r.until("one model", func() bool { offered, _ := r.s.Models(); return len(offered) == 1 })
	if f := asked(r, rc, "no choice"); f.Model != "" {
		t.Errorf("with one model offered, asked with %q", f.Model)
	}
}

// TestModelKeptOffline: while the page does not know the server's models
// (offline), a question goes with the conversation's own model, which
// stays the conversation's.
func TestModelKeptOffline(t *testing.T) {
	t.Parallel()
	storage := &session.Memory{}
	h := newHarness(t, storage, nil)
	c := newFakeClient()
	h.do(func() {
		h.s.Connect(c)
		h.s.Conversation().Model = "large" // as a conversation loaded with its model
	})
	if f := asked(h, c, "offline question"); f.Model != "large" {
		t.Errorf("asked with %q, want the conversation's large", f.Model)
	}
	h.do(func() {
		if m := h.s.Conversation().Model; m != "large" {
			t.Errorf("the conversation's model became %q", m)
		}
	})
}
