package server_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// listing is a scripted upstream that offers models, and counts how often
// it was asked for them.
type listing struct {
	*scripted
	models []string
	asked  atomic.Int32
}

func (l *listing) Models(context.Context) ([]string, error) {
	l.asked.Add(1)
	return l.models, nil
}

func (l *listing) DefaultModel() string { return l.models[0] }

// TestModels: /api/models lists the upstream's models (asked once a
// minute, narrowed by Config.Models) and the default; a question naming
// one is answered by it, the ack and the stored answer name it, and the
// conversation remembers it; a model not offered is refused; an app that
// fixes its model keeps it.
func TestModels(t *testing.T) {
	up := &listing{scripted: &scripted{chunks: []string{"hi"}}, models: []string{"small", "large", "secret"}}
	st := testStore(t)
	apps := append([]server.App{{ID: "fixed", Title: "Fixed", Model: "small"}}, server.BuiltinApps...)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st, Models: []string{"small", "large", "elsewhere"}, Apps: apps})
	var list protocol.Models
	for range 3 {
		if code, body := call(t, ts, "GET", "/api/models", "alice-token", nil, &list); code != 200 {
			t.Fatalf("models: %d %s", code, body)
		}
	}
	if strings.Join(list.Models, ",") != "small,large" || list.Default != "small" || up.asked.Load() != 1 {
		t.Errorf("models %+v (the upstream asked %d times), want small and large, default small, asked once", list, up.asked.Load())
	}

	c := dialOwn(t, ts, "alice-token")
	ack := askDone(t, c, st, "alice", protocol.ClientFrame{ID: "q1", Text: "which model?"})
	if ack.Model != "small" {
		t.Errorf("ack of a question naming no model: model %q, want the default", ack.Model)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Conversation: ack.Conversation, Text: "and now?", Model: "large"})
	ack2 := c.next()
	c.answer(0)
	if ack2.Model != "large" || up.lastRequest().Model != "large" {
		t.Errorf("asked with large: ack %q, the upstream was asked for %q", ack2.Model, up.lastRequest().Model)
	}
	poll(t, "the answer's model stored", func() bool {
		m, err := st.Message(bg, "alice", ack2.Answer)
		return err == nil && m.Model == "large" && m.Status != store.StatusStreaming
	})
	if conv, err := st.Conversation(bg, "alice", ack.Conversation); err != nil || conv.Model != "large" {
		t.Errorf("the conversation's model: %+v %v", conv, err)
	}
	for _, model := range []string{"secret", "elsewhere", "nope"} {
		c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "bad-" + model, Text: "q", Model: model})
		if f := c.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeNoModel || f.Client != "bad-"+model {
			t.Errorf("asked with %s: %+v, want %s", model, f, protocol.CodeNoModel)
		}
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "app", Text: "q", App: "fixed", Model: "large"})
	if f := c.next(); f.Model != "small" {
		t.Errorf("an app fixing its model: %+v", f)
	}
	c.answer(0)
	if up.lastRequest().Model != "small" {
		t.Errorf("the app's question went to %q", up.lastRequest().Model)
	}
}

// TestModelsNotListed: an upstream that lists no models (the seed
// backend's) offers none, and a question naming one is refused.
func TestModelsNotListed(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: []string{"hi"}})
	var list protocol.Models
	if code, _ := call(t, ts, "GET", "/api/models", "alice-token", nil, &list); code != 200 || len(list.Models) != 0 || list.Default != "" {
		t.Errorf("models %+v", list)
	}
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "q", Model: "gpt-4o"})
	if f := c.next(); f.Code != protocol.CodeNoModel {
		t.Errorf("a model named to an upstream with none: %+v", f)
	}
}

// TestInstructions: a conversation's own system prompt and temperature,
// given with its first question or set through the API, go with each of
// its questions, over its app's; out-of-range values are refused.
func TestInstructions(t *testing.T) {
	up := &scripted{chunks: []string{"ok"}}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st})
	c := dialOwn(t, ts, "alice-token")
	temp := 0.3
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "hello", System: "Answer in French.", Temperature: &temp})
	ack := c.next()
	c.answer(0)
	req := up.lastRequest()
	if len(req.Turns) == 0 || req.Turns[0].Role != server.RoleSystem || req.Turns[0].Text != "Answer in French." || req.Temperature == nil || *req.Temperature != 0.3 {
		t.Fatalf("first question's request: %+v (temperature %v)", req.Turns, req.Temperature)
	}
	var conv protocol.Conversation
	if code, body := call(t, ts, "PATCH", "/api/conversations/"+ack.Conversation, "alice-token", []byte(`{"system":"Answer in Latin.","temperature":null}`), &conv); code != 200 ||
		conv.System != "Answer in Latin." || conv.Temperature != nil {
		t.Fatalf("patch: %d %s", code, body)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Conversation: ack.Conversation, Text: "again", System: "ignored: the conversation exists"})
	c.next()
	c.answer(0)
	if req := up.lastRequest(); req.Turns[0].Text != "Answer in Latin." || req.Temperature != nil {
		t.Errorf("after the patch: %+v (temperature %v)", req.Turns[0], req.Temperature)
	}
	for _, bad := range []string{`{"temperature":3}`, `{"temperature":"hot"}`, `{"system":` + strconv.Quote(strings.Repeat("x", store.MaxSystemChars+1)) + `}`} {
		if code, body := call(t, ts, "PATCH", "/api/conversations/"+ack.Conversation, "alice-token", []byte(bad), nil); code != 400 {
			t.Errorf("patch %.40s: %d %s, want 400", bad, code, body)
		}
	}
	hot := 5.0
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q3", Text: "x", Temperature: &hot})
	if f := c.next(); f.Code != protocol.CodeBadFrame {
		t.Errorf("an ask with temperature 5: %+v", f)
	}
}
