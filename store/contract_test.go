package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// backends are the implementations every contract test runs against.
var backends = []struct {
	name string
	open func(tb testing.TB) store.Store
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	s, err := store.OpenSQLite(context.Background(), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(tb testing.TB) store.Store {
	tb.Helper()
	s, err := store.OpenPostgres(context.Background(), pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// contract runs f against every backend.
func contract(t *testing.T, f func(t *testing.T, s store.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.open(t)) })
	}
}

var ctx = context.Background()

func must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// noErr fails the test on err.
func noErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// user makes a user with a token and returns the user's id.
func user(tb testing.TB, s store.Store, name string) string {
	tb.Helper()
	_, secret, err := s.AddToken(ctx, name, "")
	if err != nil {
		tb.Fatal(err)
	}
	id, err := s.Authenticate(ctx, secret)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// chat makes a conversation with a question and a finished answer.
func chat(tb testing.TB, s store.Store, user, title, q, a string) store.Conversation {
	tb.Helper()
	c, _, err := s.OpenConversation(ctx, user, store.Conversation{Title: title})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.AddMessage(ctx, user, store.Message{Conversation: c.ID, Role: store.RoleUser, Text: q, Status: store.StatusDone}); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.AddMessage(ctx, user, store.Message{Conversation: c.ID, Role: store.RoleAssistant, Text: a, Status: store.StatusDone, Finish: protocol.FinishStop}); err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestTokens(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		tok, secret := func() (store.Token, string) {
			tok, secret, err := s.AddToken(ctx, "alice", "laptop")
			if err != nil {
				t.Fatal(err)
			}
			return tok, secret
		}()
		if len(secret) < 32 || tok.UserName != "alice" || tok.Label != "laptop" {
			t.Fatalf("token %+v %q", tok, secret)
		}
		id, err := s.Authenticate(ctx, secret)
		if err != nil || id != tok.User {
			t.Fatalf("authenticate: %q %v, want %q", id, err, tok.User)
		}
		if name, err := s.UserName(ctx, id); err != nil || name != "alice" {
			t.Errorf("UserName: %q %v, want alice", name, err)
		}
		if _, err := s.UserName(ctx, "no-such-user"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserName of no user: %v, want ErrNotFound", err)
		}
		// A second token of the same user names the same user.
		_, secret2, _ := s.AddToken(ctx, "alice", "phone")
		if id2, _ := s.Authenticate(ctx, secret2); id2 != id {
			t.Fatalf("second token's user %q, want %q", id2, id)
		}
		for _, bad := range []string{"", "x", secret + "x", store.HashToken(secret)} {
			if _, err := s.Authenticate(ctx, bad); !errors.Is(err, store.ErrUnauthorized) {
				t.Errorf("authenticate %q: %v, want ErrUnauthorized", bad, err)
			}
		}
		list := must[[]store.Token](t)(s.Tokens(ctx))
		if len(list) != 2 || list[0].ID != tok.ID || list[0].UserName != "alice" {
			t.Fatalf("tokens %+v", list)
		}
		if err := s.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, store.ErrUnauthorized) {
			t.Fatalf("revoked token: %v", err)
		}
		// Valid, in batches: 1,200 tokens asked, one of them still valid.
		asked := []string{secret, secret2}
		for i := range 1200 {
			asked = append(asked, fmt.Sprint("never-issued-", i))
		}
		valid := must[map[string]bool](t)(s.Valid(ctx, asked))
		if len(valid) != 1 || !valid[secret2] {
			t.Errorf("valid tokens %v, want only the one not revoked", valid)
		}
		if err := s.RevokeToken(ctx, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		// Tokens kept by hash (the old tokens file), once however often.
		for range 2 {
			if err := s.AddTokenHash(ctx, "bob", store.HashToken("old-token"), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Authenticate(ctx, "old-token"); err != nil {
			t.Fatal(err)
		}
		if n := len(must[[]store.Token](t)(s.Tokens(ctx))); n != 2 {
			t.Fatalf("%d tokens, want 2", n)
		}
		if _, _, err := s.AddToken(ctx, "", ""); err == nil {
			t.Fatal("a token for no user name was made")
		}
	})
}

func TestConversations(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		u := user(t, s, "alice")
		c, created, err := s.OpenConversation(ctx, u, store.Conversation{ID: "client-chosen", Title: "  First  ", Channel: 1, App: "translator"})
		if err != nil || !created || c.ID != "client-chosen" || c.Title != "First" {
			t.Fatalf("open: %+v %v %v", c, created, err)
		}
		again, created, err := s.OpenConversation(ctx, u, store.Conversation{ID: "client-chosen", Title: "other"})
		if err != nil || created || again.Title != "First" || again.App != "translator" || again.Channel != 1 {
			t.Fatalf("open again: %+v %v %v", again, created, err)
		}
		if _, _, err := s.OpenConversation(ctx, u, store.Conversation{ID: strings.Repeat("x", 65)}); err == nil {
			t.Fatal("an id of 65 bytes was taken")
		}
		s2 := chat(t, s, u, "Second", "q", "a")
		time.Sleep(2 * time.Millisecond)
		// A message makes a conversation the newest.
		if _, err := s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleUser, Text: "later", Status: store.StatusDone}); err != nil {
			t.Fatal(err)
		}
		list := must[[]store.Conversation](t)(s.Conversations(ctx, u, 0))
		if len(list) != 2 || list[0].ID != c.ID || list[1].ID != s2.ID {
			t.Fatalf("list %+v", list)
		}
		if l := must[[]store.Conversation](t)(s.Conversations(ctx, u, 1)); len(l) != 1 {
			t.Fatalf("limit 1 gave %d", len(l))
		}
		if err := s.RenameConversation(ctx, u, c.ID, "Renamed"); err != nil {
			t.Fatal(err)
		}
		if got := must[store.Conversation](t)(s.Conversation(ctx, u, c.ID)); got.Title != "Renamed" {
			t.Fatalf("title %q", got.Title)
		}
		if err := s.RenameConversation(ctx, u, c.ID, "   "); err == nil {
			t.Fatal("renamed to blank")
		}
		if err := s.RenameConversation(ctx, u, "nope", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rename missing: %v", err)
		}
		long := strings.Repeat("长", 500)
		if err := s.RenameConversation(ctx, u, c.ID, long); err != nil {
			t.Fatal(err)
		}
		if got := must[store.Conversation](t)(s.Conversation(ctx, u, c.ID)); got.Title != long[:3*store.MaxTitleRunes] {
			t.Fatalf("title of %d bytes kept, want %d", len(got.Title), 3*store.MaxTitleRunes)
		}
		if err := s.DeleteConversation(ctx, u, s2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Conversation(ctx, u, s2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted conversation: %v", err)
		}
		if m := must[[]store.Message](t)(s.Messages(ctx, u, s2.ID, 0)); len(m) != 0 {
			t.Fatalf("deleted conversation kept %d messages", len(m))
		}
		if err := s.DeleteConversation(ctx, u, s2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if _, err := s.AddMessage(ctx, u, store.Message{Conversation: s2.ID, Role: store.RoleUser, Status: store.StatusDone}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("message into a deleted conversation: %v", err)
		}
	})
}

func TestMessagesAndAnswers(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		u := user(t, s, "alice")
		c, _, _ := s.OpenConversation(ctx, u, store.Conversation{Title: "t"})
		for i := range 10 {
			if _, err := s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleUser, Text: fmt.Sprint(i), Status: store.StatusDone, Client: "c" + fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		last := must[[]store.Message](t)(s.Messages(ctx, u, c.ID, 3))
		if len(last) != 3 || last[0].Text != "7" || last[2].Text != "9" || last[2].Client != "c9" {
			t.Fatalf("last 3: %+v", last)
		}
		a := must[store.Message](t)(s.AddMessage(ctx, u, store.Message{ID: "answer-1", Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming}))
		for _, chunk := range []string{"Hello", ", 世界", "\x00!"} {
			if err := s.SaveAnswers(ctx, []store.AnswerSave{{User: u, ID: a.ID, Text: chunk}}); err != nil {
				t.Fatal(err)
			}
		}
		got := must[store.Message](t)(s.Message(ctx, u, a.ID))
		if want := "Hello, 世界"; !strings.HasPrefix(got.Text, want) || got.Status != store.StatusStreaming {
			t.Fatalf("streaming answer %+v", got)
		}
		usage := &protocol.Usage{Prompt: 3, Completion: 4, Total: 7}
		if err := s.EndAnswer(ctx, u, a.ID, store.Message{Text: "Hello, 世界!", Status: store.StatusDone, Finish: protocol.FinishStop, Usage: usage}); err != nil {
			t.Fatal(err)
		}
		got = must[store.Message](t)(s.Message(ctx, u, a.ID))
		if got.Text != "Hello, 世界!" || got.Finish != protocol.FinishStop || got.Usage == nil || *got.Usage != *usage {
			t.Fatalf("ended answer %+v", got)
		}
		noErr(t, s.SaveAnswers(ctx, []store.AnswerSave{{User: u, ID: a.ID, Text: "more"}}))
		if got := must[store.Message](t)(s.Message(ctx, u, a.ID)); got.Text != "Hello, 世界!" {
			t.Fatalf("a save after the end changed it: %q", got.Text)
		}
		if err := s.EndAnswer(ctx, u, "nope", store.Message{Status: store.StatusDone}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("end a missing answer: %v", err)
		}
		// A failed answer keeps its code and text.
		f := must[store.Message](t)(s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming}))
		if err := s.EndAnswer(ctx, u, f.ID, store.Message{Text: "par", Status: store.StatusError, ErrorCode: protocol.CodeUpstream, ErrorText: "failed"}); err != nil {
			t.Fatal(err)
		}
		if got := must[store.Message](t)(s.Message(ctx, u, f.ID)); got.ErrorCode != protocol.CodeUpstream || got.ErrorText != "failed" || got.Text != "par" || got.Usage != nil {
			t.Fatalf("failed answer %+v", got)
		}
	})
}

