package session

import (
	"crypto/rand"

	"github.com/wasmchat/wasmchat/protocol"
)

// Ask asks a question in the conversation on screen.
func (s *Session) Ask(text string, files ...protocol.Attachment) { s.ask(text, "", false, files...) }

// Continue asks the model to continue an interrupted answer.
func (s *Session) Continue() { s.ask(s.Texts.ContinuePrompt, "", false) }

// Edit asks text in place of the question answer answers: a new branch,
// the original kept beside it.
func (s *Session) Edit(answer, text string) { s.ask(text, answer, false) }

// Regenerate asks the question answer answers again: a new answer beside
// it.
func (s *Session) Regenerate(answer string) {
	if q := s.conv.Question(answer); q != "" {
		s.ask(q, answer, true)
	}
}

// ask shows a question and hands it to the client's outbox, which sends it
// now or as soon as a connection opens. The conversation is saved first, so
// a reload before the ack sends it again rather than losing it. With
// replace (an answer id), the question takes the place of that answer's
// question (edit and resend), or with regenerate the answer's place.
func (s *Session) ask(text, replace string, regenerate bool, files ...protocol.Attachment) {
	id := rand.Text()
	wasNew := s.conv.ID == "" && len(s.conv.Messages) == 0
	if replace == "" {
		s.conv.Ask(id, text, files...)
	} else if !s.conv.Replace(replace, id, text, regenerate) {
		return
	}
	// The model: the one chosen when the server offers a choice; none
	// (its default) when it offers one; the conversation's own when the
	// page does not know the list (yet, or offline).
	model := s.conv.Model
	switch offered, chosen := s.Models(); {
	case len(offered) > 1:
		model = chosen
		s.conv.Model = model
	case len(offered) == 1:
		model = ""
	}
	s.conv.Messages[len(s.conv.Messages)-1].Model = model
	if wasNew {
		s.open[openKey(s.conv)] = s.conv
	}
	s.cfg.Local.saveConversation(s.conv)
	if s.client == nil {
		s.conv.Apply(protocol.ServerFrame{Status: protocol.StatusError, Client: id, Content: s.Texts.NotConnected})
	} else {
		n := len(s.conv.Messages)
		last := s.conv.Messages[n-1]
		f := protocol.ClientFrame{Type: protocol.TypeAsk, ID: id, Conversation: s.conv.ID, Text: text, App: s.app, Model: model,
			Replace: replace, Regenerate: regenerate, Parent: last.Parent}
		if !regenerate {
			f.Attachments = ids(s.conv.Messages[n-2].Attachments)
		}
		if s.conv.ID == "" {
			f.System, f.Temperature = s.conv.System, s.conv.Temperature // a new chat's instructions
		}
		s.client.Ask(s.cfg.Context, f)
	}
	s.notify(Moved, nil) // the reader just asked: follow the answer
}

// AskEarly asks the questions sent before the Go program ran. They were
// typed into the prerendered page, which shows a new chat, so they start
// one rather than continue the conversation kept from last time (which
// stays in the sidebar). Like any question they wait in the outbox until
// the server has them.
func (s *Session) AskEarly() {
	questions := s.cfg.Local.takeEarly()
	if len(questions) == 0 {
		return
	}
	if s.conv.ID != "" || len(s.conv.Messages) > 0 {
		s.show(&Conversation{})
	}
	for _, q := range questions {
		s.ask(q, "", false)
	}
}

// Stop asks the server to stop every answer on screen still streaming;
// each ends with finish "cancelled", keeping its text.
func (s *Session) Stop() {
	if s.client == nil {
		return
	}
	for _, id := range s.conv.Streaming() {
		_ = s.client.Send(s.cfg.Context, protocol.ClientFrame{Type: protocol.TypeStop, Answer: id})
	}
}
