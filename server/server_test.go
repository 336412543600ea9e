package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
)

var helloChunks = []string{"Hello", ", ", "wörld", " 你好", "!"}

func TestHealthz(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	res := get(t, ts.URL+"/healthz", nil)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}
}

func TestWasmServedCompressed(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	tests := []struct {
		accept, wantEnc, wantBody string
	}{
		{"gzip, deflate, br, zstd", "br", "BR:wasm-v1"},
		{"gzip", "gzip", "GZ:wasm-v1"},
		{"br;q=0, gzip", "gzip", "GZ:wasm-v1"},
		{"", "", "wasm-v1"},
	}
	for _, tt := range tests {
		res := get(t, ts.URL+server.WasmPath, http.Header{"Accept-Encoding": {tt.accept}})
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := res.Header.Get("Content-Encoding"); got != tt.wantEnc || string(body) != tt.wantBody {
			t.Errorf("Accept-Encoding %q: got %q %q, want %q %q", tt.accept, got, body, tt.wantEnc, tt.wantBody)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	// A text asset without precompressed variants is compressed at start.
	res := get(t, ts.URL+"/web/style.css", http.Header{"Accept-Encoding": {"br"}})
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "br" {
		t.Errorf("style.css Content-Encoding %q, want br", res.Header.Get("Content-Encoding"))
	}
}

func TestPagePrerendered(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	res := get(t, ts.URL+"/", nil)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "/app.js") {
		t.Fatalf("GET / = %d, body lacks app.js:\n%.500s", res.StatusCode, body)
	}
	res = get(t, ts.URL+"/app.js", nil)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !regexp.MustCompile(`"/web/app\.[0-9a-f]{12}\.wasm"`).Match(body) {
		t.Errorf("app.js does not load the content-hashed wasm:\n%s", body)
	}
}

func TestVersionFixedPerBuild(t *testing.T) {
	newServer := func(wasm string) string {
		s, err := server.New(server.Config{
			Tokens: testTokens, Store: testStore(t), Upstream: &scripted{}, Page: &app.Handler{}, Web: testWeb(wasm), Version: "v1",
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Shutdown(context.Background())
		return s.Version()
	}
	a, b, c := newServer("build-1"), newServer("build-1"), newServer("build-2")
	if a != b {
		t.Errorf("same build, two starts: versions %q and %q", a, b)
	}
	if a == c {
		t.Errorf("two builds share version %q", a)
	}
	if !strings.HasPrefix(a, "v1-") {
		t.Errorf("version %q does not start with the stamped version", a)
	}
}

func TestSeedFormStreamsChunksThenEnd(t *testing.T) {
	up := &scripted{chunks: helloChunks, interval: time.Millisecond}
	ts := newTestServer(t, up)
	c := dialSeed(t, ts, "alice-token")
	c.sendText("hi there") // the seed page sends the bare question
	if f := c.next(); f.Type != protocol.ControlAck || f.Answer == "" {
		t.Fatalf("got %+v, want an ack", f)
	}
	text, end := c.answer(0)
	if text != up.text() {
		t.Errorf("answer %q, want %q", text, up.text())
	}
	if end.Status != protocol.StatusEnd || end.Finish != protocol.FinishStop || end.End() != len(up.text()) {
		t.Errorf("end frame %+v", end)
	}
}

func TestOwnFormTokenInSubprotocol(t *testing.T) {
	up := &scripted{chunks: helloChunks}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "bob-token")
	if got := c.ws.Subprotocol(); got != protocol.Subprotocol {
		t.Errorf("subprotocol %q, want %q", got, protocol.Subprotocol)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hi"})
	if f := c.next(); f.Client != "q1" {
		t.Fatalf("ack %+v does not name client id q1", f)
	}
	if text, _ := c.answer(0); text != up.text() {
		t.Errorf("answer %q", text)
	}
}

func TestUnknownTokenRefused(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	base := "ws" + strings.TrimPrefix(ts.URL, "http")
	for _, tt := range []struct {
		name, url string
		protos    []string
	}{
		{"seed form", base + "/ws/nope-0", nil},
		{"own form", base + "/ws/0", []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + "nope"}},
		{"no token", base + "/ws/1", []string{protocol.Subprotocol}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, tt.url, &websocket.DialOptions{Subprotocols: tt.protos})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := protocol.DecodeServer(data)
			if f.Status != protocol.StatusError || f.Code != protocol.CodeUnauthorized || f.Content == "" {
				t.Errorf("frame %+v, want an unauthorized error", f)
			}
			_, _, err = ws.Read(ctx)
			if got := websocket.CloseStatus(err); got != protocol.CloseUnauthorized {
				t.Errorf("close status %d (%v), want %d", got, err, protocol.CloseUnauthorized)
			}
		})
	}
}

