package store_test

import (
	"cmp"
	"fmt"
	"strings"
	"testing"

	"github.com/wasmchat/wasmchat/store"
)

// bench runs f against every backend.
func bench(b *testing.B, f func(b *testing.B, s store.Store)) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { f(b, be.open(b)) })
	}
}

// BenchmarkSaveAnswer: one progressive save of a streaming answer (about
// 250 ms of a fast model's text).
func BenchmarkSaveAnswer(b *testing.B) {
	bench(b, func(b *testing.B, s store.Store) {
		u := user(b, s, "alice")
		c, _, _ := s.OpenConversation(ctx, u, store.Conversation{Title: "t"})
		chunk := strings.Repeat("word ", 100) // 500 bytes
		var m store.Message
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%200 == 0 { // a new answer every 100 KB
				m = must[store.Message](b)(s.AddMessage(ctx, u, store.Message{Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming}))
			}
			if err := s.SaveAnswers(ctx, []store.AnswerSave{{User: u, ID: m.ID, Text: chunk}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListConversations: the sidebar of a user with 1,000
// conversations.
func BenchmarkListConversations(b *testing.B) {
	bench(b, func(b *testing.B, s store.Store) {
		u := user(b, s, "alice")
		convs := make([]store.Export, 1000)
		for i := range convs {
			convs[i].Title = fmt.Sprintf("conversation %d", i)
		}
		if _, err := s.Import(ctx, u, convs); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if l := must[[]store.Conversation](b)(s.Conversations(ctx, u, 0)); len(l) != 1000 {
				b.Fatalf("%d conversations", len(l))
			}
		}
	})
}

// longConversation gives a new user a conversation of 1,000 messages
// (500 questions and 500 answers of about 1 KB) and returns both ids.
func longConversation(b *testing.B, s store.Store) (userID, conv string) {
	b.Helper()
	u := user(b, s, "alice")
	e := store.Export{Conversation: store.Conversation{Title: "long"}}
	for i := range 1000 {
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		e.Messages = append(e.Messages, store.Message{Role: role, Text: strings.Repeat("lorem ipsum ", 85), Status: store.StatusDone})
	}
	if _, err := s.Import(ctx, u, []store.Export{e}); err != nil {
		b.Fatal(err)
	}
	return u, must[[]store.Conversation](b)(s.Conversations(ctx, u, 1))[0].ID
}

// BenchmarkLoadConversation: opening a conversation of 1,000 messages
// (500 questions and 500 answers of about 1 KB): all of them, and the last
// 51 (the page's first load).
func BenchmarkLoadConversation(b *testing.B) {
	bench(b, func(b *testing.B, s store.Store) {
		u, id := longConversation(b, s)
		for _, limit := range []int{0, 51} { // all, and what the page opens with
			b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if m := must[[]store.Message](b)(s.Messages(ctx, u, id, limit)); len(m) != cmp.Or(limit, 1000) {
						b.Fatalf("%d messages", len(m))
					}
				}
			})
		}
	})
}

// BenchmarkAsk: a question in a conversation of 1,000 messages, the last
// 200 of its branch read as the model's history (the server's
// historyMessages), then its answer ended.
func BenchmarkAsk(b *testing.B) {
	bench(b, func(b *testing.B, s store.Store) {
		u, id := longConversation(b, s)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			answer := fmt.Sprintf("a%d", i)
			asked := must[store.Asked](b)(s.Ask(ctx, u, store.Ask{Conversation: store.Conversation{ID: id}, Question: "another question", Answer: answer, History: 200}))
			if len(asked.History) != 200 {
				b.Fatalf("history of %d", len(asked.History))
			}
			if err := s.EndAnswer(ctx, u, answer, store.Message{Text: "an answer", Status: store.StatusDone}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
