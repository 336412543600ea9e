// Package session is the page's core: the conversations open, the
// sidebar's list, the calls to the server's API, what is kept in browser
// storage, and the frames of the WebSocket client. It is plain Go, with
// no go-app and no browser in it, so every behaviour of the page that is
// not drawing is tested natively (session_test.go).
//
// A Session belongs to one goroutine: the page's UI goroutine. Its
// methods are called there, and it tells what changed (Config.OnChange)
// there. What it does in the background (an API call, a frame from the
// client's goroutine) comes back through Config.Post, which runs a
// function on that goroutine; the page's Post is go-app's Dispatch.
package session

import (
	"context"
	"slices"

	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
)

// PageSize is how many of a conversation's last messages show at first;
// "show earlier" adds as many again. A conversation of 1,000 messages
// opens as fast as one of 100.
const PageSize = 50

// Client is the WebSocket client as the session uses it: a
// *wsclient.Client, which keeps asks in its outbox until the server
// acknowledges them and resumes answers from the bytes held.
type Client interface {
	Ask(ctx context.Context, f protocol.ClientFrame)
	Send(ctx context.Context, f protocol.ClientFrame) error
	Track(answer string, held int)
	Resume(ctx context.Context, answer string, held int)
}

var _ Client = (*wsclient.Client)(nil)

// Texts are the session's words for what it reports; the page sets them
// in its language.
type Texts struct {
	Loading                                string
	LoadFailed, RenameFailed, DeleteFailed string // %s: the error
	InstructionsFailed, ShareFailed        string // %s: the error
	BranchFailed                           string // %s: the error
	NotConnected                           string // a question asked with no server to send it to
	ContinuePrompt                         string // the question Continue asks
}

// Kind is what a Change changed, which tells the page what to draw again
// and where to scroll.
type Kind int

// Kinds of change.
const (
	// Changed: something besides the messages on screen (the list, the
	// status, a search's hits, the apps): draw the page again.
	Changed Kind = iota
	// Grew: the messages on screen changed; draw them, and keep the end in
	// view if the reader is there.
	Grew
	// Chunk: only Change.Message changed, an answer on screen whose text
	// grew: draw that message alone.
	Chunk
	// Moved: another conversation is on screen, or the reader just asked:
	// draw it and go to its end.
	Moved
	// Outdated: the server runs another version than the page: look for
	// an update of the page.
	Outdated
)

// Change is one change the session reports.
type Change struct {
	Kind    Kind
	Message *Message // of a Chunk
}

// Config is what a Session needs.
type Config struct {
	Local Local
	// API is the server's API; nil when the page has no server or token
	// (nothing is fetched, and questions fail at once).
	API API
	// Post runs f on the session's goroutine; it may be called from any
	// goroutine. Default: f runs at once, on the caller's goroutine,
	// which only does for a session that never calls its API or receives
	// frames (the page prerendered on the server).
	Post func(f func())
	// OnChange is told, on the session's goroutine, of each change.
	OnChange func(Change)
	// Version is the page's version, which the server's hello is
	// compared with.
	Version string
	// Context bounds the session's background work and its client calls;
	// default context.Background().
	Context context.Context
}

// Session is the page's state and what the reader can do with it.
type Session struct {
	cfg   Config
	Texts Texts

	conv *Conversation // on screen
	// open holds the conversations loaded this session, by openKey: frames
	// of answers streaming in a conversation not on screen still land in it.
	open   map[string]*Conversation
	list   []Summary // the sidebar, newest first
	shown  int       // how many of the last messages show
	query  string
	hits   []Hit
	client Client
	status wsclient.Status
	apps   []protocol.App
	// canReplace: the server can continue a conversation from an earlier
	// point, so questions offer "edit" and the last answer "regenerate".
	canReplace bool
	app        string // the app questions run in; "" for plain chat
	me         string // who the token signs in as, once the server said
	opened     bool   // the connection has been open once
	// refreshing: a Refresh is on its way; refreshed: one reached the
	// server.
	refreshing, refreshed bool
	models                protocol.Models
	shares                map[string]string // share links' paths, by conversation
	lastModel             string            // the model asked with last: a new chat's
}

