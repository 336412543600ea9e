package server

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// compressedDocuments is how many documents compressing keeps. The page's
// are a handful (the page, app.js, app.css, the worker, the manifest, per
// host name); past that, a document is compressed for its request, faster
// and less well, and not kept.
const compressedDocuments = 64

// compressing serves h's text responses compressed, brotli or gzip as the
// client accepts: go-app's prerendered page, app.js, app.css and worker,
// and the manifest. Each is compressed once at the best quality and kept
// by URL, so nothing is compressed per request. (go-app renders the page
// per request, its attributes in random order, so the same page is not
// the same bytes twice: keeping the first rendering also spares the
// rendering.) Responses h encodes itself (the web files, precompressed at
// build), non-200s, conditional requests and small or binary bodies pass
// as h makes them.
type compressing struct {
	h     http.Handler
	mu    sync.Mutex
	cache map[string]*document // by host and request URI
}

// document is a response kept in the encodings served.
type document struct {
	header http.Header
	br, gz []byte
}

func newCompressing(h http.Handler) *compressing {
	return &compressing{h: h, cache: make(map[string]*document)}
}

func (c *compressing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	enc := r.Header.Get("Accept-Encoding")
	if r.Method != http.MethodGet || !accepts(enc, "br") && !accepts(enc, "gzip") || strings.HasPrefix(r.URL.Path, "/web/") {
		// The web files come precompressed (assets).
		c.h.ServeHTTP(w, r)
		return
	}
	key := r.Host + " " + r.URL.RequestURI()
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		// The ETags given out name an encoding (see serve); h knows the
		// plain one.
		r = r.Clone(r.Context())
		r.Header.Set("If-None-Match", etagSuffix.Replace(inm))
	} else {
		c.mu.Lock()
		d := c.cache[key]
		c.mu.Unlock()
		if d != nil {
			d.serve(w, enc)
			return
		}
	}
	rec := &recorder{header: make(http.Header)}
	c.h.ServeHTTP(rec, r)
	if rec.code == 0 {
		rec.code = http.StatusOK // nothing written: an empty 200, as net/http sends
	}
	if rec.code != http.StatusOK || rec.header.Get("Content-Encoding") != "" || rec.body.Len() < 512 || !compressible(rec.header.Get("Content-Type")) {
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(rec.body.Bytes())
		return
	}
	c.mu.Lock()
	full := len(c.cache) >= compressedDocuments
	c.mu.Unlock()
	d := &document{header: rec.header}
	switch {
	case full && accepts(enc, "br"):
		// Not kept: only the encoding this request takes, quickly.
		d.br = brotlied(rec.body.Bytes(), 4)
	case full:
		d.gz = gzipped(rec.body.Bytes(), gzip.DefaultCompression)
	default:
		d.br = brotlied(rec.body.Bytes(), brotli.BestCompression)
		d.gz = gzipped(rec.body.Bytes(), gzip.BestCompression)
		c.mu.Lock()
		c.cache[key] = d
		c.mu.Unlock()
	}
	d.serve(w, enc)
}

// serve writes d in brotli, or else gzip, as enc (Accept-Encoding) allows.
func (d *document) serve(w http.ResponseWriter, enc string) {
	h := w.Header()
	for k, v := range d.header {
		h[k] = v
	}
	coding, body := "gzip", d.gz
	if accepts(enc, "br") {
		coding, body = "br", d.br
	}
	h.Add("Vary", "Accept-Encoding")
	h.Set("Content-Encoding", coding)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if etag := h.Get("ETag"); strings.HasSuffix(etag, `"`) {
		// A strong ETag names one encoding's bytes.
		h.Set("ETag", strings.TrimSuffix(etag, `"`)+"-"+coding+`"`)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// etagSuffix takes the encoding off the ETags compressing gives out.
var etagSuffix = strings.NewReplacer(`-br"`, `"`, `-gzip"`, `"`)

func gzipped(data []byte, level int) []byte {
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, level) // level is a valid constant
	_, _ = z.Write(data)
	_ = z.Close()
	return b.Bytes()
}

func brotlied(data []byte, level int) []byte {
	var b bytes.Buffer
	w := brotli.NewWriterLevel(&b, level)
	_, _ = w.Write(data) // a Buffer never fails a write
	_ = w.Close()
	return b.Bytes()
}

// recorder keeps a response to compress it.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
