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
	"github.com/wasmchat/wasmchat/store"
)

// Intervals of an answer's progressive saves.
const (
	// saveEvery is how often a streaming answer's new text is written to the
	// store: a crash loses at most this much of it.
	saveEvery = 250 * time.Millisecond
	// touchEvery is how often an answer that has no new text is marked
	// alive, so other instances do not take it for a crashed one's.
	touchEvery = 10 * time.Second
)

// errUnknownApp is returned by ask for an app that does not exist.
var (
	errUnknownApp  = errors.New("unknown app")
	errUnsupported = errors.New("replace: this server's model keeps its own context")
	errNoAnswer    = errors.New("replace: no such answer in this conversation")
	errBusy        = errors.New("replace: an answer is still streaming in this conversation")
	errTooMany     = errors.New("limit: too many answers at once")
	errTooFast     = errors.New("limit: too many questions a minute")
)

// hub owns every answer being generated or recently ended. Generation runs
// under the hub's context, not a connection's: a dropped socket does not
// stop an answer, a stop frame or the server's shutdown does.
type hub struct {
	upstream Upstream
	store    store.Store
	log      *slog.Logger
	retain   time.Duration // how long an ended answer stays for resumes
	apps     []App
	budget   int  // context budget in characters
	replace  bool // asks may replace part of a conversation (FeatureReplace)
	limits   Limits

	ctx context.Context // ends when generations must stop
	wg  sync.WaitGroup  // running generations

	mu       sync.Mutex
	answers  map[string]*answer
	byClient map[clientKey]*answer  // idempotent asks
	current  map[seat]string        // the seed form's current conversation
	recent   map[string][]time.Time // each user's questions of the last minute
}

type clientKey struct{ owner, id string }

func newHub(ctx context.Context, cfg Config) *hub {
	return &hub{
		upstream: cfg.Upstream, store: cfg.Store, log: cfg.Logger, retain: cfg.Retain, apps: cfg.Apps,
		budget: cfg.ContextChars, ctx: ctx, replace: canReplace(cfg.Upstream), limits: cfg.Limits,
		recent:   make(map[string][]time.Time),
		answers:  make(map[string]*answer),
		byClient: make(map[clientKey]*answer),
		current:  make(map[seat]string),
	}
}

