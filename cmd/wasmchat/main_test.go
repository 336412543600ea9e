//go:build !js

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// TestTokenAddWhileServing adds a token with `wasmchat token add` while the
// server runs: the token is the last line of stdout and works at once.
func TestTokenAddWhileServing(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "add", "-data", a.Data, "carol"}, noenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	token := lines[len(lines)-1]
	for _, tok := range []string{token, a.Token} {
		if f := firstFrame(t, a, tok); f.Type != protocol.ControlHello {
			t.Errorf("token %.6s…: first frame %+v, want hello", tok, f)
		}
	}
	// list names carol's token; once revoked, it is refused.
	out.Reset()
	if err := run(context.Background(), []string{"token", "list", "-data", a.Data}, noenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var id string
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "carol" {
			id = f[0]
		}
	}
	if id == "" || strings.Contains(out.String(), token) {
		t.Fatalf("token list:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"token", "revoke", "-data", a.Data, id}, noenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"token", "revoke", "-data", a.Data, id}, noenv, io.Discard, io.Discard); err == nil {
		t.Error("revoked a token twice")
	}
	if f := firstFrame(t, a, token); f.Code != protocol.CodeUnauthorized {
		t.Errorf("revoked token: first frame %+v, want unauthorized", f)
	}
	res, err := http.Get(a.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"fly"}, {"token"}, {"token", "add"}, {"token", "add", "a", "b"}, {"token", "revoke"}, {"token", "list", "x"}, {"token", "nope"}, {"serve", "-nope"}} {
		if err := run(context.Background(), args, noenv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("run %q = %v, want usage", args, err)
		}
	}
	bad := func(k string) string { return map[string]string{"WASMCHAT_DEMO_CPS": "fast"}[k] }
	err := run(context.Background(), []string{"serve", "-data", t.TempDir()}, bad, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "WASMCHAT_DEMO_CPS") {
		t.Errorf("bad WASMCHAT_DEMO_CPS: %v", err)
	}
	// -h prints the flags' defaults: secrets from the environment are not
	// among them.
	secrets := map[string]string{"OPENAI_API_KEY": "sk-very-secret", "WASMCHAT_UPSTREAM_WS": "wss://h/ws/seedtoken-0"}
	var help bytes.Buffer
	run(context.Background(), []string{"serve", "-h"}, func(k string) string { return secrets[k] }, io.Discard, &help)
	if h := help.String(); strings.Contains(h, "sk-very-secret") || strings.Contains(h, "seedtoken") || !strings.Contains(h, "-openai-api-key") {
		t.Errorf("serve -h printed:\n%s", h)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, noenv, &out, io.Discard); err != nil || out.Len() == 0 {
		t.Errorf("version: %q, %v", out.String(), err)
	}
}

func noenv(string) string { return "" }

// firstFrame dials the app's WebSocket with token and returns the first
// frame the server sends.
func firstFrame(tb testing.TB, a *testApp, token string) protocol.ServerFrame {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL, "http")+"/ws/0",
		&websocket.DialOptions{HTTPClient: a.client, Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + token}})
	if err != nil {
		tb.Fatal(err)
	}
	defer ws.CloseNow()
	_, data, err := ws.Read(ctx)
	if err != nil {
		tb.Fatalf("token %.6s…: %v", token, err)
	}
	f, err := protocol.DecodeServer(data)
	if err != nil {
		tb.Fatalf("token %.6s…: %v", token, err)
	}
	return f
}

