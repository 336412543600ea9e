package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
)

const (
	writeTimeout = 10 * time.Second // a client that takes longer is dropped
	pingInterval = 30 * time.Second // WebSocket pings, which browsers answer
	pongTimeout  = 10 * time.Second // without a pong by then, the peer is gone
)

// serveWS serves /ws/{token}-{channel} and /ws/{channel}.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ep, err := protocol.ParseEndpoint(r.URL.Path)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	token := ep.Token
	if token == "" {
		token = protocol.TokenFromSubprotocols(strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ","))
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		// Not a WebSocket handshake: plain HTTP semantics apply.
		http.Error(w, "WebSocket endpoint: connect with a WebSocket client", http.StatusUpgradeRequired)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:   []string{protocol.Subprotocol},
		OriginPatterns: s.cfg.OriginPatterns,
	})
	if err != nil {
		s.refusals.log(s.log, slog.LevelInfo, "websocket handshake refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(protocol.MaxFrameBytes)
	user, err := aside(func() (string, error) { return s.cfg.Tokens.Authenticate(r.Context(), token) })
	if err != nil || token == "" {
		s.refusals.log(s.log, slog.LevelInfo, "websocket refused: unknown token", "remote", r.RemoteAddr)
		refuse(ws)
		return
	}
	if !s.perUser.add(user, s.cfg.Limits.Connections) {
		s.refusals.log(s.log, slog.LevelInfo, "websocket refused: connection limit", "user", user, "remote", r.RemoteAddr)
		refuseWith(ws, protocol.CodeLimit, "Too many connections are open with this sign-in: close a tab or two.", websocket.StatusPolicyViolation)
		return
	}
	defer s.perUser.remove(user)
	s.metrics.connections.Inc()
	defer s.metrics.connections.Dec()
	c := &conn{s: s, ws: ws, user: user, channel: ep.Channel}
	c.log = s.log.With("user", user, "remote", r.RemoteAddr)
	s.sockets.add(token, c)
	defer s.sockets.remove(token, c)
	c.run(s.connCtx)
}

// aside runs f on a goroutine of its own and returns what it returns. For
// a store call made on a connection's reader: the store's query (SQLite is
// Go code) runs deep, and the stack it grows would otherwise stay with the
// reader for as long as the connection is open, most of an idle
// connection's memory.
func aside[T any](f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	r := <-done
	return r.v, r.err
}

func refuse(ws *websocket.Conn) {
	refuseWith(ws, protocol.CodeUnauthorized, "This sign-in token is not valid. Open a new login link to sign in again.", protocol.CloseUnauthorized)
}

// refuseWith sends one error frame and closes the connection with status.
func refuseWith(ws *websocket.Conn, code, msg string, status websocket.StatusCode) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	f := protocol.ServerFrame{Status: protocol.StatusError, Code: code, Content: msg}
	_ = ws.Write(ctx, websocket.MessageText, f.Encode())
	_ = ws.Close(status, code)
}

// counter counts each user's open connections.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

// add counts one more for user unless user has max already.
func (c *counter) add(user string, max int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = make(map[string]int)
	}
	if c.n[user] >= max {
		return false
	}
	c.n[user]++
	return true
}

func (c *counter) remove(user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[user]--; c.n[user] <= 0 {
		delete(c.n, user)
	}
}

// conn is one client connection: its reader (run, the HTTP handler's
// goroutine) and one follower goroutine per answer the client reads; an
// idle connection has no other goroutine. Frames are written by whoever
// sends them (coder/websocket serialises writes): a client that reads
// slowly slows its followers down, which then coalesce more text per
// frame, and one that stops reading is dropped after writeTimeout. Pings
// and the server's shutdown are timers (time.AfterFunc, context.AfterFunc),
// not goroutines.
type conn struct {
	s       *Server
	ws      *websocket.Conn
	user    string
	channel int
	log     *slog.Logger
	drop    context.CancelFunc // ends the connection

	mu        sync.Mutex
	closing   bool // no new followers: the connection or the server is ending
	followers sync.WaitGroup
	// following holds the follower of each answer the client reads: one
	// per answer, however often the client asks to resume it.
	following map[string]*follower
	ping      *time.Timer // the next ping
	ended     bool        // no more pings
}