// New returns a session showing the conversation kept in storage, with
// the sidebar's list as last kept. It has no client yet: Connect.
func New(cfg Config) *Session {
	if cfg.Local.Storage == nil {
		cfg.Local.Storage = &Memory{}
	}
	if cfg.Post == nil {
		cfg.Post = func(f func()) { f() }
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func(Change) {}
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	cfg.Local.adopt()
	s := &Session{cfg: cfg, open: make(map[string]*Conversation), shown: PageSize}
	s.conv = cfg.Local.conversation()
	s.open[openKey(s.conv)] = s.conv
	s.list = cfg.Local.list()
	s.lastModel = cfg.Local.model()
	return s
}

// Conversation returns the conversation on screen. The page reads it; only
// the session changes it.
func (s *Session) Conversation() *Conversation { return s.conv }

// Shown returns the messages on screen (the last ones: see PageSize) and
// how many earlier ones are loaded but not shown.
func (s *Session) Shown() (msgs []*Message, earlier int) {
	earlier = max(0, len(s.conv.Messages)-s.shown)
	return s.conv.Messages[earlier:], earlier
}

// List returns the sidebar's conversations, newest first.
func (s *Session) List() []Summary { return s.list }

// Hits returns the search shown in the sidebar and its hits.
func (s *Session) Hits() (query string, hits []Hit) { return s.query, s.hits }

// Me returns the name of who the session is signed in as, once the server
// has said (Refresh); "" before.
func (s *Session) Me() string { return s.me }

// Models returns the models questions may name (none: no choice), and the
// one the conversation on screen asks next: its own, else the one asked
// with last, else the server's default.
func (s *Session) Models() (offered []string, chosen string) {
	chosen = s.conv.Model
	if chosen == "" {
		chosen = s.lastModel
	}
	if !slices.Contains(s.models.Models, chosen) {
		chosen = s.models.Default
	}
	return s.models.Models, chosen
}

// SetModel chooses the model the conversation on screen asks next, and
// new chats after it.
func (s *Session) SetModel(model string) {
	s.conv.Model, s.lastModel = model, model
	s.cfg.Local.saveModel(model)
	s.notify(Changed, nil)
}

// Status returns the connection's status.
func (s *Session) Status() wsclient.Status { return s.status }

// Apps returns the apps the server offers, and the one questions run in.
func (s *Session) Apps() (apps []protocol.App, chosen string) { return s.apps, s.app }

// Streaming reports whether an answer on screen is still coming.
func (s *Session) Streaming() bool { return len(s.conv.Streaming()) > 0 }

// Replaceable returns the answer id that message i of msgs (as Shown
// returns them) may replace, or "": a question offers "edit" when its
// answer is known, the last answer "regenerate"; neither while an answer
// streams or when the server cannot.
func (s *Session) Replaceable(msgs []*Message, i int) string {
	if !s.canReplace || s.Streaming() {
		return ""
	}
	m := msgs[i]
	switch {
	case m.Role == RoleUser && i+1 < len(msgs) && msgs[i+1].Role == RoleAssistant && msgs[i+1].Ended:
		return msgs[i+1].Answer
	case m.Role == RoleAssistant && i == len(msgs)-1 && m.Ended:
		return m.Answer
	}
	return ""
}

// Connect hands the session its client, and the client what was in flight
// when the page was last closed: the answers to resume, and the questions
// to send again (the server answers each client id once).
func (s *Session) Connect(c Client) {
	s.client = c
	answers, asks := s.conv.InFlight()
	for _, m := range answers {
		c.Track(m.Answer, len(m.Text))
	}
	for _, f := range asks {
		c.Ask(s.cfg.Context, f)
	}
}

// OnFrame takes a frame from the client, on any goroutine: the client's
// Config.OnFrame.
func (s *Session) OnFrame(f protocol.ServerFrame) { s.cfg.Post(func() { s.receive(f) }) }

// OnState takes the connection's status, on any goroutine: the client's
// Config.OnState.
func (s *Session) OnState(st wsclient.Status) { s.cfg.Post(func() { s.SetStatus(st) }) }

// SetStatus sets the connection's status. Each time the connection opens
// after it was not, the session refreshes what it has from the server
// (Refresh): a page started offline, or back after a while, shows the
// list, the account and the models as they are now.
func (s *Session) SetStatus(st wsclient.Status) {
	opens := st.State == wsclient.Open && s.status.State != wsclient.Open
	reopened := opens && s.opened
	s.opened = s.opened || opens
	s.status = st
	s.notify(Changed, nil)
	if reopened || opens && !s.refreshed && !s.refreshing {
		s.Refresh()
	}
}

// SetApp chooses the app the next questions run in ("" for plain chat).
func (s *Session) SetApp(id string) { s.app = id }

func (s *Session) notify(k Kind, m *Message) { s.cfg.OnChange(Change{Kind: k, Message: m}) }
