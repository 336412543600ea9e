package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// Intervals of an answer's progressive saves.
const (
	// saveEvery is how often a streaming answer's new text is written to the
	// store: a crash loses at most this much of it. With several instances
	// (a store.Feed), clients of the others follow it through the store:
	// feedSaveEvery.
	saveEvery     = 250 * time.Millisecond
	feedSaveEvery = 100 * time.Millisecond
	// touchEvery is how often an answer that has no new text is marked
	// alive, so other instances do not take it for a crashed one's.
	touchEvery = 10 * time.Second
	// finalSaveFor is how long, once the server shuts down, an answer's
	// end is retried against a failing store.
	finalSaveFor = 30 * time.Second
)

// The refusals of an ask, as the client is told them.
var (
	errUnsupported = &protocol.Error{Code: protocol.CodeUnsupported, Message: "This server cannot edit or regenerate: its model keeps its own context."}
	errNoAnswer    = &protocol.Error{Code: protocol.CodeNotFound, Message: "That answer is no longer in this conversation."}
	errNoParent    = &protocol.Error{Code: protocol.CodeNotFound, Message: "The message this question follows is not in this conversation."}
	errNoFile      = &protocol.Error{Code: protocol.CodeNotFound, Message: "An attached file is not there: attach it again."}
	errBusy        = &protocol.Error{Code: protocol.CodeBusy, Message: "An answer is still coming in this conversation: stop it first."}
	errTooMany     = &protocol.Error{Code: protocol.CodeLimit, Message: "Too many answers are coming at once: wait for one to finish, or stop one."}
	errTooFast     = &protocol.Error{Code: protocol.CodeLimit, Message: "Too many questions in the last minute: wait a moment and ask again."}
	errBadID       = &protocol.Error{Code: protocol.CodeBadFrame, Message: "That conversation or answer id is not valid."}
	// errJoined ends the reservation of an ask whose client id has an
	// answer already: its copies join that answer.
	errJoined = errors.New("ask: joins the answer of its client id")
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
	m        *metrics
	models   *models // what asks may name

	ctx    context.Context // ends when generations must stop
	wg     sync.WaitGroup  // running generations
	savers sync.WaitGroup  // saveAll and commitAsks
	halt   chan struct{}   // closed once the generations are over: they stop
	halted func()          // closes halt
	asks   chan *pendingAsk
	// feed, when the store is shared by instances, tells of their
	// answers; saveEvery is then shorter, for the mirrors' sake.
	feed      store.Feed
	saveEvery time.Duration

	mu       sync.Mutex
	answers  map[string]*answer
	byClient map[clientKey]*answer  // idempotent asks
	current  map[seat]string        // the seed form's current conversation
	recent   map[string][]time.Time // each user's questions of the last minute
	live     map[string]int         // each user's answers generating (or being asked)
}

type clientKey struct{ owner, id string }

func newHub(ctx context.Context, cfg Config, m *metrics) *hub {
	h := &hub{
		m:        m,
		upstream: cfg.Upstream, store: cfg.Store, log: cfg.Logger, retain: cfg.Retain, apps: cfg.Apps,
		budget: cfg.ContextChars, ctx: ctx, replace: canReplace(cfg.Upstream), limits: cfg.Limits,
		models:   newModels(cfg.Upstream, cfg.Models),
		recent:   make(map[string][]time.Time),
		live:     make(map[string]int),
		answers:  make(map[string]*answer),
		byClient: make(map[clientKey]*answer),
		current:  make(map[seat]string),
	}
	h.saveEvery = saveEvery
	h.halt = make(chan struct{})
	h.halted = sync.OnceFunc(func() { close(h.halt) })
	h.asks = make(chan *pendingAsk, maxAskBatch)
	if f, ok := cfg.Store.(store.Feed); ok {
		h.feed, h.saveEvery = f, feedSaveEvery
		h.savers.Add(1)
		go h.listen()
	}
	h.savers.Add(1 + askCommitters)
	go h.saveAll()
	for range askCommitters {
		go h.commitAsks()
	}
	return h
}

