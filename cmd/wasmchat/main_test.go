//go:build !js

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
)

// TestTokenAddWhileServing adds a token with `wasmchat token add` while the
// server runs: the token is the last line of stdout and works at once.
func TestTokenAddWhileServing(t *testing.T) {
	a := startApp(t, nil)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "add", "-data", a.Data, "carol"}, noenv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	token := lines[len(lines)-1]
	for _, tok := range []string{token, a.Token} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL, "http")+"/ws/0",
			&websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + tok}})
		if err != nil {
			t.Fatal(err)
		}
		_, data, err := ws.Read(ctx)
		ws.CloseNow()
		cancel()
		if f, _ := protocol.DecodeServer(data); err != nil || f.Type != protocol.ControlHello {
			t.Errorf("token %.6s…: first frame %s (%v), want hello", tok, data, err)
		}
	}
	res, err := http.Get(a.URL + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"fly"}, {"token"}, {"token", "add"}, {"token", "add", "a", "b"}, {"serve", "-nope"}} {
		if err := run(context.Background(), args, noenv, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("run %q = %v, want usage", args, err)
		}
	}
	bad := func(string) string { return "fast" }
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