// ask starts the answer to an ask frame, or returns the answer an earlier
// ask with the same client id started, so a resent question never starts a
// second generation. The question and the (empty) answer are in the store
// before ask returns: an acknowledged question is never lost.
func (h *hub) ask(owner string, channel int, f protocol.ClientFrame) (*answer, error) {
	app, err := appFor(h.apps, channel, f.App)
	if err != nil {
		return nil, errUnknownApp
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.evictLocked(now)
	key := clientKey{owner, f.ID}
	if f.ID != "" {
		if a, ok := h.byClient[key]; ok {
			return a, nil
		}
	}
	if err := h.admitLocked(owner, now); err != nil {
		return nil, err
	}
	// The store calls run under h.mu: asks are few, and two copies of one
	// ask must not both get through.
	ctx, cancelStore := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancelStore()
	s := seat{owner, channel}
	id := f.Conversation
	if f.Seed {
		id = h.current[s]
	}
	conv := store.Conversation{ID: id, Title: store.Title(f.Text), Channel: channel}
	req := Request{Channel: channel}
	system := ""
	if app != nil {
		conv.App = app.ID
		req.App, req.Model, req.Temperature, system = app.ID, app.Model, app.Temperature, app.System
	}
	if f.Replace != "" {
		if err := h.truncateLocked(ctx, owner, f); err != nil {
			return nil, err
		}
	}
	c, _, err := h.store.OpenConversation(ctx, owner, conv)
	if err != nil {
		return nil, err
	}
	h.current[s] = c.ID
	msgs, err := h.store.Messages(ctx, owner, c.ID, historyMessages)
	if err != nil {
		return nil, err
	}
	req.Turns = buildTurns(system, history(msgs), f.Text, h.budget)
	clientID := f.ID
	if len(clientID) > store.MaxIDBytes {
		clientID = ""
	}
	if _, err := h.store.AddMessage(ctx, owner, store.Message{
		Conversation: c.ID, Role: store.RoleUser, Text: f.Text, Status: store.StatusDone, Client: clientID,
	}); err != nil {
		return nil, err
	}
	a := newAnswer(rand.Text(), c.ID, owner, nil)
	if _, err := h.store.AddMessage(ctx, owner, store.Message{
		ID: a.id, Conversation: c.ID, Role: store.RoleAssistant, Status: store.StatusStreaming, Client: clientID,
	}); err != nil {
		return nil, err
	}

	gctx, cancel := context.WithCancel(h.ctx)
	a.cancel = cancel
	h.answers[a.id] = a
	if f.ID != "" {
		h.byClient[key] = a
	}
	h.recent[owner] = append(h.recent[owner], now)
	h.wg.Add(1)
	go h.generate(gctx, a, req)
	return a, nil
}

// admitLocked applies the per-user limits to a new question: answers
// generating at once, and questions in the last minute. Only questions that
// got an answer count (ask records them): a refused one, or one the store
// could not take and the page sends again, does not.
func (h *hub) admitLocked(owner string, now time.Time) error {
	live := 0
	for _, a := range h.answers {
		if a.owner == owner && a.live() {
			live++
		}
	}
	if live >= h.limits.Answers {
		return errTooMany
	}
	recent := h.recent[owner]
	for len(recent) > 0 && now.Sub(recent[0]) >= time.Minute {
		recent = recent[1:]
	}
	if len(recent) == 0 {
		delete(h.recent, owner)
	} else {
		h.recent[owner] = recent
	}
	if len(recent) >= h.limits.PerMinute {
		return errTooFast
	}
	return nil
}

// canReplace reports whether asks to u may replace part of a conversation.
func canReplace(u Upstream) bool {
	s, ok := u.(Stateless)
	return ok && s.Stateless()
}

// truncateLocked removes, for an ask that replaces answer f.Replace of
// f.Conversation, that answer's question and everything after them. It
// refuses while an answer of the conversation still streams (stop it
// first), and for an answer that is not there (another user's is not).
func (h *hub) truncateLocked(ctx context.Context, owner string, f protocol.ClientFrame) error {
	if !h.replace {
		return errUnsupported
	}
	msgs, err := h.store.Messages(ctx, owner, f.Conversation, 0)
	if err != nil {
		return err
	}
	from := -1
	for i, m := range msgs {
		if m.ID == f.Replace && m.Role == store.RoleAssistant {
			from = i
			if i > 0 && msgs[i-1].Role == store.RoleUser {
				from = i - 1
			}
		}
	}
	if from < 0 {
		return errNoAnswer
	}
	for _, m := range msgs {
		if a, ok := h.answers[m.ID]; ok && a.owner == owner && a.live() {
			return errBusy
		}
	}
	_, err = h.store.TruncateFrom(ctx, owner, f.Conversation, msgs[from].ID)
	return err
}

// get returns the answer id if owner owns it and it is in memory. Another
// user's answer is as unknown as one that never existed.
func (h *hub) get(owner, id string) (*answer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.answers[id]
	if !ok || a.owner != owner {
		return nil, false
	}
	return a, true
}

// resume returns the answer id for a resume: from memory, or rebuilt from
// the store when this server no longer has it (it restarted, or evicted
// it). A stored answer comes back ended, with its text: one that was still
// streaming when a server died ends interrupted.
func (h *hub) resume(ctx context.Context, owner, id string) (*answer, bool) {
	if a, ok := h.get(owner, id); ok {
		return a, true
	}
	m, err := h.store.Message(ctx, owner, id)
	if err != nil || m.Role != store.RoleAssistant {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.log.Warn("store: resume", "err", err)
		}
		return nil, false
	}
	a := newAnswer(m.ID, m.Conversation, owner, func() {})
	a.text = []byte(m.Text)
	last := protocol.ServerFrame{Status: protocol.StatusEnd, Finish: m.Finish, Usage: m.Usage}
	switch m.Status {
	case store.StatusError:
		last = protocol.ServerFrame{Status: protocol.StatusError, Code: m.ErrorCode, Content: m.ErrorText}
	case store.StatusStreaming:
		last.Finish = protocol.FinishInterrupted
	}
	a.end(last, time.Now())
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
	saved := make(chan int)
	go func() { saved <- h.save(a) }()
	tooLong := false
	emit := func(chunk string) {
		if !tooLong && !a.append(chunk) {
			tooLong = true
			a.cancel()
		}
	}
	res, err := h.upstream.Stream(ctx, req, emit)
	last := h.lastFrame(ctx, a, res, err, tooLong)
	a.end(last, time.Now())
	<-saved
	// The end is written even while the server shuts down: that is when it
	// matters most.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), 10*time.Second)
	defer cancel()
	text, _ := a.finished()
	end := store.Message{Text: text, Status: store.StatusDone, Finish: last.Finish, Usage: last.Usage}
	if last.Status == protocol.StatusError {
		end = store.Message{Text: text, Status: store.StatusError, ErrorCode: last.Code, ErrorText: last.Content}
	}
	if err := h.store.EndAnswer(sctx, a.owner, a.id, end); err != nil {
		h.log.Warn("store: end answer", "answer", a.id, "err", err)
	}
}

// save writes a streaming answer's new text to the store every saveEvery
// until it ends, and returns how many bytes it wrote. A failed write is
// retried with the next tick's text; the end writes the whole text anyway.
func (h *hub) save(a *answer) int {
	t := time.NewTicker(saveEvery)
	defer t.Stop()
	saved, lastWrite := 0, time.Now()
	for {
		chunk, ended := a.readAll(saved)
		if ended {
			return saved
		}
		now := time.Now()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), 5*time.Second)
		switch {
		case chunk != "":
			if err := h.store.AppendAnswer(ctx, a.owner, a.id, chunk); err != nil {
				h.log.Warn("store: save answer", "answer", a.id, "err", err)
			} else {
				saved += len(chunk)
				lastWrite = now
			}
		case now.Sub(lastWrite) >= touchEvery:
			if err := h.store.Touch(ctx, a.owner, a.id); err == nil {
				lastWrite = now
			}
		}
		cancel()
		select {
		case <-t.C:
		case <-a.done():
		}
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