// branch returns the texts of the branch a conversation shows, and the
// number of siblings of each ("" when none).
func branch(t *testing.T, s store.Store, u, conv string) string {
	t.Helper()
	var texts []string
	for _, m := range must[[]store.Message](t)(s.Messages(ctx, u, conv, 0)) {
		text := m.Text
		if len(m.Siblings) > 0 {
			text += fmt.Sprintf("(%d/%d)", slices.Index(m.Siblings, m.ID)+1, len(m.Siblings))
		}
		texts = append(texts, text)
	}
	return strings.Join(texts, " ")
}

// tree returns every message of a conversation as "text<-parent's text".
func tree(t *testing.T, msgs []store.Message) string {
	t.Helper()
	text := map[string]string{"": "-"}
	var out []string
	for _, m := range msgs {
		text[m.ID] = m.Text
		out = append(out, m.Text+"<-"+text[m.Parent])
	}
	return strings.Join(out, " ")
}

// TestBranches: an edit asks its question again beside the original, a
// regenerate adds an answer beside the one it replaces; nothing is
// removed. The conversation shows the branch last asked in or switched
// to, the model gets only that branch's messages, an ask may name the
// message it follows, and export and import keep every branch.
func TestBranches(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		u, bob := user(t, s, "u"), user(t, s, "bob")
		c := chat(t, s, u, "c", "q1", "a1")
		other := chat(t, s, u, "other", "oq", "oa")
		for _, text := range []string{"q2", "a2", "q3", "a3"} {
			role := store.RoleUser
			if text[0] == 'a' {
				role = store.RoleAssistant
			}
			must[store.Message](t)(s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: role, Text: text, Status: store.StatusDone}))
		}
		msgs := must[[]store.Message](t)(s.Messages(ctx, u, c.ID, 0))
		q1, a1, q2, a2 := msgs[0], msgs[1], msgs[2], msgs[3]

		// Edit q2 (replacing a2): q2, a2, q3, a3 stay, on another branch.
		asked := must[store.Asked](t)(s.Ask(ctx, u, store.Ask{Conversation: store.Conversation{ID: c.ID}, Replace: a2.ID, Question: "q2e", Answer: "e1", History: 10}))
		if tree(t, asked.History) != "q1<-- a1<-q1" || asked.Question != "q2e" || asked.QuestionID == "" {
			t.Errorf("edit: history %q, question %q %q", tree(t, asked.History), asked.QuestionID, asked.Question)
		}
		noErr(t, s.EndAnswer(ctx, u, "e1", store.Message{Text: "e1", Status: store.StatusDone}))
		if got := branch(t, s, u, c.ID); got != "q1 a1 q2e(2/2) e1" {
			t.Errorf("after the edit: %q", got)
		}
		// Regenerate e1: the same question, asked again, no new question.
		asked = must[store.Asked](t)(s.Ask(ctx, u, store.Ask{Conversation: store.Conversation{ID: c.ID}, Replace: "e1", Regenerate: true, Question: "ignored", Answer: "r1", History: 10}))
		if tree(t, asked.History) != "q1<-- a1<-q1" || asked.Question != "q2e" {
			t.Errorf("regenerate: history %q, question %q", tree(t, asked.History), asked.Question)
		}
		noErr(t, s.EndAnswer(ctx, u, "r1", store.Message{Text: "r1", Status: store.StatusDone}))
		if got := branch(t, s, u, c.ID); got != "q1 a1 q2e(2/2) r1(2/2)" {
			t.Errorf("after the regenerate: %q", got)
		}
		all := must[[]store.Message](t)(s.Tree(ctx, u, c.ID))
		if got := tree(t, all); got != "q1<-- a1<-q1 q2<-a1 a2<-q2 q3<-a2 a3<-q3 q2e<-a1 e1<-q2e r1<-q2e" {
			t.Errorf("tree %q", got)
		}

		// Switch to the first branch: its newest message is shown; a
		// message of the branch shown changes nothing.
		noErr(t, s.ShowBranch(ctx, u, c.ID, q2.ID))
		if got := branch(t, s, u, c.ID); got != "q1 a1 q2(1/2) a2 q3 a3" {
			t.Errorf("switched to q2: %q", got)
		}
		if cv := must[store.Conversation](t)(s.Conversation(ctx, u, c.ID)); cv.Leaf != msgs[5].ID {
			t.Errorf("leaf %q, want a3's %q", cv.Leaf, msgs[5].ID)
		}
		noErr(t, s.ShowBranch(ctx, u, c.ID, a1.ID))
		if got := branch(t, s, u, c.ID); got != "q1 a1 q2(1/2) a2 q3 a3" {
			t.Errorf("a1 shown: %q", got)
		}
		// The last of the last branch: r1 over e1.
		noErr(t, s.ShowBranch(ctx, u, c.ID, asked.QuestionID))
		if got := branch(t, s, u, c.ID); got != "q1 a1 q2e(2/2) r1(2/2)" {
			t.Errorf("switched to q2e: %q", got)
		}
		noErr(t, s.ShowBranch(ctx, u, c.ID, "e1"))
		if got := branch(t, s, u, c.ID); got != "q1 a1 q2e(2/2) e1(1/2)" {
			t.Errorf("switched to e1: %q", got)
		}
		// An ask follows the branch shown, or the message it names.
		asked = must[store.Asked](t)(s.Ask(ctx, u, store.Ask{Conversation: store.Conversation{ID: c.ID}, Question: "q4", Answer: "x4", History: 10}))
		if tree(t, asked.History) != "q1<-- a1<-q1 q2e<-a1 e1<-q2e" {
			t.Errorf("history of an ask on e1's branch: %q", tree(t, asked.History))
		}
		asked = must[store.Asked](t)(s.Ask(ctx, u, store.Ask{Conversation: store.Conversation{ID: c.ID}, Parent: a1.ID, Question: "q5", Answer: "x5", History: 1}))
		if tree(t, asked.History) != "a1<-" {
			t.Errorf("history of an ask after a1, one message: %q", tree(t, asked.History))
		}
		if got := branch(t, s, u, c.ID); got != "q1 a1 q5(3/3) " {
			t.Errorf("after an ask after a1: %q", got)
		}

		// What is not there is not found, and nothing is written.
		before := len(must[[]store.Message](t)(s.Tree(ctx, u, c.ID)))
		om := must[[]store.Message](t)(s.Messages(ctx, u, other.ID, 0))
		for _, a := range []store.Ask{
			{Replace: "gone"}, {Replace: om[1].ID}, {Replace: q1.ID}, {Parent: om[0].ID}, {Parent: "gone"}, {Replace: "gone", Regenerate: true},
		} {
			a.Conversation, a.Question, a.Answer = store.Conversation{ID: c.ID}, "x", "y"+a.Replace+a.Parent
			if _, err := s.Ask(ctx, u, a); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ask %+v: %v, want not found", a, err)
			}
		}
		if n := len(must[[]store.Message](t)(s.Tree(ctx, u, c.ID))); n != before {
			t.Errorf("refused asks wrote: %d messages, want %d", n, before)
		}
		for _, id := range []string{"gone", om[0].ID} {
			if err := s.ShowBranch(ctx, u, c.ID, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("show %q: %v", id, err)
			}
		}
		if err := s.ShowBranch(ctx, bob, c.ID, q2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob shows u's branch: %v", err)
		}
		if got := must[[]store.Message](t)(s.Messages(ctx, u, other.ID, 0)); len(got) != 2 {
			t.Errorf("the other conversation has %d messages, want its 2", len(got))
		}

		// Search finds every branch, the one not shown too.
		if hits := must[[]store.Hit](t)(s.Search(ctx, u, "q2e", 10)); len(hits) == 0 || hits[0].Conversation != c.ID {
			t.Errorf("search in a branch not shown: %+v", hits)
		}

		// An export from before branches (no parents) is one branch.
		old := store.Export{Conversation: store.Conversation{ID: "old", Title: "old"}, Messages: []store.Message{
			{ID: "x1", Role: store.RoleUser, Text: "o1"}, {ID: "x2", Role: store.RoleAssistant, Text: "o2"}, {ID: "x3", Role: store.RoleUser, Text: "o3"}}}
		must[int](t)(s.Import(ctx, u, []store.Export{old}))
		if got := tree(t, must[[]store.Message](t)(s.Tree(ctx, u, "old"))); got != "o1<-- o2<-o1 o3<-o2" {
			t.Errorf("an export without parents imported as %q", got)
		}

		// Export and import keep every branch and the one shown.
		noErr(t, s.ShowBranch(ctx, u, c.ID, q2.ID))
		exp := exportAll(t, s, u)
		must[int](t)(s.Import(ctx, bob, exp))
		if got, want := tree(t, must[[]store.Message](t)(s.Tree(ctx, bob, c.ID))), tree(t, must[[]store.Message](t)(s.Tree(ctx, u, c.ID))); got != want {
			t.Errorf("imported tree %q, want %q", got, want)
		}
		if got := branch(t, s, bob, c.ID); got != "q1 a1 q2(1/3) a2 q3 a3" {
			t.Errorf("imported branch shown: %q", got)
		}
		i := slices.IndexFunc(exp, func(e store.Export) bool { return e.ID == c.ID })
		md := store.Markdown(exp[i])
		for _, want := range []string{"## You (branch 1 of 3)\n\nq2", "## You (branch 2 of 3)\n\nq2e", "## Assistant (branch 2 of 2)\n\nr1", "## You (branch 3 of 3)\n\nq5"} {
			if !strings.Contains(md, want) {
				t.Errorf("markdown lacks %q:\n%s", want, md)
			}
		}
	})
}

