package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/wasmchat/wasmchat/app/markdown"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
	"github.com/wasmchat/wasmchat/store"
)

// getShare fetches a share link with no token: its status, headers and
// body.
func getShare(t *testing.T, ts *testServer, path string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(body)
}

// TestShareLinks: a shared conversation opens without a token as a
// read-only page that runs nothing (no script element, no event handler,
// a policy with no script source) even from an answer made of the XSS
// corpus, and is not indexed; sharing again updates it behind the same
// link; another user cannot share or unshare it; unsharing ends it.
func TestShareLinks(t *testing.T) {
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: &scripted{}, Store: st})
	answer := strings.Join(markdown.XSSCorpus, "\n\n")
	_, err := st.Import(bg, "alice", []store.Export{{
		Conversation: store.Conversation{ID: "conv", Title: `<img src=x onerror=xss()> title`, Created: time.Now(), Updated: time.Now()},
		Messages: []store.Message{
			{ID: "q", Role: store.RoleUser, Text: "<script>xss()</script> question", Status: store.StatusDone},
			{ID: "a", Role: store.RoleAssistant, Text: answer + "\n\n$\\frac{1}{2}$", Status: store.StatusDone},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var share protocol.Share
	if code, body := call(t, ts, "POST", "/api/conversations/conv/share", "alice-token", nil, &share); code != 200 || !strings.HasPrefix(share.Path, "/s/") {
		t.Fatalf("share: %d %s", code, body)
	}
	code, h, page := getShare(t, ts, share.Path)
	if code != 200 || !strings.Contains(page, "question") || !strings.Contains(page, "<math") {
		t.Fatalf("share page: %d %.300s", code, page)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("share page policy %q", csp)
	}
	if h.Get("X-Robots-Tag") != "noindex, nofollow" || !strings.Contains(page, `<meta name="robots" content="noindex, nofollow">`) {
		t.Error("share page may be indexed")
	}
	z := html.NewTokenizer(strings.NewReader(page))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "form", "base", "link":
			t.Errorf("share page has a <%s>", tok.Data)
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") || strings.Contains(strings.ToLower(a.Val), "javascript:") {
				t.Errorf("share page has %s=%q on <%s>", a.Key, a.Val, tok.Data)
			}
		}
	}

	// Sharing again: the same link, the conversation as it is now.
	if code, _ := call(t, ts, "PATCH", "/api/conversations/conv", "alice-token", []byte(`{"title":"renamed"}`), nil); code != 200 {
		t.Fatal("rename")
	}
	var again protocol.Share
	call(t, ts, "POST", "/api/conversations/conv/share", "alice-token", nil, &again)
	if _, _, page := getShare(t, ts, share.Path); again.Path != share.Path || !strings.Contains(page, "<h1>renamed</h1>") {
		t.Errorf("shared again: %s, page %.200s", again.Path, page)
	}
	var list struct{ Shares []protocol.Share }
	if call(t, ts, "GET", "/api/shares", "alice-token", nil, &list); len(list.Shares) != 1 || list.Shares[0] != share {
		t.Errorf("alice's shares %+v", list.Shares)
	}
	for _, method := range []string{"POST", "DELETE"} {
		if code, _ := call(t, ts, method, "/api/conversations/conv/share", "bob-token", nil, nil); code != 404 {
			t.Errorf("bob %s alice's share: %d", method, code)
		}
	}
	if code, _ := call(t, ts, "DELETE", "/api/conversations/conv/share", "alice-token", nil, nil); code != 204 {
		t.Errorf("unshare: %d", code)
	}
	if code, _, _ := getShare(t, ts, share.Path); code != 404 {
		t.Errorf("after unsharing: %d", code)
	}
	if code, _, _ := getShare(t, ts, "/s/not-a-secret"); code != 404 {
		t.Errorf("a made-up link: %d", code)
	}
}
