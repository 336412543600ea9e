//go:build !js

package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
	t.Parallel()
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

// fakeModels is an OpenAI-compatible server with two models that says
// which one answers, and keeps the model each request named.
type fakeModels struct {
	answer string // what it answers; "" says which model answers
	mu     sync.Mutex
	asked  []string
	bodies []map[string]any // the requests' bodies
}

func (f *fakeModels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/models":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"object":"list","data":[{"id":"model-a","object":"model","created":1730000000,"owned_by":"test"},{"id":"model-b","object":"model","created":1730000000,"owned_by":"test"}]}`)
	case "/v1/chat/completions":
		data, _ := io.ReadAll(r.Body)
		var body struct{ Model string }
		var all map[string]any
		_ = json.Unmarshal(data, &body)
		_ = json.Unmarshal(data, &all)
		f.mu.Lock()
		f.asked = append(f.asked, body.Model)
		f.bodies = append(f.bodies, all)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(content, finish string) string {
			fin := "null"
			if finish != "" {
				fin = `"` + finish + `"`
			}
			text, _ := json.Marshal(content)
			return `data: {"id":"c1","object":"chat.completion.chunk","created":1730000000,"model":"` + body.Model + `","choices":[{"index":0,"delta":{"content":` + string(text) + `},"finish_reason":` + fin + `}]}` + "\n\n"
		}
		answer := f.answer
		if answer == "" {
			answer = "Answered by " + body.Model
		}
		for len(answer) > 0 { // in pieces, as a model streams
			n := min(len(answer), 7)
			io.WriteString(w, chunk(answer[:n], ""))
			answer = answer[n:]
		}
		io.WriteString(w, chunk("", "stop")+"data: [DONE]\n\n")
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeModels) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.asked) == 0 {
		return ""
	}
	return f.asked[len(f.asked)-1]
}

// pageOnFake starts the app on fake, an OpenAI-compatible server whose
// default model is model-a, and returns a tab signed in to it, watching
// its Content-Security-Policy.
func pageOnFake(t *testing.T, fake *fakeModels) context.Context {
	t.Helper()
	_, ctx := appOnFake(t, fake)
	return ctx
}

// appOnFake is pageOnFake, and the app.
func appOnFake(t *testing.T, fake *fakeModels) (*testApp, context.Context) {
	t.Helper()
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	a := startApp(t, map[string]string{"WASMCHAT_UPSTREAM": "openai", "OPENAI_BASE_URL": hs.URL + "/v1/", "OPENAI_API_KEY": "sk-test", "WASMCHAT_MODEL": "model-a"})
	ctx := newBrowser(t)
	watchCSP(t, ctx)
	signIn(t, ctx, a.URL, a.Token)
	return a, ctx
}