func TestInterruptUnfinished(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		u := user(t, s, "alice")
		c, _, _ := s.OpenConversation(ctx, u, store.Conversation{Title: "t"})
		old := must[store.Message](t)(s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming}))
		if err := s.SaveAnswers(ctx, []store.AnswerSave{{User: u, ID: old.ID, Text: "half an ans"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		cut := time.Now()
		time.Sleep(5 * time.Millisecond)
		live := must[store.Message](t)(s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming}))
		if n := must[int](t)(s.InterruptUnfinished(ctx, cut)); n != 1 {
			t.Fatalf("interrupted %d answers, want the 1 written before the cut", n)
		}
		got := must[store.Message](t)(s.Message(ctx, u, old.ID))
		if got.Status != store.StatusDone || got.Finish != protocol.FinishInterrupted || got.Text != "half an ans" {
			t.Fatalf("interrupted answer %+v", got)
		}
		if got := must[store.Message](t)(s.Message(ctx, u, live.ID)); got.Status != store.StatusStreaming {
			t.Fatalf("live answer %+v", got)
		}
		if err := s.SaveAnswers(ctx, []store.AnswerSave{{User: u, ID: live.ID}}); err != nil {
			t.Fatal(err)
		}
		if n := must[int](t)(s.InterruptUnfinished(ctx, time.Now().Add(time.Second))); n != 1 {
			t.Fatalf("interrupted %d, want 1", n)
		}
	})
}

