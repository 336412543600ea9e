package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// Config is what New needs. cmd/wasmchat fills it from flags and the
// environment; nothing in this package reads either.
type Config struct {
	// Store keeps conversations, messages and (unless Tokens is set) the
	// tokens. Required; the caller closes it after Shutdown.
	Store    store.Store
	Tokens   Tokens   // authenticates WebSocket and API clients; default Store
	Upstream Upstream // required
	// Page describes the page (title, icons, styles); its routes are
	// registered with go-app by the caller. New sets its Resources, Version,
	// worker and environment, and points its files at their hashed names.
	Page *app.Handler
	// Web holds the files served under /web/: app.wasm with app.wasm.br and
	// app.wasm.gz, icons, styles.
	Web fs.FS
	// Version is the build's version. The served version is Version plus a
	// hash of the wasm, so it changes with every build and never with a mere
	// restart (go-app's default changes at every start and makes every
	// client reload).
	Version string
	// OriginPatterns are the foreign origins allowed to open WebSockets,
	// as in websocket.AcceptOptions. The server's own host is always allowed.
	OriginPatterns []string
	// Retain is how long an ended answer stays in memory for resumes.
	Retain time.Duration
	// Apps are the presets questions can run in; nil means BuiltinApps.
	Apps []App
	// Models, when set, are the only models questions may name (of those
	// the upstream lists, GET /api/models); an app may still fix another.
	Models []string
	// ContextChars is the budget, in characters, of the conversation sent
	// to the model with each question (default 24,000, about 6,000 tokens
	// of English); the oldest turns are dropped first.
	ContextChars int
	// StaleAnswers, when set, is how long a streaming answer may go
	// unwritten before it is taken for the answer of a crashed instance
	// and ended interrupted; it is checked every third of it (at most a
	// minute). Set it when several instances share a database (a live
	// answer is written at least every 10 s). Unset (one instance), every
	// unfinished answer is ended interrupted at start, and no other time.
	StaleAnswers time.Duration
	// RevokeCheck is how often the tokens of open WebSockets are checked,
	// so that revoking a token closes them (TokenChecker); default
	// DefaultRevokeCheck.
	RevokeCheck time.Duration
	// Limits bound what one user may use at once.
	Limits Limits
	// Timeouts bound how long a client may hold a connection idle or
	// slow; zero fields take DefaultTimeouts. Serve with HTTPServer, which
	// sets the idle timeout.
	Timeouts Timeouts
	// FileQuota is how many bytes of attachments one user may keep
	// (default DefaultFileQuota).
	FileQuota int64
	// MaxTransfers bounds the exports and imports running at once, all
	// users together (each user runs one at a time); default 4.
	MaxTransfers int
	// MaxSearches bounds the searches running at once, all users together
	// (each user runs one at a time); default 2, below the 4 readers of a
	// SQLite store.
	MaxSearches int
	Logger      *slog.Logger
}

// Limits bound what one user (all of the user's tokens and connections)
// may use at once, so one user cannot starve the others; a zero field takes
// its default. Past a limit the client gets a status-1 error with code
// "limit" and nothing else is affected.
type Limits struct {
	Connections int // open WebSockets (tabs and devices)
	Answers     int // answers generating at the same time
	PerMinute   int // questions in any 60 seconds
}

// DefaultLimits are the limits of a zero Limits field.
var DefaultLimits = Limits{Connections: 16, Answers: 4, PerMinute: 30}

func (l Limits) withDefaults() Limits {
	if l.Connections <= 0 {
		l.Connections = DefaultLimits.Connections
	}
	if l.Answers <= 0 {
		l.Answers = DefaultLimits.Answers
	}
	if l.PerMinute <= 0 {
		l.PerMinute = DefaultLimits.PerMinute
	}
	return l
}

// Server serves the page, its assets and the WebSocket endpoint.
type Server struct {
	cfg       Config
	log       *slog.Logger
	hub       *hub
	perUser   counter       // open WebSockets per user
	imports   counter       // imports running per user: at most one
	exports   counter       // exports running per user: at most one
	transfers chan struct{} // a slot per export or import running: MaxTransfers
	searching counter       // searches running per user: at most one
	searches  chan struct{} // a slot per search running: MaxSearches
	sockets   sockets       // open WebSockets by token
	refusals  throttle      // the log lines of refusals
	metrics   *metrics
	assets    *assets
	mux       *http.ServeMux
	version   string
	// csp is the Content-Security-Policy of everything the server serves:
	// its page talks to the server alone.
	csp           string
	appsFrame     protocol.ServerFrame // lists the apps, after hello
	featuresFrame protocol.ServerFrame // what the server supports, after the apps

	connCtx   context.Context // ends at Shutdown: connections close
	stopConns context.CancelFunc
	stopGen   context.CancelFunc // interrupts generations
	conns     sync.WaitGroup
	draining  atomic.Bool // no new answers
}

