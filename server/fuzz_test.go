package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wasmchat/wasmchat/store"
)

// FuzzAPIBodies sends arbitrary bodies to the API calls that decode one
// (rename, import) and arbitrary queries to those that parse them: each
// answers with a JSON error a person can read, never a 500 or a panic.
func FuzzAPIBodies(f *testing.F) {
	for _, seed := range []string{
		`{"title":"new"}`, `{"title":""}`, `{"title":"  \u0000 "}`, `{"title":1}`, `[]`, `{`, "",
		`{"format":"` + store.ExportFormat + `","conversations":[]}`,
		`{"format":"` + store.ExportFormat + `","conversations":[{"id":"x","messages":[{"role":"user","text":"q"}]}]}`,
		`[{"title":"gpt","mapping":{"a":{"id":"a","parent":"b"},"b":{"id":"b","parent":"a"}}}]`,
	} {
		f.Add(seed, "limit=1&q=x")
	}
	ts := newTestServer(f, &scripted{})
	c := askOver(f, ts, "alice-token", "", "a question")
	conv := c.Conversation
	f.Fuzz(func(t *testing.T, body, query string) {
		for _, call := range []struct{ method, path string }{
			{"PATCH", "/api/conversations/" + conv},
			{"POST", "/api/import"},
			{"GET", "/api/search?" + query},
			{"GET", "/api/conversations?" + query},
			{"GET", "/api/conversations/" + conv + "?" + query},
		} {
			req, err := http.NewRequest(call.method, "http://wasmchat.test"+call.path, bytes.NewReader([]byte(body)))
			if err != nil {
				continue // not a URL: no client sends it
			}
			req.Header.Set("Authorization", "Bearer alice-token")
			rec := httptest.NewRecorder()
			ts.Server.ServeHTTP(rec, req)
			if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s %s with %q: %d %s", call.method, call.path, body, rec.Code, rec.Body)
			}
			var e struct{ Error, Code string }
			if rec.Code >= 400 && (json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" || e.Code == "") {
				t.Fatalf("%s %s with %q: %d without a JSON error: %s", call.method, call.path, body, rec.Code, rec.Body)
			}
		}
	})
}