// TestIsolation: nothing of one user's is reachable with another's id.
func TestIsolation(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		c := chat(t, s, alice, "secret plans", "the secret question", "the secret answer")
		msgs := must[[]store.Message](t)(s.Messages(ctx, alice, c.ID, 0))
		answer := msgs[1]

		if _, err := s.Conversation(ctx, bob, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob read alice's conversation: %v", err)
		}
		if m := must[[]store.Message](t)(s.Messages(ctx, bob, c.ID, 0)); len(m) != 0 {
			t.Errorf("bob read alice's messages: %+v", m)
		}
		if _, err := s.Message(ctx, bob, answer.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob read alice's answer: %v", err)
		}
		if err := s.RenameConversation(ctx, bob, c.ID, "pwned"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob renamed alice's conversation: %v", err)
		}
		if err := s.DeleteConversation(ctx, bob, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob deleted alice's conversation: %v", err)
		}
		if _, err := s.AddMessage(ctx, bob, store.Message{Conversation: c.ID, Role: store.RoleUser, Status: store.StatusDone}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob wrote into alice's conversation: %v", err)
		}
		if err := s.EndAnswer(ctx, bob, answer.ID, store.Message{Text: "pwned", Status: store.StatusDone}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob ended alice's answer: %v", err)
		}
		if h := must[[]store.Hit](t)(s.Search(ctx, bob, "secret", 0)); len(h) != 0 {
			t.Errorf("bob found alice's text: %+v", h)
		}
		if e := exportAll(t, s, bob); len(e) != 0 {
			t.Errorf("bob exported alice's conversations: %+v", e)
		}
		if _, err := s.Ask(ctx, bob, store.Ask{Conversation: store.Conversation{ID: c.ID}, Replace: msgs[1].ID, Question: "x", Answer: "b9"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob replaced in alice's conversation: %v", err)
		}
		// Bob opening a conversation of the same id gets his own.
		mine, created, err := s.OpenConversation(ctx, bob, store.Conversation{ID: c.ID, Title: "bob's"})
		if err != nil || !created || mine.Title != "bob's" {
			t.Fatalf("bob's conversation of alice's id: %+v %v %v", mine, created, err)
		}
		if m := must[[]store.Message](t)(s.Messages(ctx, bob, c.ID, 0)); len(m) != 0 {
			t.Errorf("bob's new conversation shows alice's messages: %+v", m)
		}
		// Alice's is untouched.
		if got := must[[]store.Message](t)(s.Messages(ctx, alice, c.ID, 0)); len(got) != 2 || got[1].Text != "the secret answer" {
			t.Errorf("alice's messages now %+v", got)
		}
		if got := must[store.Conversation](t)(s.Conversation(ctx, alice, c.ID)); got.Title != "secret plans" {
			t.Errorf("alice's title now %q", got.Title)
		}
	})
}

func TestSearch(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		u := user(t, s, "alice")
		chat(t, s, u, "Go generics", "How do type parameters work?", "Type parameters let a function take types as arguments.")
		chat(t, s, u, "翻译", "请把这句话翻译成英文：今天天气很好。", "The weather is nice today.")
		chat(t, s, u, "percent", "what is 100% of x_y?", "all of it")
		hits := must[[]store.Hit](t)(s.Search(ctx, u, "TYPE PARAM", 0))
		if len(hits) != 2 || hits[0].Role != store.RoleAssistant || !strings.Contains(strings.ToLower(hits[0].Snippet), "type param") {
			t.Fatalf("case-insensitive search: %+v", hits)
		}
		hits = must[[]store.Hit](t)(s.Search(ctx, u, "天气", 0))
		if len(hits) != 1 || hits[0].Title != "翻译" || !strings.Contains(hits[0].Snippet, "今天天气很好") {
			t.Fatalf("Chinese search: %+v", hits)
		}
		if hits = must[[]store.Hit](t)(s.Search(ctx, u, "generics", 0)); len(hits) != 1 || hits[0].Message != "" {
			t.Fatalf("title search: %+v", hits)
		}
		// LIKE's wildcards are literal.
		if hits = must[[]store.Hit](t)(s.Search(ctx, u, "0%", 0)); len(hits) != 1 {
			t.Fatalf("search for 0%%: %+v", hits)
		}
		if hits = must[[]store.Hit](t)(s.Search(ctx, u, "x_y", 0)); len(hits) != 1 {
			t.Fatalf("search for x_y: %+v", hits)
		}
		if hits = must[[]store.Hit](t)(s.Search(ctx, u, "a_b%", 0)); len(hits) != 0 {
			t.Fatalf("search for a_b%%: %+v", hits)
		}
		if hits = must[[]store.Hit](t)(s.Search(ctx, u, "  ", 0)); len(hits) != 0 {
			t.Fatalf("blank search: %+v", hits)
		}
		// Every script folds, not only ASCII.
		chat(t, s, u, "Приветствие", "Скажи ПРИВЕТ по-гречески", "Καλημέρα! ΚΑΛΗΜΈΡΑ σημαίνει «доброе утро». Τέλος")
		for q, want := range map[string]string{"привет": "Скажи ПРИВЕТ", "ПРИВЕТСТВИЕ": "Приветствие", "καλημέρα": "Καλημέρα", "ΚΑΛΗΜΈΡΑ": "Καλημέρα", "ΤΈΛΟΣ": "Τέλος"} {
			found := false
			for _, h := range must[[]store.Hit](t)(s.Search(ctx, u, q, 0)) {
				found = found || strings.Contains(h.Snippet, want)
			}
			if !found {
				t.Errorf("search %q found nothing showing %q", q, want)
			}
		}
	})
}