// TestBrowserModelPicker: the page lists the server's models; a question
// asked with the second is answered by it (the request names it), the
// answer says which model wrote it, and the conversation keeps its model
// over a reload.
func TestBrowserModelPicker(t *testing.T) {
	t.Parallel()
	fake := &fakeModels{}
	ctx := pageOnFake(t, fake)
	poll(t, ctx, "the model picker", `[...document.querySelectorAll('#model option')].map(o => o.value).join() == "model-a,model-b" &&
		document.querySelector('#model').value == "model-a"`)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.querySelector('#model');
		s.value = "model-b";
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`))
	must(t, err)
	askInPage(t, ctx, "which model are you?")
	waitAnswers(t, ctx, 1, "done")
	if got := fake.last(); got != "model-b" {
		t.Errorf("the model server was asked for %q, want model-b", got)
	}
	poll(t, ctx, "the answer naming its model", `document.querySelector('.message[data-role="assistant"] .usage')?.textContent.startsWith("model-b") &&
		document.querySelector('.message[data-role="assistant"] .content').textContent.includes("Answered by model-b")`)
	must(t, chromedp.Do(ctx, chromedp.Reload()))
	poll(t, ctx, "the conversation's model after a reload", `document.querySelector('#model')?.value == "model-b" &&
		document.querySelector('.message[data-role="assistant"] .usage')?.textContent.startsWith("model-b")`)
}

// lastBody returns the last request's system message ("" when none) and
// temperature (nil when none).
func (f *fakeModels) lastBody() (system string, temperature any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bodies) == 0 {
		return "", nil
	}
	b := f.bodies[len(f.bodies)-1]
	if msgs, _ := b["messages"].([]any); len(msgs) > 0 {
		if m, _ := msgs[0].(map[string]any); m["role"] == "system" {
			system, _ = m["content"].(string)
		}
	}
	return system, b["temperature"]
}

// TestBrowserInstructions: a chat's own instructions (system prompt and
// temperature), set in the page, reach the model with its questions, are
// kept with the conversation over a reload, and can be changed; a
// temperature out of range is refused with the reason.
func TestBrowserInstructions(t *testing.T) {
	t.Parallel()
	fake := &fakeModels{}
	ctx := pageOnFake(t, fake)
	set := func(system, temperature string) {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			document.querySelector('#instructions').open = true;
			document.querySelector('#system-input').value = `+jsString(system)+`;
			document.querySelector('#temperature-input').value = `+jsString(temperature)+`;
			document.querySelector('#save-instructions').click();
			return true;
		})()`))
		must(t, err)
	}
	set("Answer in French.", "0.3")
	askInPage(t, ctx, "hello")
	waitAnswers(t, ctx, 1, "done")
	if system, temp := fake.lastBody(); system != "Answer in French." || temp != 0.3 {
		t.Errorf("the model got system %q, temperature %v", system, temp)
	}
	must(t, chromedp.Do(ctx, chromedp.Reload()))
	poll(t, ctx, "the conversation's instructions after a reload", `(() => {
		const d = document.querySelector('#instructions');
		if (!d || !document.querySelector('.message')) return false;
		d.open = true;
		return document.querySelector('#system-input').value == "Answer in French." && document.querySelector('#temperature-input').value == "0.3";
	})()`)
	set("Answer in Latin.", "5")
	poll(t, ctx, "the refused temperature", `document.querySelector('#instructions-error')?.textContent.includes("0 to 2")`)
	set("Answer in Latin.", "")
	askInPage(t, ctx, "again")
	waitAnswers(t, ctx, 2, "done")
	if system, temp := fake.lastBody(); system != "Answer in Latin." || temp != nil {
		t.Errorf("after the change, the model got system %q, temperature %v", system, temp)
	}
}

// TestBrowserMath: an answer with inline and display formulas, streamed
// in pieces, shows them as MathML that Chromium lays out (a fraction
// taller than its line), with no request for a font or script; "$5 and
// $10" stays text.
func TestBrowserMath(t *testing.T) {
	t.Parallel()
	fake := &fakeModels{answer: "Euler: $e^{i\\pi} + 1 = 0$. It costs $5 and $10.\n\n$$\\int_0^1 x\\,dx = \\frac{1}{2}$$\n"}
	ctx := pageOnFake(t, fake)
	askInPage(t, ctx, "some math")
	waitAnswers(t, ctx, 1, "done")
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const c = document.querySelector('.message[data-role="assistant"] .content');
		const maths = [...c.querySelectorAll('math')];
		const frac = c.querySelector('math[display="block"] mfrac');
		const mi = c.querySelector('math mi');
		return [String(maths.length), maths.map(m => m.getAttribute('display')).join(),
			String(frac ? frac.getBoundingClientRect().height > mi.getBoundingClientRect().height * 1.5 : false),
			String(maths[0]?.namespaceURI), c.textContent.includes("It costs $5 and $10.") ? "text" : c.textContent];
	})()`))
	must(t, err)
	if got[0] != "2" || got[1] != "inline,block" || got[2] != "true" || got[3] != "http://www.w3.org/1998/Math/MathML" || got[4] != "text" {
		t.Errorf("the answer's math: %q", got)
	}
	checkNoCSPViolation(t, ctx)
}
