//go:build !js

package session_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// realServer starts a wasmchat server on loopback (SQLite in a temporary
// folder, the demo model at a fast rate) and returns its URL and a token.
func realServer(t *testing.T) (url, token string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil { // the store warns of a folder open to others
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err = st.AddToken(ctx, "alice", "test")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{
		Store: st, Upstream: demo.New(20000), Page: &app.Handler{Title: "test"}, Version: "test",
		Web: fstest.MapFS{"app.wasm": {Data: []byte("wasm")}, "app.wasm.br": {Data: []byte("br")}, "app.wasm.gz": {Data: []byte("gz")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		st.Close()
	})
	return hs.URL, token
}

// connect gives h's session a real client to url, running until the test
// ends.
func connect(t *testing.T, h *harness, url, token string) {
	ctx, cancel := context.WithCancel(context.Background())
	client := wsclient.New(wsclient.Config{
		URL: protocol.WebSocketURL(url, protocol.ChannelChat), Token: token,
		OnFrame: h.s.OnFrame, OnState: h.s.OnState,
	})
	h.do(func() { h.s.Connect(client) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		client.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// TestSessionWithServer drives the session against a real server, over a
// real WebSocket and the real HTTP API: a question asked before any
// connection waits in storage; the reloaded page sends it, and its answer
// streams in whole; then the sidebar, search, rename, opening and delete
// go through the API.
func TestSessionWithServer(t *testing.T) {
	t.Parallel()
	url, token := realServer(t)
	api := session.HTTP{Base: url, Token: token}

	// Asked while the page has no connection yet (a client that never
	// ran): the question is kept with the conversation.
	h := newHarness(t, nil, api)
	h.do(func() {
		h.s.Connect(wsclient.New(wsclient.Config{URL: "ws://127.0.0.1:1/ws/0"}))
		h.s.Ask("What is Go?")
	})

	// The reload sends it, and the answer streams in.
	r := newHarness(t, h.storage, api)
	connect(t, r, url, token)
	r.until("the answer", func() bool {
		m := r.s.Conversation().Messages
		return len(m) == 2 && m[1].Ended
	})
	var conv session.Conversation
	r.do(func() { conv = *r.s.Conversation() })
	if m := conv.Messages[1]; m.Error != "" || m.Finish != protocol.FinishStop || m.Text == "" || conv.ID == "" {
		t.Fatalf("answer %+v in %q", *m, conv.ID)
	}

	// The server has what the page shows (it writes the end just after
	// sending it).
	eventually(t, "the server's copy", func() bool {
		stored, err := api.Get(context.Background(), conv.ID, 0)
		return err == nil && len(stored.Messages) == 2 && stored.Messages[1].Text == conv.Messages[1].Text && stored.Messages[1].Ended
	})
	r.do(func() { r.s.Refresh() })
	r.until("the sidebar", func() bool { l := r.s.List(); return len(l) == 1 && l[0].ID == conv.ID })
	r.until("who is signed in", func() bool { return r.s.Me() == "alice" })
	r.do(func() { r.s.Search("what is") })
	r.until("the hits", func() bool { _, hits := r.s.Hits(); return len(hits) > 0 && hits[0].Conversation == conv.ID })
	r.do(func() { r.s.Rename(conv.ID, "Go, asked") })
	eventually(t, "the rename on the server", func() bool {
		list, err := api.List(context.Background())
		return err == nil && len(list) == 1 && list[0].Title == "Go, asked"
	})

	// Another page of the same user opens it from the server.
	o := newHarness(t, nil, api)
	o.do(func() { o.s.Open(conv.ID) })
	o.until("the opened conversation", func() bool {
		m := o.s.Conversation().Messages
		return len(m) == 2 && m[1].Text == conv.Messages[1].Text && m[1].Ended
	})
	o.do(func() { o.s.Delete(conv.ID) })
	o.until("the delete", func() bool { return o.s.Conversation().ID == "" })
	if _, err := api.Get(context.Background(), conv.ID, 0); err == nil || !strings.Contains(err.Error(), "No such conversation") {
		t.Errorf("deleted conversation still served: %v", err)
	}

	// A wrong token gets the server's refusal; no server, ErrOffline.
	if _, err := (session.HTTP{Base: url, Token: "wrong"}).List(context.Background()); err == nil {
		t.Error("a wrong token listed conversations")
	}
	if _, err := (session.HTTP{Base: "http://127.0.0.1:1", Token: token}).List(context.Background()); err != session.ErrOffline {
		t.Errorf("no server: %v, want ErrOffline", err)
	}
}

// eventually waits, for at most 5 s, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// TestSessionBranches: against the real server, an edit and a regenerate
// show their switcher at once, the switcher shows the other branch as the
// server has it, and another page opening the conversation sees the
// branch shown last.
func TestSessionBranches(t *testing.T) {
	t.Parallel()
	url, token := realServer(t)
	api := session.HTTP{Base: url, Token: token}
	h := newHarness(t, nil, api)
	connect(t, h, url, token)
	h.until("the features", func() bool {
		return h.s.Replaceable([]*session.Message{{Role: session.RoleAssistant, Ended: true, Answer: "x"}}, 0) != ""
	})
	ended := func(n int) func() bool {
		return func() bool {
			m := h.s.Conversation().Messages
			return len(m) == n && m[n-1].Ended && !h.s.Conversation().Busy()
		}
	}
	h.do(func() { h.s.Ask("first") })
	h.until("the first answer", ended(2))
	h.do(func() { h.s.Ask("second") })
	h.until("the second answer", ended(4))
	// The page shows what the server would: load it once, so every
	// question's id is known.
	var id string
	h.do(func() { id = h.s.Conversation().ID; h.s.NewChat(); h.s.Open(id) })
	h.until("the reloaded conversation", func() bool { m := h.s.Conversation().Messages; return len(m) == 4 && m[2].ID != "" })

	shown := func(s *session.Session) string {
		var out []string
		for _, m := range s.Conversation().Messages {
			text := m.Text
			if nth, of, _, _ := s.Conversation().Branch(m); of > 0 {
				text += fmt.Sprintf("(%d/%d)", nth, of)
			}
			out = append(out, text)
		}
		return strings.Join(out, "|")
	}
	var secondAnswer, secondQuestion string
	h.do(func() {
		m := h.s.Conversation().Messages
		secondQuestion, secondAnswer = m[2].ID, m[3].Answer
		h.s.Edit(secondAnswer, "second, edited")
	})
	var got string
	h.do(func() { got = shown(h.s) })
	if !strings.HasPrefix(got, "first|") || !strings.Contains(got, "|second, edited(2/2)|") {
		t.Errorf("just after the edit: %q", got)
	}
	h.until("the edit's answer", ended(4))
	var edited string
	h.do(func() { edited = h.s.Conversation().Messages[3].Answer; h.s.Regenerate(edited) })
	h.until("the regenerated answer", ended(4))
	h.do(func() { got = shown(h.s) })
	if !strings.Contains(got, "|second, edited(2/2)|") || !strings.HasSuffix(got, "(2/2)") {
		t.Errorf("after the regenerate: %q", got)
	}

	// Back to the first version of the second question: as the server
	// has it, with what followed it.
	h.do(func() { h.s.ShowBranch(secondQuestion) })
	h.until("the first branch", func() bool {
		m := h.s.Conversation().Messages
		return len(m) == 4 && m[2].Text == "second" && m[3].Answer == secondAnswer
	})
	h.do(func() { got = shown(h.s) })
	if !strings.Contains(got, "|second(1/2)|") {
		t.Errorf("switched: %q", got)
	}
	// Another page sees the branch shown last.
	o := newHarness(t, nil, api)
	o.do(func() { o.s.Open(id) })
	o.until("the branch shown last", func() bool { m := o.s.Conversation().Messages; return len(m) == 4 && m[2].Text == "second" })
	// A search hit opens the branch it is in (another page, so the branch
	// the first shows stays its own: its next question names what it
	// follows).
	s := newHarness(t, nil, api)
	s.do(func() { s.s.OpenAt(id, edited) })
	s.until("the hit's branch", func() bool { m := s.s.Conversation().Messages; return len(m) == 4 && m[2].Text == "second, edited" })
	// A question now follows the branch shown.
	h.do(func() { h.s.Ask("third") })
	h.until("the third answer", ended(6))
	stored, err := api.Get(context.Background(), id, 0)
	if err != nil || len(stored.Messages) != 6 || stored.Messages[2].Text != "second" || stored.Messages[4].Text != "third" {
		t.Errorf("the server's branch after the third question: %+v, %v", stored, err)
	}
}
