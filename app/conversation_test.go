package app

import (
	"testing"

	"github.com/wasmchat/wasmchat/protocol"
)

func chunk(answer string, off int, s string) protocol.ServerFrame {
	return protocol.ServerFrame{Status: protocol.StatusChunk, Answer: answer, Offset: off, Content: s}
}

func TestConversationApply(t *testing.T) {
	t.Parallel()
	var c Conversation
	c.Ask("q1", "hi")
	ack := protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "q1", Answer: "a1", Conversation: "k1"}
	if changed, _ := c.Apply(ack); changed {
		t.Error("ack changed what is shown")
	}
	if c.ID != "k1" || c.Messages[1].Answer != "a1" {
		t.Fatalf("ack not bound: %+v %+v", c, *c.Messages[1])
	}
	steps := []struct {
		name        string
		frame       protocol.ServerFrame
		wantText    string
		wantChanged bool
		wantResume  int // -1: none
	}{
		{"first chunk", chunk("a1", 0, "héllo"), "héllo", true, -1},
		{"duplicate", chunk("a1", 0, "héllo"), "héllo", false, -1},
		{"overlap", chunk("a1", 3, "llo wo"), "héllo wo", true, -1},
		{"gap", chunk("a1", 20, "zzz"), "héllo wo", false, 9},
		{"other answer", chunk("a9", 9, "zzz"), "héllo wo", false, -1},
		{"end with last chunk", protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a1", Offset: 9, Content: "rld", Finish: "stop"}, "héllo world", true, -1},
		{"after end", chunk("a1", 12, "!"), "héllo world", false, -1},
	}
	for _, s := range steps {
		changed, resume := c.Apply(s.frame)
		m := c.Messages[1]
		if m.Text != s.wantText || changed != s.wantChanged {
			t.Errorf("%s: text %q changed %v, want %q %v", s.name, m.Text, changed, s.wantText, s.wantChanged)
		}
		switch {
		case s.wantResume < 0 && resume != nil:
			t.Errorf("%s: unexpected resume %+v", s.name, *resume)
		case s.wantResume >= 0 && (resume == nil || resume.Offset != s.wantResume || resume.Answer != "a1" || resume.Type != protocol.TypeResume):
			t.Errorf("%s: resume %+v, want from %d", s.name, resume, s.wantResume)
		}
	}
	if m := c.Messages[1]; !m.Ended || m.Finish != protocol.FinishStop {
		t.Errorf("not ended: %+v", *m)
	}
}

func TestConversationErrors(t *testing.T) {
	t.Parallel()
	var c Conversation
	c.Ask("q1", "hi")
	c.Apply(protocol.ServerFrame{Status: protocol.StatusError, Client: "q1", Code: protocol.CodeTooLarge, Content: "too long"})
	if m := c.Messages[1]; !m.Ended || m.Error != "too long" {
		t.Errorf("error not on the answer: %+v", *m)
	}
	c.Apply(protocol.ServerFrame{Status: protocol.StatusError, Code: protocol.CodeBadFrame, Content: "bad"})
	if c.Notice != "bad" {
		t.Errorf("notice %q", c.Notice)
	}
}
