package store

import "testing"

// TestClockOrdersWrites: writes within one millisecond get times in the
// order they were made, to the millisecond as stored.
func TestClockOrdersWrites(t *testing.T) {
	var c clock
	last := c.now()
	for range 10000 {
		next := c.now()
		if !next.After(last) || next.UnixMilli()*1e6 != next.UnixNano() {
			t.Fatalf("%v after %v", next, last)
		}
		last = next
	}
}
