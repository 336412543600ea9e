package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"mime"
	"net/http"
	"path"
	"slices"
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
// Each file is served by its name and by a content-hashed name (see url),
// which the page uses.
type assets struct {
	files  map[string]*asset // by URL path, plain and content-hashed
	hashed map[string]string // plain URL path → content-hashed one
}

type asset struct {
	raw, br, gz []byte
	ctype       string
	etag        string
}

// newAssets loads every file of fsys (the contents of /web/).
func newAssets(fsys fs.FS) (*assets, error) {
	a := &assets{files: make(map[string]*asset), hashed: make(map[string]string)}
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
		plain := "/web/" + name
		a.files[plain] = f
		// name.<hash>.ext: a new build's file has a new name, so the old
		// one may be cached for good (Cache-Control immutable).
		ext := path.Ext(plain)
		hashed := strings.TrimSuffix(plain, ext) + "." + f.etag[1:13] + ext
		a.files[hashed], a.hashed[plain] = f, hashed
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
	return brotlied(data, brotli.BestCompression), nil
}

// url returns the content-hashed URL path of the web file at p, or p
// when there is no such file.
func (a *assets) url(p string) string {
	if h, ok := a.hashed[p]; ok {
		return h
	}
	return p
}

// hashedURLs returns the content-hashed URL paths of every web file, sorted.
func (a *assets) hashedURLs() []string {
	urls := slices.Collect(maps.Values(a.hashed))
	slices.Sort(urls)
	return urls
}

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
	if _, plain := a.hashed[r.URL.Path]; plain {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
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
