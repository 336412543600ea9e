package server

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Timeouts bound how long a client may hold the server's connections
// without making progress. WebSockets have their own: pings, and a write
// timeout per frame (ws.go).
type Timeouts struct {
	// Idle is how long a keep-alive connection is kept between requests
	// (http.Server.IdleTimeout); default 60 s.
	Idle time.Duration
	// Body is the window a request body must make progress in: at least
	// MinBodyRate bytes each Body, else the request is dropped; default
	// 30 s. A body trickled a byte at a time ties nothing up for longer.
	Body time.Duration
	// Write is how long a response may take to write, except a streamed
	// export, whose every conversation gets this long; default 2 minutes.
	Write time.Duration
	// Search is how long a search may run before it is stopped; default
	// 5 s.
	Search time.Duration
}

// MinBodyRate is the least a request body must send per Timeouts.Body:
// 64 KiB, a 64 MiB import on a link of 20 kbit/s.
const MinBodyRate = 64 << 10

// DefaultTimeouts are the timeouts of a zero Timeouts field.
var DefaultTimeouts = Timeouts{Idle: 60 * time.Second, Body: 30 * time.Second, Write: 2 * time.Minute, Search: 5 * time.Second}

func (t Timeouts) withDefaults() Timeouts {
	if t.Idle <= 0 {
		t.Idle = DefaultTimeouts.Idle
	}
	if t.Body <= 0 {
		t.Body = DefaultTimeouts.Body
	}
	if t.Write <= 0 {
		t.Write = DefaultTimeouts.Write
	}
	if t.Search <= 0 {
		t.Search = DefaultTimeouts.Search
	}
	return t
}

// HTTPServer returns the http.Server to serve s with: the request header
// and idle connection timeouts set (a plain http.Server keeps an idle
// keep-alive connection forever). Body and write deadlines are set per
// request by s itself.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       s.cfg.Timeouts.Idle,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// withDeadlines serves a request that is not a WebSocket with deadlines:
// its body must progress (progressBody), its response be written within
// Timeouts.Write, its last bytes too (net/http flushes them after the
// handler, then clears the deadlines for the connection's next request,
// as it does the read deadline once the body is read). Where the
// connection does not support deadlines, nothing is set.
func (s *Server) withDeadlines(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.Timeouts.Write))
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &progressBody{ReadCloser: r.Body, rc: rc, window: s.cfg.Timeouts.Body}
	}
	next.ServeHTTP(w, r)
}

// errSlowBody is the error of a body read that made too little progress.
var errSlowBody = errors.New("the request body came too slowly")

// progressBody reads a request body that must bring MinBodyRate bytes in
// each window: the connection's read deadline is the window's end, moved
// on each time the window has brought its bytes.
type progressBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	window time.Duration
	start  time.Time // of the window; zero before the first read
	got    int       // bytes in the window
}

func (b *progressBody) Read(p []byte) (int, error) {
	now := time.Now()
	if b.start.IsZero() || b.got >= MinBodyRate {
		b.start, b.got = now, 0
		_ = b.rc.SetReadDeadline(now.Add(b.window))
	}
	n, err := b.ReadCloser.Read(p)
	b.got += n
	if err != nil && !errors.Is(err, io.EOF) && time.Since(b.start) >= b.window {
		return n, errSlowBody
	}
	return n, err
}
