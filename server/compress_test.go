package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCompressingEdges: a handler that writes nothing is an empty 200, not
// a panic; a small body and a 404 pass as they are; once the kept
// documents are full, a new one is still compressed, in the one encoding
// asked for, and not kept.
func TestCompressingEdges(t *testing.T) {
	big := strings.Repeat("<p>text</p>\n", 200)
	c := newCompressing(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/empty":
		case "/small":
			_, _ = w.Write([]byte("<p>hi</p>"))
		case "/missing":
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(big))
		}
	}))
	get := func(path, enc string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Encoding", enc)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		return rec
	}
	for path, code := range map[string]int{"/empty": 200, "/small": 200, "/missing": 404} {
		if rec := get(path, "br"); rec.Code != code || rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: %d %q, want %d unencoded", path, rec.Code, rec.Header().Get("Content-Encoding"), code)
		}
	}
	for i := range compressedDocuments {
		get("/page?"+string(rune('a'+i%26))+strings.Repeat("x", i), "br")
	}
	if len(c.cache) != compressedDocuments {
		t.Fatalf("%d documents kept, want %d", len(c.cache), compressedDocuments)
	}
	for _, enc := range []string{"br", "gzip"} {
		rec := get("/one-more", enc)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != enc || rec.Body.Len() == 0 || rec.Body.Len() >= len(big) {
			t.Errorf("past the kept documents, in %s: %d %q, %d bytes", enc, rec.Code, rec.Header().Get("Content-Encoding"), rec.Body.Len())
		}
	}
	if len(c.cache) != compressedDocuments {
		t.Errorf("%d documents kept past the limit", len(c.cache))
	}
}
