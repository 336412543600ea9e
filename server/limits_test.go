package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
)

// TestLimits: past each per-user limit the client gets a status-1 "limit"
// error, and nothing else is affected: the user's other work goes on, and
// another user is not limited at all.
func TestLimits(t *testing.T) {
	up := &scripted{chunks: strings.Split("slowly", ""), interval: 100 * time.Millisecond}
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: testStore(t),
		Limits: server.Limits{Connections: 2, Answers: 2, PerMinute: 3}})

	t.Run("connections", func(t *testing.T) {
		a, b := dialOwn(t, ts, "alice-token"), dialOwn(t, ts, "alice-token")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/0",
			&websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + "alice-token"}})
		if err != nil {
			t.Fatal(err)
		}
		third := &client{tb: t, ws: ws}
		if f := third.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeLimit {
			t.Errorf("third connection: %+v, want a limit error", f)
		}
		if _, err := third.read(2 * time.Second); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Errorf("third connection closed with %v, want policy violation", err)
		}
		// Bob is not alice: his connection opens.
		dialOwn(t, ts, "bob-token")
		// One of alice's closes: a new one opens.
		b.ws.Close(websocket.StatusNormalClosure, "")
		deadline := time.Now().Add(5 * time.Second)
		for {
			ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/0",
				&websocket.DialOptions{Subprotocols: []string{protocol.Subprotocol, protocol.SubprotocolTokenPrefix + "alice-token"}})
			if err != nil {
				t.Fatal(err)
			}
			c := &client{tb: t, ws: ws}
			f := c.next()
			ws.CloseNow()
			if f.Type == protocol.ControlHello {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after one closed, a new connection still gets %+v", f)
			}
			time.Sleep(50 * time.Millisecond)
		}
		a.ws.Close(websocket.StatusNormalClosure, "")
	})

	t.Run("answers and questions a minute", func(t *testing.T) {
		c := dialOwn(t, ts, "carol-token")
		for i := range 2 {
			c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: fmt.Sprint("q", i), Text: "go"})
			if f := c.next(); f.Type != protocol.ControlAck {
				t.Fatalf("ask %d: %+v", i, f)
			}
		}
		// Two answers are generating: a third question is refused, and the
		// two go on to their end.
		c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Text: "go"})
		ends := 0
		for ends < 2 {
			f := c.next()
			switch {
			case f.Client == "q2":
				if f.Status != protocol.StatusError || f.Code != protocol.CodeLimit || !strings.Contains(f.Content, "at once") {
					t.Errorf("third answer at once: %+v", f)
				}
			case f.Status == protocol.StatusEnd:
				ends++
			}
		}
		// A question refused for another reason does not count either.
		c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "qx", Conversation: "nowhere", Replace: "no-such-answer", Text: "go"})
		if f := c.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeNotFound {
			t.Errorf("replace of nothing: %+v", f)
		}
		// The third question of the minute is accepted (the refused ones
		// did not count); the fourth is refused.
		c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q3", Text: "go"})
		if f := c.next(); f.Type != protocol.ControlAck {
			t.Fatalf("third question of the minute: %+v", f)
		}
		c.answer(0)
		c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q4", Text: "go"})
		if f := c.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeLimit || !strings.Contains(f.Content, "minute") {
			t.Errorf("fourth question of the minute: %+v", f)
		}
		// Dave is not limited by carol.
		d := dialOwn(t, ts, "dave-token")
		d.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "d1", Text: "go"})
		if f := d.next(); f.Type != protocol.ControlAck {
			t.Errorf("another user's question: %+v", f)
		}
	})
}

// TestRefusalsAreCoded: the hub's refusals are *protocol.Error, sent as
// they are; the unknown app's code and message come from ErrUnknownApp
// itself.
func TestRefusalsAreCoded(t *testing.T) {
	if pe, ok := errors.AsType[*protocol.Error](server.ErrUnknownApp); !ok || pe.Code != protocol.CodeUnknownApp || pe.Message == "" {
		t.Fatalf("ErrUnknownApp is %#v", server.ErrUnknownApp)
	}
	ts := newTestServer(t, &scripted{chunks: helloChunks})
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q", Text: "hi", App: "no-such-app"})
	f := c.next()
	if f.Status != protocol.StatusError || f.Code != protocol.CodeUnknownApp || f.Content != server.ErrUnknownApp.Message || f.Client != "q" {
		t.Errorf("asking in an unknown app: %+v", f)
	}
	// A malformed id is the client's mistake (bad_frame), not the store's
	// (unavailable, which the page would send again for ever).
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Text: "hi", Conversation: strings.Repeat("x", 100)})
	if f := c.next(); f.Code != protocol.CodeBadFrame || f.Client != "q2" {
		t.Errorf("asking in a conversation of a 100-byte id: %+v", f)
	}
}
