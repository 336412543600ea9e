package session_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
)

// TestRenameRollback: a rename shows at once; refused by the server, the
// old title comes back with a notice; accepted, it is kept in storage.
func TestRenameRollback(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	api.list = []session.Summary{{ID: "k1", Title: "Old"}, {ID: "k2", Title: "Other"}}
	h := newHarness(t, nil, api)
	h.do(func() { h.s.Refresh() })
	h.until("the list", func() bool { return len(h.s.List()) == 2 })

	release := api.hold("rename:k1")
	api.fail(&protocol.Error{Code: "bad_request", Message: "title too long"})
	h.do(func() {
		h.s.Rename("k1", "New")
		if l := h.s.List(); l[0].Title != "New" {
			t.Errorf("not renamed at once: %+v", l)
		}
	})
	release()
	h.until("the rollback", func() bool { return h.s.List()[0].Title == "Old" })
	h.do(func() {
		if n := h.s.Conversation().Notice; !strings.Contains(n, "rename failed") || !strings.Contains(n, "title too long") {
			t.Errorf("notice %q", n)
		}
	})

	api.fail(nil)
	h.do(func() { h.s.Rename("k2", "Renamed") })
	h.until("the rename", func() bool { return api.calls("rename:k2") == 1 })
	r := newHarness(t, h.storage, nil)
	r.until("the kept list", func() bool {
		l := r.s.List()
		return len(l) == 2 && l[0].Title == "Old" && l[1].Title == "Renamed"
	})
}

// TestSearchRace: the hits shown are the last search's, even when an
// earlier search's answer comes after it; offline, the titles kept are
// searched; an empty query ends the search.
func TestSearchRace(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	api.hits["go"] = []session.Hit{{Conversation: "k1", Title: "Go"}}
	api.hits["gopher"] = []session.Hit{{Conversation: "k2", Title: "Gophers"}}
	h := newHarness(t, nil, api)
	release := api.hold("search:go")
	h.do(func() { h.s.Search("go") })
	h.do(func() { h.s.Search("gopher") })
	h.until("the second search's hits", func() bool { _, hits := h.s.Hits(); return len(hits) == 1 })
	n := h.posted()
	release()
	h.settle(n) // the first search's result, posted, has run
	h.do(func() {
		if q, hits := h.s.Hits(); q != "gopher" || hits[0].Conversation != "k2" {
			t.Errorf("search %q shows %+v, want gopher's hits", q, hits)
		}
	})

	api.list = []session.Summary{{ID: "k1", Title: "Go generics"}, {ID: "k3", Title: "翻译"}}
	h.do(func() { h.s.Refresh() })
	h.until("the list", func() bool { return len(h.s.List()) == 2 })
	api.fail(session.ErrOffline)
	h.do(func() { h.s.Search("GENERIC") })
	h.until("the offline hits", func() bool { _, hits := h.s.Hits(); return len(hits) == 1 && hits[0].Conversation == "k1" })
	h.do(func() {
		h.s.Search("")
		if q, hits := h.s.Hits(); q != "" || hits != nil {
			t.Errorf("ended search shows %q %+v", q, hits)
		}
	})
}

// TestOpenOfflineCopies: a conversation opens at once from the copy kept
// offline, then as the server has it; offline, the copy stays; one never
// kept and unreachable says so.
func TestOpenOfflineCopies(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	stored := &session.Conversation{ID: "k1"}
	stored.Ask("c1", "question")
	stored.Apply(ack("c1", "a1", "k1"))
	stored.Apply(end("a1", 0, "the answer"))
	api.convs["k1"] = stored
	h := newHarness(t, nil, api)
	h.do(func() { h.s.Open("k1") })
	h.until("the loaded conversation", func() bool {
		m := h.s.Conversation().Messages
		return len(m) == 2 && m[1].Text == "the answer"
	})
	h.do(func() { h.s.NewChat() })

	api.fail(session.ErrOffline)
	r := newHarness(t, h.storage, api) // a reload, offline
	n := r.posted()
	r.do(func() {
		r.s.Open("k1")
		if m := r.s.Conversation().Messages; len(m) != 2 || m[1].Text != "the answer" {
			t.Errorf("offline copy not shown at once: %+v", r.s.Conversation())
		}
	})
	r.settle(n) // the failed load
	r.do(func() {
		if n := r.s.Conversation().Notice; n != "" {
			t.Errorf("offline copy shown with notice %q", n)
		}
		r.s.Open("k9")
		if n := r.s.Conversation().Notice; n != texts.Loading {
			t.Errorf("notice while loading %q", n)
		}
	})
	r.until("the load failure", func() bool { return strings.HasPrefix(r.s.Conversation().Notice, "load failed: ") })
}