// ask starts the answer to an ask frame, or returns the answer an earlier
// ask with the same client id started, so a resent question never starts a
// second generation. The question and the (empty) answer are in the store
// before ask returns: an acknowledged question is never lost.
//
// The hub's lock is held only to check and reserve: the limits, the client
// id (a copy of the ask that comes meanwhile waits for this one) and the
// answer's slot. The store's transaction runs outside it, so one user's
// slow write (a long conversation, a busy database) holds up no one else's
// ask.
func (h *hub) ask(owner string, channel int, f protocol.ClientFrame) (*answer, error) {
	app, err := appFor(h.apps, channel, f.App)
	if err != nil {
		return nil, err
	}
	if !store.ValidID(f.Conversation) || !store.ValidID(f.Replace) || !store.ValidID(f.Parent) || slices.ContainsFunc(f.Attachments, func(id string) bool { return !store.ValidID(id) || id == "" }) {
		// The client's mistake, not the store's: sending it again would
		// not help.
		return nil, errBadID
	}
	if err := store.CheckInstructions(f.System, f.Temperature); err != nil {
		return nil, &protocol.Error{Code: protocol.CodeBadFrame, Message: err.Error()}
	}
	model := f.Model
	if app != nil && app.Model != "" {
		model = app.Model // the app fixes its model
	} else if err := h.models.check(h.ctx, model); err != nil {
		return nil, err
	}
	h.mu.Lock()
	now := time.Now()
	key := clientKey{owner, f.ID}
	if f.ID != "" {
		if a, ok := h.byClient[key]; ok {
			h.mu.Unlock()
			if err := a.wait(); errors.Is(err, errJoined) {
				return h.ask(owner, channel, f) // the store names the answer
			} else if err != nil {
				return nil, err
			}
			return a, nil
		}
	}
	if err := h.admitLocked(owner, now); err != nil {
		h.mu.Unlock()
		return nil, err
	}
	if f.Replace != "" {
		if !h.replace {
			h.mu.Unlock()
			return nil, errUnsupported
		}
		if h.streamingLocked(owner, f.Conversation) {
			h.mu.Unlock()
			return nil, errBusy
		}
	}
	s := seat{owner, channel}
	conv := store.Conversation{ID: f.Conversation, Title: store.Title(f.Text), Channel: channel, System: f.System, Temperature: f.Temperature}
	if f.Seed {
		conv.ID = h.current[s]
	}
	gctx, cancel := context.WithCancel(h.ctx)
	a := newAnswer(rand.Text(), conv.ID, owner, cancel)
	a.stored = make(chan struct{})
	a.askedAt = now
	h.answers[a.id] = a
	h.live[owner]++ // counts for the limits from now on, until it ends
	h.recent[owner] = append(h.recent[owner], now)
	if f.ID != "" {
		h.byClient[key] = a
	}
	h.wg.Add(1) // its generation, or Done if the store refuses it
	h.mu.Unlock()

	req := Request{Channel: channel}
	system := ""
	if app != nil {
		conv.App = app.ID
		req.App, req.Temperature, system = app.ID, app.Temperature, app.System
	}
	req.Model = model
	a.model = h.models.named(model)
	clientID := f.ID
	if len(clientID) > store.MaxIDBytes {
		clientID = ""
	}
	asked, err := h.record(store.Ask{
		User: owner, Conversation: conv, Replace: f.Replace, Regenerate: f.Regenerate, Parent: f.Parent, Question: f.Text, Client: clientID, Answer: a.id, History: historyMessages, Attachments: f.Attachments,
		Model: f.Model, AnswerModel: a.model,
	})

	h.mu.Lock()
	if err != nil || asked.Existing != "" {
		h.wg.Done()
		h.endedLocked(owner)
		// A question the store did not take does not count: the page
		// sends it again.
		if i := slices.Index(h.recent[owner], now); i >= 0 {
			h.recent[owner] = slices.Delete(h.recent[owner], i, i+1)
		}
		delete(h.answers, a.id)
		if h.byClient[key] == a {
			delete(h.byClient, key)
		}
		switch {
		case errors.Is(err, store.ErrNotFound) && f.Replace != "":
			err = errNoAnswer
		case errors.Is(err, store.ErrNotFound) && f.Parent != "":
			err = errNoParent
		case errors.Is(err, store.ErrNotFound) && len(f.Attachments) > 0:
			err = errNoFile
		}
		if err == nil {
			// Asked before, here before a restart or on another
			// instance: the ask joins that answer.
			err = errJoined
		}
		a.failed(err)
		h.mu.Unlock()
		cancel()
		if err == errJoined {
			if b, ok := h.resume(context.WithoutCancel(h.ctx), owner, asked.Existing); ok {
				return b, nil
			}
			return nil, errNoAnswer
		}
		return nil, err
	}
	a.conversation, a.question = asked.Conversation.ID, asked.QuestionID
	h.current[s] = a.conversation
	close(a.stored)
	h.mu.Unlock()
	// The conversation's own instructions win over its app's.
	if asked.Conversation.System != "" {
		system = asked.Conversation.System
	}
	if asked.Conversation.Temperature != nil {
		req.Temperature = asked.Conversation.Temperature
	}
	go func() {
		// The files' bytes are read here, not in the ask's transaction
		// nor before its ack: the model gets them, the ack waits for none.
		files := h.readFiles(owner, asked.History, asked.Files)
		var own []store.FileData
		for _, f := range asked.Files {
			if d, ok := files[f.ID]; ok {
				own = append(own, d)
			}
		}
		question, images := withFiles(asked.Question, own)
		req.Turns = buildTurns(system, history(asked.History, files), question, h.budget)
		req.Turns[len(req.Turns)-1].Images = images
		h.generate(gctx, a, req)
	}()
	return a, nil
}

