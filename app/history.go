package app

import (
	"slices"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// Summary is a conversation as the sidebar lists it, Hit a search result:
// the API's own types (GET /api/conversations, /api/search).
type (
	Summary = protocol.Conversation
	Hit     = protocol.Hit
)

// fromStored returns a conversation as the API returns it (GET
// /api/conversations/{id}) as the page models it. An answer still
// streaming is not ended: the page resumes it from its length.
func fromStored(s protocol.Export) *Conversation {
	c := &Conversation{ID: s.ID, Messages: make([]*Message, 0, len(s.Messages))}
	for _, m := range s.Messages {
		msg := &Message{Role: m.Role, Text: m.Text, Client: m.Client, Ended: true}
		if m.Role == RoleAssistant {
			msg.Answer = m.ID
			msg.Ended = m.Status != protocol.MessageStreaming
			msg.Finish, msg.Error, msg.Usage = m.Finish, m.ErrorText, m.Usage
		}
		c.Messages = append(c.Messages, msg)
	}
	return c
}

// Busy reports whether anything of c is still in flight: an answer not
// ended, or a question not yet acknowledged. The page then trusts its own
// copy over a stored one, which lags the stream.
func (c *Conversation) Busy() bool {
	for _, m := range c.Messages {
		if m.Role == RoleAssistant && !m.Ended {
			return true
		}
	}
	return false
}

// Has reports whether frame f is about one of c's messages.
func (c *Conversation) Has(f protocol.ServerFrame) bool {
	return c.byAnswer(f.Answer) != nil || c.byClient(f.Client) != nil
}

// Title returns what the sidebar calls c before the server names it: its
// first question.
func (c *Conversation) Title() string {
	for _, m := range c.Messages {
		if m.Role == RoleUser {
			return m.Text
		}
	}
	return ""
}

// touch puts conversation id first in list (the newest), adding it with
// title when the list lacks it.
func touch(list []Summary, id, title string, now time.Time) []Summary {
	s := Summary{ID: id, Title: title, Updated: now}
	if i := slices.IndexFunc(list, func(s Summary) bool { return s.ID == id }); i >= 0 {
		s.Title = list[i].Title
		list = slices.Delete(list, i, i+1)
	}
	return slices.Insert(list, 0, s)
}

// without returns list without conversation id.
func without(list []Summary, id string) []Summary {
	return slices.DeleteFunc(list, func(s Summary) bool { return s.ID == id })
}

// renamed returns list with conversation id titled title.
func renamed(list []Summary, id, title string) []Summary {
	for i := range list {
		if list[i].ID == id {
			list[i].Title = title
		}
	}
	return list
}