// exportAll returns all of user's conversations as Export gives them.
func exportAll(t *testing.T, s store.Store, user string) []store.Export {
	t.Helper()
	out := []store.Export{}
	if err := s.Export(ctx, user, func(e store.Export) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExportImport(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		chat(t, s, alice, "one", "q1", "a1")
		c2 := chat(t, s, alice, "two", "q2", "a2 **bold**")
		exp := exportAll(t, s, alice)
		if len(exp) != 2 || exp[0].ID != c2.ID || len(exp[0].Messages) != 2 || exp[0].Messages[1].Text != "a2 **bold**" {
			t.Fatalf("export %+v", exp)
		}
		if n := must[int](t)(s.Import(ctx, bob, exp)); n != 2 {
			t.Fatalf("imported %d, want 2", n)
		}
		if n := must[int](t)(s.Import(ctx, bob, exp)); n != 0 {
			t.Fatalf("imported %d the second time, want 0", n)
		}
		got := exportAll(t, s, bob)
		if len(got) != 2 {
			t.Fatalf("bob has %d conversations", len(got))
		}
		for i := range got {
			if got[i].ID != exp[i].ID || got[i].Title != exp[i].Title || !got[i].Created.Equal(exp[i].Created) || len(got[i].Messages) != len(exp[i].Messages) {
				t.Fatalf("round trip %d: %+v, want %+v", i, got[i], exp[i])
			}
			for j, m := range got[i].Messages {
				if w := exp[i].Messages[j]; m.Text != w.Text || m.Role != w.Role || m.Finish != w.Finish {
					t.Fatalf("message %d/%d: %+v, want %+v", i, j, m, w)
				}
			}
		}
		if _, err := s.Import(ctx, bob, []store.Export{{Conversation: store.Conversation{ID: strings.Repeat("x", 100)}}}); err == nil {
			t.Fatal("imported an id of 100 bytes")
		}
	})
}

// TestConcurrentStreams: many answers streaming into one store at once
// lose and interleave nothing.
func TestConcurrentStreams(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		const streams, chunks = 16, 40
		users := []string{user(t, s, "alice"), user(t, s, "bob")}
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		ids := make([]string, streams)
		for i := range streams {
			u := users[i%2]
			c, _, err := s.OpenConversation(ctx, u, store.Conversation{Title: fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			m, err := s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = m.ID
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range chunks {
					if err := s.SaveAnswers(ctx, []store.AnswerSave{{User: u, ID: m.ID, Text: fmt.Sprintf("<%d:%d>", i, j)}}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for i, id := range ids {
			var want strings.Builder
			for j := range chunks {
				fmt.Fprintf(&want, "<%d:%d>", i, j)
			}
			if got := must[store.Message](t)(s.Message(ctx, users[i%2], id)); got.Text != want.String() {
				t.Fatalf("stream %d: %q", i, got.Text)
			}
		}
	})
}

func TestSQLiteReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := store.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	u := user(t, s, "alice")
	c := chat(t, s, u, "kept", "q", "a")
	s.Close()
	s, err = store.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := must[store.Conversation](t)(s.Conversation(ctx, u, c.ID)); got.Title != "kept" {
		t.Fatalf("after reopen: %+v", got)
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"  hello\nworld":        "hello",
		"":                      "New chat",
		strings.Repeat("字", 80): strings.Repeat("字", 59) + "…",
	} {
		if got := store.Title(in); got != want {
			t.Errorf("Title(%q) = %q, want %q", in, got, want)
		}
	}
}

// texts lists a conversation's messages as role:text:status.
func texts(tb testing.TB, s store.Store, user, conv string) []string {
	tb.Helper()
	var out []string
	for _, m := range must[[]store.Message](tb)(s.Messages(ctx, user, conv, 0)) {
		out = append(out, m.Role+":"+m.Text+":"+m.Status)
	}
	return out
}

func TestAsk(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		first := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{
			Conversation: store.Conversation{Title: "first", Channel: 1, App: "tr"},
			Question:     "q1", Client: "c1", Answer: "a1", History: 10,
		}))
		c := first.Conversation
		if c.ID == "" || c.Title != "first" || c.Channel != 1 || c.App != "tr" || len(first.History) != 0 {
			t.Fatalf("first ask: %+v", first)
		}
		if got := must[store.Message](t)(s.Message(ctx, alice, "a1")); got.Role != store.RoleAssistant || got.Status != store.StatusStreaming || got.Client != "c1" || got.Conversation != c.ID {
			t.Fatalf("the answer's row: %+v", got)
		}
		noErr(t, s.EndAnswer(ctx, alice, "a1", store.Message{Text: "r1", Status: store.StatusDone, Finish: protocol.FinishStop}))
		second := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: c.ID, Title: "ignored"}, Question: "q2", Answer: "a2", History: 10}))
		if second.Conversation.Title != "first" || len(second.History) != 2 || second.History[0].Text != "q1" || second.History[1].Text != "r1" {
			t.Fatalf("second ask: %+v", second)
		}
		noErr(t, s.EndAnswer(ctx, alice, "a2", store.Message{Text: "r2", Status: store.StatusDone, Finish: protocol.FinishStop}))
		// History is bounded to the last messages.
		if h := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: c.ID}, Question: "q3", Answer: "a3", History: 1})).History; len(h) != 1 || h[0].Text != "r2" {
			t.Fatalf("history of 1: %+v", h)
		}
		noErr(t, s.EndAnswer(ctx, alice, "a3", store.Message{Text: "r3", Status: store.StatusDone, Finish: protocol.FinishStop}))

		// Replace a2: q2 and everything after it go, in the same
		// transaction as the new question goes in.
		r := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: c.ID}, Replace: "a2", Question: "q2'", Answer: "a4", History: 10}))
		if len(r.History) != 2 || r.History[1].Text != "r1" {
			t.Fatalf("history after the replace: %+v", r.History)
		}
		want := []string{"user:q1:done", "assistant:r1:done", "user:q2':done", "assistant::streaming"}
		if got := texts(t, s, alice, c.ID); !slices.Equal(got, want) {
			t.Fatalf("after the replace: %q, want %q", got, want)
		}
		// What it cannot replace is not found, and nothing is written:
		// an unknown answer, a question, another user's answer.
		q1 := must[[]store.Message](t)(s.Messages(ctx, alice, c.ID, 0))[0].ID
		bobs := must[store.Asked](t)(s.Ask(ctx, bob, store.Ask{Question: "bq", Answer: "b1"}))
		for _, id := range []string{"nope", q1, "b1"} {
			_, err := s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: c.ID}, Replace: id, Question: "x", Answer: "a5"})
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("replace %s: %v, want ErrNotFound", id, err)
			}
		}
		if got := texts(t, s, alice, c.ID); !slices.Equal(got, want) {
			t.Fatalf("after refused replaces: %q, want %q", got, want)
		}
		if got := texts(t, s, bob, bobs.Conversation.ID); !slices.Equal(got, []string{"user:bq:done", "assistant::streaming"}) {
			t.Fatalf("bob's conversation: %q", got)
		}
		if _, err := s.Ask(ctx, alice, store.Ask{Question: "x", Answer: strings.Repeat("x", 100)}); err == nil {
			t.Error("asked with an answer id of 100 bytes")
		}

		// Several users' asks in one transaction: the one that cannot be
		// recorded is not, the others are.
		out := must[[]store.Asked](t)(s.Asks(ctx, []store.Ask{
			{User: bob, Question: "b2", Answer: "b2"},
			{User: alice, Conversation: store.Conversation{ID: c.ID}, Replace: "nope", Question: "x", Answer: "a6"},
			{User: alice, Question: "new", Answer: "a7", Client: strings.Repeat("x", 100)},
			{User: alice, Conversation: store.Conversation{ID: c.ID}, Question: "q5", Answer: "a8"},
		}))
		if len(out) != 4 || out[0].Err != nil || !errors.Is(out[1].Err, store.ErrNotFound) || out[2].Err == nil || out[3].Err != nil {
			t.Fatalf("asks: %+v", out)
		}
		if got := texts(t, s, alice, c.ID); !slices.Equal(got, append(want, "user:q5:done", "assistant::streaming")) {
			t.Fatalf("alice's conversation after the asks: %q", got)
		}
		if got := texts(t, s, bob, out[0].Conversation.ID); !slices.Equal(got, []string{"user:b2:done", "assistant::streaming"}) {
			t.Fatalf("bob's new conversation: %q", got)
		}
		for _, id := range []string{"a6", "a7"} {
			if _, err := s.Message(ctx, alice, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the failed ask's answer %s: %v, want none", id, err)
			}
		}
	})
}

