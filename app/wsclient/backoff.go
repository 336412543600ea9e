package wsclient

import (
	"math/rand/v2"
	"time"
)

// Backoff computes reconnect delays: exponential growth from Base to Max
// with full jitter (a uniform delay between zero and the exponential
// bound), so many pages dropped at once by a server restart spread their
// reconnects out instead of arriving together.
type Backoff struct {
	Base, Max time.Duration
	// Rand returns a uniform float in [0, 1); default math/rand/v2.
	Rand func() float64
}

// DefaultBackoff grows from 0.5 s to 15 s.
func DefaultBackoff() Backoff {
	return Backoff{Base: 500 * time.Millisecond, Max: 15 * time.Second}
}

// Delay returns the wait before reconnect attempt n (0 for the first).
// The first attempt waits at least Base/2 so a server that drops every
// connection at once sees at most a few dials a second from each page.
func (b Backoff) Delay(n int) time.Duration {
	bound := b.Base
	for i := 0; i < n && bound < b.Max; i++ {
		bound *= 2
	}
	bound = min(bound, b.Max)
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	floor := b.Base / 2
	return floor + time.Duration(r()*float64(bound-floor))
}
