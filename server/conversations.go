package server

import (
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/store"
)

// historyMessages bounds the messages read from the store for a
// question's context; the context budget trims far earlier in practice.
const historyMessages = 200

// seat is a user on a channel: a seed-form question continues the seat's
// current conversation.
type seat struct {
	owner   string
	channel int
}

// history returns the turns of stored messages the model should see: the
// text of questions and answers, failed ones too when they have text.
func history(msgs []store.Message) []Turn {
	turns := make([]Turn, 0, len(msgs))
	for _, m := range msgs {
		if m.Text == "" {
			continue
		}
		role := RoleUser
		if m.Role == store.RoleAssistant {
			role = RoleAssistant
		}
		turns = append(turns, Turn{Role: role, Text: m.Text})
	}
	return turns
}

// buildTurns returns the turns sent to the model: the system prompt (always
// kept), then as many of the most recent earlier turns as fit in budget
// characters together with the question, then the question (always kept,
// even alone over the budget: the model then says it is too long). Older
// turns go first; a turn is never cut in half.
func buildTurns(system string, history []Turn, question string, budget int) []Turn {
	used := utf8.RuneCountInString(system) + utf8.RuneCountInString(question)
	keep := len(history)
	for keep > 0 {
		n := utf8.RuneCountInString(history[keep-1].Text)
		if used+n > budget {
			break
		}
		used += n
		keep--
	}
	var turns []Turn
	if system != "" {
		turns = append(turns, Turn{Role: RoleSystem, Text: system})
	}
	turns = append(turns, history[keep:]...)
	return append(turns, Turn{Role: RoleUser, Text: question})
}