func TestSaveAnswers(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q", Answer: "a1"}))
		must[store.Asked](t)(s.Ask(ctx, bob, store.Ask{Question: "q", Answer: "b1"}))
		must[store.Asked](t)(s.Ask(ctx, bob, store.Ask{Question: "q", Answer: "b2"}))
		noErr(t, s.EndAnswer(ctx, bob, "b2", store.Message{Text: "whole", Status: store.StatusDone}))
		for _, text := range []string{"Hel", "lo, 世界"} {
			noErr(t, s.SaveAnswers(ctx, []store.AnswerSave{
				{User: alice, ID: "a1", Text: text}, {User: bob, ID: "b1", Text: text + "!"},
				{User: bob, ID: "b2", Text: "late"}, // ended: unchanged
				{User: bob, ID: "a1", Text: "not bob's"},
			}))
		}
		for _, w := range []struct{ user, id, text string }{{alice, "a1", "Hello, 世界"}, {bob, "b1", "Hel!lo, 世界!"}, {bob, "b2", "whole"}} {
			if got := must[store.Message](t)(s.Message(ctx, w.user, w.id)); got.Text != w.text {
				t.Errorf("%s: %q, want %q", w.id, got.Text, w.text)
			}
		}
		// A save with no text marks the answer alive: it is not taken
		// for a dead server's.
		time.Sleep(5 * time.Millisecond)
		cut := time.Now()
		time.Sleep(5 * time.Millisecond)
		noErr(t, s.SaveAnswers(ctx, []store.AnswerSave{{User: alice, ID: "a1"}}))
		if n := must[int](t)(s.InterruptUnfinished(ctx, cut)); n != 1 {
			t.Errorf("interrupted %d answers, want 1 (bob's, not the one just saved)", n)
		}
		if got := must[store.Message](t)(s.Message(ctx, alice, "a1")); got.Status != store.StatusStreaming || got.Text != "Hello, 世界" {
			t.Errorf("after a save without text: %+v", got)
		}
	})
}

// TestImportLong: a conversation longer than one of the import's
// transactions comes in whole and in order.
func TestImportLong(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice := user(t, s, "alice")
		e := store.Export{Conversation: store.Conversation{ID: "long", Title: "long"}}
		for i := range 1234 {
			e.Messages = append(e.Messages, store.Message{Role: []string{store.RoleUser, store.RoleAssistant}[i%2], Text: strconv.Itoa(i), Status: store.StatusDone})
		}
		short := store.Export{Conversation: store.Conversation{ID: "short"}, Messages: e.Messages[:2]}
		if n := must[int](t)(s.Import(ctx, alice, []store.Export{short, e, short})); n != 2 {
			t.Fatalf("imported %d, want 2", n)
		}
		got := must[[]store.Message](t)(s.Messages(ctx, alice, "long", 0))
		if len(got) != len(e.Messages) {
			t.Fatalf("%d messages, want %d", len(got), len(e.Messages))
		}
		for i, m := range got {
			if m.Text != strconv.Itoa(i) {
				t.Fatalf("message %d is %q", i, m.Text)
			}
		}
		if n := must[int](t)(s.Import(ctx, alice, []store.Export{e})); n != 0 {
			t.Fatalf("imported %d the second time, want 0", n)
		}
	})
}

