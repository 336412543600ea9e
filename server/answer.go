package server

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
)

// MaxAnswerBytes bounds an answer's text in memory. An upstream that goes
// past it is stopped and the answer ends with protocol.FinishLength.
const MaxAnswerBytes = 4 << 20

// maxChunkBytes bounds the content of one frame, so a replay of a long
// answer goes out in frames a client's read limit accepts.
const maxChunkBytes = 16 << 10

// answer is the log of one answer's text, addressed by byte offset. The
// generation appends to it; any number of connections read it from any
// offset, live or after the end.
type answer struct {
	id, conversation, owner string
	cancel                  context.CancelFunc // stops the generation

	mu    sync.Mutex
	text  []byte
	ended bool
	last  protocol.ServerFrame // the frame that ends it: the end, or an error
	endAt time.Time
	wake  chan struct{} // closed and replaced on every change
	endc  chan struct{} // closed at the end
}

func newAnswer(id, conversation, owner string, cancel context.CancelFunc) *answer {
	return &answer{id: id, conversation: conversation, owner: owner, cancel: cancel, wake: make(chan struct{}), endc: make(chan struct{})}
}

// append adds a chunk and reports whether the answer still has room.
func (a *answer) append(chunk string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return false
	}
	if len(a.text)+len(chunk) > MaxAnswerBytes {
		return false
	}
	a.text = append(a.text, chunk...)
	a.notifyLocked()
	return true
}

// end closes the log with the frame that ends it for every reader: a
// StatusEnd frame with Finish (and Usage), or a StatusError frame. Only the
// first end counts.
func (a *answer) end(last protocol.ServerFrame, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ended {
		return
	}
	a.ended, a.last, a.endAt = true, last, now
	close(a.endc)
	a.notifyLocked()
}

// finished returns the whole text, once the answer has ended.
func (a *answer) finished() (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return string(a.text), a.ended
}

func (a *answer) notifyLocked() {
	close(a.wake)
	a.wake = make(chan struct{})
}

// read returns the text from off on (at most maxChunkBytes, never splitting
// a rune), whether the answer has ended, and a channel closed at the next
// change. off must be a valid offset (see validOffset).
func (a *answer) read(off int) (chunk string, ended bool, wake <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	end := len(a.text)
	if end-off > maxChunkBytes {
		end = off + maxChunkBytes
		for end > off && !utf8.RuneStart(a.text[end]) {
			end--
		}
	}
	return string(a.text[off:end]), a.ended && end == len(a.text), a.wake
}

// readAll returns all the text from off on, and whether the answer has
// ended (then the text is whole).
func (a *answer) readAll(off int) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return string(a.text[off:]), a.ended
}

// done returns a channel closed once the answer has ended.
func (a *answer) done() <-chan struct{} { return a.endc }

// live reports whether the answer is still being generated.
func (a *answer) live() bool {
	select {
	case <-a.endc:
		return false
	default:
		return true
	}
}

// validOffset reports whether a client may resume from off: inside the text
// and at a rune boundary.
func (a *answer) validOffset(off int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if off < 0 || off > len(a.text) {
		return false
	}
	return off == len(a.text) || utf8.RuneStart(a.text[off])
}

// pastEnd reports whether off is past the end of an ended answer: a client
// that received more of it than the store had saved when a server died.
func (a *answer) pastEnd(off int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ended && off > len(a.text)
}

// endFrame returns the frame that ends the answer for a reader at off, the
// end of the text.
func (a *answer) endFrame(off int) protocol.ServerFrame {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.last
	f.Answer, f.Conversation, f.Offset = a.id, a.conversation, off
	return f
}

// endedBefore reports whether the answer ended before t.
func (a *answer) endedBefore(t time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ended && a.endAt.Before(t)
}

// follow sends the answer from off to its end through send, as chunk frames
// then the end (or error) frame. It returns early when ctx ends or send fails.
func (a *answer) follow(ctx context.Context, off int, send func(context.Context, protocol.ServerFrame) error) {
	for {
		chunk, ended, wake := a.read(off)
		switch {
		case chunk != "":
			f := protocol.ServerFrame{
				Status: protocol.StatusChunk, Content: chunk,
				Answer: a.id, Conversation: a.conversation, Offset: off,
			}
			if send(ctx, f) != nil {
				return
			}
			off += len(chunk)
		case ended:
			_ = send(ctx, a.endFrame(off))
			return
		default:
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}
}
