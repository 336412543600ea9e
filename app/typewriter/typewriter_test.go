package typewriter

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSeedPaceForSlowText(t *testing.T) {
	t.Parallel()
	w := New()
	w.Set(t0, "你好世界abc", false)
	// At the seed's pace one rune per 50 ms, until MaxLag forces the rest.
	for i, want := range []string{"", "你", "你好", "你好世", "你好世界", "你好世界a"} {
		if got := w.Tick(t0.Add(time.Duration(i) * 50 * time.Millisecond)); got != want {
			t.Errorf("tick %d: shown %q, want %q", i, got, want)
		}
	}
	if got := w.Tick(t0.Add(DefaultMaxLag)); got != "你好世界abc" {
		t.Errorf("at MaxLag shown %q, want all", got)
	}
	if w.Done() {
		t.Error("Done before the end frame")
	}
	w.Set(t0.Add(time.Second), "你好世界abc", true)
	if !w.Done() {
		t.Error("not Done after the end with everything shown")
	}
}

// TestLagBound streams at 2,000 characters per second and checks at every
// tick that no arrived text has been hidden for more than MaxLag plus one
// tick, that no rune is ever split, and that the display never goes back.
func TestLagBound(t *testing.T) {
	t.Parallel()
	w := New()
	const chunk = "流式输出 streams, " // 16 runes
	var text strings.Builder
	type sent struct {
		end int
		at  time.Time
	}
	var log []sent
	now := t0
	prev := 0
	for step := 0; step < 600; step++ { // 3 s in 5 ms steps
		now = now.Add(5 * time.Millisecond)
		if step%8 == 0 && step < 480 { // 16 runes every 40 ms: 400 runes/s
			for range 5 { // x5: 2,000 runes/s
				text.WriteString(chunk)
			}
			w.Set(now, text.String(), step >= 472)
			log = append(log, sent{text.Len(), now})
		}
		if step%7 != 0 { // ticks every 35 ms, out of phase with arrivals
			continue
		}
		shown := w.Tick(now)
		if !utf8.ValidString(shown) {
			t.Fatalf("split rune at %d bytes", len(shown))
		}
		if len(shown) < prev {
			t.Fatalf("display went back from %d to %d", prev, len(shown))
		}
		prev = len(shown)
		for _, s := range log {
			if s.end > len(shown) && now.Sub(s.at) > DefaultMaxLag+Interval {
				t.Fatalf("at %v: text up to %d arrived %v ago, shown only %d",
					now.Sub(t0), s.end, now.Sub(s.at), len(shown))
			}
		}
	}
	if !w.Done() {
		t.Errorf("not done 600 ms after the end: shown %d of %d", len(w.Shown()), text.Len())
	}
}

func TestIdleDoesNotBurst(t *testing.T) {
	t.Parallel()
	w := New()
	w.Set(t0, "a", false)
	w.Tick(t0.Add(time.Second)) // shows "a", then idle
	// A chunk after ten idle seconds starts at the pace, not all at once.
	later := t0.Add(10 * time.Second)
	w.Set(later, "abcdef", false)
	if got := w.Tick(later.Add(50 * time.Millisecond)); got != "ab" {
		t.Errorf("shown %q, want %q", got, "ab")
	}
}

func TestTextNeverShrinks(t *testing.T) {
	t.Parallel()
	w := New()
	w.Set(t0, "abc", false)
	w.Set(t0, "ab", false)
	if got := w.Tick(t0.Add(time.Second)); got != "abc" {
		t.Errorf("shown %q, want %q", got, "abc")
	}
	if w.Pending() {
		t.Error("Pending with everything shown")
	}
}

// BenchmarkTick measures one tick while a 20,000-character answer streams
// in at 2,000 characters per second (a chunk of 66 characters per tick).
func BenchmarkTick(b *testing.B) {
	text := strings.Repeat("wasmchat 流式 ", 2000)
	w := New()
	now := t0
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(Interval)
		if n += 66; n > 20000 {
			w, n = New(), 66
		}
		w.Set(now, text[:n], false)
		w.Tick(now)
	}
}