// New returns a Server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Upstream == nil || cfg.Page == nil || cfg.Web == nil {
		return nil, errors.New("server: Store, Upstream, Page and Web are required")
	}
	if cfg.Tokens == nil {
		cfg.Tokens = cfg.Store
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 10 * time.Minute
	}
	if cfg.Apps == nil {
		cfg.Apps = BuiltinApps
	}
	if cfg.ContextChars <= 0 {
		cfg.ContextChars = 24000
	}
	cfg.Limits = cfg.Limits.withDefaults()
	cfg.Timeouts = cfg.Timeouts.withDefaults()
	if cfg.FileQuota <= 0 {
		cfg.FileQuota = DefaultFileQuota
	}
	if cfg.MaxTransfers <= 0 {
		cfg.MaxTransfers = 4
	}
	if cfg.MaxSearches <= 0 {
		cfg.MaxSearches = 2
	}
	a, err := newAssets(cfg.Web)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, assets: a, transfers: make(chan struct{}, cfg.MaxTransfers), searches: make(chan struct{}, cfg.MaxSearches)}
	s.version = buildVersion(cfg.Version, a)
	if a.wasm() == nil {
		s.log.Warn("no " + WasmPath + ": the page will not start; build with `make build`")
	}
	genCtx, stopGen := context.WithCancel(context.Background())
	s.stopGen = stopGen
	s.connCtx, s.stopConns = context.WithCancel(context.Background())
	s.metrics = newMetrics()
	s.hub = newHub(genCtx, cfg, s.metrics)
	if err := s.interruptUnfinished(genCtx); err != nil {
		stopGen()
		return nil, err
	}
	if cfg.StaleAnswers > 0 {
		go func() {
			t := time.NewTicker(min(time.Minute, cfg.StaleAnswers/3))
			defer t.Stop()
			for {
				select {
				case <-genCtx.Done():
					return
				case <-t.C:
					_ = s.interruptUnfinished(genCtx)
				}
			}
		}()
	}
	if cfg.RevokeCheck <= 0 {
		cfg.RevokeCheck = DefaultRevokeCheck
	}
	go s.checkTokens(genCtx, cfg.RevokeCheck)
	apps, _ := json.Marshal(appList(cfg.Apps))
	s.appsFrame = protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlApps, Content: string(apps)}
	features := []string{}
	if s.hub.replace {
		features = append(features, protocol.FeatureReplace, protocol.FeatureBranches)
	}
	list, _ := json.Marshal(features)
	s.featuresFrame = protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlFeatures, Content: string(list)}

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.mux.HandleFunc("GET "+sharePrefix+"{secret}", s.serveShare)
	s.routeAPI(s.mux)
	s.mux.HandleFunc("GET /ws/", func(w http.ResponseWriter, r *http.Request) {
		s.conns.Add(1)
		defer s.conns.Done()
		s.serveWS(w, r)
	})
	site := newSite(cfg.Page, a, s.version, siteOptions{})
	s.csp = contentSecurityPolicy(nil, false, site.style.hash)
	s.mux.Handle("/", site)
	return s, nil
}

// buildVersion is the page's version: the stamped version, and a hash of
// every web file (their content-hashed names), so a change of the wasm or
// of the style (inline in the page) is a new version, which browsers and
// the worker fetch anew.
func buildVersion(version string, a *assets) string {
	sum := sha256.Sum256([]byte(strings.Join(a.hashedURLs(), "\n")))
	h := hex.EncodeToString(sum[:6])
	if version == "" {
		return h
	}
	return version + "-" + h
}

// interruptUnfinished ends the answers a crashed server left streaming.
func (s *Server) interruptUnfinished(ctx context.Context) error {
	n, err := s.hub.store.InterruptUnfinished(ctx, time.Now().Add(-s.cfg.StaleAnswers))
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("ended answers a stopped server left unfinished as interrupted", "answers", n)
	}
	return nil
}

// Version returns the version the page is served with.
func (s *Server) Version() string { return s.version }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if strings.HasPrefix(r.URL.Path, "/ws/") {
		s.mux.ServeHTTP(w, r) // a WebSocket's own timeouts apply (ws.go)
		return
	}
	s.withDeadlines(w, r, s.mux)
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	if s.connCtx.Err() != nil {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Shutdown drains the server: new questions are refused, answers in flight
// finish until ctx ends and the rest are interrupted (they end with finish
// "interrupted", which connected clients receive), then every WebSocket
// connection closes. Call it after http.Server.Shutdown, which does not wait
// for WebSockets.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	done := make(chan struct{})
	go func() {
		s.hub.wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.stopGen()
	<-done
	s.stopConns()
	s.conns.Wait()
	return err
}