// run serves the connection until the client leaves, a write fails, or
// the server shuts down. At shutdown the answers end first (Server.Shutdown
// sees to it), their followers send the end frames, and the connection
// closes with "going away".
func (c *conn) run(shutdown context.Context) {
	ctx, cancel := context.WithCancel(context.Background())
	c.drop = cancel
	defer func() {
		cancel()
		c.stopFollowers()
		c.stopPings()
		_ = c.ws.CloseNow()
	}()
	c.schedulePing(ctx)
	stopShutdown := context.AfterFunc(shutdown, func() {
		c.stopFollowers()
		_ = c.ws.Close(websocket.StatusGoingAway, "server restarting")
		cancel()
	})
	defer stopShutdown()
	hello := protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlHello, Content: c.s.version}
	if c.send(ctx, hello) != nil || c.send(ctx, c.s.appsFrame) != nil || c.send(ctx, c.s.featuresFrame) != nil {
		return
	}
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if ctx.Err() == nil && websocket.CloseStatus(err) == -1 {
				c.log.Debug("websocket read", "err", err)
			}
			return
		}
		if typ != websocket.MessageText {
			c.sendError(ctx, "", protocol.CodeBadFrame, "Binary frames are not supported: send text.")
			continue
		}
		c.handle(ctx, data)
	}
}

// schedulePing pings the peer in pingInterval, and drops it when no pong
// comes within pongTimeout: a vanished client (no FIN, e.g. a laptop lid
// closed) is otherwise noticed only when a write times out. Browsers answer
// pings by themselves, so this works for the seed page too, which sends no
// heartbeat of its own.
func (c *conn) schedulePing(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ping = time.AfterFunc(pingInterval, func() {
		pctx, cancel := context.WithTimeout(ctx, pongTimeout)
		err := c.ws.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.log.Info("dropping connection: no pong", "err", err)
				c.drop()
			}
			return
		}
		c.schedulePing(ctx)
	})
}

// revoke closes the connection: its token was revoked. The client is
// told so (an unauthorized error, close code 4401) and does not reconnect.
func (c *conn) revoke() {
	go func() {
		c.log.Info("closing connection: its token was revoked")
		refuse(c.ws)
		c.drop()
	}()
}

// stopPings stops the pings for good.
func (c *conn) stopPings() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.ping != nil {
		c.ping.Stop()
	}
}

// maxFollowed bounds the answers one connection reads at once: more than
// any page asks for (a user generates at most Limits.Answers at a time),
// so that a client cannot make the server hold one follower, and its
// text, per resume frame it sends.
const maxFollowed = 32

// errFollowLimit refuses a resume beyond maxFollowed.
var errFollowLimit = &protocol.Error{Code: protocol.CodeLimit, Message: "Too many answers are being read on this connection at once."}

// follower is the goroutine that sends one answer on a connection.
type follower struct {
	// again is -1, or the least offset the client asked for (a resume, an
	// ask joining the answer) while the follower ran: it sends the answer
	// again from there when it has sent the end.
	again int
}

// follow starts sending answer a from off, unless the connection is
// closing. An answer the connection follows already is not followed
// twice: its follower goes on, and sends the answer again from off once it
// has sent the end (the text before that is sent or on its way, but a
// request that came as the end went must not be lost). So a flood of
// resumes costs reading them, and one more pass. It refuses beyond
// maxFollowed answers at once.
func (c *conn) follow(ctx context.Context, a *answer, off int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	if f, ok := c.following[a.id]; ok {
		if f.again < 0 || off < f.again {
			f.again = off
		}
		return nil
	}
	if len(c.following) >= maxFollowed {
		return errFollowLimit
	}
	if c.following == nil {
		c.following = make(map[string]*follower)
	}
	f := &follower{again: -1}
	c.following[a.id] = f
	c.followers.Go(func() {
		for {
			a.follow(ctx, off, c.send)
			c.mu.Lock()
			again := f.again
			f.again = -1
			if again < 0 || c.closing || ctx.Err() != nil {
				delete(c.following, a.id)
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			off = again
		}
	})
	return nil
}

// stopFollowers lets no new follower start and waits for the running ones.
func (c *conn) stopFollowers() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.followers.Wait()
}