// maxAskBatch bounds the asks recorded in one transaction; askCommitters
// is how many transactions of asks may run at once (one stalled
// transaction holds up only the asks in it).
const (
	maxAskBatch   = 256
	askCommitters = 2
)

// pendingAsk is an ask waiting for commitAsks.
type pendingAsk struct {
	ask   store.Ask
	asked store.Asked
	err   error
	done  chan struct{}
}

// record has commitAsks record an ask, and waits for it.
func (h *hub) record(a store.Ask) (store.Asked, error) {
	p := &pendingAsk{ask: a, done: make(chan struct{})}
	select {
	case h.asks <- p:
	case <-h.halt:
		return store.Asked{}, errors.New("the server is stopping")
	}
	<-p.done
	return p.asked, p.err
}

// commitAsks records the asks that wait, together: whatever came while
// the last transaction ran goes in the next (group commit); askCommitters
// of it run. With SQLite's
// one writer, a burst of a thousand questions is a few transactions, not a
// thousand in a row. It runs until the hub halts, after every ask (each
// holds the generations' WaitGroup) is over.
func (h *hub) commitAsks() {
	defer h.savers.Done()
	batch := make([]*pendingAsk, 0, maxAskBatch)
	asks := make([]store.Ask, 0, maxAskBatch)
	for {
		batch = batch[:0]
		select {
		case p := <-h.asks:
			batch = append(batch, p)
		case <-h.halt:
			return
		}
	more:
		for len(batch) < maxAskBatch {
			select {
			case p := <-h.asks:
				batch = append(batch, p)
			default:
				break more
			}
		}
		asks = asks[:0]
		for _, p := range batch {
			asks = append(asks, p.ask)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), 10*time.Second)
		start := time.Now()
		out, err := h.store.Asks(ctx, asks)
		since(h.m.storeWrite.WithLabelValues("asks"), start)
		cancel()
		for i, p := range batch {
			if err != nil {
				p.err = err
			} else {
				p.asked, p.err = out[i], out[i].Err
			}
			close(p.done)
		}
	}
}

