package session

import (
	"slices"

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
	// answer it replaces, and Regenerate tells which; Parent, on the answer
	// of a question asked after others, the message the question follows
	// (when known): sent again with the ask until acknowledged.
	Replace    string `json:",omitempty"`
	Regenerate bool   `json:",omitempty"`
	Parent     string `json:",omitempty"`
	// ID is a question's id on the server, once known (an answer's is
	// Answer).
	ID string `json:",omitempty"`
	// Siblings are the ids of the messages beside this one (edits of the
	// same question, answers to it), this one's among them, oldest first:
	// the branches it can switch to. "" stands for this one before its id
	// is known. Empty when there is no other.
	Siblings []string `json:",omitempty"`
	// Attachments, on a question, are the files asked with it.
	Attachments []protocol.Attachment `json:",omitempty"`
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

// Key returns the message's id on the server: an answer's Answer, a
// question's ID; "" until known.
func (m *Message) Key() string {
	if m.Role == RoleAssistant {
		return m.Answer
	}
	return m.ID
}

// beside returns the siblings of a message that goes beside m: m's and
// then the new one's, "" until its id is known. Nil when m's own id is
// not known: no switching back to it until the conversation is loaded
// again.
func beside(m *Message) []string {
	switch {
	case len(m.Siblings) > 0:
		return append(slices.Clone(m.Siblings), "")
	case m.Key() != "":
		return []string{m.Key(), ""}
	}
	return nil
}

// Ask appends a question (with its files) and the placeholder of its
// answer, which records the message the question follows when it is known.
func (c *Conversation) Ask(client, text string, files ...protocol.Attachment) {
	parent := ""
	if n := len(c.Messages); n > 0 {
		parent = c.Messages[n-1].Key()
	}
	c.Messages = append(c.Messages,
		&Message{Role: RoleUser, Text: text, Client: client, Ended: true, Attachments: files},
		&Message{Role: RoleAssistant, Client: client, Parent: parent},
	)
}

// Replace asks text in the place of answer's question (edit and resend),
// or with regenerate, its question again for a new answer in answer's
// place. What it replaces stays on the server as another branch; the page
// shows the new one, with the switcher back. It reports false when answer
// is not in the conversation.
func (c *Conversation) Replace(answer, client, text string, regenerate bool) bool {
	i := c.answerAt(answer)
	if i < 0 {
		return false
	}
	if regenerate {
		old := c.Messages[i]
		c.Messages = append(c.Messages[:i], &Message{Role: RoleAssistant, Client: client, Replace: answer, Regenerate: true, Siblings: beside(old)})
		return true
	}
	var siblings []string
	var files []protocol.Attachment
	if i > 0 && c.Messages[i-1].Role == RoleUser {
		i--
		siblings, files = beside(c.Messages[i]), c.Messages[i].Attachments // an edit keeps the files
	}
	c.Messages = c.Messages[:i]
	c.Ask(client, text, files...)
	n := len(c.Messages)
	c.Messages[n-2].Siblings = siblings
	c.Messages[n-1].Replace, c.Messages[n-1].Parent = answer, ""
	return true
}

// shows reports whether message id is one of c's.
func (c *Conversation) shows(id string) bool {
	return slices.ContainsFunc(c.Messages, func(m *Message) bool { return m.Key() == id })
}

// Branch returns where message m is among its siblings (nth of of; of 0
// when it has none), and the ids of the siblings before and after it (""
// when none, or not known).
func (c *Conversation) Branch(m *Message) (nth, of int, prev, next string) {
	i := slices.Index(m.Siblings, m.Key())
	if i < 0 {
		return 0, 0, "", ""
	}
	if i > 0 {
		prev = m.Siblings[i-1]
	}
	if i+1 < len(m.Siblings) {
		next = m.Siblings[i+1]
	}
	return i + 1, len(m.Siblings), prev, next
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
			known(m.Siblings, f.Answer)
			if i := c.answerAt(f.Answer); i > 0 && c.Messages[i-1].Role == RoleUser && f.Question != "" {
				q := c.Messages[i-1]
				q.ID = f.Question
				known(q.Siblings, f.Question)
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

// ids returns the ids of files (nil for none).
func ids(files []protocol.Attachment) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.ID)
	}
	return out
}

// known puts id in the place of the "" in siblings: a new message's id.
func known(siblings []string, id string) {
	if i := slices.Index(siblings, ""); i >= 0 && id != "" {
		siblings[i] = id
	}
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
				Type: protocol.TypeAsk, ID: m.Client, Conversation: c.ID, Text: c.Messages[i-1].Text, Model: m.Model,
				Replace: m.Replace, Regenerate: m.Regenerate, Parent: m.Parent, Attachments: ids(c.Messages[i-1].Attachments),
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
		msg := &Message{Role: m.Role, Text: m.Text, Client: m.Client, Ended: true, Siblings: m.Siblings, Attachments: m.Attachments}
		if m.Role == RoleUser {
			msg.ID = m.ID
		}
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