// TestTokensFileImported: the tokens.json of an earlier version is moved
// into the database once, and its tokens keep working.
func TestTokensFileImported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sum := sha256.Sum256([]byte("old-secret"))
	file := fmt.Sprintf(`[{"name":"dave","sha256":"%x","created":"2026-01-02T03:04:05Z"}]`, sum)
	if err := os.WriteFile(filepath.Join(dir, "tokens.json"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "list", "-data", dir}, noenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dave") {
		t.Fatalf("token list after import:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "tokens.json.imported")); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(context.Background(), "old-secret"); err != nil {
		t.Errorf("old token: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestMetricsAndJSONLogs: -metrics-addr serves the metrics on a listener
// of its own (not on the page's address), and -log-json (or its env)
// writes JSON lines that name the instance.
func TestMetricsAndJSONLogs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	env := func(k string) string {
		return map[string]string{"WASMCHAT_UPSTREAM": "demo", "WASMCHAT_LOG_JSON": "1"}[k]
	}
	go func() {
		done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-metrics-addr", "127.0.0.1:0", "-grace", "100ms"}, env, &stdout, &stderr)
	}()
	var metrics, page string
	for deadline := time.Now().Add(10 * time.Second); metrics == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for line := range strings.SplitSeq(stdout.String(), "\n") {
			if _, u, ok := strings.Cut(line, "metrics on "); ok {
				metrics = u
			}
			if _, u, ok := strings.Cut(line, " listening on "); ok {
				page = u
			}
		}
	}
	if metrics == "" {
		cancel()
		t.Fatalf("no metrics address printed:\n%s", stdout.String())
	}
	res, err := http.Get(metrics)
	must(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "wasmchat_connections 0") || !strings.Contains(string(body), "wasmchat_ack_seconds_bucket") {
		t.Errorf("GET %s: %d\n%.500s", metrics, res.StatusCode, body)
	}
	if res, err := http.Get(page + "/metrics"); err == nil {
		res.Body.Close()
		if res.StatusCode == 200 && res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Error("the metrics are on the page's address too")
		}
	}
	cancel()
	must(t, <-done)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["instance"] == nil || rec["instance"] == "" {
			t.Errorf("log line %q: not JSON with the instance (%v)", line, err)
		}
	}
	if len(lines) == 0 {
		t.Error("nothing logged")
	}
}

// TestServeEnv: every flag of serve has its environment variable, the
// README's table names each, and a flag on the command line wins.
func TestServeEnv(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	var f serveFlags
	serveFlagSet(&f).VisitAll(func(fl *flag.Flag) {
		if row := "`-" + fl.Name + "`"; !bytes.Contains(readme, []byte(row)) || !bytes.Contains(readme, []byte("`"+envName(fl.Name))) {
			t.Errorf("the README's configuration table lacks -%s or %s", fl.Name, envName(fl.Name))
		}
	})
	env := map[string]string{
		"WASMCHAT_ADDR": "127.0.0.1:9999", "WASMCHAT_DATA": "/srv/chat", "WASMCHAT_GRACE": "3s",
		"WASMCHAT_ORIGIN": "a.example, b.example", "WASMCHAT_MAX_ANSWERS": "9", "WASMCHAT_DEMO_CPS": "1500",
		"WASMCHAT_LOG_JSON": "1", "OPENAI_API_KEY": "sk-x", "WASMCHAT_CONTEXT_CHARS": "100", "WASMCHAT_MODELS": "m1 m2",
	}
	got, err := parseServe([]string{"-max-answers", "2"}, func(k string) string { return env[k] }, io.Discard)
	must(t, err)
	if got.addr != "127.0.0.1:9999" || got.data != "/srv/chat" || got.grace != 3*time.Second || len(got.origins) != 2 ||
		got.origins[1] != "b.example" || got.demoRate != 1500 || !got.logJSON || got.apiKey != "sk-x" || got.contextChars != 100 ||
		strings.Join(got.models, ",") != "m1,m2" {
		t.Errorf("from the environment: %+v", got)
	}
	if got.limits.Answers != 2 {
		t.Errorf("-max-answers 2 with WASMCHAT_MAX_ANSWERS=9: %d, want the flag's", got.limits.Answers)
	}
	env["WASMCHAT_GRACE"] = "soon"
	if _, err := parseServe(nil, func(k string) string { return env[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "WASMCHAT_GRACE") {
		t.Errorf("a bad WASMCHAT_GRACE: %v", err)
	}
}
