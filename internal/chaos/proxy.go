// Package chaos is a TCP proxy for tests that cuts connections on demand or
// on a schedule, and can point at another backend, as a flaky network or a
// restarted server would. It forwards bytes untouched, so the client and
// server on either side speak their real protocols.
package chaos

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards loopback TCP connections to a backend.
type Proxy struct {
	ln   net.Listener
	wg   sync.WaitGroup
	stop chan struct{}

	mu       sync.Mutex
	backends []string // new connections go to each in turn
	next     int
	conns    map[net.Conn]struct{}
	cuts     int
}

// New listens on a free loopback port and forwards to backend (host:port).
func New(backend string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, backends: []string{backend}, conns: make(map[net.Conn]struct{}), stop: make(chan struct{})}
	p.wg.Go(p.accept)
	return p, nil
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetBackend points new connections at another backend.
func (p *Proxy) SetBackend(addr string) { p.SetBackends(addr) }

// SetBackends sends new connections to addrs in turn (round robin), as a
// load balancer without sticky sessions does.
func (p *Proxy) SetBackends(addrs ...string) {
	p.mu.Lock()
	p.backends, p.next = addrs, 0
	p.mu.Unlock()
}

// Cut closes every open connection, both sides, and counts one cut per
// connection closed.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
		n++
	}
	p.cuts += n / 2
	return n / 2
}

// Cuts returns how many client connections were cut so far.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// CutEvery cuts all connections at each interval drawn by next until ctx
// ends. It returns at once; the cutting runs until ctx ends or Close.
func (p *Proxy) CutEvery(ctx context.Context, next func() time.Duration) {
	p.wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.stop:
				return
			case <-time.After(next()):
				p.Cut()
			}
		}
	})
}

// Close stops the proxy and cuts every connection.
func (p *Proxy) Close() error {
	close(p.stop)
	err := p.ln.Close()
	p.Cut()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *Proxy) serve(client net.Conn) {
	p.mu.Lock()
	backend := p.backends[p.next%len(p.backends)]
	p.next++
	p.mu.Unlock()
	server, err := net.DialTimeout("tcp", backend, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src) // ends at a cut or a close
		dst.Close()
		src.Close()
	}
	wg.Go(func() { pipe(server, client) })
	wg.Go(func() { pipe(client, server) })
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}
