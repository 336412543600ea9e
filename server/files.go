package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// DefaultFileQuota is how many bytes of files a user may keep
// (Config.FileQuota).
const DefaultFileQuota = 500 << 20

// Attachments (protocol.Attachment): a file is uploaded with
//
//	POST /api/files?name=<file name>   the raw bytes; answers the attachment: {"id", "name", "type", "size"}
//	GET  /api/files/{id}               the bytes, to their owner only
//
// and then named by an ask (ClientFrame.Attachments). What a file is comes
// from its bytes, never from what the client says: an image is a PNG,
// JPEG, WebP or GIF by its signature (the page sends them downscaled to
// protocol.MaxImageDimension); anything else must be UTF-8 text without
// NUL bytes (plain text, Markdown, source code, CSV, JSON), sent to the
// model as text. SVG is refused: it is a document that can run script.

// errFile is an upload refused for what it is; its text is shown as is.
type errFile struct{ msg string }

func (e errFile) Error() string { return e.msg }

// textType is what a text file is stored and served as.
const textType = "text/plain"

// sniff returns what an uploaded file is (one of protocol.FileImageTypes,
// or textType), or why it is refused. declared is the Content-Type the
// client sent, only to name an SVG.
func sniff(name, declared string, data []byte) (string, error) {
	if len(data) == 0 {
		return "", errFile{"The file is empty."}
	}
	if t, _, _ := strings.Cut(http.DetectContentType(data), ";"); slices.Contains(protocol.FileImageTypes, t) {
		if len(data) > protocol.MaxImageBytes {
			return "", errFile{fmt.Sprintf("The image is over %d MB.", protocol.MaxImageBytes>>20)}
		}
		return t, nil
	}
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".svg") || strings.HasPrefix(strings.ToLower(declared), "image/svg") {
		return "", errFile{"SVG images are not accepted: attach a PNG, JPEG, WebP or GIF."}
	}
	if strings.HasPrefix(strings.ToLower(declared), "image/") {
		return "", errFile{"Only PNG, JPEG, WebP and GIF images are accepted."}
	}
	if len(data) > protocol.MaxTextFileBytes {
		return "", errFile{fmt.Sprintf("A text file is at most %d MB; this one is larger.", protocol.MaxTextFileBytes>>20)}
	}
	if !utf8.Valid(data) || slices.Contains(data, 0) {
		return "", errFile{"Only images (PNG, JPEG, WebP, GIF) and text files (text, Markdown, code, CSV, JSON) can be attached."}
	}
	return textType, nil
}

// apiUpload keeps an uploaded file for the user, within their quota.
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request, user string) error {
	name := strings.TrimSpace(r.URL.Query().Get("name"))
	if name == "" || len(name) > 255 || !utf8.ValidString(name) {
		return errBadRequest{"name the file: POST /api/files?name=<file name>"}
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, protocol.MaxImageBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, apiErr{fmt.Sprintf("The file is over %d MB.", protocol.MaxImageBytes>>20), "too_large"})
		return nil
	case err != nil:
		return errBadRequest{"the upload broke off: send it again"}
	}
	typ, err := sniff(name, r.Header.Get("Content-Type"), data)
	if err != nil {
		writeJSON(w, http.StatusUnsupportedMediaType, apiErr{err.Error(), "unsupported"})
		return nil
	}
	a, err := s.cfg.Store.AddFile(r.Context(), user, store.FileData{Attachment: protocol.Attachment{Name: name, Type: typ}, Data: data}, s.cfg.FileQuota)
	if errors.Is(err, store.ErrQuota) {
		writeJSON(w, http.StatusRequestEntityTooLarge, apiErr{fmt.Sprintf("Your files would take more than %d MB: delete conversations with files you no longer need.", s.cfg.FileQuota>>20), "quota"})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// apiFile returns a file to its owner: an image shown in the page, a text
// file downloaded. Neither is ever a document of this origin: the type is
// the one sniffed, no sniffing by the browser, and a sandbox CSP.
func (s *Server) apiFile(w http.ResponseWriter, r *http.Request, user string) error {
	f, err := s.cfg.Store.File(r.Context(), user, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, apiErr{"No such file.", "not_found"})
		return nil
	}
	if err != nil {
		return err
	}
	h := w.Header()
	typ, disposition := f.Type, "inline"
	if typ == textType {
		typ, disposition = textType+"; charset=utf-8", "attachment"
	}
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	h.Set("Cache-Control", "private, max-age=86400") // a file's id never names other bytes
	_, _ = w.Write(f.Data)
	return nil
}
