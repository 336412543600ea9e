package server

import (
	"context"
	"sync"
	"time"
)

// TokenChecker is a Tokens that checks many tokens at once. The server
// asks it, every Config.RevokeCheck, which of the tokens its WebSockets
// were opened with are still valid, and closes the others: a revoked
// token stops working on the sockets already open too, on every instance,
// whichever process revoked it. The store is one. A Tokens that is not
// is asked token by token.
type TokenChecker interface {
	// Valid returns which of tokens are valid.
	Valid(ctx context.Context, tokens []string) (map[string]bool, error)
}

// DefaultRevokeCheck is how often the tokens of open WebSockets are
// checked unless Config.RevokeCheck says otherwise.
const DefaultRevokeCheck = 5 * time.Second

// sockets are the open WebSockets by the token they were opened with.
type sockets struct {
	mu      sync.Mutex
	byToken map[string]map[*conn]struct{}
}

func (s *sockets) add(token string, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byToken == nil {
		s.byToken = make(map[string]map[*conn]struct{})
	}
	if s.byToken[token] == nil {
		s.byToken[token] = make(map[*conn]struct{})
	}
	s.byToken[token][c] = struct{}{}
}

func (s *sockets) remove(token string, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byToken[token], c)
	if len(s.byToken[token]) == 0 {
		delete(s.byToken, token)
	}
}

func (s *sockets) tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.byToken))
	for t := range s.byToken {
		out = append(out, t)
	}
	return out
}

func (s *sockets) of(token string) []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.byToken[token]))
	for c := range s.byToken[token] {
		out = append(out, c)
	}
	return out
}

// checkTokens closes, every interval until ctx ends, the WebSockets whose
// token is no longer valid.
func (s *Server) checkTokens(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tokens := s.sockets.tokens()
		if len(tokens) == 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, max(interval, 10*time.Second))
		valid, err := s.validTokens(cctx, tokens)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("checking the tokens of open connections", "err", err)
			}
			continue // not known: not revoked
		}
		for _, token := range tokens {
			if valid[token] {
				continue
			}
			for _, c := range s.sockets.of(token) {
				c.revoke()
			}
		}
	}
}

// validTokens asks the Tokens which of tokens are valid.
func (s *Server) validTokens(ctx context.Context, tokens []string) (map[string]bool, error) {
	if tc, ok := s.cfg.Tokens.(TokenChecker); ok {
		return tc.Valid(ctx, tokens)
	}
	valid := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		_, err := s.cfg.Tokens.Authenticate(ctx, t)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		valid[t] = err == nil
	}
	return valid, nil
}