// admitLocked applies the per-user limits to a new question: answers
// generating at once, and questions in the last minute. Only questions that
// got an answer count (ask records them): a refused one, or one the store
// could not take and the page sends again, does not.
func (h *hub) admitLocked(owner string, now time.Time) error {
	if h.live[owner] >= h.limits.Answers {
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

// streamingLocked reports whether an answer of owner's conversation conv
// is being generated, or about to be (its ask is being stored).
func (h *hub) streamingLocked(owner, conv string) bool {
	for _, a := range h.answers {
		if a.owner == owner && a.conversation == conv && a.live() {
			return true
		}
	}
	return false
}

// get returns the answer id if owner owns it and it is in memory. Another
// user's answer is as unknown as one that never existed.
func (h *hub) get(owner, id string) (*answer, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.answers[id]
	if !ok || a.owner != owner || !a.isStored() {
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
	// Aside: this runs on the connection's reader (see aside).
	m, err := aside(func() (store.Message, error) { return h.store.Message(ctx, owner, id) })
	if err != nil || m.Role != store.RoleAssistant {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.log.Warn("store: resume", "err", err)
		}
		return nil, false
	}
	a := newAnswer(m.ID, m.Conversation, owner, func() {})
	a.text, a.model = []byte(m.Text), m.Model
	if m.Status == store.StatusStreaming && h.feed != nil {
		// Another instance generates it: this one mirrors it, its text
		// read from the store at each of the feed's events (mirror).
		a.remote = true
		h.mu.Lock()
		if b, ok := h.answers[id]; ok && b.owner == owner {
			h.mu.Unlock()
			return b, true // mirrored meanwhile
		}
		h.answers[id] = a
		h.mu.Unlock()
		// Events between the read above and now were not for a mirror
		// yet: read once more (the end may have been one of them).
		_, _ = aside(func() (struct{}, error) {
			h.mirror(ctx, a)
			return struct{}{}, nil
		})
		return a, true
	}
	a.end(storedEnd(m), time.Now())
	return a, true
}

// storedEnd is the frame that ends an answer as the store has it; one
// still streaming there, with no instance generating it, was interrupted.
func storedEnd(m store.Message) protocol.ServerFrame {
	last := protocol.ServerFrame{Status: protocol.StatusEnd, Finish: m.Finish, Usage: m.Usage}
	switch m.Status {
	case store.StatusError:
		last = protocol.ServerFrame{Status: protocol.StatusError, Code: m.ErrorCode, Content: m.ErrorText}
	case store.StatusStreaming:
		last.Finish = protocol.FinishInterrupted
	}
	return last
}

// listen follows the feed (several instances on one database) until the
// hub halts: it stops the answers this instance generates that a client of
// another asked to stop, and brings the answers it mirrors up to date.
// Mirrors are read by mirrorWorkers goroutines, an answer queued at most
// once however many events name it meanwhile, so a burst of events (a
// thousand answers every save) costs one read per answer.
func (h *hub) listen() {
	defer h.savers.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-h.halt
		cancel()
	}()
	work := make(chan *answer, 4096)
	var workers sync.WaitGroup
	for range mirrorWorkers {
		workers.Go(func() {
			for a := range work {
				sent := a.pendingSince.Swap(0)
				a.queued.Store(false)
				h.mirror(ctx, a)
				if sent > 0 {
					since(h.m.fanoutLag, time.Unix(0, sent))
				}
			}
		})
	}
	queue := func(a *answer, sent time.Time) {
		if !sent.IsZero() {
			a.pendingSince.CompareAndSwap(0, sent.UnixNano())
		}
		if a.queued.CompareAndSwap(false, true) {
			work <- a
		}
	}
	h.feed.Listen(ctx, func(e store.Event) {
		if e.Kind == store.EventResync {
			h.mu.Lock()
			var mirrors []*answer
			for _, a := range h.answers {
				if a.remote && a.live() {
					mirrors = append(mirrors, a)
				}
			}
			h.mu.Unlock()
			for _, a := range mirrors {
				queue(a, time.Time{})
			}
			return
		}
		h.mu.Lock()
		a, ok := h.answers[e.Answer]
		h.mu.Unlock()
		if !ok || a.owner != e.User {
			return
		}
		switch {
		case e.Kind == store.EventStop && !a.remote:
			a.cancel()
		case e.Kind != store.EventStop && a.remote:
			queue(a, e.Sent)
		}
	})
	cancel()
	close(work)
	workers.Wait()
}

// mirrorWorkers read mirrored answers from the store at once.
const mirrorWorkers = 8

// mirror brings an answer another instance generates up to what the store
// has: its new text, and its end once it has one.
func (h *hub) mirror(ctx context.Context, a *answer) {
	a.mirroring.Lock() // one read and append at a time
	defer a.mirroring.Unlock()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	m, err := h.store.Message(rctx, a.owner, a.id)
	cancel()
	if errors.Is(err, store.ErrNotFound) {
		// Deleted with its conversation.
		a.end(protocol.ServerFrame{Status: protocol.StatusEnd, Finish: protocol.FinishInterrupted}, time.Now())
		return
	}
	if err != nil {
		h.log.Warn("store: mirror an answer", "answer", a.id, "err", err)
		return
	}
	if n := a.length(); len(m.Text) > n {
		a.append(m.Text[n:])
	}
	if m.Status != store.StatusStreaming {
		a.end(storedEnd(m), time.Now())
	}
}

// stop stops owner's answer id: here when this instance generates it,
// else through the feed on the instance that does.
func (h *hub) stop(ctx context.Context, owner, id string) {
	if a, ok := h.get(owner, id); ok && !a.remote {
		a.cancel()
		return
	}
	if h.feed != nil {
		if _, err := aside(func() (struct{}, error) { return struct{}{}, h.feed.NotifyStop(ctx, owner, id) }); err != nil {
			h.log.Warn("store: notify a stop", "err", err)
		}
	}
}

// endedLocked counts one of owner's answers as no longer generating.
func (h *hub) endedLocked(owner string) {
	if h.live[owner]--; h.live[owner] <= 0 {
		delete(h.live, owner)
	}
}

// evictLocked forgets answers that ended more than retain ago. saveAll
// calls it with every batch of saves, not every ask: it reads every
// answer.
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
	h.m.streaming.Inc()
	defer h.m.streaming.Dec()
	tooLong, first := false, true
	emit := func(chunk string) {
		if first {
			since(h.m.firstChunk, a.askedAt)
			first = false
		}
		if !tooLong && !a.append(chunk) {
			tooLong = true
			a.cancel()
		}
	}
	res, err := h.upstream.Stream(ctx, req, emit)
	last := h.lastFrame(ctx, a, res, err, tooLong)
	a.end(last, time.Now())
	h.mu.Lock()
	h.endedLocked(a.owner)
	h.mu.Unlock()
	text, _ := a.finished()
	end := store.Message{Text: text, Status: store.StatusDone, Finish: last.Finish, Usage: last.Usage}
	if last.Status == protocol.StatusError {
		end = store.Message{Text: text, Status: store.StatusError, ErrorCode: last.Code, ErrorText: last.Content}
	}
	h.endAnswer(a, end)
}

