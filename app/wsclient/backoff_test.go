package wsclient

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	b := DefaultBackoff()
	for _, tt := range []struct {
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{0, 0, 250 * time.Millisecond, 250 * time.Millisecond},
		{0, 0.999, 250 * time.Millisecond, 500 * time.Millisecond},
		{1, 0.999, 250 * time.Millisecond, time.Second},
		{3, 0.999, 3 * time.Second, 4 * time.Second},
		{10, 0.999, 14 * time.Second, 15 * time.Second},
		{1000, 0.999, 14 * time.Second, 15 * time.Second},
		{1000, 0, 250 * time.Millisecond, 250 * time.Millisecond},
	} {
		b.Rand = func() float64 { return tt.r }
		if d := b.Delay(tt.attempt); d < tt.min || d > tt.max {
			t.Errorf("Delay(%d) with r=%v = %v, want in [%v, %v]", tt.attempt, tt.r, d, tt.min, tt.max)
		}
	}
}

// TestBackoffSpreads checks the jitter: delays of many clients at the same
// attempt spread over the range instead of bunching.
func TestBackoffSpreads(t *testing.T) {
	t.Parallel()
	b := DefaultBackoff()
	var lo, hi int
	for range 1000 {
		d := b.Delay(4) // bound 8 s
		if d < 0 || d > 8*time.Second {
			t.Fatalf("Delay(4) = %v out of bounds", d)
		}
		if d < 4*time.Second {
			lo++
		} else {
			hi++
		}
	}
	if lo < 350 || hi < 350 {
		t.Errorf("1000 delays: %d in the lower half, %d in the upper: not spread", lo, hi)
	}
}