func TestPlainHTTPToEndpoint(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	for path, want := range map[string]int{"/ws/0": http.StatusUpgradeRequired, "/ws/x-9": http.StatusNotFound} {
		res := get(t, ts.URL+path, nil)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
		}
	}
}

func TestBadInputKeepsConnection(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: helloChunks})
	c := dialOwn(t, ts, "alice-token")
	for _, tt := range []struct {
		name, frame, code string
	}{
		{"unknown type", `{"type":"launch"}`, protocol.CodeBadFrame},
		{"bad field", `{"type":"resume","answer":"a","offset":"x"}`, protocol.CodeBadFrame},
		{"empty question", "   ", protocol.CodeBadFrame},
		{"too large", strings.Repeat("长", protocol.MaxQuestionBytes/3+1), protocol.CodeTooLarge},
		{"resume unknown answer", `{"type":"resume","answer":"nope"}`, protocol.CodeNotFound},
	} {
		c.sendText(tt.frame)
		if f := c.next(); f.Status != protocol.StatusError || f.Code != tt.code || f.Content == "" {
			t.Errorf("%s: got %+v, want error %s", tt.name, f, tt.code)
		}
	}
	if err := c.ws.Write(context.Background(), websocket.MessageBinary, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if f := c.next(); f.Code != protocol.CodeBadFrame {
		t.Errorf("binary frame: got %+v", f)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypePing})
	if f := c.next(); f.Type != protocol.ControlPong {
		t.Errorf("after bad input: got %+v, want pong", f)
	}
}

func TestOversizedFrameCloses(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	c := dialOwn(t, ts, "alice-token")
	c.sendText(strings.Repeat("x", protocol.MaxFrameBytes+1))
	_, err := c.read(5 * time.Second)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Errorf("close status %d (%v), want %d", got, err, websocket.StatusMessageTooBig)
	}
}

func TestIdempotentAsk(t *testing.T) {
	up := &scripted{chunks: helloChunks, interval: time.Millisecond}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	ask := protocol.ClientFrame{Type: protocol.TypeAsk, ID: "same", Text: "hi"}
	c.send(ask)
	first := c.next()
	text, _ := c.answer(0)
	c.send(ask) // resent, e.g. after a reconnect
	second := c.next()
	again, _ := c.answer(0)
	if first.Answer != second.Answer || text != again {
		t.Errorf("resent ask: answers %q/%q, texts %q/%q", first.Answer, second.Answer, text, again)
	}
	if n := up.calls.Load(); n != 1 {
		t.Errorf("%d generations, want 1", n)
	}
	// Another user's ask with the same client id is another question.
	other := dialOwn(t, ts, "bob-token")
	other.send(ask)
	if f := other.next(); f.Answer == first.Answer {
		t.Error("bob got alice's answer for the same client id")
	}
}