// TestAskOnce: a user's client id has one answer, whoever records it: an
// ask sent again (to another instance, after a restart) joins it and
// writes nothing; a replace sent again replaces nothing twice. Another
// user's same client id is another ask.
func TestAskOnce(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		first := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q", Client: "c1", Answer: "a1"}))
		again := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q", Client: "c1", Answer: "a2"}))
		if first.Existing != "" || again.Existing != "a1" || again.Conversation.ID != first.Conversation.ID {
			t.Fatalf("asked again: %+v after %+v", again, first)
		}
		if got := texts(t, s, alice, first.Conversation.ID); len(got) != 2 {
			t.Fatalf("after the ask sent twice: %q", got)
		}
		noErr(t, s.EndAnswer(ctx, alice, "a1", store.Message{Text: "r", Status: store.StatusDone}))
		r := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: first.Conversation.ID}, Replace: "a1", Question: "q'", Client: "c2", Answer: "a3"}))
		r2 := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: first.Conversation.ID}, Replace: "a1", Question: "q'", Client: "c2", Answer: "a4"}))
		if r.Existing != "" || r2.Existing != "a3" {
			t.Fatalf("replace sent again: %+v, then %+v", r, r2)
		}
		if got := texts(t, s, alice, first.Conversation.ID); !slices.Equal(got, []string{"user:q':done", "assistant::streaming"}) {
			t.Fatalf("after the replace sent twice: %q", got)
		}
		if b := must[store.Asked](t)(s.Ask(ctx, bob, store.Ask{Question: "q", Client: "c1", Answer: "b1"})); b.Existing != "" {
			t.Fatalf("bob's ask with alice's client id: %+v", b)
		}
	})
}

// TestSQLiteFileMode: the database and its WAL are the owner's alone, also
// in a data folder that already existed open to others.
func TestSQLiteFileMode(t *testing.T) {
	dir := t.TempDir()
	noErr(t, os.Chmod(dir, 0o755))
	s, err := store.OpenSQLite(ctx, dir)
	noErr(t, err)
	defer s.Close()
	user(t, s, "alice") // a write: the WAL exists
	for _, name := range []string{store.SQLiteFile, store.SQLiteFile + "-wal"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s is %v, want -rw-------", name, mode)
		}
	}
}

// TestAskModel: an ask's model is the conversation's from then on, and its
// answer keeps the model it came from; both survive an export and import.
func TestAskModel(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		first := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "q1", Answer: "a1", AnswerModel: "small"}))
		conv := first.Conversation.ID
		if first.Conversation.Model != "" {
			t.Errorf("a question naming no model set the conversation's to %q", first.Conversation.Model)
		}
		second := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: conv}, Question: "q2", Answer: "a2", Model: "large", AnswerModel: "large"}))
		if second.Conversation.Model != "large" {
			t.Errorf("conversation model %q after asking with large", second.Conversation.Model)
		}
		if m := must[store.Message](t)(s.Message(ctx, alice, "a1")); m.Model != "small" {
			t.Errorf("first answer's model %q", m.Model)
		}
		exp := exportAll(t, s, alice)
		must[int](t)(s.Import(ctx, bob, exp))
		got := exportAll(t, s, bob)
		if len(got) != 1 || got[0].Model != "large" || got[0].Messages[3].Model != "large" || got[0].Messages[1].Model != "small" {
			t.Errorf("imported %+v", got)
		}
	})
}

// TestShares: a share keeps a snapshot under an unguessable secret, the
// same on sharing again (with the new snapshot); another user can neither
// share nor unshare it; unsharing or deleting the conversation ends it. A
// conversation's temperature comes back exactly.
func TestShares(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		c := chat(t, s, alice, "shared", "q", "a")
		secret := must[string](t)(s.Share(ctx, alice, c.ID, []byte(`{"v":1}`)))
		if len(secret) < 26 {
			t.Errorf("secret %q: under 128 bits", secret)
		}
		if again := must[string](t)(s.Share(ctx, alice, c.ID, []byte(`{"v":2}`))); again != secret {
			t.Errorf("sharing again gave another secret")
		}
		if got := must[[]byte](t)(s.Shared(ctx, secret)); string(got) != `{"v":2}` {
			t.Errorf("snapshot %s", got)
		}
		if shares := must[map[string]string](t)(s.Shares(ctx, alice)); shares[c.ID] != secret || len(shares) != 1 {
			t.Errorf("shares %v", shares)
		}
		if _, err := s.Share(ctx, bob, c.ID, []byte(`{}`)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob shared alice's conversation: %v", err)
		}
		if err := s.Unshare(ctx, bob, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob unshared alice's conversation: %v", err)
		}
		if err := s.Unshare(ctx, alice, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Shared(ctx, secret); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unshared, still shown: %v", err)
		}
		second := must[string](t)(s.Share(ctx, alice, c.ID, []byte(`{}`)))
		if err := s.DeleteConversation(ctx, alice, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Shared(ctx, second); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted conversation still shared: %v", err)
		}
		d := chat(t, s, alice, "temperature", "q", "a")
		temp := 0.3
		if err := s.SetInstructions(ctx, alice, d.ID, "be brief", &temp); err != nil {
			t.Fatal(err)
		}
		if got := must[store.Conversation](t)(s.Conversation(ctx, alice, d.ID)); got.System != "be brief" || got.Temperature == nil || *got.Temperature != 0.3 {
			t.Errorf("instructions %q %v", got.System, got.Temperature)
		}
	})
}

// TestImportChatGPTBranches: a ChatGPT export with an edited question
// imports both versions, showing the one ChatGPT showed last.
func TestImportChatGPTBranches(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		u := user(t, s, "u")
		convs := must[[]store.Export](t)(store.DecodeImport([]byte(chatGPTExport)))
		if n := must[int](t)(s.Import(ctx, u, convs)); n != 1 {
			t.Fatalf("imported %d", n)
		}
		if got := branch(t, s, u, "gpt-conv-1"); got != "What is the capital of France?(1/2) Paris. And of Italy? Rome." {
			t.Errorf("shown: %q", got)
		}
		all := must[[]store.Message](t)(s.Tree(ctx, u, "gpt-conv-1"))
		if got := tree(t, all); got != "What is the capital of France?<-- Paris.<-What is the capital of France? And of Italy?<-Paris. Rome.<-And of Italy? an abandoned edit<--" {
			t.Errorf("tree %q", got)
		}
		noErr(t, s.ShowBranch(ctx, u, "gpt-conv-1", all[4].ID))
		if got := branch(t, s, u, "gpt-conv-1"); got != "an abandoned edit(2/2)" {
			t.Errorf("the other version: %q", got)
		}
	})
}

