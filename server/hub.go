package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
	apps     []App
	budget   int // context budget in characters
	convs    *conversations

	ctx context.Context // ends when generations must stop
	wg  sync.WaitGroup  // running generations

	mu       sync.Mutex
	answers  map[string]*answer
	byClient map[clientKey]*answer // idempotent asks
}

type clientKey struct{ owner, id string }

func newHub(ctx context.Context, cfg Config) *hub {
	return &hub{
		upstream: cfg.Upstream, log: cfg.Logger, retain: cfg.Retain, apps: cfg.Apps,
		budget: cfg.ContextChars, convs: newConversations(), ctx: ctx,
		answers:  make(map[string]*answer),
		byClient: make(map[clientKey]*answer),
	}
}

// ask starts the answer to an ask frame, or returns the answer an earlier
// ask with the same client id started, so a resent question never starts a
// second generation.
func (h *hub) ask(owner string, channel int, f protocol.ClientFrame) (*answer, error) {
	app, err := appFor(h.apps, channel, f.App)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.evictLocked(time.Now())
	key := clientKey{owner, f.ID}
	if f.ID != "" {
		if a, ok := h.byClient[key]; ok {
			return a, nil
		}
	}
	conv, history := h.convs.open(owner, channel, f.Conversation, f.Seed)
	h.convs.add(conv, Turn{Role: RoleUser, Text: f.Text})
	req := Request{Channel: channel}
	system := ""
	if app != nil {
		req.App, req.Model, req.Temperature, system = app.ID, app.Model, app.Temperature, app.System
	}
	req.Turns = buildTurns(system, history, f.Text, h.budget)

	ctx, cancel := context.WithCancel(h.ctx)
	a := newAnswer(rand.Text(), conv, owner, cancel)
	h.answers[a.id] = a
	if f.ID != "" {
		h.byClient[key] = a
	}
	h.wg.Add(1)
	go h.generate(ctx, a, req)
	return a, nil
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
	res, err := h.upstream.Stream(ctx, req, emit)
	a.end(h.lastFrame(ctx, a, res, err, tooLong), time.Now())
	if text, _ := a.finished(); text != "" {
		// The conversation keeps what the user saw, cut short or not.
		h.convs.add(a.conversation, Turn{Role: RoleAssistant, Text: text})
	}
}

// lastFrame is the frame that ends an answer, from how the upstream returned.
func (h *hub) lastFrame(ctx context.Context, a *answer, res Result, err error, tooLong bool) protocol.ServerFrame {
	end := func(finish string) protocol.ServerFrame {
		return protocol.ServerFrame{Status: protocol.StatusEnd, Finish: finish, Usage: res.Usage}
	}
	var ue *UpstreamError
	switch {
	case tooLong:
		return end(protocol.FinishLength)
	case h.ctx.Err() != nil:
		return end(protocol.FinishInterrupted)
	case ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)):
		return end(protocol.FinishCancelled)
	case errors.As(err, &ue):
		h.log.Warn("upstream failed", "answer", a.id, "code", ue.Code)
		return protocol.ServerFrame{
			Status: protocol.StatusError, Code: ue.Code, Content: ue.Message,
			RetryAfter: int(math.Ceil(ue.RetryAfter.Seconds())),
		}
	case err != nil:
		// Not classified: its text may carry anything, so only its type is
		// logged.
		h.log.Warn("upstream failed", "answer", a.id, "error_type", fmt.Sprintf("%T", err))
		return protocol.ServerFrame{
			Status: protocol.StatusError, Code: protocol.CodeUpstream,
			Content: "The model backend failed before finishing this answer. Try again in a moment.",
		}
	}
	if res.Finish == "" {
		res.Finish = protocol.FinishStop
	}
	return end(res.Finish)
}

// wait blocks until every generation has returned.
func (h *hub) wait() { h.wg.Wait() }
