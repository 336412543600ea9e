package server

import (
	"crypto/rand"
	"sync"
	"unicode/utf8"
)

// maxStoredTurns bounds the turns kept in memory per conversation; the
// context budget trims far earlier in practice.
const maxStoredTurns = 400

// conversations keeps each conversation's turns in memory, so the model
// gets the earlier turns and not just the last question. Every lookup is
// scoped to the owner.
type conversations struct {
	mu      sync.Mutex
	byID    map[string]*conversation
	current map[seat]string // the seed form's "current conversation"
}

// seat is a user on a channel: a seed-form question continues the seat's
// current conversation.
type seat struct {
	owner   string
	channel int
}

type conversation struct {
	id, owner string
	turns     []Turn
}

func newConversations() *conversations {
	return &conversations{byID: make(map[string]*conversation), current: make(map[seat]string)}
}

// open returns the conversation an ask continues and its turns so far. A
// seed-form question continues the seat's current conversation; a typed
// ask names its conversation or starts one. A named conversation this
// owner does not have (the server restarted) is started under that id,
// unless another user has it: then a new id is used, and nothing of the
// other user's conversation is read.
func (cs *conversations) open(owner string, channel int, id string, seed bool) (string, []Turn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	s := seat{owner, channel}
	if seed {
		id = cs.current[s]
	}
	c, ok := cs.byID[id]
	if !ok || c.owner != owner {
		if id == "" || ok {
			id = rand.Text()
		}
		c = &conversation{id: id, owner: owner}
		cs.byID[id] = c
	}
	cs.current[s] = c.id
	return c.id, append([]Turn(nil), c.turns...)
}

// add appends a turn to a conversation.
func (cs *conversations) add(id string, t Turn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[id]
	if !ok || t.Text == "" {
		return
	}
	c.turns = append(c.turns, t)
	if n := len(c.turns) - maxStoredTurns; n > 0 {
		c.turns = append([]Turn(nil), c.turns[n:]...)
	}
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
