package seedws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
)

// seedBackend is a backend as the seed page knew it: it reads a question as
// a bare text frame and answers in {status, content} frames. mode "cut"
// drops the line mid-answer; "stall" keeps it open; "wait" holds until the
// caller goes away and reports that on gone.
func seedBackend(t *testing.T, mode string, gone chan struct{}) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws/seed-token-0" {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		_, q, err := ws.Read(r.Context())
		if err != nil {
			return
		}
		send := func(s string) { ws.Write(r.Context(), websocket.MessageText, []byte(s)) }
		send(`{"status":0,"content":"You said: "}`)
		send(`not json, ignored`)
		switch mode {
		case "cut":
			return
		case "stall":
			<-r.Context().Done()
			return
		case "wait":
			ws.Read(r.Context()) // returns once the caller closes
			close(gone)
			return
		}
		send(`{"status":0,"content":"` + string(q) + `"}`)
		send(`{"status":2,"content":"!"}`)
		ws.Read(r.Context())
	}))
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws/seed-token-0"
}

func ask(q string) upstream.Request {
	return upstream.Request{Turns: []upstream.Turn{{Role: upstream.RoleUser, Text: q}}}
}

func stream(t *testing.T, s *Seed, ctx context.Context) (string, upstream.Result, error) {
	var b strings.Builder
	res, err := s.Stream(ctx, ask("你好"), func(c string) { b.WriteString(c) })
	return b.String(), res, err
}

func TestForwardsQuestion(t *testing.T) {
	text, res, err := stream(t, New(seedBackend(t, "ok", nil)), context.Background())
	if err != nil || text != "You said: 你好!" || res.Finish != protocol.FinishStop {
		t.Errorf("got %q %+v %v", text, res, err)
	}
}

func TestFailures(t *testing.T) {
	for _, tt := range []struct {
		mode, url, code string
	}{
		{"cut", "", protocol.CodeBroken},
		{"stall", "", protocol.CodeTimeout},
		{"", "ws://127.0.0.1:1/ws/seed-token-0", protocol.CodeUnreachable},
	} {
		url := tt.url
		if url == "" {
			url = seedBackend(t, tt.mode, nil)
		}
		s := New(url)
		s.Idle = 200 * time.Millisecond
		text, _, err := stream(t, s, context.Background())
		var ue *upstream.Error
		if !errors.As(err, &ue) || ue.Code != tt.code {
			t.Errorf("%s: err %v, want %s", tt.mode+tt.url, err, tt.code)
		}
		if ue != nil && strings.Contains(ue.Message, "seed-token") {
			t.Errorf("message %q shows the backend's token", ue.Message)
		}
		if tt.mode == "cut" && text != "You said: " {
			t.Errorf("cut: kept %q", text)
		}
	}
}

func TestStopClosesBackendConnection(t *testing.T) {
	gone := make(chan struct{})
	s := New(seedBackend(t, "wait", gone))
	ctx, cancel := context.WithCancel(context.Background())
	_, err := s.Stream(ctx, ask("q"), func(string) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the backend connection stayed open after stop")
	}
}
