// Package typewriter paces how much of a streaming answer the page shows.
//
// The seed page showed one character per 50 ms whatever the model's speed,
// so a fast answer fell further behind with every word (a 3,000-character
// answer took 150 s to appear). Writer starts at that pace but never lets
// the display fall more than MaxLag behind what has arrived: any text that
// arrived MaxLag ago is shown at the next tick, whatever the pace says.
//
// Between those bounds it catches up in proportion to the backlog (a time
// constant of CatchUp), so a fast model is followed smoothly rather than in
// 300 ms jumps, and after the answer's end the rest shows within EndWithin.
//
// Writer is pure Go with an injected clock, so it is tested natively. It is
// not safe for concurrent use; the page drives it from the UI goroutine.
package typewriter

import (
	"time"
	"unicode/utf8"
)

// Seed pace and lag bound.
const (
	// DefaultRate is the seed page's pace: one character per 50 ms.
	DefaultRate = 20.0
	// DefaultMaxLag is how far behind the arrived text the display may be.
	DefaultMaxLag = 300 * time.Millisecond
	// Interval is how often the page ticks a Writer that has text to show.
	Interval = 33 * time.Millisecond
	// CatchUp is the time constant of the catch-up: each second, the
	// display gains 1/CatchUp of its backlog on top of the natural pace.
	CatchUp = 150 * time.Millisecond
	// EndWithin bounds how long the rest takes to show after the end.
	EndWithin = 250 * time.Millisecond
)

// Writer decides how many bytes of an answer's text are shown.
type Writer struct {
	// Rate is the natural pace in runes per second.
	Rate float64
	// MaxLag bounds how long arrived text may stay hidden.
	MaxLag time.Duration

	text     string
	shown    int // bytes shown; always at a rune boundary
	arrivals []arrival
	last     time.Time
	credit   float64 // runes earned by the pace but not yet shown
	ended    bool
	endAt    time.Time
}

type arrival struct {
	end int // text length after the chunk arrived
	at  time.Time
}

// New returns a Writer at the seed's pace and lag bound.
func New() *Writer {
	return &Writer{Rate: DefaultRate, MaxLag: DefaultMaxLag}
}

// Set tells the Writer the answer's whole text so far at time now, and
// whether the answer has ended. text only grows: a shorter text is ignored.
func (w *Writer) Set(now time.Time, text string, ended bool) {
	if ended && !w.ended {
		w.ended, w.endAt = true, now
	}
	if len(text) <= len(w.text) {
		return
	}
	if w.shown == len(w.text) {
		// Idle until now: the pace restarts rather than bursting out the
		// credit of the idle time.
		w.last, w.credit = now, 0
	}
	w.text = text
	w.arrivals = append(w.arrivals, arrival{end: len(text), at: now})
}

// Tick advances the display to time now and returns the text to show.
func (w *Writer) Tick(now time.Time) string {
	if w.shown < len(w.text) {
		if dt := now.Sub(w.last); dt > 0 {
			backlog := float64(utf8.RuneCountInString(w.text[w.shown:]))
			w.credit += dt.Seconds() * (w.Rate + backlog/CatchUp.Seconds())
		}
		w.last = now
		for w.credit >= 1 && w.shown < len(w.text) {
			_, n := utf8.DecodeRuneInString(w.text[w.shown:])
			w.shown += n
			w.credit--
		}
		w.catchUp(now)
		if w.ended && now.Sub(w.endAt) >= EndWithin {
			w.shown = len(w.text)
		}
	}
	if w.shown == len(w.text) {
		w.credit = 0
	}
	return w.text[:w.shown]
}

// catchUp shows every chunk that arrived MaxLag or more before now.
func (w *Writer) catchUp(now time.Time) {
	i := 0
	for ; i < len(w.arrivals); i++ {
		a := w.arrivals[i]
		if a.end <= w.shown {
			continue
		}
		if now.Sub(a.at) < w.MaxLag {
			break
		}
		w.shown = a.end
	}
	w.arrivals = w.arrivals[:copy(w.arrivals, w.arrivals[i:])]
}

// Flush shows everything that has arrived: for a hidden tab, which spends
// no timers, and for prefers-reduced-motion, which wants no animation.
func (w *Writer) Flush() string {
	w.shown, w.credit, w.arrivals = len(w.text), 0, w.arrivals[:0]
	return w.text
}

// Shown returns the text shown at the last Tick.
func (w *Writer) Shown() string { return w.text[:w.shown] }

// Pending reports whether there is arrived text not yet shown: the page
// keeps ticking while it is true.
func (w *Writer) Pending() bool { return w.shown < len(w.text) }

// Done reports whether the answer has ended and is wholly shown.
func (w *Writer) Done() bool { return w.ended && !w.Pending() }
