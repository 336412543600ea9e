package session

import (
	"github.com/wasmchat/wasmchat/protocol"
)

// Roles of a message.
const (
	RoleUser      = protocol.RoleUser
	RoleAssistant = protocol.RoleAssistant
)

// Message is one message of the conversation on screen.
type Message struct {
	Role string
	Text string // for an answer: the bytes received so far, in order
	// Client is the client id of the ask, on both the question and its
	// answer; Answer is the server's id for the answer once acknowledged.
	Client, Answer string
	Ended          bool            // the end (or an error) frame has arrived
	Finish         string          // protocol.Finish*, once ended
	Error          string          // a message a person can act on, when failed
	Usage          *protocol.Usage `json:",omitempty"` // tokens, when the upstream reports them
	// Replace, on the answer of an edited or regenerated question, is the
	// answer it replaces: sent again with the ask until acknowledged.
	Replace string `json:",omitempty"`
	// Model, on an answer, is the model asked for ("" the default) until
	// the ack names the one it comes from.
	Model string `json:",omitempty"`
}

// Conversation is the page's model of one conversation: its messages, and
// the offset bookkeeping that applies the server's frames to them.
type Conversation struct {
	ID       string
	Messages []*Message
	// Notice is the last error not tied to a message.
	Notice string
	// More is set when the server has earlier messages than these: the
	// page loads a long conversation's last messages first.
	More bool `json:",omitempty"`
	// Model is the model its questions go to ("" the server's default).
	Model string `json:",omitempty"`
	// System and Temperature are its own instructions: sent with its
	// first question, set through the API after.
	System      string   `json:",omitempty"`
	Temperature *float64 `json:",omitempty"`
}

// Ask appends a question and the placeholder of its answer.
func (c *Conversation) Ask(client, text string) {
	c.Messages = append(c.Messages,
		&Message{Role: RoleUser, Text: text, Client: client, Ended: true},
		&Message{Role: RoleAssistant, Client: client},
	)
}

// Replace removes answer's question and everything after it and asks text
// in their place (edit and resend; regenerate asks the same question). It
// reports false when answer is not in the conversation.
func (c *Conversation) Replace(answer, client, text string) bool {
	i := c.answerAt(answer)
	if i < 0 {
		return false
	}
	if i > 0 && c.Messages[i-1].Role == RoleUser {
		i--
	}
	c.Messages = c.Messages[:i]
	c.Ask(client, text)
	c.Messages[len(c.Messages)-1].Replace = answer
	return true
}

// Question returns the question answer answers, or "".
func (c *Conversation) Question(answer string) string {
	if i := c.answerAt(answer); i > 0 && c.Messages[i-1].Role == RoleUser {
		return c.Messages[i-1].Text
	}
	return ""
}

// Apply applies one server frame, as wsclient delivers them: the chunks of
// an answer exactly once and contiguous. It reports whether anything shown
// changed. A frame that does not continue its answer exactly is dropped
// rather than allowed to garble the text.
func (c *Conversation) Apply(f protocol.ServerFrame) (changed bool) {
	switch f.Status {
	case protocol.StatusControl:
		if m := c.byClient(f.Client); m != nil && f.Type == protocol.ControlAck {
			m.Answer = f.Answer
			c.ID = f.Conversation
			if f.Model != "" {
				m.Model = f.Model
			}
		}
		return false
	case protocol.StatusError:
		m := c.byAnswer(f.Answer)
		if m == nil {
			m = c.byClient(f.Client)
		}
		if m == nil {
			c.Notice = f.Content
			return true
		}
		m.Ended, m.Error = true, f.Content
		return true
	}
	m := c.byAnswer(f.Answer)
	if m == nil || m.Ended || f.Offset != len(m.Text) {
		return false
	}
	m.Text += f.Content
	if f.Status == protocol.StatusEnd {
		m.Ended, m.Finish, m.Usage = true, f.Finish, f.Usage
	}
	return true
}

// Streaming returns the answers that are still coming, for stop.
func (c *Conversation) Streaming() []string {
	var ids []string
	for _, m := range c.Messages {
		if m.Role == RoleAssistant && !m.Ended && m.Answer != "" {
			ids = append(ids, m.Answer)
		}
	}
	return ids
}

// InFlight returns the answers acknowledged but not ended, and the asks not
// yet acknowledged: what a reloaded page must resume and send again.
func (c *Conversation) InFlight() (answers []*Message, asks []protocol.ClientFrame) {
	for i, m := range c.Messages {
		if m.Role != RoleAssistant || m.Ended {
			continue
		}
		if m.Answer != "" {
			answers = append(answers, m)
		} else if i > 0 {
			asks = append(asks, protocol.ClientFrame{
				Type: protocol.TypeAsk, ID: m.Client, Conversation: c.ID, Text: c.Messages[i-1].Text, Replace: m.Replace, Model: m.Model,
				System: c.System, Temperature: c.Temperature,
			})
		}
	}
	return answers, asks
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
	if i := c.answerAt(id); i >= 0 {
		return c.Messages[i]
	}
	return nil
}

// answerAt returns the index of answer id's message, or -1. It looks from
// the end: the answer a chunk is for is nearly always the last message.
func (c *Conversation) answerAt(id string) int {
	if id == "" {
		return -1
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if c.Messages[i].Answer == id {
			return i
		}
	}
	return -1
}

// fromStored returns a conversation as the API returns it (GET
// /api/conversations/{id}) as the page models it. An answer still
// streaming is not ended: the page resumes it from its length.
func fromStored(s protocol.Export) *Conversation {
	c := &Conversation{ID: s.ID, Model: s.Model, System: s.System, Temperature: s.Temperature, Messages: make([]*Message, 0, len(s.Messages))}
	for _, m := range s.Messages {
		msg := &Message{Role: m.Role, Text: m.Text, Client: m.Client, Ended: true}
		if m.Role == RoleAssistant {
			msg.Answer = m.ID
			msg.Ended = m.Status != protocol.MessageStreaming
			msg.Finish, msg.Error, msg.Usage, msg.Model = m.Finish, m.ErrorText, m.Usage, m.Model
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
