//go:build !js

package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/wasmchat/wasmchat/app/session"
)

// FuzzAPIAnswers gives the page's API client arbitrary answers from a
// server, with any status: each call returns a value or an error, never
// panics, and an error answer's text reaches the caller.
func FuzzAPIAnswers(f *testing.F) {
	for _, seed := range []string{
		`{"conversations":[{"id":"k","title":"t"}]}`,
		`{"id":"k","messages":[{"id":"m","role":"assistant","text":"x","status":"streaming"}]}`,
		`{"hits":[{"conversation":"k","title":"t","snippet":"s"}]}`,
		`{"error":"No such conversation.","code":"not_found"}`,
		`{"messages":null}`, `[]`, `{`, ``, `null`,
	} {
		f.Add(seed, 200)
		f.Add(seed, 404)
	}
	var mu sync.Mutex
	var body string
	var status int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer ts.Close()
	api := session.HTTP{Base: ts.URL, Token: "t"}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b string, code int) {
		if code < 200 || code > 599 {
			code = 200
		}
		mu.Lock()
		body, status = b, code
		mu.Unlock()
		_, _ = api.List(ctx)
		if c, err := api.Get(ctx, "k", 50); err == nil && c == nil {
			t.Fatal("Get returned neither a conversation nor an error")
		}
		_, _ = api.Search(ctx, "q")
		if err := api.Rename(ctx, "k", "t"); code >= 300 && err == nil {
			t.Fatalf("status %d: no error", code)
		}
	})
}
