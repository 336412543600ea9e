package server

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
)

func endedAnswer(text string) *answer {
	a := newAnswer("a", "c", "alice", func() {})
	a.append(text)
	a.end(protocol.ServerFrame{Status: protocol.StatusEnd, Finish: protocol.FinishStop}, time.Now())
	return a
}

func TestFollowSplitsOnRunes(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("语", maxChunkBytes) // 3 bytes a rune: chunks must cut between
	a := endedAnswer(text)
	var got strings.Builder
	var frames []protocol.ServerFrame
	a.follow(context.Background(), 0, func(_ context.Context, f protocol.ServerFrame) error {
		frames = append(frames, f)
		got.WriteString(f.Content)
		return nil
	})
	if got.String() != text {
		t.Fatal("replay differs from the text")
	}
	for _, f := range frames {
		if !utf8.ValidString(f.Content) || len(f.Content) > maxChunkBytes {
			t.Fatalf("frame at %d: %d bytes, valid UTF-8 %v", f.Offset, len(f.Content), utf8.ValidString(f.Content))
		}
	}
	if last := frames[len(frames)-1]; last.Status != protocol.StatusEnd || last.End() != len(text) {
		t.Errorf("last frame %+v", last)
	}
}

func TestAnswerBounded(t *testing.T) {
	t.Parallel()
	a := newAnswer("a", "c", "alice", func() {})
	if !a.append(strings.Repeat("x", MaxAnswerBytes)) || a.append("y") {
		t.Error("the log took more than MaxAnswerBytes")
	}
}

// BenchmarkResume replays a 100 KB answer, encoded as frames, from offset 0
// and from the middle.
func BenchmarkResume(b *testing.B) {
	text := strings.Repeat("wasmchat 流式输出 resumes by offset. ", 100<<10/40)
	a := endedAnswer(text)
	for _, tt := range []struct {
		name string
		from int
	}{{"from0", 0}, {"middle", len(text) / 2}} {
		b.Run(tt.name, func(b *testing.B) {
			for !utf8.RuneStart(text[tt.from]) {
				tt.from++
			}
			b.SetBytes(int64(len(text) - tt.from))
			b.ReportAllocs()
			for b.Loop() {
				a.follow(context.Background(), tt.from, func(_ context.Context, f protocol.ServerFrame) error {
					_ = f.Encode()
					return nil
				})
			}
		})
	}
}
