package session

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// receive applies a frame to the conversation it is about: the one on
// screen, or another opened this session.
func (s *Session) receive(f protocol.ServerFrame) {
	if f.Status == protocol.StatusControl {
		switch f.Type {
		case protocol.ControlApps:
			s.apps = nil
			_ = json.Unmarshal([]byte(f.Content), &s.apps) // unreadable: no apps to offer
			s.notify(Changed, nil)
			return
		case protocol.ControlFeatures:
			var features []string
			_ = json.Unmarshal([]byte(f.Content), &features) // unreadable: none
			s.canReplace = slices.Contains(features, protocol.FeatureReplace)
			s.notify(Changed, nil)
			return
		case protocol.ControlHello:
			if f.Content != s.cfg.Version {
				s.notify(Outdated, nil)
			}
		}
	}
	conv := s.target(f)
	key := openKey(conv)
	// An ack changes nothing shown but the stop button, which it brings.
	changed := conv.Apply(f) || f.Type == protocol.ControlAck
	listed := false
	if f.Type == protocol.ControlAck && conv.ID != "" && key != conv.ID {
		// A new chat got its id: the sidebar lists it from now on.
		delete(s.open, key)
		s.open[conv.ID] = conv
		s.list = touch(s.list, conv.ID, conv.Title(), time.Now())
		listed = true
	}
	if f.Status == protocol.StatusEnd || f.Status == protocol.StatusError || f.Type == protocol.ControlAck {
		// Saved on these, not per chunk, nor per pong.
		s.save(conv)
		if f.Status == protocol.StatusEnd && conv.ID != "" {
			s.list = touch(s.list, conv.ID, conv.Title(), time.Now())
			listed = true
		}
	}
	if listed {
		s.cfg.Local.saveList(s.list)
	}
	switch {
	case conv == s.conv && changed && f.Status == protocol.StatusChunk:
		s.notify(Chunk, conv.byAnswer(f.Answer))
	case conv == s.conv && changed:
		s.notify(Grew, nil)
	case listed:
		s.notify(Changed, nil)
	}
}

// save keeps conv: as the conversation on screen, or for offline reading.
func (s *Session) save(conv *Conversation) {
	if conv == s.conv {
		s.cfg.Local.saveConversation(conv)
	} else {
		s.cfg.Local.cache(conv)
	}
}

// target returns the conversation frame f is about: the one on screen, or
// another loaded this session.
func (s *Session) target(f protocol.ServerFrame) *Conversation {
	if s.conv.Has(f) {
		return s.conv
	}
	for _, conv := range s.open {
		if conv.Has(f) {
			return conv
		}
	}
	return s.conv
}

// openKey is the key of conv in Session.open: its id, or for a new chat
// not yet acknowledged, its first question's client id.
func openKey(conv *Conversation) string {
	if conv.ID != "" || len(conv.Messages) == 0 {
		return conv.ID
	}
	return "new:" + conv.Messages[0].Client
}
