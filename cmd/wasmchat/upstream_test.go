//go:build !js

package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream/demo"
	"github.com/wasmchat/wasmchat/upstream/openai"
	"github.com/wasmchat/wasmchat/upstream/seedws"
)

// fakeOllama answers as Ollama's OpenAI-compatible API does: a model list,
// and a streamed completion.
func fakeOllama(t *testing.T) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			io.WriteString(w, `{"object":"list","data":[{"id":"llama3.2:latest","object":"model","created":1730000000,"owned_by":"library"}]}`)
		case "/v1/chat/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			for _, c := range []string{"Hi", " from", " llama"} {
				io.WriteString(w, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,"model":"llama3.2:latest","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"`+c+`"},"finish_reason":null}]}`+"\n\n")
			}
			io.WriteString(w, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1730000000,"model":"llama3.2:latest","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/v1/"
}

func TestChooseUpstream(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	closed := "http://127.0.0.1:1/v1/"
	tests := []struct {
		name string
		f    serveFlags
		want any
	}{
		{"nothing configured, no Ollama", serveFlags{upstream: "auto", ollamaURL: closed}, &demo.Demo{}},
		{"Ollama answers", serveFlags{upstream: "auto", ollamaURL: fakeOllama(t)}, &openai.Client{}},
		{"a key", serveFlags{upstream: "auto", apiKey: "sk-x", ollamaURL: closed}, &openai.Client{}},
		{"a base URL", serveFlags{upstream: "auto", baseURL: "http://127.0.0.1:1/v1/"}, &openai.Client{}},
		{"a seed backend", serveFlags{upstream: "auto", upstreamWS: "ws://127.0.0.1:1/ws/t-0", apiKey: "sk"}, &seedws.Seed{}},
		{"forced demo", serveFlags{upstream: "demo", apiKey: "sk"}, &demo.Demo{}},
	}
	for _, tt := range tests {
		got, err := chooseUpstream(context.Background(), tt.f, log)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if gt, wt := kind(got), kind(tt.want); gt != wt {
			t.Errorf("%s: %s, want %s", tt.name, gt, wt)
		}
	}
	for _, bad := range []serveFlags{{upstream: "gpt"}, {upstream: "seedws"}} {
		if _, err := chooseUpstream(context.Background(), bad, log); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func kind(v any) string {
	switch v.(type) {
	case *demo.Demo:
		return "demo"
	case *openai.Client:
		return "openai"
	case *seedws.Seed:
		return "seedws"
	}
	return "unknown"
}

// TestServeWithOllama starts the program with nothing configured but an
// Ollama on the probed address: questions go to it.
func TestServeWithOllama(t *testing.T) {
	a := startAppWith(t, appOptions{env: map[string]string{"WASMCHAT_UPSTREAM": "auto", "WASMCHAT_OLLAMA_URL": fakeOllama(t)}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+a.Addr+"/ws/"+a.Token+"-0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.Write(ctx, websocket.MessageText, []byte("hello"))
	var text strings.Builder
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := protocol.DecodeServer(data)
		if f.Status == protocol.StatusChunk || f.Status == protocol.StatusEnd {
			text.WriteString(f.Content)
		}
		if f.Status == protocol.StatusEnd || f.Status == protocol.StatusError {
			break
		}
	}
	if text.String() != "Hi from llama" {
		t.Errorf("answer %q", text.String())
	}
}
