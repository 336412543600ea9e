package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// users is how many users the connections of a wasmchat scenario are
// spread over; the server's per-user limits are raised to fit.
const users = 100

// process is a server under load.
type process struct {
	cmd     *exec.Cmd
	url     string
	tokens  []string    // for wasmchat; the floor takes any
	metrics chan string // receives its metrics URL, if it prints one
}

// startProcess runs bin with args, with env added, and waits for the
// "listening on http://…" line it prints.
func startProcess(ctx context.Context, bin string, env []string, args ...string) (*process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, metrics: make(chan string, 1)}
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		sent := false
		for lines.Scan() {
			if _, u, ok := strings.Cut(lines.Text(), "listening on "); ok && !sent {
				found <- strings.TrimSpace(u)
				sent = true
			}
			if _, u, ok := strings.Cut(lines.Text(), "metrics on "); ok {
				select {
				case p.metrics <- strings.TrimSpace(u):
				default:
				}
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			p.stop()
			return nil, fmt.Errorf("%s printed no address", bin)
		}
		p.url = u
		return p, nil
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
}

// startWasmchat makes users in a new data folder and serves it with the
// demo model at sc's rate, its limits raised to sc.
func startWasmchat(ctx context.Context, bin, data string, sc scenario) (*process, error) {
	st, err := store.OpenSQLite(ctx, data)
	if err != nil {
		return nil, err
	}
	tokens, err := makeUsers(ctx, st)
	if err != nil {
		return nil, err
	}
	per := (sc.idle+sc.answers)/users + 1
	p, err := startProcess(ctx, bin, []string{"WASMCHAT_UPSTREAM=demo", "WASMCHAT_DEMO_CPS=" + fmt.Sprint(sc.rate)},
		"serve", "-addr", "127.0.0.1:0", "-data", data,
		"-max-connections", strconv.Itoa(per), "-max-answers", strconv.Itoa(per), "-max-questions", strconv.Itoa(100*per))
	if err != nil {
		return nil, err
	}
	p.tokens = tokens
	return p, nil
}

// makeUsers makes the load's users in st, closes it, and returns their
// tokens.
func makeUsers(ctx context.Context, st store.Store) ([]string, error) {
	defer st.Close()
	var tokens []string
	for i := range users {
		_, secret, err := st.AddToken(ctx, fmt.Sprintf("load%d", i), "")
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, secret)
	}
	return tokens, nil
}

func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// cpu returns the process's CPU time so far (user and system).
func (p *process) cpu() float64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis: state is field 3,
	// utime 14 and stime 15, in clock ticks (100 a second on Linux).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100
}

// rss returns the process's resident memory in bytes.
func (p *process) rss() float64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "status"))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// result is what a scenario measured of one server.
type result struct {
	ack, first, gap samples // ms
	cpu             float64 // s, over the scenario
	rss, perConn    float64 // bytes
	wire, text      int64   // bytes
	checked, wrong  int
}

func (r result) wirePerByte() float64 {
	if r.text == 0 {
		return 0
	}
	return float64(r.wire) / float64(r.text)
}

type samples []float64

// p returns the q-th percentile.
func (s samples) p(q float64) float64 {
	if len(s) == 0 {
		return 0
	}
	v := slices.Clone(s)
	slices.Sort(v)
	return v[min(len(v)-1, int(float64(len(v))*q/100))]
}

// load runs sc against srv: it opens every connection, measures the
// memory they take, then asks the questions at once on sc.answers of them
// and reads the answers to their ends.
func load(ctx context.Context, srv *process, sc scenario) (result, error) {
	var r result
	time.Sleep(300 * time.Millisecond) // the server settles after its start
	base, cpu0 := srv.rss(), srv.cpu()
	conns, err := dialAll(ctx, srv, sc.idle+sc.answers)
	defer func() {
		for _, c := range conns {
			_ = c.ws.CloseNow()
		}
	}()
	if err != nil {
		return r, err
	}
	time.Sleep(time.Second)
	if n := sc.idle + sc.answers; n > 0 {
		r.perConn = (srv.rss() - base) / float64(n)
	}
	if sc.answers > 0 {
		asking := conns[sc.idle:]
		start := time.Now()
		for i, c := range asking {
			c.ask(i, fmt.Sprintf("load question %d: what does a chat server hold?", i))
		}
		for _, c := range asking {
			select {
			case <-c.done:
			case <-ctx.Done():
				return r, fmt.Errorf("answers still streaming when the scenario's time ran out")
			}
			r.ack = append(r.ack, ms(c.acked.Sub(start)))
			r.first = append(r.first, ms(c.firstText.Sub(start)))
			r.gap = append(r.gap, c.gaps...)
			r.wire += c.wire
			r.text += int64(len(c.want))
			if c.got.String() == c.want && c.err == "" {
				r.checked++
			} else {
				r.wrong++
				if r.wrong == 1 {
					fmt.Fprintf(os.Stderr, "a wrong answer (%s): got %d bytes, want %d\n", c.err, c.got.Len(), len(c.want))
				}
			}
		}
	}
	r.cpu = srv.cpu() - cpu0
	r.rss = srv.rss()
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// lconn is one load connection.
type lconn struct {
	ws    *websocket.Conn
	done  chan struct{} // closed when the answer ended
	end   sync.Once
	asked atomic.Bool   // a question was sent: its answer is being read
	acks  chan struct{} // receives once, at the ack

	// A watcher (fanout) reads the frames itself.
	watching atomic.Bool
	frames   chan timedFrame

	mu    sync.Mutex // for a watcher of the same answer on another instance:
	id    string     // the answer's id, from the ack
	times []textAt   // when each frame's text arrived

	// Of the answer asked on it: want is set before asked, the rest by the
	// reader before done closes.
	want             string
	acked, firstText time.Time
	lastText         time.Time
	gaps             []float64
	got              strings.Builder
	wire             int64
	err              string
	answer           string
}

// dialAll opens n connections, a few hundred at a time, from several
// loopback addresses.
func dialAll(ctx context.Context, srv *process, n int) ([]*lconn, error) {
	wsURL := "ws" + strings.TrimPrefix(srv.url, "http") + "/ws/0"
	var next atomic.Uint32
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			// 127.0.0.2 to 127.0.0.9: ports are per source address.
			src := net.IPv4(127, 0, 0, byte(2+next.Add(1)%8))
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: -1,
	}
	client := &http.Client{Transport: transport}
	conns := make([]*lconn, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			protos := []string{protocol.Subprotocol}
			if len(srv.tokens) > 0 {
				protos = append(protos, protocol.SubprotocolTokenPrefix+srv.tokens[i%len(srv.tokens)])
			}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{HTTPClient: client, Subprotocols: protos})
			if err != nil {
				errs <- fmt.Errorf("connection %d: %w", i, err)
				return
			}
			ws.SetReadLimit(1 << 20)
			c := &lconn{ws: ws, done: make(chan struct{}), acks: make(chan struct{}, 1), frames: make(chan timedFrame, 1024)}
			conns[i] = c
			go c.read(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		out := conns[:0]
		for _, c := range conns {
			if c != nil {
				out = append(out, c)
			}
		}
		return out, err
	}
	return conns, nil
}