// TestFiles: a file is its uploader's alone, counts against their quota,
// is asked with in one conversation (and its edits and regenerates), goes
// with it, and an export carries it to an import.
func TestFiles(t *testing.T) {
	contract(t, func(t *testing.T, s store.Store) {
		alice, bob := user(t, s, "alice"), user(t, s, "bob")
		png := []byte("\x89PNG\r\n\x1a\n fake image bytes")
		img := must[store.Attachment](t)(s.AddFile(ctx, alice, store.FileData{Attachment: store.Attachment{Name: "cat.png", Type: "image/png"}, Data: png}, 1000))
		if img.ID == "" || img.Size != len(png) || img.Name != "cat.png" {
			t.Fatalf("added %+v", img)
		}
		if got := must[store.FileData](t)(s.File(ctx, alice, img.ID)); string(got.Data) != string(png) || got.Type != "image/png" {
			t.Errorf("read back %+v", got.Attachment)
		}
		if _, err := s.File(ctx, bob, img.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob reads alice's file: %v", err)
		}
		if _, err := s.AddFile(ctx, alice, store.FileData{Attachment: store.Attachment{Name: "big.txt", Type: "text/plain"}, Data: make([]byte, 1000)}, 1000); !errors.Is(err, store.ErrQuota) {
			t.Errorf("over the quota: %v", err)
		}
		if _, err := s.Ask(ctx, bob, store.Ask{Question: "mine?", Answer: "b1", Attachments: []string{img.ID}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob asks with alice's file: %v", err)
		}

		asked := must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Question: "what is this?", Answer: "a1", Attachments: []string{img.ID}}))
		if len(asked.Files) != 1 || asked.Files[0].Attachment != img {
			t.Fatalf("asked with %+v", asked.Files)
		}
		conv := asked.Conversation.ID
		noErr(t, s.EndAnswer(ctx, alice, "a1", store.Message{Text: "a cat", Status: store.StatusDone}))
		msgs := must[[]store.Message](t)(s.Messages(ctx, alice, conv, 0))
		if len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0] != img {
			t.Errorf("the question lists %+v, want %+v", msgs[0].Attachments, img)
		}
		// Another conversation cannot take it; its own edits and
		// regenerates can.
		if _, err := s.Ask(ctx, alice, store.Ask{Question: "again", Answer: "x1", Attachments: []string{img.ID}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("asked in a second conversation: %v", err)
		}
		asked = must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: conv}, Replace: "a1", Regenerate: true, Answer: "a2"}))
		if len(asked.Files) != 1 || asked.Files[0].ID != img.ID {
			t.Errorf("regenerate asked with %+v", asked.Files)
		}
		noErr(t, s.EndAnswer(ctx, alice, "a2", store.Message{Text: "a cat, again", Status: store.StatusDone}))
		asked = must[store.Asked](t)(s.Ask(ctx, alice, store.Ask{Conversation: store.Conversation{ID: conv}, Replace: "a2", Question: "what is it, edited", Answer: "a3", Attachments: []string{img.ID}}))
		if len(asked.Files) != 1 {
			t.Errorf("edit asked with %+v", asked.Files)
		}
		noErr(t, s.EndAnswer(ctx, alice, "a3", store.Message{Text: "still a cat", Status: store.StatusDone}))

		// Export and import: bob gets a copy, under ids of his own.
		var exp []store.Export
		noErr(t, s.Export(ctx, alice, func(e store.Export) error { exp = append(exp, e); return nil }))
		if len(exp) != 1 || len(exp[0].Files) != 1 || string(exp[0].Files[0].Data) != string(png) {
			t.Fatalf("export %+v", exp)
		}
		must[int](t)(s.Import(ctx, bob, exp))
		got := must[[]store.Message](t)(s.Messages(ctx, bob, conv, 0))
		if len(got[0].Attachments) != 1 || got[0].Attachments[0].ID == img.ID {
			t.Fatalf("imported question lists %+v", got[0].Attachments)
		}
		if f := must[store.FileData](t)(s.File(ctx, bob, got[0].Attachments[0].ID)); string(f.Data) != string(png) || f.Name != "cat.png" {
			t.Errorf("imported file %+v", f.Attachment)
		}

		// Deleting the conversation deletes its file, and frees the quota.
		noErr(t, s.DeleteConversation(ctx, alice, conv))
		if _, err := s.File(ctx, alice, img.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a deleted conversation's file: %v", err)
		}
		big := must[store.Attachment](t)(s.AddFile(ctx, alice, store.FileData{Attachment: store.Attachment{Name: "big.txt", Type: "text/plain"}, Data: make([]byte, 1000)}, 1000))

		// A file never asked with is kept a day, then goes at the next
		// upload and no longer counts; one asked with stays.
		kept := must[store.Attachment](t)(s.AddFile(ctx, bob, store.FileData{Attachment: store.Attachment{Name: "b.txt", Type: "text/plain"}, Data: []byte("b")}, 1000))
		noErr(t, store.AgeFiles(s, alice, store.UnaskedFileAge-time.Minute))
		if _, err := s.AddFile(ctx, alice, store.FileData{Attachment: store.Attachment{Name: "small.txt", Type: "text/plain"}, Data: []byte("x")}, 1000); !errors.Is(err, store.ErrQuota) {
			t.Errorf("a file not asked with for a day less a minute was swept: %v", err)
		}
		noErr(t, store.AgeFiles(s, alice, 2*time.Minute))
		noErr(t, store.AgeFiles(s, bob, 2*store.UnaskedFileAge))
		must[store.Attachment](t)(s.AddFile(ctx, alice, store.FileData{Attachment: store.Attachment{Name: "small.txt", Type: "text/plain"}, Data: []byte("x")}, 1000))
		if _, err := s.File(ctx, alice, big.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a file not asked with for a day: %v", err)
		}
		if _, err := s.File(ctx, bob, kept.ID); err != nil {
			t.Errorf("alice's upload swept bob's file: %v", err)
		}
		if _, err := s.File(ctx, bob, got[0].Attachments[0].ID); err != nil {
			t.Errorf("a file asked with: %v", err)
		}
	})
}
