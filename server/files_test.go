package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/server"
)

// pngOf returns a w×h PNG.
func pngOf(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// upload posts a file as token and returns the status and the attachment.
func upload(tb testing.TB, ts *testServer, token, name, contentType string, data []byte) (int, protocol.Attachment, string) {
	tb.Helper()
	req, _ := http.NewRequest("POST", ts.URL+"/api/files?name="+name, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	var a protocol.Attachment
	if res.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(buf.Bytes(), &a); err != nil {
			tb.Fatal(err)
		}
	}
	return res.StatusCode, a, buf.String()
}

// TestAttachments: files are uploaded, sniffed by their bytes, kept to
// their owner, counted against a quota, and asked with: the model gets an
// image as an image and a text file as text, with the question and again
// with the questions after it.
func TestAttachments(t *testing.T) {
	up := &scripted{chunks: []string{"seen"}}
	st := testStore(t)
	ts := newTestServerWith(t, server.Config{Upstream: up, Store: st, FileQuota: 64 << 10})
	pic := pngOf(t, 40, 30)
	code, img, body := upload(t, ts, "alice-token", "cat.png", "image/png", pic)
	if code != http.StatusCreated || img.Type != "image/png" || img.Size != len(pic) || img.Name != "cat.png" {
		t.Fatalf("upload of a PNG: %d %s", code, body)
	}
	notes := "# Notes\n\n```go\nfmt.Println(1)\n```\n"
	code, txt, body := upload(t, ts, "alice-token", "notes.md", "text/markdown", []byte(notes))
	if code != http.StatusCreated || txt.Type != "text/plain" {
		t.Fatalf("upload of Markdown: %d %s", code, body)
	}
	for _, bad := range []struct{ name, typ, data string }{
		{"x.svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
		{"x.bin", "application/octet-stream", "\x00\x01\x02\xff"},
		{"x.bmp", "image/bmp", "BM not really"},
		{"empty.txt", "text/plain", ""},
	} {
		if code, _, body := upload(t, ts, "alice-token", bad.name, bad.typ, []byte(bad.data)); code != http.StatusUnsupportedMediaType || !strings.Contains(body, `"unsupported"`) {
			t.Errorf("upload of %s: %d %s, want 415", bad.name, code, body)
		}
	}
	if code, _, body := upload(t, ts, "alice-token", "big.txt", "text/plain", bytes.Repeat([]byte("a"), 64<<10)); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"quota"`) {
		t.Errorf("over the quota: %d %s", code, body)
	}

	// The owner gets the bytes back as what they are; anyone else, 404.
	req, _ := http.NewRequest("GET", ts.URL+"/api/files/"+img.ID, nil)
	req.Header.Set("Authorization", "Bearer alice-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got.Bytes(), pic) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("alice's GET: %d %v", res.StatusCode, res.Header)
	}
	if code, _ := call(t, ts, "GET", "/api/files/"+img.ID, "bob-token", nil, nil); code != http.StatusNotFound {
		t.Errorf("bob's GET of alice's file: %d", code)
	}

	// Asked with: the image as an image, the text file after the text.
	c := dialOwn(t, ts, "alice-token")
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q1", Text: "what is this?", Attachments: []string{img.ID, txt.ID}})
	ack := c.next()
	c.answer(0)
	q := up.lastRequest().Turns
	last := q[len(q)-1]
	if len(last.Images) != 1 || !bytes.Equal(last.Images[0].Data, pic) || last.Images[0].Type != "image/png" ||
		!strings.HasPrefix(last.Text, "what is this?\n\nAttached file \"notes.md\":\n````\n# Notes") || !strings.HasSuffix(last.Text, "```\n````") {
		t.Errorf("the model got %q with %d images", last.Text, len(last.Images))
	}
	// The next question sends them again, with the question they came with.
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q2", Conversation: ack.Conversation, Text: "and now?"})
	c.next()
	c.answer(0)
	q = up.lastRequest().Turns
	if len(q) != 3 || len(q[0].Images) != 1 || !strings.Contains(q[0].Text, "# Notes") || q[2].Text != "and now?" {
		t.Errorf("the next question's turns: %+v", q)
	}
	msgs, _ := st.Messages(bg, "alice", ack.Conversation, 0)
	if len(msgs[0].Attachments) != 2 || msgs[0].Attachments[0].ID != img.ID {
		t.Errorf("the stored question lists %+v", msgs[0].Attachments)
	}
	// A share link names the files, and shares none of their bytes.
	var share protocol.Share
	call(t, ts, "POST", "/api/conversations/"+ack.Conversation+"/share", "alice-token", nil, &share)
	if _, _, page := getShare(t, ts, share.Path); !strings.Contains(page, `<span class="file">cat.png</span><span class="file">notes.md</span>`) ||
		strings.Contains(page, img.ID) || strings.Contains(page, "fmt.Println") {
		t.Errorf("the share page shows the files as %.2000s", page)
	}
	// A file that is not there (or another user's) refuses the ask.
	for _, who := range []string{"alice-token", "bob-token"} {
		bc := dialOwn(t, ts, who)
		id := "nope"
		if who == "bob-token" {
			id = img.ID
		}
		bc.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "bad", Text: "x", Attachments: []string{id}})
		if f := bc.next(); f.Status != protocol.StatusError || f.Code != protocol.CodeNotFound || !strings.Contains(f.Content, "attach it again") {
			t.Errorf("an ask with %s's file %s: %+v", who, id, f)
		}
	}
	// A later question is sent the history's files within a bound: of ten
	// on one question, eight.
	var ids []string
	for i := range protocol.MaxAttachments {
		_, f, _ := upload(t, ts, "alice-token", fmt.Sprintf("f%d.txt", i), "text/plain", []byte(fmt.Sprintf("file number %d", i)))
		ids = append(ids, f.ID)
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q3", Text: "ten files", Attachments: ids})
	ten := c.next()
	c.answer(0)
	if q := up.lastRequest().Turns; strings.Count(q[len(q)-1].Text, "file number") != 10 {
		t.Errorf("the question with ten files was sent %d", strings.Count(q[len(q)-1].Text, "file number"))
	}
	c.send(protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q4", Conversation: ten.Conversation, Text: "and?"})
	c.next()
	c.answer(0)
	if q := up.lastRequest().Turns; strings.Count(q[0].Text, "file number") != 8 {
		t.Errorf("the next question's history carried %d of the ten files, want 8", strings.Count(q[0].Text, "file number"))
	}

	// An export carries the files.
	code, exp := call(t, ts, "GET", "/api/export", "alice-token", nil, nil)
	if code != 200 || !strings.Contains(exp, base64.StdEncoding.EncodeToString(pic)) {
		t.Errorf("export: %d, the image's base64 %v", code, strings.Contains(exp, base64.StdEncoding.EncodeToString(pic)))
	}
}

// FuzzSniff: whatever is uploaded, what is kept is an image whose bytes
// say so, or UTF-8 text without NUL within the text limit; never SVG.
func FuzzSniff(f *testing.F) {
	f.Add("cat.png", "image/png", []byte("\x89PNG\r\n\x1a\n...."))
	f.Add("a.svg", "image/svg+xml", []byte(`<svg onload="alert(1)"/>`))
	f.Add("a.txt", "text/plain", []byte("hello"))
	f.Add("a.gif", "", []byte("GIF89a...."))
	f.Add("a.webp", "image/webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add("x", "", []byte{0xff, 0xd8, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, name, declared string, data []byte) {
		typ, err := server.Sniff(name, declared, data)
		if err != nil {
			if typ != "" {
				t.Fatalf("refused with a type %q", typ)
			}
			return
		}
		switch {
		case typ == "text/plain":
			if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 || len(data) > protocol.MaxTextFileBytes || len(data) == 0 {
				t.Fatalf("text of %d bytes, valid %v", len(data), utf8.Valid(data))
			}
			if strings.HasSuffix(strings.ToLower(name), ".svg") || strings.HasPrefix(strings.ToLower(declared), "image/") {
				t.Fatalf("%s (%s) kept as text", name, declared)
			}
		case slices.Contains(protocol.FileImageTypes, typ):
			if got, _, _ := strings.Cut(http.DetectContentType(data), ";"); got != typ {
				t.Fatalf("kept as %s, the bytes say %s", typ, got)
			}
		default:
			t.Fatalf("kept as %q", typ)
		}
	})
}