// endAnswer writes an answer's end: its whole text and how it ended. A
// client may have received all of it already, so it must not stay shorter
// in the store: a failed write is retried, with a growing pause, until it
// succeeds, also while the server shuts down (that is when it matters
// most), for at most finalSaveFor after the shutdown began.
func (h *hub) endAnswer(a *answer, end store.Message) {
	pause := 50 * time.Millisecond
	var giveUp <-chan time.Time
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), 10*time.Second)
		start := time.Now()
		err := h.store.EndAnswer(ctx, a.owner, a.id, end)
		since(h.m.storeWrite.WithLabelValues("end"), start)
		cancel()
		if err == nil || errors.Is(err, store.ErrNotFound) {
			// Not found: the conversation was deleted meanwhile.
			return
		}
		h.log.Warn("store: end answer", "answer", a.id, "attempt", attempt, "err", err)
		if giveUp == nil {
			select {
			case <-h.ctx.Done():
				giveUp = time.After(finalSaveFor)
			default:
			}
		}
		select {
		case <-time.After(pause):
		case <-giveUp:
			h.log.Error("store: an answer's end was not saved before the server stopped", "answer", a.id)
			return
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// saveAll writes the progress of every streaming answer to the store, all
// in one transaction, every saveEvery, until the hub stops: a crash loses
// at most that much of an answer. An answer with no new text is marked
// alive every touchEvery. A failed batch is retried with the next tick's
// text; an answer's end writes its whole text anyway (endAnswer). It runs
// until the hub halts (hub.wait: the generations are over).
func (h *hub) saveAll() {
	defer h.savers.Done()
	t := time.NewTicker(h.saveEvery)
	defer t.Stop()
	// Kept from tick to tick: the answers streaming, the saves of those
	// with something to save, and how much text each save carries.
	var live, batch []*answer
	var saves []store.AnswerSave
	var sizes []int
	for {
		select {
		case <-h.halt:
			return
		case <-t.C:
		}
		now := time.Now()
		live = live[:0]
		h.mu.Lock()
		h.evictLocked(now)
		for _, a := range h.answers {
			if a.isStored() && a.live() && !a.remote {
				live = append(live, a)
			}
		}
		h.mu.Unlock()
		saves, sizes, batch = saves[:0], sizes[:0], batch[:0]
		for _, a := range live {
			chunk, ended := a.readAll(a.saved)
			switch {
			case ended:
				continue
			case chunk != "", now.Sub(a.savedAt) >= touchEvery:
				saves = append(saves, store.AnswerSave{User: a.owner, ID: a.id, Text: chunk})
				sizes = append(sizes, len(chunk))
				batch = append(batch, a)
			}
		}
		if len(saves) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), 5*time.Second)
		start := time.Now()
		err := h.store.SaveAnswers(ctx, saves)
		since(h.m.storeWrite.WithLabelValues("save"), start)
		cancel()
		if err != nil {
			h.log.Warn("store: save answers", "answers", len(saves), "err", err)
			continue
		}
		for i, a := range batch {
			a.saved += sizes[i]
			a.savedAt = now
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
		h.m.upstreamErrors.WithLabelValues(ue.Code).Inc()
		return protocol.ServerFrame{
			Status: protocol.StatusError, Code: ue.Code, Content: ue.Message,
			RetryAfter: int(math.Ceil(ue.RetryAfter.Seconds())),
		}
	case err != nil:
		// Not classified: its text may carry anything, so only its type is
		// logged.
		h.log.Warn("upstream failed", "answer", a.id, "error_type", fmt.Sprintf("%T", err))
		h.m.upstreamErrors.WithLabelValues(protocol.CodeUpstream).Inc()
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

// wait blocks until every generation has returned (each wrote its end),
// then stops the saver.
func (h *hub) wait() {
	h.wg.Wait()
	h.halted()
	h.savers.Wait()
}
