package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/store"
)

// TestFeed: the PostgreSQL store tells every listener, each on its own
// connection as each instance has, what changed, once it is committed
// (the text is there to read); SQLite has no feed.
func TestFeed(t *testing.T) {
	if _, ok := openSQLite(t).(store.Feed); ok {
		t.Error("the SQLite store has a feed")
	}
	s := openPostgres(t)
	feed, ok := s.(store.Feed)
	if !ok {
		t.Fatal("the PostgreSQL store has no feed")
	}
	alice := user(t, s, "alice")
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan store.Event, 100)
	go feed.Listen(lctx, func(e store.Event) { events <- e })
	next := func() store.Event {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event in 10 s")
			return store.Event{}
		}
	}
	if e := next(); e.Kind != store.EventResync {
		t.Fatalf("first event %+v, want a resync", e)
	}
	must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q", Answer: "a1"}))
	noErr(t, s.SaveAnswers(ctx, []store.AnswerSave{{User: alice, ID: "a1", Text: "Hel"}, {User: alice, ID: "a1"}}))
	same := func(e store.Event, kind store.EventKind, id string) bool {
		return e.Kind == kind && e.User == alice && e.Answer == id && time.Since(e.Sent) < time.Minute
	}
	if e := next(); !same(e, store.EventText, "a1") {
		t.Fatalf("after a save: %+v", e)
	}
	if m, _ := s.Message(ctx, alice, "a1"); m.Text != "Hel" {
		t.Fatalf("the text the event announced: %q", m.Text)
	}
	noErr(t, feed.NotifyStop(ctx, alice, "a1"))
	if e := next(); !same(e, store.EventStop, "a1") {
		t.Fatalf("after a stop: %+v", e)
	}
	noErr(t, s.EndAnswer(ctx, alice, "a1", store.Message{Text: "Hello", Status: store.StatusDone}))
	if e := next(); !same(e, store.EventEnd, "a1") {
		t.Fatalf("after the end: %+v", e)
	}
	must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q", Answer: "a2"}))
	if n := must[int](t)(s.InterruptUnfinished(ctx, time.Now().Add(time.Second))); n != 1 {
		t.Fatalf("interrupted %d", n)
	}
	if e := next(); !same(e, store.EventEnd, "a2") {
		t.Fatalf("after the interrupt: %+v", e)
	}
	// Many answers at once: several notifications, every event arrives.
	var saves []store.AnswerSave
	for i := range 600 {
		id := fmt.Sprintf("m%03d", i)
		must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q", Answer: id}))
		saves = append(saves, store.AnswerSave{User: alice, ID: id, Text: "x"})
	}
	noErr(t, s.SaveAnswers(ctx, saves))
	seen := map[string]bool{}
	for len(seen) < 600 {
		e := next()
		if e.Kind != store.EventText || !strings.HasPrefix(e.Answer, "m") {
			t.Fatalf("event %+v", e)
		}
		seen[e.Answer] = true
	}
}
