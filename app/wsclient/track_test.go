package wsclient

import (
	"testing"

	"github.com/wasmchat/wasmchat/protocol"
)

func chunk(off int, s string) protocol.ServerFrame {
	return protocol.ServerFrame{Status: protocol.StatusChunk, Answer: "a", Offset: off, Content: s}
}

// TestTrack feeds the bookkeeping duplicates, overlaps and gaps: what it
// delivers is each byte once, in order.
func TestTrack(t *testing.T) {
	t.Parallel()
	c := New(Config{})
	c.outbox = []protocol.ClientFrame{{Type: protocol.TypeAsk, ID: "q", Text: "hi"}}
	steps := []struct {
		name        string
		in          protocol.ServerFrame
		deliver     bool
		wantContent string
		wantOffset  int
		resumeFrom  int // -1: no resume
	}{
		{"ack", protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "q", Answer: "a"}, true, "", 0, -1},
		{"chunk", chunk(0, "héllo"), true, "héllo", 0, -1},
		{"duplicate", chunk(0, "hé"), false, "", 0, -1},
		{"overlap", chunk(3, "llo wö"), true, " wö", 6, -1},
		{"gap", chunk(20, "x"), false, "", 0, 10},
		{"same gap again", chunk(21, "y"), false, "", 0, -1},
		{"the rest", chunk(10, "rld"), true, "rld", 10, -1},
		{"end", protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a", Offset: 13, Finish: "stop"}, true, "", 13, -1},
		{"after the end", chunk(13, "!"), false, "", 0, -1},
	}
	for _, s := range steps {
		f := s.in
		deliver, resume := c.track(&f)
		if deliver != s.deliver {
			t.Fatalf("%s: deliver %v, want %v", s.name, deliver, s.deliver)
		}
		if deliver && s.in.Status != protocol.StatusControl && (f.Content != s.wantContent || f.Offset != s.wantOffset) {
			t.Errorf("%s: delivered %q at %d, want %q at %d", s.name, f.Content, f.Offset, s.wantContent, s.wantOffset)
		}
		switch {
		case s.resumeFrom < 0 && resume != nil:
			t.Errorf("%s: unexpected resume %+v", s.name, *resume)
		case s.resumeFrom >= 0 && (resume == nil || resume.Offset != s.resumeFrom || resume.Answer != "a"):
			t.Errorf("%s: resume %+v, want from %d", s.name, resume, s.resumeFrom)
		}
	}
	if len(c.outbox) != 0 || len(c.held) != 0 {
		t.Errorf("left outbox %v, held %v", c.outbox, c.held)
	}
}

func TestTrackServerForgotAnswer(t *testing.T) {
	t.Parallel()
	c := New(Config{})
	c.Track("a", 5)
	f := protocol.ServerFrame{Status: protocol.StatusError, Code: protocol.CodeNotFound, Answer: "a", Content: "gone"}
	if deliver, _ := c.track(&f); !deliver {
		t.Fatal("not delivered")
	}
	want := protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a", Offset: 5, Finish: protocol.FinishInterrupted}
	if f != want {
		t.Errorf("got %+v, want %+v", f, want)
	}
}

func TestTrackRefusedAsks(t *testing.T) {
	t.Parallel()
	c := New(Config{})
	c.outbox = []protocol.ClientFrame{{ID: "restart"}, {ID: "big"}}
	// The server is draining: the ask stays queued for the next server.
	f := protocol.ServerFrame{Status: protocol.StatusError, Code: protocol.CodeUnavailable, Client: "restart"}
	if deliver, _ := c.track(&f); deliver || len(c.outbox) != 2 {
		t.Errorf("unavailable: deliver %v, outbox %v", deliver, c.outbox)
	}
	// Refused for good: shown, and not sent again.
	f = protocol.ServerFrame{Status: protocol.StatusError, Code: protocol.CodeTooLarge, Client: "big"}
	if deliver, _ := c.track(&f); !deliver || len(c.outbox) != 1 || c.outbox[0].ID != "restart" {
		t.Errorf("too large: deliver %v, outbox %v", deliver, c.outbox)
	}
}
