package server

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// hub owns every answer being generated or recently ended. Generation runs
// under the hub's context, not a connection's: a dropped socket does not
// stop an answer, a stop frame or the server's shutdown does.
type hub struct {
	upstream Upstream
	log      *slog.Logger
	retain   time.Duration // how long an ended answer stays for resumes

	ctx context.Context // ends when generations must stop
	wg  sync.WaitGroup  // running generations

	mu       sync.Mutex
	answers  map[string]*answer
	byClient map[clientKey]*answer // idempotent asks
}

type clientKey struct{ owner, id string }

func newHub(ctx context.Context, up Upstream, log *slog.Logger, retain time.Duration) *hub {
	return &hub{
		upstream: up, log: log, retain: retain, ctx: ctx,
		answers:  make(map[string]*answer),
		byClient: make(map[clientKey]*answer),
	}
}

// ask starts the answer to an ask frame, or returns the answer an earlier
// ask with the same client id started, so a resent question never starts a
// second generation.
func (h *hub) ask(owner string, channel int, f protocol.ClientFrame) *answer {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evictLocked(time.Now())
	key := clientKey{owner, f.ID}
	if f.ID != "" {
		if a, ok := h.byClient[key]; ok {
			return a
		}
	}
	conversation := f.Conversation
	if conversation == "" {
		conversation = rand.Text()
	}
	ctx, cancel := context.WithCancel(h.ctx)
	a := newAnswer(rand.Text(), conversation, owner, cancel)
	h.answers[a.id] = a
	if f.ID != "" {
		h.byClient[key] = a
	}
	req := Request{Channel: channel, App: f.App, Turns: []Turn{{Role: "user", Text: f.Text}}}
	h.wg.Add(1)
	go h.generate(ctx, a, req)
	return a
}

// get returns the answer id if owner owns it. Another user's answer is as
// unknown as one that never existed.
func (h *hub) get(owner, id string) (*answer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.answers[id]
	if !ok || a.owner != owner {
		return nil, false
	}
	return a, true
}

// evictLocked forgets answers that ended more than retain ago.
func (h *hub) evictLocked(now time.Time) {
	cutoff := now.Add(-h.retain)
	for id, a := range h.answers {
		if a.endedBefore(cutoff) {
			delete(h.answers, id)
		}
	}
	for k, a := range h.byClient {
		if _, ok := h.answers[a.id]; !ok {
			delete(h.byClient, k)
		}
	}
}

func (h *hub) generate(ctx context.Context, a *answer, req Request) {
	defer h.wg.Done()
	defer a.cancel()
	tooLong := false
	emit := func(chunk string) {
		if !tooLong && !a.append(chunk) {
			tooLong = true
			a.cancel()
		}
	}
	finish, err := h.upstream.Stream(ctx, req, emit)
	switch {
	case tooLong:
		a.end(protocol.FinishLength, protocol.ServerFrame{}, time.Now())
	case h.ctx.Err() != nil:
		a.end(protocol.FinishInterrupted, protocol.ServerFrame{}, time.Now())
	case ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)):
		a.end(protocol.FinishCancelled, protocol.ServerFrame{}, time.Now())
	case err != nil:
		h.log.Warn("upstream failed", "answer", a.id, "err", err)
		a.end("", upstreamError(), time.Now())
	default:
		a.end(finish, protocol.ServerFrame{}, time.Now())
	}
}

// upstreamError is the frame a person sees when the model backend fails.
// The upstream's own message stays in the server log.
func upstreamError() protocol.ServerFrame {
	return protocol.ServerFrame{
		Status:  protocol.StatusError,
		Code:    protocol.CodeUpstream,
		Content: "The model backend failed before finishing this answer. Try again in a moment.",
	}
}

// wait blocks until every generation has returned.
func (h *hub) wait() { h.wg.Wait() }
