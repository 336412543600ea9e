package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

const apiKey = "sk-test-0123456789abcdef"

// fakeOpenAI speaks the chat completions wire format byte for byte as
// OpenAI sends it: `data:` lines of chat.completion.chunk objects, a usage
// chunk with empty choices, `data: [DONE]`, and OpenAI's error bodies.
type fakeOpenAI struct {
	t        *testing.T
	scenario string
	pieces   []string

	mu        sync.Mutex
	body      map[string]any // the last request body
	auth      string
	cancelled chan struct{} // closed when a streaming request's context ends early
}

func chunkLine(content string, finish string) string {
	delta := fmt.Sprintf(`{"content":%q}`, content)
	fin := "null"
	if finish != "" {
		delta, fin = `{}`, fmt.Sprintf("%q", finish)
	}
	return `data: {"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":` +
		delta + `,"logprobs":null,"finish_reason":` + fin + `}],"usage":null}` + "\n\n"
}

const usageLine = `data: {"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":5,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}` + "\n\n"

const firstLine = `data: {"id":"chatcmpl-abc123","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}` + "\n\n"

var errorBodies = map[string]struct {
	status int
	body   string
}{
	"401": {401, `{"error":{"message":"Incorrect API key provided: sk-test-***cdef. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
	"429": {429, `{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`},
	"404": {404, `{"error":{"message":"The model ` + "`gpt-nope`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
	"400": {400, `{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`},
	"500": {500, `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`},
	// A model without vision, as OpenAI says it.
	"no-images": {400, `{"error":{"message":"Invalid content type. image_url is only supported by certain models.","type":"invalid_request_error","param":"messages.[1].content.[1].type","code":null}}`},
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" && r.Method == http.MethodGet {
		if e, ok := errorBodies[f.scenario]; ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.status)
			io.WriteString(w, e.body)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}]}`)
		return
	}
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &body); err != nil {
		f.t.Errorf("request body: %v", err)
	}
	f.mu.Lock()
	f.body, f.auth = body, r.Header.Get("Authorization")
	f.mu.Unlock()
	if e, ok := errorBodies[f.scenario]; ok {
		w.Header().Set("Content-Type", "application/json")
		if f.scenario == "429" {
			w.Header().Set("Retry-After", "20")
		}
		w.WriteHeader(e.status)
		io.WriteString(w, e.body)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	write := func(s string) { io.WriteString(w, s); fl.Flush() }
	write(firstLine)
	for i, p := range f.pieces {
		if f.scenario == "slow" && i > 0 {
			select {
			case <-r.Context().Done():
				close(f.cancelled)
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		write(chunkLine(p, ""))
		if f.scenario == "cut" && i == 1 {
			// The server dies mid-answer: the connection just closes.
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
	}
	if f.scenario == "no-end" {
		return // a clean close with no finish reason and no [DONE]
	}
	finishReason := "stop"
	if f.scenario == "length" {
		finishReason = "length"
	}
	write(chunkLine("", finishReason))
	write(usageLine)
	write("data: [DONE]\n\n")
}

func newFake(t *testing.T, scenario string) (*fakeOpenAI, *Client) {
	t.Helper()
	f := &fakeOpenAI{t: t, scenario: scenario, pieces: []string{"Hel", "lo, ", "wörld", " 你好"}, cancelled: make(chan struct{})}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	zero := 0
	return f, New(Config{BaseURL: hs.URL + "/v1/", APIKey: apiKey, Model: "gpt-4o-mini", MaxRetries: &zero})
}

func request() upstream.Request {
	return upstream.Request{Turns: []upstream.Turn{
		{Role: upstream.RoleSystem, Text: "be brief"},
		{Role: upstream.RoleUser, Text: "hi"},
		{Role: upstream.RoleAssistant, Text: "hello"},
		{Role: upstream.RoleUser, Text: "how are you?"},
	}}
}

func collect(t *testing.T, c *Client, ctx context.Context, req upstream.Request) (string, upstream.Result, error) {
	t.Helper()
	var b strings.Builder
	res, err := c.Stream(ctx, req, func(s string) { b.WriteString(s) })
	return b.String(), res, err
}

func TestStreamAnswer(t *testing.T) {
	f, c := newFake(t, "ok")
	temp := 0.3
	req := request()
	req.Temperature = &temp
	text, res, err := collect(t, c, context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if text != "Hello, wörld 你好" || res.Finish != protocol.FinishStop {
		t.Errorf("got %q, %+v", text, res)
	}
	if res.Usage == nil || *res.Usage != (protocol.Usage{Prompt: 21, Completion: 5, Total: 26}) {
		t.Errorf("usage %+v", res.Usage)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.auth != "Bearer "+apiKey {
		t.Errorf("Authorization %q", f.auth)
	}
	if f.body["model"] != "gpt-4o-mini" || f.body["stream"] != true || f.body["temperature"] != 0.3 {
		t.Errorf("request %v", f.body)
	}
	msgs, _ := json.Marshal(f.body["messages"])
	want := `[{"content":"be brief","role":"system"},{"content":"hi","role":"user"},{"content":"hello","role":"assistant"},{"content":"how are you?","role":"user"}]`
	if string(msgs) != want {
		t.Errorf("messages %s\nwant %s", msgs, want)
	}
	if so, _ := json.Marshal(f.body["stream_options"]); string(so) != `{"include_usage":true}` {
		t.Errorf("stream_options %s", so)
	}
}

func TestAppModelOverrides(t *testing.T) {
	f, c := newFake(t, "ok")
	req := request()
	req.Model = "llama3.2"
	if _, _, err := collect(t, c, context.Background(), req); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.body["model"] != "llama3.2" {
		t.Errorf("model %v", f.body["model"])
	}
	if _, ok := f.body["temperature"]; ok {
		t.Error("temperature sent though none was set")
	}
}

func TestFinishLength(t *testing.T) {
	_, c := newFake(t, "length")
	if _, res, err := collect(t, c, context.Background(), request()); err != nil || res.Finish != protocol.FinishLength {
		t.Errorf("got %+v, %v", res, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		scenario, code string
		keepsText      bool
	}{
		{"401", protocol.CodeInvalidKey, false},
		{"429", protocol.CodeRateLimited, false},
		{"404", protocol.CodeNoModel, false},
		{"400", protocol.CodeTooLong, false},
		{"500", protocol.CodeUpstream, false},
		{"cut", protocol.CodeBroken, true},
		{"no-end", protocol.CodeBroken, true},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			_, c := newFake(t, tt.scenario)
			text, _, err := collect(t, c, context.Background(), request())
			var ue *upstream.Error
			if !errors.As(err, &ue) || ue.Code != tt.code {
				t.Fatalf("err %v, want code %s", err, tt.code)
			}
			if tt.keepsText != (text != "") {
				t.Errorf("text %q", text)
			}
			for _, leak := range []string{apiKey, "sk-test", "org-x", "130412", "Sorry about that"} {
				if strings.Contains(ue.Error(), leak) || strings.Contains(ue.Message, leak) {
					t.Errorf("message %q leaks %q", ue.Message, leak)
				}
			}
			if tt.scenario == "429" && ue.RetryAfter != 20*time.Second {
				t.Errorf("retry after %v, want 20s", ue.RetryAfter)
			}
		})
	}
}

func TestUnreachableAndTimeout(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	zero := 0
	c := New(Config{BaseURL: "http://user:pw@" + addr + "/v1/", APIKey: apiKey, Model: "m", MaxRetries: &zero})
	_, _, err := collect(t, c, context.Background(), request())
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Code != protocol.CodeUnreachable || strings.Contains(ue.Message, "pw") || !strings.Contains(ue.Message, addr) {
		t.Errorf("unreachable: %v", err)
	}

	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer hang.Close()
	defer hang.CloseClientConnections()
	c = New(Config{BaseURL: hang.URL + "/v1/", APIKey: apiKey, Model: "m", MaxRetries: &zero,
		HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
	_, _, err = collect(t, c, context.Background(), request())
	if !errors.As(err, &ue) || ue.Code != protocol.CodeTimeout {
		t.Errorf("timeout: %v", err)
	}
}

// TestStopCancelsRequest checks that stopping an answer really ends the
// upstream request: the fake sees its request context end.
func TestStopCancelsRequest(t *testing.T) {
	f, c := newFake(t, "slow")
	f.pieces = strings.Split(strings.Repeat("x", 200), "")
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := c.Stream(ctx, request(), func(string) {
		if n++; n == 3 {
			cancel() // the user pressed stop
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	select {
	case <-f.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request went on after stop")
	}
}

// TestRetryAfterBounded: a Retry-After too large for a Duration (it used to
// overflow to a negative wait) or merely huge is taken as maxRetryAfter.
func TestRetryAfterBounded(t *testing.T) {
	for _, h := range []http.Header{
		{"Retry-After": {"1e30"}}, {"Retry-After": {"99999999999"}}, {"Retry-After-Ms": {"1e40"}},
		{"Retry-After": {"Fri, 31 Dec 9999 23:59:59 GMT"}},
	} {
		if got := retryAfter(&http.Response{Header: h}); got != maxRetryAfter {
			t.Errorf("%v: %v, want %v", h, got, maxRetryAfter)
		}
	}
	if got := retryAfter(&http.Response{Header: http.Header{"Retry-After": {"20"}}}); got != 20*time.Second {
		t.Errorf("Retry-After 20: %v", got)
	}
}

// TestModels: the server's models, sorted, and the default; a refused
// key is the same failure as for a question.
func TestModels(t *testing.T) {
	_, c := newFake(t, "ok")
	models, err := c.Models(context.Background())
	if err != nil || strings.Join(models, ",") != "gpt-4o,gpt-4o-mini" || c.DefaultModel() != "gpt-4o-mini" {
		t.Errorf("models %q, default %q, %v", models, c.DefaultModel(), err)
	}
	_, bad := newFake(t, "401")
	var ue *upstream.Error
	if _, err := bad.Models(context.Background()); !errors.As(err, &ue) || ue.Code != protocol.CodeInvalidKey {
		t.Errorf("a refused key: %v", err)
	}
}

// TestImages: a question's images go as image parts, data URLs of their
// bytes, after its text; a model that refuses images says so.
func TestImages(t *testing.T) {
	f, c := newFake(t, "ok")
	req := request()
	last := &req.Turns[len(req.Turns)-1]
	last.Images = []upstream.Image{{Name: "a.png", Type: "image/png", Data: []byte("\x89PNG fake")}}
	if _, _, err := collect(t, c, context.Background(), req); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	msgs, _ := json.Marshal(f.body["messages"])
	f.mu.Unlock()
	want := `{"content":[{"text":"how are you?","type":"text"},{"image_url":{"url":"data:image/png;base64,iVBORyBmYWtl"},"type":"image_url"}],"role":"user"}]`
	if !strings.HasSuffix(string(msgs), want) {
		t.Errorf("messages %s\nwant the last %s", msgs, want)
	}
	_, c = newFake(t, "no-images")
	_, _, err := collect(t, c, context.Background(), req)
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Code != protocol.CodeUnsupported || !strings.Contains(ue.Message, "does not take images") {
		t.Errorf("a model without vision: %v", err)
	}
}