// ask sends question i; the reader records its answer.
func (c *lconn) ask(i int, q string) {
	c.want = demo.Answer(q)
	c.asked.Store(true)
	f := protocol.ClientFrame{Type: protocol.TypeAsk, ID: "load-" + strconv.Itoa(i), Text: q}
	if err := c.ws.Write(context.Background(), websocket.MessageText, f.Encode()); err != nil {
		_ = c.ws.CloseNow() // the reader fails it
	}
}

// read reads frames until the connection closes: for an idle one, the
// pings it answers; for an asked one, the ack and the answer.
func (c *lconn) read(ctx context.Context) {
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			if c.asked.Load() {
				c.fail("connection lost: " + err.Error())
			}
			return
		}
		now := time.Now()
		if c.watching.Load() {
			if f, err := protocol.DecodeServer(data); err == nil && f.Status != protocol.StatusControl {
				c.frames <- timedFrame{f, now}
			}
			continue
		}
		if !c.asked.Load() {
			continue // hello, apps, features
		}
		c.wire += int64(len(data) + frameHeader(len(data)))
		f, err := protocol.DecodeServer(data)
		if err != nil {
			c.fail("undecodable frame: " + err.Error())
			return
		}
		switch {
		case f.Type == protocol.ControlAck:
			c.acked, c.answer = now, f.Answer
			c.mu.Lock()
			c.id = f.Answer
			c.mu.Unlock()
			c.acks <- struct{}{}
		case f.Status == protocol.StatusControl:
		case f.Status == protocol.StatusError:
			c.fail("error frame: " + f.Code + ": " + f.Content)
			return
		case f.Answer != c.answer:
			c.fail("a frame of another answer")
			return
		default:
			if f.Content != "" {
				if f.Offset != c.got.Len() {
					c.fail(fmt.Sprintf("text at offset %d, after %d bytes", f.Offset, c.got.Len()))
					return
				}
				if c.firstText.IsZero() {
					c.firstText = now
				} else {
					c.gaps = append(c.gaps, ms(now.Sub(c.lastText)))
				}
				c.lastText = now
				c.got.WriteString(f.Content)
				c.mu.Lock()
				c.times = append(c.times, textAt{c.got.Len(), now})
				c.mu.Unlock()
			}
			if f.Status == protocol.StatusEnd {
				c.asked.Store(false)
				c.end.Do(func() { close(c.done) })
			}
		}
	}
}

func (c *lconn) fail(why string) {
	c.end.Do(func() {
		c.err = why
		c.asked.Store(false)
		close(c.done)
	})
	_ = c.ws.CloseNow()
}

// timedFrame is a frame and when it arrived.
type timedFrame struct {
	f  protocol.ServerFrame
	at time.Time
}

// textAt: the connection had end bytes of its answer at at.
type textAt struct {
	end int
	at  time.Time
}

// answerID returns the id of the answer asked on c, once acknowledged.
func (c *lconn) answerID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// hadAt returns when c had at least n bytes of its answer.
func (c *lconn) hadAt(n int) (time.Time, bool) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		for _, t := range c.times {
			if t.end >= n {
				c.mu.Unlock()
				return t.at, true
			}
		}
		c.mu.Unlock()
	}
	return time.Time{}, false
}

// next returns the next frame a watcher got.
func (c *lconn) next(ctx context.Context) (protocol.ServerFrame, time.Time, error) {
	c.watching.Store(true)
	select {
	case f := <-c.frames:
		return f.f, f.at, nil
	case <-ctx.Done():
		return protocol.ServerFrame{}, time.Time{}, ctx.Err()
	}
}

// frameHeader is the size of a server's WebSocket frame header (unmasked)
// for a payload of n bytes.
func frameHeader(n int) int {
	switch {
	case n < 126:
		return 2
	case n < 1<<16:
		return 4
	}
	return 10
}