// handle acts on one client frame. Bad input gets an error frame and the
// connection stays open.
func (c *conn) handle(ctx context.Context, data []byte) {
	f, err := protocol.DecodeClient(data)
	if err != nil {
		code, msg := protocol.CodeBadFrame, "That message could not be read: "+err.Error()
		switch {
		case errors.Is(err, protocol.ErrTooLarge):
			code, msg = protocol.CodeTooLarge, "That question is too long: shorten it and send it again."
		case errors.Is(err, protocol.ErrEmpty):
			msg = "That question is empty."
		}
		c.sendError(ctx, f.ID, code, msg)
		return
	}
	switch f.Type {
	case protocol.TypePing:
		_ = c.send(ctx, protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlPong})
	case protocol.TypeAsk:
		if c.s.draining.Load() {
			c.sendError(ctx, f.ID, protocol.CodeUnavailable, "The server is restarting: send the question again in a moment.")
			return
		}
		start := time.Now()
		a, err := c.s.hub.ask(c.user, c.channel, f)
		if err != nil {
			code, msg := askRefusal(err)
			result := "refused"
			if code == protocol.CodeUnavailable {
				c.s.refusals.log(c.log, slog.LevelError, "store: ask", "err", err)
				result = "failed"
			}
			c.s.metrics.asks.WithLabelValues(result).Inc()
			c.sendError(ctx, f.ID, code, msg)
			return
		}
		result := "answered"
		if a.askedAt.Before(start) {
			result = "joined" // an ask read earlier, here or elsewhere
		}
		c.s.metrics.asks.WithLabelValues(result).Inc()
		ack := protocol.ServerFrame{
			Status: protocol.StatusControl, Type: protocol.ControlAck,
			Client: f.ID, Answer: a.id, Conversation: a.conversation, Model: a.model, Question: a.question,
		}
		if c.send(ctx, ack) == nil {
			since(c.s.metrics.ackSeconds, start)
			if err := c.follow(ctx, a, 0); err != nil {
				c.sendAnswerError(ctx, a.id, errFollowLimit.Code, errFollowLimit.Message)
			}
		}
	case protocol.TypeResume:
		a, ok := c.s.hub.resume(ctx, c.user, f.Answer)
		switch {
		case !ok:
			c.sendAnswerError(ctx, f.Answer, protocol.CodeNotFound, "That answer is no longer available.")
		case a.pastEnd(f.Offset):
			_ = c.send(ctx, a.endFrame(f.Offset))
		case !a.validOffset(f.Offset):
			c.sendAnswerError(ctx, f.Answer, protocol.CodeBadOffset, "Cannot resume that answer from there.")
		default:
			if err := c.follow(ctx, a, f.Offset); err != nil {
				c.sendAnswerError(ctx, f.Answer, errFollowLimit.Code, errFollowLimit.Message)
			}
		}
	case protocol.TypeStop:
		c.s.hub.stop(ctx, c.user, f.Answer)
	}
}

// sendAnswerError sends an error about an answer the client named.
func (c *conn) sendAnswerError(ctx context.Context, answer, code, msg string) {
	_ = c.send(ctx, protocol.ServerFrame{Status: protocol.StatusError, Code: code, Answer: answer, Content: msg})
}

func (c *conn) sendError(ctx context.Context, client, code, msg string) {
	_ = c.send(ctx, protocol.ServerFrame{Status: protocol.StatusError, Code: code, Client: client, Content: msg})
}

// send writes a frame, within writeTimeout; a failed write drops the
// connection.
func (c *conn) send(ctx context.Context, f protocol.ServerFrame) error {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Write(wctx, websocket.MessageText, f.Encode()); err != nil {
		if ctx.Err() == nil {
			c.log.Info("dropping connection: write failed", "err", err)
			c.drop()
		}
		return err
	}
	return nil
}

// askRefusal is the error frame's code and message for an ask the hub
// refused with err: a *protocol.Error as it is; anything else is the
// store's failure, which the page answers by sending the question again.
func askRefusal(err error) (code, msg string) {
	if pe, ok := errors.AsType[*protocol.Error](err); ok {
		return pe.Code, pe.Message
	}
	return protocol.CodeUnavailable, "The server could not save the question: it is sent again in a moment."
}
