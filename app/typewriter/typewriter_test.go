package typewriter

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestPaceSmoothsArrivals checks that a chunk types out over a few ticks
// rather than appearing at once, reaches the end within MaxLag, and that
// Done waits for the end frame.
func TestPaceSmoothsArrivals(t *testing.T) {
	t.Parallel()
	w := New()
	const text = "你好世界，流式输出abc" // 13 runes
	w.Set(t0, text, false)
	prev := 0
	for i := 1; ; i++ {
		now := t0.Add(time.Duration(i) * Interval)
		shown := w.Tick(now)
		if !utf8.ValidString(shown) || len(shown) < prev {
			t.Fatalf("tick %d: shown %q after %d bytes", i, shown, prev)
		}
		if i == 1 && shown == text {
			t.Error("the whole chunk appeared at the first tick: no typing")
		}
		prev = len(shown)
		if shown == text {
			if now.Sub(t0) > DefaultMaxLag {
				t.Errorf("all shown after %v, later than MaxLag", now.Sub(t0))
			}
			break
		}
		if now.Sub(t0) > time.Second {
			t.Fatal("never caught up")
		}
	}
	if w.Done() {
		t.Error("Done before the end frame")
	}
	w.Set(t0.Add(time.Second), text, true)
	if !w.Done() {
		t.Error("not Done after the end with everything shown")
	}
}

func TestEndShowsRestQuickly(t *testing.T) {
	t.Parallel()
	w := New()
	w.Rate, w.MaxLag = 1, time.Hour // only the end rule can finish it
	w.Set(t0, strings.Repeat("x", 5000), true)
	w.Tick(t0.Add(Interval))
	if got := w.Tick(t0.Add(EndWithin)); len(got) != 5000 || !w.Done() {
		t.Errorf("%v after the end: %d of 5000 shown", EndWithin, len(got))
	}
}

func TestFlush(t *testing.T) {
	t.Parallel()
	w := New()
	w.Set(t0, "hidden tab", false)
	if got := w.Flush(); got != "hidden tab" || w.Pending() {
		t.Errorf("Flush = %q, pending %v", got, w.Pending())
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
	// A chunk after ten idle seconds types out, not all at once.
	later := t0.Add(10 * time.Second)
	w.Set(later, "a"+strings.Repeat("b", 40), false)
	if got := w.Tick(later.Add(Interval)); len(got) >= 41 || len(got) < 2 {
		t.Errorf("one tick after an idle spell: %d of 41 bytes shown", len(got))
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

// BenchmarkLag measures the display's lag behind a 2,000-characters-per-
// second stream (40 characters every 20 ms, ticks every Interval): for each
// chunk, the time from its arrival until it is wholly shown. It reports the
// mean and the worst in milliseconds.
func BenchmarkLag(b *testing.B) {
	var sum, worst time.Duration
	n := 0
	for b.Loop() {
		w := New()
		type arrival struct {
			end int
			at  time.Time
		}
		var pending []arrival
		text := ""
		next := t0
		for now := t0; now.Before(t0.Add(5 * time.Second)); now = now.Add(time.Millisecond) {
			if !now.Before(next) {
				text += strings.Repeat("字", 40)
				w.Set(now, text, false)
				pending = append(pending, arrival{len(text), now})
				next = next.Add(20 * time.Millisecond)
			}
			if now.Sub(t0)%Interval != 0 {
				continue
			}
			shown := len(w.Tick(now))
			for len(pending) > 0 && pending[0].end <= shown {
				lag := now.Sub(pending[0].at)
				sum += lag
				worst = max(worst, lag)
				n++
				pending = pending[1:]
			}
		}
	}
	b.ReportMetric(float64(sum.Milliseconds())/float64(n), "mean-lag-ms")
	b.ReportMetric(float64(worst.Milliseconds()), "max-lag-ms")
}