func TestAnswerSurvivesDropAndResumes(t *testing.T) {
	up := &scripted{chunks: helloChunks, interval: 20 * time.Millisecond}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "hi"})
	ack := c.next()
	first := c.next() // one chunk, then the line drops
	c.ws.CloseNow()

	c2 := dialOwn(t, ts, "alice-token")
	c2.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer, Offset: len(first.Content)})
	rest, end := c2.answer(len(first.Content))
	if got := first.Content + rest; got != up.text() {
		t.Errorf("resumed text %q, want %q", got, up.text())
	}
	if end.Finish != protocol.FinishStop {
		t.Errorf("end %+v", end)
	}
	// From the middle of a rune: refused, not split.
	mid := strings.Index(up.text(), "ö") + 1
	c2.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer, Offset: mid})
	if f := c2.next(); f.Code != protocol.CodeBadOffset {
		t.Errorf("resume mid-rune: %+v", f)
	}
	// Another user cannot resume it.
	bob := dialOwn(t, ts, "bob-token")
	bob.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer})
	if f := bob.next(); f.Code != protocol.CodeNotFound {
		t.Errorf("bob resuming alice's answer: %+v", f)
	}
}

func TestStopCancels(t *testing.T) {
	up := &scripted{chunks: strings.Split(strings.Repeat("x", 1000), ""), interval: 5 * time.Millisecond}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "long"})
	ack := c.next()
	c.next()
	c.send(protocol.ClientFrame{Type: protocol.TypeStop, Answer: ack.Answer})
	text, end := c.answer(len("x"))
	if end.Finish != protocol.FinishCancelled || len(text) >= 999 {
		t.Errorf("after stop: end %+v with %d more bytes", end, len(text))
	}
}

func TestUpstreamFailure(t *testing.T) {
	up := &scripted{chunks: []string{"partial"}, fail: errors.New("secret upstream body: key sk-123")}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "hi"})
	c.next()
	text, end := c.answer(0)
	if end.Status != protocol.StatusError || end.Code != protocol.CodeUpstream {
		t.Fatalf("end %+v, want an upstream error", end)
	}
	if strings.Contains(end.Content, "sk-123") || !strings.HasPrefix(text, "partial") {
		t.Errorf("error frame %q leaks the upstream error or lost the text %q", end.Content, text)
	}
}

func TestShutdownInterrupts(t *testing.T) {
	up := &scripted{chunks: strings.Split(strings.Repeat("y", 1000), ""), interval: 5 * time.Millisecond}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "long"})
	c.next()
	c.next()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ts.Shutdown(ctx) }()
	_, end := c.answer(1)
	if end.Finish != protocol.FinishInterrupted {
		t.Errorf("end %+v, want finish interrupted", end)
	}
	if _, err := c.read(5 * time.Second); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("after the end frame: %v, want a going-away close", err)
	}
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the grace period to run out", err)
	}
}

// BenchmarkResumeWebSocket replays a 100 KB answer over a real loopback
// WebSocket, from offset 0 and from the middle: resume frame out, chunks
// and the end frame back.
func BenchmarkResumeWebSocket(b *testing.B) {
	chunk := "wasmchat 流式输出 resumes by offset. "
	up := &scripted{chunks: strings.Split(strings.Repeat(chunk, 100<<10/len(chunk)), "")}
	ts := newTestServer(b, up)
	c := dialOwn(b, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "long"})
	ack := c.next()
	text, _ := c.answer(0)
	for _, from := range []int{0, len(text) / 2} {
		for !utf8.RuneStart(text[from]) {
			from++
		}
		b.Run(map[bool]string{true: "from0", false: "middle"}[from == 0], func(b *testing.B) {
			b.SetBytes(int64(len(text) - from))
			for b.Loop() {
				c.send(protocol.ClientFrame{Type: protocol.TypeResume, Answer: ack.Answer, Offset: from})
				if got, _ := c.answer(from); len(got) != len(text)-from {
					b.Fatalf("replayed %d bytes, want %d", len(got), len(text)-from)
				}
			}
		})
	}
}

