package app

import (
	"github.com/wasmchat/wasmchat/protocol"
)

// Roles of a message.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one message of the conversation on screen.
type Message struct {
	Role string
	Text string // for an answer: the bytes received so far, in order
	// Client is the client id of the ask, on both the question and its
	// answer; Answer is the server's id for the answer once acknowledged.
	Client, Answer string
	Ended          bool   // the end (or an error) frame has arrived
	Finish         string // protocol.Finish*, once ended
	Error          string // a message a person can act on, when failed
}

// Conversation is the page's model of one conversation: pure Go, so the
// offset bookkeeping is tested natively.
type Conversation struct {
	ID       string
	Messages []*Message
	// Notice is the last error not tied to a message.
	Notice string
}

// Ask appends a question and the placeholder of its answer.
func (c *Conversation) Ask(client, text string) {
	c.Messages = append(c.Messages,
		&Message{Role: RoleUser, Text: text, Client: client, Ended: true},
		&Message{Role: RoleAssistant, Client: client},
	)
}

// Apply applies one server frame and reports whether anything changed. A
// chunk that starts past the text held means frames were lost: Apply keeps
// what it has and returns the resume frame that asks for the rest.
func (c *Conversation) Apply(f protocol.ServerFrame) (changed bool, resume *protocol.ClientFrame) {
	switch f.Status {
	case protocol.StatusControl:
		if f.Type != protocol.ControlAck {
			return false, nil
		}
		m := c.byClient(f.Client)
		if m == nil {
			return false, nil
		}
		m.Answer = f.Answer
		c.ID = f.Conversation
		return false, nil
	case protocol.StatusError:
		m := c.byAnswer(f.Answer)
		if m == nil {
			m = c.byClient(f.Client)
		}
		if m == nil {
			c.Notice = f.Content
			return true, nil
		}
		m.Ended, m.Error = true, f.Content
		return true, nil
	}
	m := c.byAnswer(f.Answer)
	if m == nil || m.Ended {
		return false, nil
	}
	held := len(m.Text)
	if f.Offset > held {
		return false, &protocol.ClientFrame{Type: protocol.TypeResume, Answer: m.Answer, Offset: held}
	}
	if f.End() > held {
		// Offsets are rune boundaries on both sides, so the cut is too.
		m.Text += f.Content[held-f.Offset:]
		changed = true
	}
	if f.Status == protocol.StatusEnd {
		m.Ended, m.Finish = true, f.Finish
		changed = true
	}
	return changed, nil
}

func (c *Conversation) byClient(id string) *Message {
	if id == "" {
		return nil
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; m.Role == RoleAssistant && m.Client == id {
			return m
		}
	}
	return nil
}

func (c *Conversation) byAnswer(id string) *Message {
	if id == "" {
		return nil
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; m.Answer == id {
			return m
		}
	}
	return nil
}
