// Package seedws is the upstream for a backend that speaks the seed page's
// protocol: a WebSocket that takes a question as a text frame and streams
// {status, content} frames back (0 a chunk, 2 the end). With it, wasmchat
// replaces the seed's Vue page in front of the seed's own backend.
//
// Each question opens its own connection, as a seed page does after a
// reload, and the backend keeps whatever context it keeps; the seed
// protocol has no way to send earlier turns, so only the question goes.
package seedws

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

// Seed forwards questions to a seed-protocol backend.
type Seed struct {
	// URL is the backend's endpoint with its token, e.g.
	// wss://host/ws/TOKEN-0.
	URL string
	// Idle bounds the wait for the next frame (default 2 min).
	Idle time.Duration
}

var _ upstream.Upstream = (*Seed)(nil)

// New returns a Seed for the backend at url.
func New(url string) *Seed { return &Seed{URL: url, Idle: 2 * time.Minute} }

// Stream sends the question and streams the backend's chunks until its
// status-2 frame.
func (s *Seed) Stream(ctx context.Context, req upstream.Request, emit func(string)) (upstream.Result, error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	ws, _, err := websocket.Dial(dctx, s.URL, nil)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return upstream.Result{}, ctx.Err()
		}
		return upstream.Result{}, &upstream.Error{
			Code:    protocol.CodeUnreachable,
			Message: fmt.Sprintf("The seed backend at %s cannot be reached. Check that it is running and the address is right.", s.host()),
			Err:     err,
		}
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	if err := ws.Write(ctx, websocket.MessageText, []byte(req.Question())); err != nil {
		return upstream.Result{}, s.broken(ctx, err, false)
	}
	emitted := false
	for {
		rctx, cancel := context.WithTimeout(ctx, s.Idle)
		_, data, err := ws.Read(rctx)
		cancel()
		if err != nil {
			return upstream.Result{}, s.broken(ctx, err, emitted)
		}
		f, err := protocol.DecodeServer(data)
		if err != nil {
			continue // the seed page ignores what it cannot parse, and so do we
		}
		switch f.Status {
		case protocol.StatusChunk, protocol.StatusEnd:
			if f.Content != "" {
				emit(f.Content)
				emitted = true
			}
			if f.Status == protocol.StatusEnd {
				ws.Close(websocket.StatusNormalClosure, "")
				return upstream.Result{Finish: protocol.FinishStop}, nil
			}
		case protocol.StatusError:
			return upstream.Result{}, &upstream.Error{
				Code: protocol.CodeUpstream, Message: "The seed backend reported an error. Try again in a moment.",
				Err: errors.New("seed backend error frame"),
			}
		}
	}
}

func (s *Seed) broken(ctx context.Context, err error, emitted bool) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return &upstream.Error{Code: protocol.CodeTimeout, Message: "The seed backend stopped sending. Try again in a moment.", Err: err}
	case emitted:
		return &upstream.Error{Code: protocol.CodeBroken, Message: "The connection to the seed backend broke in the middle of the answer. The text so far is kept.", Err: err}
	}
	return &upstream.Error{Code: protocol.CodeUpstream, Message: "The seed backend closed the connection before answering. Try again in a moment.", Err: err}
}

// host names the backend for messages without its token (which sits in
// the URL's path).
func (s *Seed) host() string {
	if u, err := url.Parse(s.URL); err == nil {
		return u.Host
	}
	return "the configured address"
}