// TestConversationContext checks what the model gets: the earlier turns of
// the conversation, for both the seed form and named conversations.
func TestConversationContext(t *testing.T) {
	up := &scripted{chunks: []string{"answer"}}
	ts := newTestServer(t, up)
	c := dialSeed(t, ts, "alice-token")
	c.sendText("first question")
	c.next()
	c.answer(0)
	c.sendText("second question") // the seed form continues the conversation
	ack := c.next()
	c.answer(0)
	got := up.lastRequest().Turns
	want := []server.Turn{
		{Role: "user", Text: "first question"}, {Role: "assistant", Text: "answer"}, {Role: "user", Text: "second question"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("seed form turns %v, want %v", got, want)
	}
	// A typed ask naming the conversation continues it too; one naming
	// none starts another.
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "x", Conversation: ack.Conversation, Text: "third"})
	c.next()
	c.answer(0)
	if n := len(up.lastRequest().Turns); n != 5 {
		t.Errorf("named conversation: %d turns, want 5", n)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "y", Text: "fresh"})
	if f := c.next(); f.Conversation == ack.Conversation {
		t.Error("an ask naming no conversation continued one")
	}
	c.answer(0)
	if n := len(up.lastRequest().Turns); n != 1 {
		t.Errorf("new conversation: %d turns, want 1", n)
	}
}

func TestApps(t *testing.T) {
	up := &scripted{chunks: []string{"ok"}}
	srv, err := server.New(server.Config{
		Tokens: testTokens, Store: testStore(t), Upstream: up, Page: &app.Handler{}, Web: testWeb("w"),
		Apps: []server.App{
			{ID: "first", Title: "First", System: "be first", Model: "m1"},
			{ID: "second", Title: "Second", System: "be second"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background())
	base := "ws" + strings.TrimPrefix(hs.URL, "http")

	// The seed's app channel runs the first app.
	c := dial(t, base+"/ws/alice-token-1", nil)
	c.sendText("hi")
	c.next()
	c.answer(0)
	if r := up.lastRequest(); r.App != "first" || r.Model != "m1" || (r.Turns[0].Role != "system" || r.Turns[0].Text != "be first") {
		t.Errorf("app channel request %+v", r)
	}
	// A typed ask names its app.
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "1", Text: "hi", App: "second"})
	c.next()
	c.answer(0)
	if r := up.lastRequest(); r.App != "second" || r.Turns[0].Text != "be second" {
		t.Errorf("named app request %+v", r)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "2", Text: "hi", App: "nope"})
	if f := c.next(); f.Code != protocol.CodeUnknownApp || f.Client != "2" {
		t.Errorf("unknown app: %+v", f)
	}
	c.ws.CloseNow()
	// The page learns the apps right after hello.
	ws, _, err := websocket.Dial(context.Background(), base+"/ws/alice-token-0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.Read(context.Background())
	_, data, _ := ws.Read(context.Background())
	f, _ := protocol.DecodeServer(data)
	var apps []protocol.App
	if err := json.Unmarshal([]byte(f.Content), &apps); err != nil || len(apps) != 2 || apps[1].Title != "Second" {
		t.Errorf("apps frame %+v: %v", f, err)
	}
}

func TestUsageAndUpstreamErrors(t *testing.T) {
	up := &scripted{chunks: []string{"hi"}, usage: &protocol.Usage{Prompt: 3, Completion: 1, Total: 4}}
	ts := newTestServer(t, up)
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "1", Text: "hi"})
	c.next()
	if _, end := c.answer(0); end.Usage == nil || *end.Usage != *up.usage {
		t.Errorf("end frame usage %+v, want %+v", end.Usage, up.usage)
	}
	up.fail = &server.UpstreamError{
		Code: protocol.CodeRateLimited, Message: "Too many requests: wait 20 s.",
		RetryAfter: 19500 * time.Millisecond, Err: errors.New("body with sk-secret"),
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "2", Text: "hi"})
	c.next()
	_, end := c.answer(0)
	if end.Code != protocol.CodeRateLimited || end.RetryAfter != 20 || strings.Contains(end.Content, "sk-secret") {
		t.Errorf("error frame %+v", end)
	}
}
