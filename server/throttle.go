package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// throttle keeps a flood of one kind of log line (refused connections,
// say, from a client retrying with a bad token) from flooding the log: it
// lets through refusalBurst lines of a kind per refusalPeriod, and the
// first line after a pause says how many it held back.
type throttle struct {
	mu    sync.Mutex
	kinds map[string]*logWindow
}

type logWindow struct {
	start     time.Time
	n, behind int
}

const (
	refusalBurst  = 10
	refusalPeriod = 10 * time.Second
)

// log logs msg at level unless refusalBurst lines of its kind (msg) went
// this period.
func (t *throttle) log(l *slog.Logger, level slog.Level, msg string, args ...any) {
	t.mu.Lock()
	if t.kinds == nil {
		t.kinds = make(map[string]*logWindow)
	}
	w := t.kinds[msg]
	now := time.Now()
	if w == nil || now.Sub(w.start) >= refusalPeriod {
		behind := 0
		if w != nil {
			behind = w.behind
		}
		w = &logWindow{start: now}
		t.kinds[msg] = w
		if behind > 0 {
			args = append(args, "held_back", behind)
		}
	}
	w.n++
	if w.n > refusalBurst {
		w.behind++
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	l.Log(context.Background(), level, msg, args...)
}
