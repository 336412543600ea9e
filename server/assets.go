package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

// WasmPath is where the page's WebAssembly binary is served.
const WasmPath = "/web/app.wasm"

// assets serves the files under /web/ from memory, each in the best encoding
// the client accepts. Variants come precompressed (name.br, name.gz next to
// name, as `make build` writes them for the wasm); text files without them
// are compressed once when the server starts, never per request.
//
// It is also go-app's ResourceProvider: the Handler finds the wasm through
// AppWASM and passes /web/ requests to ServeHTTP.
type assets struct {
	files map[string]*asset // by URL path
}

type asset struct {
	raw, br, gz []byte
	ctype       string
	etag        string
}

// newAssets loads every file of fsys (the contents of /web/).
func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{files: make(map[string]*asset)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
			return nil // loaded with the file they encode
		}
		f, err := loadAsset(fsys, name)
		if err != nil {
			return fmt.Errorf("load asset %s: %w", name, err)
		}
		a.files["/web/"+name] = f
		return nil
	})
	return a, err
}

func loadAsset(fsys fs.FS, name string) (*asset, error) {
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	f := &asset{raw: raw, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	f.ctype = mime.TypeByExtension(path.Ext(name))
	if f.ctype == "" {
		f.ctype = http.DetectContentType(raw)
	}
	f.br, _ = fs.ReadFile(fsys, name+".br")
	f.gz, _ = fs.ReadFile(fsys, name+".gz")
	if f.br == nil && f.gz == nil && compressible(f.ctype) && len(raw) > 512 {
		if f.br, err = compress(raw); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") ||
		strings.Contains(ctype, "javascript") || strings.Contains(ctype, "svg") ||
		strings.Contains(ctype, "wasm")
}

// compress returns data in brotli at its best quality.
func compress(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w := brotli.NewWriterLevel(&b, brotli.BestCompression)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (a *assets) Package() string { return "" }
func (a *assets) Static() string  { return "" }
func (a *assets) AppWASM() string { return WasmPath }

func (a *assets) wasm() []byte {
	if f := a.files[WasmPath]; f != nil {
		return f.raw
	}
	return nil
}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	// The page's loader shows progress against the decoded size.
	h.Set(WasmLengthHeader, strconv.Itoa(len(f.raw)))
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.raw
	switch enc := r.Header.Get("Accept-Encoding"); {
	case f.br != nil && accepts(enc, "br"):
		h.Set("Content-Encoding", "br")
		body = f.br
	case f.gz != nil && accepts(enc, "gzip"):
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// WasmLengthHeader carries a file's decoded length, for go-app's loader.
const WasmLengthHeader = "X-Decoded-Length"

// accepts reports whether an Accept-Encoding value allows enc (q=0 refuses).
func accepts(header, enc string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
