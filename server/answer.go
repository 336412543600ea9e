package server

import (
	"context"
	"sync"
	"sync/atomic"
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
	question                string             // its question's id, for the ack; "" not known
	model                   string             // the model it comes from, for the ack; "" not known
	cancel                  context.CancelFunc // stops the generation

	// remote: another instance generates it, and this one mirrors it
	// (hub.mirror): queued for a read of the store, since the oldest event
	// not read yet (Unix ns), and one read at a time.
	remote       bool
	queued       atomic.Bool
	pendingSince atomic.Int64
	mirroring    sync.Mutex
	// stored is closed once the ask is in the store (nil: it was from
	// the start), err set before if it could not be.
	stored chan struct{}
	err    error
	// askedAt is when its ask was read (for the first chunk's latency).
	askedAt time.Time
	// saved and savedAt are how much of the text the store has and when it
	// was last written (hub.saveAll's own).
	saved   int
	savedAt time.Time

	mu    sync.Mutex
	text  []byte
	ended bool
	last  protocol.ServerFrame // the frame that ends it: the end, or an error
	endAt time.Time
	wake  chan struct{} // closed and replaced on every change
	endc  chan struct{} // closed at the end
}

func newAnswer(id, conversation, owner string, cancel context.CancelFunc) *answer {
	return &answer{id: id, conversation: conversation, owner: owner, cancel: cancel, savedAt: time.Now(), wake: make(chan struct{}), endc: make(chan struct{})}
}

// wait waits until the ask is in the store, and returns why not if it could
// not be.
func (a *answer) wait() error {
	if a.stored == nil {
		return nil
	}
	<-a.stored
	return a.err
}

// isStored reports whether the ask is in the store.
func (a *answer) isStored() bool {
	if a.stored == nil {
		return true
	}
	select {
	case <-a.stored:
		return a.err == nil
	default:
		return false
	}
}

// failed ends an ask the store could not take: err is for its copies
// waiting.
func (a *answer) failed(err error) {
	a.err = err
	close(a.stored)
	a.end(protocol.ServerFrame{Status: protocol.StatusError, Code: protocol.CodeUnavailable}, time.Now())
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

// length returns how much text the answer has.
func (a *answer) length() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.text)
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
	if off > len(a.text) {
		// A mirror still behind what its client has (validOffset); if it
		// ended so, the client keeps what it has (the end frame is at its
		// offset).
		return "", a.ended, a.wake
	}
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
	if off > len(a.text) && a.remote && !a.ended {
		// A mirror is behind the instance that generates the answer by a
		// save or two: the client may hold more already.
		return true
	}
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

// Chunks of a streaming answer are coalesced per reader: after a chunk
// frame, the next waits at least coalesceMin, and then up to coalesceMax
// while it would carry less than coalesceBytes. A frame's own bytes (its
// status, the answer's id and offset, the WebSocket header: about 80) are
// then under 0.7 per byte of text for a fast model, and a slow one's text
// (150 characters a second) goes in frames of about 45 bytes every 300 ms.
// The page's typewriter smooths the display anyway. The first chunk, and
// the end, go at once.
const (
	coalesceMin   = 100 * time.Millisecond
	coalesceMax   = 300 * time.Millisecond
	coalesceBytes = 128
)

// follow sends the answer from off to its end through send, as chunk frames
// then the end frame, which carries the last text (an error frame comes
// after it). It returns early when ctx ends or send fails.
//
// Chunk frames name the answer and their offset but not the conversation:
// the ack, a resume's request and the end frame do.
func (a *answer) follow(ctx context.Context, off int, send func(context.Context, protocol.ServerFrame) error) {
	var last time.Time // when the last chunk went
	var timer *time.Timer
	pause := func(d time.Duration, wake <-chan struct{}) bool {
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-timer.C:
		case <-wake:
		case <-a.done():
		case <-ctx.Done():
			return false
		}
		return true
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		chunk, ended, wake := a.read(off)
		if chunk != "" && !last.IsZero() && a.live() {
			since := time.Since(last)
			switch {
			case since < coalesceMin:
				if !pause(coalesceMin-since, nil) {
					return
				}
				continue
			case len(chunk) < coalesceBytes && since < coalesceMax:
				if !pause(coalesceMax-since, wake) {
					return
				}
				continue
			}
		}
		switch {
		case ended:
			f := a.endFrame(off)
			if f.Status == protocol.StatusEnd {
				f.Content = chunk
			} else if chunk != "" {
				// An error frame's content is its message: the text goes
				// before it.
				if send(ctx, protocol.ServerFrame{Status: protocol.StatusChunk, Content: chunk, Answer: a.id, Offset: off}) != nil {
					return
				}
				f.Offset = off + len(chunk)
			}
			_ = send(ctx, f)
			return
		case chunk != "":
			f := protocol.ServerFrame{Status: protocol.StatusChunk, Content: chunk, Answer: a.id, Offset: off}
			if send(ctx, f) != nil {
				return
			}
			off += len(chunk)
			last = time.Now()
		default:
			select {
			case <-wake:
			case <-ctx.Done():
				return
			}
		}
	}
}
