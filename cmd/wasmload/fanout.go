package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// fanout is the two-instance scenario: answers asked at once on instance
// A, each followed from its start by a client of instance B, both on one
// PostgreSQL (a throwaway cluster the tool starts, as the tests do:
// fsync off). It measures what a user on B waits for, beyond a user on A:
// for each frame B delivers, the time since A's client had the same text.
type fanout struct {
	name    string
	answers int
	rate    float64
}

var fanouts = []fanout{{"fanout-500-150", 500, 150}, {"fanout-1000-150", 1000, 150}}

// runFanout runs f with the wasmchat binary bin in dir.
func runFanout(w io.Writer, bin, dir string, f fanout) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	url, err := pgtest.NewDatabase()
	if err != nil {
		return err
	}
	st, err := store.OpenPostgres(ctx, url)
	if err != nil {
		return err
	}
	tokens, err := makeUsers(ctx, st)
	if err != nil {
		return err
	}
	per := 2*f.answers/users + 1
	env := []string{"WASMCHAT_UPSTREAM=demo", "WASMCHAT_DEMO_CPS=" + fmt.Sprint(f.rate), "WASMCHAT_DATABASE_URL=" + url}
	var procs [2]*process
	for i := range procs {
		procs[i], err = startProcess(ctx, bin, env, "serve", "-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-data", filepath.Join(dir, f.name, strconv.Itoa(i)),
			"-max-connections", strconv.Itoa(per), "-max-answers", strconv.Itoa(per), "-max-questions", strconv.Itoa(100*per))
		if err != nil {
			return err
		}
		defer procs[i].stop()
		procs[i].tokens = tokens
	}
	a, b := procs[0], procs[1]
	time.Sleep(300 * time.Millisecond)
	cpuA, cpuB := a.cpu(), b.cpu()
	askers, err := dialAll(ctx, a, f.answers)
	defer closeAll(askers)
	if err != nil {
		return err
	}
	watchers, err := dialAll(ctx, b, f.answers)
	defer closeAll(watchers)
	if err != nil {
		return err
	}
	// The askers' readers record their frames' times; each watcher
	// follows its asker's answer on B from the ack on.
	var lags samples
	var mu sync.Mutex
	var wg sync.WaitGroup
	wrong := 0
	for i := range askers {
		askers[i].ask(i, fmt.Sprintf("fan-out question %d: what does an instance see?", i))
	}
	for i, c := range askers {
		select {
		case <-c.acks:
		case <-ctx.Done():
			return fmt.Errorf("no ack on A")
		}
		wg.Go(func() {
			lag, ok := watch(ctx, watchers[i], c)
			mu.Lock()
			defer mu.Unlock()
			lags = append(lags, lag...)
			if !ok {
				wrong++
			}
		})
	}
	wg.Wait()
	for _, c := range askers {
		<-c.done
		if c.got.String() != c.want || c.err != "" {
			wrong++
		}
	}
	fmt.Fprintf(w, "%s: %d answers at %.0f characters/s asked on instance A, each followed on instance B (PostgreSQL, LISTEN/NOTIFY)\n", f.name, f.answers, f.rate)
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(t, "B's frame after A's, same text, p50\t%.1f ms\t\n", lags.p(50))
	fmt.Fprintf(t, "B's frame after A's, same text, p99\t%.1f ms\t\n", lags.p(99))
	if p50, p99, err := fanoutLag(ctx, b); err == nil {
		fmt.Fprintf(t, "B's read after A's write (wasmchat_fanout_lag_seconds), p50\t≤ %.0f ms\t\n", p50)
		fmt.Fprintf(t, "B's read after A's write (wasmchat_fanout_lag_seconds), p99\t≤ %.0f ms\t\n", p99)
	} else {
		fmt.Fprintf(t, "B's metrics\t%v\t\n", err)
	}
	fmt.Fprintf(t, "CPU instance A (generates)\t%.1f s\t\n", a.cpu()-cpuA)
	fmt.Fprintf(t, "CPU instance B (follows)\t%.1f s\t\n", b.cpu()-cpuB)
	t.Flush()
	if wrong > 0 {
		fmt.Fprintf(w, "%d answers WRONG or incomplete on A or B\n\n", wrong)
		return fmt.Errorf("%s: %d answers wrong", f.name, wrong)
	}
	fmt.Fprintf(w, "answers checked byte for byte: %d on A + %d on B\n\n", f.answers, f.answers)
	return nil
}

// watch follows on ws (a connection to B) the answer asked on a (on A),
// from its start to its end, and returns, for each frame with text, how
// long after a's client had that text B's had it; ok is false when the
// text differs.
func watch(ctx context.Context, w *lconn, a *lconn) (lags []float64, ok bool) {
	w.watching.Store(true)
	resume := protocol.ClientFrame{Type: protocol.TypeResume, Answer: a.answerID(), Offset: 0}
	if err := w.ws.Write(ctx, websocket.MessageText, resume.Encode()); err != nil {
		return nil, false
	}
	var text []byte
	for {
		f, at, err := w.next(ctx)
		if err != nil || f.Status == protocol.StatusError || f.Offset != len(text) {
			return lags, false
		}
		text = append(text, f.Content...)
		if f.Content != "" {
			if t, ok := a.hadAt(len(text)); ok {
				lags = append(lags, ms(at.Sub(t)))
			}
		}
		if f.Status == protocol.StatusEnd {
			return lags, string(text) == a.want
		}
	}
}

// fanoutLag reads p's fan-out lag histogram from its metrics and returns
// the upper bounds (ms) of the buckets of its 50th and 99th percentiles.
func fanoutLag(ctx context.Context, p *process) (p50, p99 float64, err error) {
	var url string
	select {
	case url = <-p.metrics:
	case <-time.After(5 * time.Second):
		return 0, 0, fmt.Errorf("no metrics address printed")
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, err
	}
	type bucket struct{ le, n float64 }
	var buckets []bucket
	for _, m := range regexp.MustCompile(`(?m)^wasmchat_fanout_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$`).FindAllSubmatch(body, -1) {
		le, _ := strconv.ParseFloat(string(m[1]), 64)
		n, _ := strconv.ParseFloat(string(m[2]), 64)
		buckets = append(buckets, bucket{le, n})
	}
	if len(buckets) == 0 || buckets[len(buckets)-1].n == 0 {
		return 0, 0, fmt.Errorf("no fan-out lag observed")
	}
	total := buckets[len(buckets)-1].n
	at := func(q float64) float64 {
		for _, b := range buckets {
			if b.n >= q*total {
				return b.le * 1000
			}
		}
		return buckets[len(buckets)-1].le * 1000
	}
	return at(0.5), at(0.99), nil
}

func closeAll(conns []*lconn) {
	for _, c := range conns {
		if c != nil {
			_ = c.ws.CloseNow()
		}
	}
}
