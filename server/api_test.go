package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// call makes an API request with token and decodes a JSON answer into out
// (when not nil); it returns the status and the body.
func call(tb testing.TB, ts *testServer, method, path, token string, body []byte, out any) (int, string) {
	tb.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return res.StatusCode, string(data)
}

// askOver asks q over the WebSocket as token and returns the ack.
func askOver(tb testing.TB, ts *testServer, token, conv, q string) protocol.ServerFrame {
	tb.Helper()
	c := dialOwn(tb, ts, token)
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: q, Conversation: conv, Text: q})
	ack := c.next()
	c.answer(0)
	return ack
}

func TestAPIAuth(t *testing.T) {
	ts := newTestServer(t, &scripted{})
	for _, h := range []string{"", "Bearer ", "Bearer wrong", "Basic YWxpY2U6eA==", "alice-token"} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/conversations", nil)
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d", h, res.StatusCode)
		}
	}
	if code, _ := call(t, ts, "GET", "/api/nothing", "alice-token", nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown call: %d", code)
	}
}

func TestAPIConversations(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: []string{"**bold** answer"}})
	first := askOver(t, ts, "alice-token", "", "Hello there\nsecond line")
	askOver(t, ts, "alice-token", first.Conversation, "follow-up about zebras")
	// The answer's end is stored just after the client reads it: wait until
	// it is, so the second chat is the newer one.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var got store.Export
		call(t, ts, "GET", "/api/conversations/"+first.Conversation, "alice-token", nil, &got)
		if len(got.Messages) == 4 && got.Messages[3].Status == store.StatusDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first chat's answer is not stored: %+v", got)
		}
	}
	second := askOver(t, ts, "alice-token", "", "another chat")

	var list struct{ Conversations []store.Conversation }
	if code, body := call(t, ts, "GET", "/api/conversations", "alice-token", nil, &list); code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	if len(list.Conversations) != 2 || list.Conversations[0].ID != second.Conversation || list.Conversations[1].Title != "Hello there" {
		t.Fatalf("list %+v", list.Conversations)
	}
	var got store.Export
	call(t, ts, "GET", "/api/conversations/"+first.Conversation, "alice-token", nil, &got)
	if len(got.Messages) != 4 || got.Messages[3].Text != "**bold** answer" || got.Messages[3].Status != store.StatusDone {
		t.Fatalf("get %+v", got)
	}
	call(t, ts, "GET", "/api/conversations/"+first.Conversation+"?limit=1", "alice-token", nil, &got)
	if len(got.Messages) != 1 {
		t.Errorf("limit=1: %d messages", len(got.Messages))
	}
	if code, _ := call(t, ts, "GET", "/api/conversations/"+first.Conversation+"?limit=x", "alice-token", nil, nil); code != 400 {
		t.Errorf("limit=x: %d", code)
	}

	var hits struct{ Hits []store.Hit }
	call(t, ts, "GET", "/api/search?q=ZEBRA", "alice-token", nil, &hits)
	if len(hits.Hits) != 1 || hits.Hits[0].Conversation != first.Conversation {
		t.Errorf("search %+v", hits)
	}

	var renamed store.Conversation
	if code, body := call(t, ts, "PATCH", "/api/conversations/"+first.Conversation, "alice-token", []byte(`{"title":"Greetings"}`), &renamed); code != 200 || renamed.Title != "Greetings" {
		t.Errorf("rename: %d %s", code, body)
	}
	for _, bad := range []string{``, `{`, `{"title":"  "}`, `[1]`, `{"title":"  \u0000 \u202e "}`} {
		if code, _ := call(t, ts, "PATCH", "/api/conversations/"+first.Conversation, "alice-token", []byte(bad), nil); code != 400 {
			t.Errorf("rename with %q: %d", bad, code)
		}
	}
	// Control characters and bidirectional overrides do not get into a
	// title (a reversed title could pass for another).
	if code, body := call(t, ts, "PATCH", "/api/conversations/"+first.Conversation, "alice-token", []byte(`{"title":"Gree\u202etings\u0007\n"}`), &renamed); code != 200 || renamed.Title != "Greetings" {
		t.Errorf("rename with controls: %d %s (%q)", code, body, renamed.Title)
	}
	code, md := call(t, ts, "GET", "/api/conversations/"+first.Conversation+"/markdown", "alice-token", nil, nil)
	if code != 200 || !strings.HasPrefix(md, "# Greetings\n") || !strings.Contains(md, "## Assistant\n\n**bold** answer") {
		t.Errorf("markdown %d:\n%s", code, md)
	}

	if code, _ := call(t, ts, "DELETE", "/api/conversations/"+second.Conversation, "alice-token", nil, nil); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	if code, _ := call(t, ts, "GET", "/api/conversations/"+second.Conversation, "alice-token", nil, nil); code != 404 {
		t.Errorf("get deleted: %d", code)
	}
}