// TestLoadKeepsWhatIsAhead: a conversation with an answer in flight on
// this page keeps its own copy over the stored one, which lags the
// stream; an answer still streaming in a loaded conversation is resumed.
func TestLoadKeepsWhatIsAhead(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	h := newHarness(t, nil, api)
	c := newFakeClient()
	h.do(func() { h.s.Connect(c) })
	f := asked(h, c, "q")
	h.frames(ack(f.ID, "a1", "k1"), chunk("a1", 0, "ahead of the store"))
	lagging := &session.Conversation{ID: "k1"}
	lagging.Ask(f.ID, "q")
	lagging.Apply(ack(f.ID, "a1", "k1"))
	api.convs["k1"] = lagging
	other := &session.Conversation{ID: "k2"}
	other.Ask("c2", "elsewhere")
	other.Apply(ack("c2", "a2", "k2"))
	other.Apply(chunk("a2", 0, "streaming in another tab"))
	api.convs["k2"] = other

	h.do(func() { h.s.Open("k2") })
	h.until("k2", func() bool { return len(h.s.Conversation().Messages) == 2 })
	n := h.posted()
	h.do(func() { h.s.Open("k1") })
	h.settle(n) // the load of k1
	h.do(func() {
		if m := h.s.Conversation().Messages[1]; m.Text != "ahead of the store" {
			t.Errorf("the page's copy was replaced: %q", m.Text)
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if held, ok := c.resumed["a2"]; !ok || held != len("streaming in another tab") {
		t.Errorf("resumed %v, want a2 from what is stored", c.resumed)
	}
}

// TestShowEarlier: a long conversation opens with its last page; "show
// earlier" shows what is loaded, then loads a bigger last part.
func TestShowEarlier(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	long := &session.Conversation{ID: "k"}
	for i := range session.PageSize + 10 {
		id := string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		long.Ask(id, "q "+id)
		long.Apply(ack(id, "ans-"+id, "k"))
		long.Apply(end("ans-"+id, 0, "a"))
	}
	api.convs["k"] = long
	h := newHarness(t, nil, api)
	h.do(func() { h.s.Open("k") })
	h.until("the last page", func() bool { return len(h.s.Conversation().Messages) == session.PageSize })
	h.do(func() {
		if msgs, earlier := h.s.Shown(); len(msgs) != session.PageSize || earlier != 0 || !h.s.Conversation().More {
			t.Errorf("shown %d, earlier %d, more %v", len(msgs), earlier, h.s.Conversation().More)
		}
		h.s.ShowEarlier()
	})
	h.until("the bigger part", func() bool { return len(h.s.Conversation().Messages) == 2*session.PageSize })
	h.do(func() {
		if msgs, _ := h.s.Shown(); len(msgs) != 2*session.PageSize {
			t.Errorf("%d shown", len(msgs))
		}
	})
	if got := api.limits["k"]; len(got) != 2 || got[0] != session.PageSize || got[1] != 2*session.PageSize {
		t.Errorf("Get limits %v", got)
	}
}

// TestDeleteShown: deleting the conversation on screen, once the server
// has, leaves a new chat and forgets its offline copy; a refused delete
// keeps it with a notice.
func TestDeleteShown(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	conv := &session.Conversation{ID: "k1"}
	conv.Ask("c1", "q")
	api.convs["k1"] = conv
	api.list = []session.Summary{{ID: "k1", Title: "q"}}
	h := newHarness(t, nil, api)
	h.do(func() { h.s.Refresh(); h.s.Open("k1") })
	h.until("k1", func() bool { return len(h.s.Conversation().Messages) == 2 && len(h.s.List()) == 1 })

	api.fail(errors.New("the server answered 500"))
	h.do(func() { h.s.Delete("k1") })
	h.until("the refusal", func() bool { return strings.HasPrefix(h.s.Conversation().Notice, "delete failed") })
	api.fail(nil)
	h.do(func() { h.s.Delete("k1") })
	h.until("the delete", func() bool { return h.s.Conversation().ID == "" && len(h.s.List()) == 0 })
	if v := h.storage.Get(session.SiteKey("/site", "wasmchat.conv.k1")); v != "" {
		t.Errorf("offline copy of a deleted conversation kept: %s", v)
	}
}

// TestRefreshOnReconnect: a page that started offline learns the list, the
// account and the models when its connection first opens; later, each
// reconnect refreshes them.
func TestRefreshOnReconnect(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	api.list = []session.Summary{{ID: "k1", Title: "one"}}
	api.fail(session.ErrOffline)
	h := newHarness(t, nil, api)
	n := h.posted()
	h.do(func() { h.s.Refresh() }) // at start, offline
	h.settle(n + 2)
	api.fail(nil)
	open := wsclient.Status{State: wsclient.Open}
	h.do(func() { h.s.SetStatus(open) })
	h.until("the refresh when the connection opened", func() bool { return h.s.Me() == "alice" && len(h.s.List()) == 1 })
	calls := api.calls("list")
	h.do(func() { h.s.SetStatus(open) }) // still open: nothing to do
	h.do(func() {
		h.s.SetStatus(wsclient.Status{State: wsclient.Reconnecting})
		h.s.SetStatus(open)
	})
	h.until("the refresh on reconnecting", func() bool { return api.calls("list") == calls+1 })
}

// TestInstructionsKept: a new chat's instructions go with its first
// question (and again if the page reloads before the ack), not with later
// ones; an existing conversation's are set on the server, and come back
// with a notice when it refuses.
func TestInstructionsKept(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	h := newHarness(t, nil, api)
	c := newFakeClient()
	temp := 0.3
	h.do(func() {
		h.s.Connect(c)
		h.s.SetInstructions("be brief", &temp)
	})
	f := asked(h, c, "first")
	if f.System != "be brief" || f.Temperature == nil || *f.Temperature != 0.3 {
		t.Errorf("a new chat's first question: %+v", f)
	}
	r := newHarness(t, h.storage, api) // reloaded before the ack
	rc := newFakeClient()
	r.do(func() { r.s.Connect(rc) })
	if len(rc.asks) != 1 || rc.asks[0].System != "be brief" {
		t.Errorf("sent again after a reload: %+v", rc.asks)
	}
	h.frames(ack(f.ID, "a1", "k1"), end("a1", 0, "ok"))
	if f := asked(h, c, "second"); f.System != "" || f.Temperature != nil {
		t.Errorf("a later question carries instructions: %+v", f)
	}
	api.fail(errors.New("the title is empty"))
	n := h.posted()
	h.do(func() { h.s.SetInstructions("be long", nil) })
	h.settle(n)
	h.do(func() {
		conv := h.s.Conversation()
		if api.calls("instructions:k1") != 1 || conv.System != "be brief" || !strings.HasPrefix(conv.Notice, "instructions failed") {
			t.Errorf("refused instructions: system %q, notice %q", conv.System, conv.Notice)
		}
	})
}

// TestShareAndUnshare: a share's link path shows once the server made it;
// unsharing drops it, also when the server had dropped it already; any
// other failure is a notice and the link stays.
func TestShareAndUnshare(t *testing.T) {
	t.Parallel()
	api := newFakeAPI()
	h := newHarness(t, nil, api)
	h.do(func() { h.s.Share("k1") })
	h.until("the link", func() bool { return h.s.Shares()["k1"] == "/s/secret-k1" })
	api.fail(errors.New("the server answered 500"))
	n := h.posted()
	h.do(func() { h.s.Unshare("k1") })
	h.settle(n)
	h.do(func() {
		if h.s.Shares()["k1"] == "" || !strings.HasPrefix(h.s.Conversation().Notice, "share failed") {
			t.Errorf("a failed unshare: links %v, notice %q", h.s.Shares(), h.s.Conversation().Notice)
		}
	})
	api.fail(&session.APIError{Code: "not_found", Message: "No such conversation."})
	h.do(func() { h.s.Unshare("k1") })
	h.until("the link gone", func() bool { return h.s.Shares()["k1"] == "" })
}
