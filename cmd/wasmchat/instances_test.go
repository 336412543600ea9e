//go:build !js

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/internal/chaos"
	"github.com/wasmchat/wasmchat/internal/pgtest"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// startInstances runs n `wasmchat serve` in this process on one new
// PostgreSQL database, as separate instances; the first prints the login
// link, whose token all take.
func startInstances(t *testing.T, n int, env map[string]string) []*testApp {
	t.Helper()
	env["WASMCHAT_DATABASE_URL"] = pgtest.URL(t)
	var apps []*testApp
	for i := range n {
		o := appOptions{env: env}
		if i > 0 {
			o.token = apps[0].Token
		}
		apps = append(apps, startAppWith(t, o))
	}
	return apps
}

// TestBrowserInstances: the page behind a proxy that sends each connection
// to the next of three instances and cuts every connection every 300-700
// ms: its answers, each generated on one instance and followed through the
// others, show byte for byte.
func TestBrowserInstances(t *testing.T) {
	t.Parallel()
	apps := startInstances(t, 3, map[string]string{"WASMCHAT_DEMO_CPS": "600"})
	proxy, err := chaos.New(apps[0].Addr)
	must(t, err)
	defer proxy.Close()
	proxy.SetBackends(apps[0].Addr, apps[1].Addr, apps[2].Addr)
	ctx := newBrowser(t)
	signIn(t, ctx, "http://"+proxy.Addr(), apps[0].Token)
	askPageThroughCuts(t, ctx, proxy, []string{"instances one", "instances two: 多实例", "instances three"})
}

// TestBrowserBehindNginx: the README's nginx configuration (docs/nginx.conf)
// in front of two instances, in a real nginx: the page signs in, asks, is
// reloaded mid-answer (its requests going round robin), and shows the
// answer whole.
func TestBrowserBehindNginx(t *testing.T) {
	t.Parallel()
	apps := startInstances(t, 2, map[string]string{"WASMCHAT_DEMO_CPS": "300"})
	base := startNginx(t, apps[0].Addr, apps[1].Addr)
	ctx := newBrowser(t)
	signIn(t, ctx, base, apps[0].Token)
	const q = "through nginx"
	askInPage(t, ctx, q)
	waitShown(t, ctx, 200)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	got := waitAnswers(t, ctx, 1, "done")
	checkShown(t, ctx, got[0], demo.Answer(q), true)
}

// startNginx runs nginx (Debian's, which make deps installs) with the
// README's configuration, its upstream servers replaced by backends and
// its port by a free one, until the end of the test; it returns its URL.
func startNginx(t *testing.T, backends ...string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	conf, err := os.ReadFile("../../docs/nginx.conf")
	must(t, err)
	var servers strings.Builder
	for _, b := range backends {
		fmt.Fprintf(&servers, "    server %s;\n", b)
	}
	site := regexp.MustCompile(`(?m)^    server 127\.0\.0\.1:\d+;\n`).ReplaceAllString(string(conf), "")
	site = strings.Replace(site, "upstream wasmchat {\n", "upstream wasmchat {\n"+servers.String(), 1)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()
	site = strings.Replace(site, "listen 80;", "listen "+addr+";", 1)
	dir := t.TempDir()
	must(t, os.Chmod(dir, 0o755))
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, site)
	if os.Getuid() == 0 {
		main = "user root;\n" + main
	}
	must(t, os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644))
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "nginx.conf"), "-p", dir)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not listen on %s:\n%s", addr, log)
		}
	}
	return "http://" + addr
}

// TestInstanceKilled: an instance is killed (SIGKILL) in the middle of an
// answer; a client that follows the answer through another instance gets
// its end, interrupted, with the text it had, once the answer has gone
// unwritten for -stale-after.
func TestInstanceKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "wasmchat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := append(os.Environ(), "WASMCHAT_UPSTREAM=demo", "WASMCHAT_DEMO_CPS=100", "WASMCHAT_DATABASE_URL="+pgtest.URL(t))
	a, token := startProcess(t, bin, env, true, "serve", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "a"), "-stale-after", "2s")
	b, _ := startProcess(t, bin, env, false, "serve", "-addr", "127.0.0.1:0", "-data", filepath.Join(dir, "b"), "-stale-after", "2s")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dialWS := func(app *process) *websocket.Conn {
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(app.url, "http")+"/ws/0",
			&websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + token}})
		must(t, err)
		return ws
	}
	read := func(ws *websocket.Conn) protocol.ServerFrame {
		for {
			_, data, err := ws.Read(ctx)
			must(t, err)
			f, err := protocol.DecodeServer(data)
			must(t, err)
			if f.Type != protocol.ControlHello && f.Type != protocol.ControlApps && f.Type != protocol.ControlFeatures {
				return f
			}
		}
	}
	wa := dialWS(a)
	const q = "killed mid-answer"
	must(t, wa.Write(ctx, websocket.MessageText, protocol.ClientFrame{Type: protocol.TypeAsk, ID: "k1", Text: q}.Encode()))
	ack := read(wa)
	held := ""
	for len(held) < 100 {
		f := read(wa)
		held += f.Content
	}
	must(t, a.cmd.Process.Kill())
	_ = a.cmd.Wait()
	killed := time.Now()

	wb := dialWS(b)
	defer wb.CloseNow()
	must(t, wb.Write(ctx, websocket.MessageText, protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer, Offset: len(held)}.Encode()))
	for {
		f := read(wb)
		held += f.Content
		if f.Status == protocol.StatusEnd {
			if f.Finish != protocol.FinishInterrupted || f.End() != len(held) {
				t.Fatalf("end %+v after %d bytes", f, len(held))
			}
			break
		}
		if f.Status == protocol.StatusError {
			t.Fatalf("error frame %+v", f)
		}
	}
	if !strings.HasPrefix(demo.Answer(q), held) {
		t.Errorf("held %q, not a prefix of the answer", held)
	}
	t.Logf("interrupted %v after the kill, with %d bytes", time.Since(killed).Round(100*time.Millisecond), len(held))
}

// process is a wasmchat process.
type process struct {
	cmd *exec.Cmd
	url string
}

// startProcess runs bin with args until the end of the test and returns
// it once it listens; with wantToken, also the token of the login link it
// prints at a first start.
func startProcess(t *testing.T, bin string, env []string, wantToken bool, args ...string) (*process, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	p := &process{cmd: cmd}
	lines := bufio.NewScanner(out)
	token := ""
	for (p.url == "" || (wantToken && token == "")) && lines.Scan() {
		if _, u, ok := strings.Cut(lines.Text(), " listening on "); ok {
			p.url = u
		}
		if _, tok, ok := strings.Cut(lines.Text(), "/#token="); ok {
			token = tok
		}
	}
	if p.url == "" || (wantToken && token == "") {
		t.Fatal("wasmchat serve printed no address or login link")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return p, token
}