// TestAPIIsolation: bob reaches nothing of alice's through the API.
func TestAPIIsolation(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: []string{"secret answer"}})
	ack := askOver(t, ts, "alice-token", "", "alice's secret question")
	id := ack.Conversation
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/conversations/" + id, ""},
		{"GET", "/api/conversations/" + id + "/markdown", ""},
		{"PATCH", "/api/conversations/" + id, `{"title":"pwned"}`},
		{"DELETE", "/api/conversations/" + id, ""},
	} {
		if code, body := call(t, ts, c.method, c.path, "bob-token", []byte(c.body), nil); code != 404 || strings.Contains(body, "secret") {
			t.Errorf("bob %s %s: %d %s", c.method, c.path, code, body)
		}
	}
	for _, path := range []string{"/api/conversations", "/api/search?q=secret", "/api/export"} {
		if code, body := call(t, ts, "GET", path, "bob-token", nil, nil); code != 200 || strings.Contains(body, "secret") || strings.Contains(body, id) {
			t.Errorf("bob GET %s: %d %s", path, code, body)
		}
	}
	var got store.Export
	call(t, ts, "GET", "/api/conversations/"+id, "alice-token", nil, &got)
	if got.Title != "alice's secret question" || len(got.Messages) != 2 {
		t.Errorf("alice's conversation after bob: %+v", got)
	}
}

func TestAPIExportImport(t *testing.T) {
	ts := newTestServer(t, &scripted{chunks: []string{"answer"}})
	askOver(t, ts, "alice-token", "", "one")
	askOver(t, ts, "alice-token", "", "two")
	code, exported := call(t, ts, "GET", "/api/export", "alice-token", nil, nil)
	if code != 200 || !strings.Contains(exported, store.ExportFormat) {
		t.Fatalf("export %d %s", code, exported)
	}
	var res struct{ Imported, Skipped int }
	if code, body := call(t, ts, "POST", "/api/import", "bob-token", []byte(exported), &res); code != 200 || res.Imported != 2 {
		t.Fatalf("import: %d %s", code, body)
	}
	if call(t, ts, "POST", "/api/import", "bob-token", []byte(exported), &res); res.Imported != 0 || res.Skipped != 2 {
		t.Errorf("import again: %+v", res)
	}
	var list struct{ Conversations []store.Conversation }
	call(t, ts, "GET", "/api/conversations", "bob-token", nil, &list)
	if len(list.Conversations) != 2 || list.Conversations[0].Title != "two" {
		t.Errorf("bob's after import: %+v", list)
	}
	// ChatGPT's export.
	gpt := `[{"title":"From ChatGPT","create_time":1700000000,"current_node":"b","mapping":{
		"a":{"message":{"author":{"role":"user"},"content":{"parts":["hi"]}},"parent":null},
		"b":{"message":{"author":{"role":"assistant"},"content":{"parts":["hello"]}},"parent":"a"}}}]`
	if code, body := call(t, ts, "POST", "/api/import", "alice-token", []byte(gpt), &res); code != 200 || res.Imported != 1 {
		t.Errorf("ChatGPT import: %d %s", code, body)
	}
	for _, bad := range []string{"", "garbage", `{"format":"x"}`} {
		if code, body := call(t, ts, "POST", "/api/import", "alice-token", []byte(bad), nil); code != 400 || !strings.Contains(body, "import") {
			t.Errorf("import %q: %d %s", bad, code, body)
		}
	}
	big := bytes.Repeat([]byte(" "), server.MaxImportBytes+1)
	if code, _ := call(t, ts, "POST", "/api/import", "alice-token", big, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized import: %d", code)
	}
}

// TestAPIMe: /api/me names who the token signs in as: the store's user
// name, or the user as other Tokens name it; a bad token gets 401.
func TestAPIMe(t *testing.T) {
	st := testStore(t)
	_, secret, err := st.AddToken(context.Background(), "Zoë", "")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: st, Tokens: st})
	var me protocol.Me
	if code, body := call(t, ts, "GET", "/api/me", secret, nil, &me); code != 200 || me.Name != "Zoë" {
		t.Errorf("store token: %d %s", code, body)
	}
	other := newTestServer(t, &scripted{})
	if code, body := call(t, other, "GET", "/api/me", "bob-token", nil, &me); code != 200 || me.Name != "bob" {
		t.Errorf("test token: %d %s", code, body)
	}
	if code, _ := call(t, other, "GET", "/api/me", "wrong", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d", code)
	}
}
