package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// MaxImportBytes bounds the body of POST /api/import.
const MaxImportBytes = 64 << 20

// The HTTP API: JSON, authenticated by "Authorization: Bearer <token>"
// (401 for a missing or unknown one), every call scoped to the token's
// user. A conversation another user has is as missing as one that never
// existed (404).
//
//	GET    /api/me                           who the token signs in as: {"name": "..."}
//	GET    /api/models                       the models questions may name, and the default
//	GET    /api/conversations[?limit=N]      the user's conversations, newest first
//	GET    /api/conversations/{id}[?limit=N] one, with the (last N) messages of the branch it shows
//	POST   /api/conversations/{id}/show[?limit=N] show the branch through a message: {"message": "<id>"}; answers as GET
//	PATCH  /api/conversations/{id}           rename: {"title": "..."}; instructions: {"system": "...", "temperature": 0.7}
//	DELETE /api/conversations/{id}           delete it and its messages
//	POST   /api/conversations/{id}/share     share it: {"path": "/s/<secret>"} (again: the same link, updated)
//	DELETE /api/conversations/{id}/share     end its share link
//	GET    /api/shares                       the user's share links
//	GET    /api/conversations/{id}/markdown  it as a Markdown document, every branch
//	GET    /api/search?q=...[&limit=N]       titles and messages containing q
//	POST   /api/files?name=...               upload a file to ask with (files.go)
//	GET    /api/files/{id}                   a file, to its owner
//	GET    /api/export                       everything, as an import file
//	POST   /api/import                       a wasmchat export or ChatGPT's conversations.json
func (s *Server) routeAPI(mux *http.ServeMux) {
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request, user string) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			s.allowCrossOrigin(w, r)
			user, ok := s.apiUser(w, r)
			if !ok {
				return
			}
			if err := h(w, r, user); err != nil {
				s.apiError(w, err)
			}
		})
	}
	handle("GET /api/me", s.apiMe)
	handle("GET /api/models", s.apiModels)
	handle("GET /api/conversations", s.apiList)
	handle("GET /api/conversations/{id}", s.apiGet)
	handle("PATCH /api/conversations/{id}", s.apiRename)
	handle("POST /api/conversations/{id}/show", s.apiShow)
	handle("DELETE /api/conversations/{id}", s.apiDelete)
	handle("POST /api/conversations/{id}/share", s.apiShare)
	handle("DELETE /api/conversations/{id}/share", s.apiUnshare)
	handle("GET /api/shares", s.apiShares)
	handle("GET /api/conversations/{id}/markdown", s.apiMarkdown)
	handle("GET /api/search", s.apiSearch)
	handle("POST /api/files", s.apiUpload)
	handle("GET /api/files/{id}", s.apiFile)
	handle("GET /api/export", s.apiExport)
	handle("POST /api/import", s.apiImport)
	mux.HandleFunc("OPTIONS /api/", func(w http.ResponseWriter, r *http.Request) {
		if !s.allowCrossOrigin(w, r) {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiErr{"no such API call", "not_found"})
	})
}

// allowCrossOrigin lets a page on another origin that may open WebSockets
// here (Config.OriginPatterns: a static site of the page) read the API's
// answers. The API authenticates by bearer token, never by cookie, so no
// credentials are allowed with it. It reports whether the origin may.
func (s *Server) allowCrossOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	w.Header().Add("Vary", "Origin")
	if origin == "" || !originAllowed(s.cfg.OriginPatterns, origin) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return true
}

type apiErr struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// errBadRequest is a client's mistake; its text is shown as is.
type errBadRequest struct{ msg string }

func (e errBadRequest) Error() string { return e.msg }

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if ok && token != "" {
		if user, err := s.cfg.Tokens.Authenticate(r.Context(), strings.TrimSpace(token)); err == nil {
			return user, true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="wasmchat"`)
	msg := "Sign in: send Authorization: Bearer <token>."
	if ok {
		msg = "That token is unknown or revoked."
	}
	writeJSON(w, http.StatusUnauthorized, apiErr{msg, "unauthorized"})
	return "", false
}

func (s *Server) apiError(w http.ResponseWriter, err error) {
	var bad errBadRequest
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiErr{"No such conversation.", "not_found"})
	case errors.As(err, &bad):
		writeJSON(w, http.StatusBadRequest, apiErr{bad.msg, "bad_request"})
	default:
		s.log.Error("api", "err", err)
		writeJSON(w, http.StatusInternalServerError, apiErr{"The server could not do that; try again.", "internal"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errBadRequest{"limit must be a number of 0 or more"}
	}
	return n, nil
}

// apiMe says who the token signs in as: the user's name, or with Tokens
// other than the store's, the user as they name it.
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, user string) error {
	name, err := s.cfg.Store.UserName(r.Context(), user)
	if errors.Is(err, store.ErrNotFound) {
		name, err = user, nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, protocol.Me{Name: name})
	return nil
}

func (s *Server) apiList(w http.ResponseWriter, r *http.Request, user string) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	convs, err := s.cfg.Store.Conversations(r.Context(), user, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": convs})
	return nil
}

func (s *Server) apiGet(w http.ResponseWriter, r *http.Request, user string) error {
	return s.writeConversation(w, r, user)
}

// writeConversation answers the conversation of the request's path with
// its branch's last ?limit messages.
func (s *Server) writeConversation(w http.ResponseWriter, r *http.Request, user string) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	e, err := s.conversation(r, user, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// apiShow switches the branch a conversation shows (an edit or a
// regenerate made another): to the one through the message named, its
// newest message, unless that message is on the branch shown already.
func (s *Server) apiShow(w http.ResponseWriter, r *http.Request, user string) error {
	if _, err := limitParam(r); err != nil {
		return err // before anything changes
	}
	var body struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&body); err != nil || !store.ValidID(body.Message) || body.Message == "" {
		return errBadRequest{`send {"message": "<the id of a message of the branch to show>"}`}
	}
	if err := s.cfg.Store.ShowBranch(r.Context(), user, r.PathValue("id"), body.Message); err != nil {
		return err
	}
	return s.writeConversation(w, r, user)
}

func (s *Server) conversation(r *http.Request, user string, limit int) (store.Export, error) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Conversation(r.Context(), user, id)
	if err != nil {
		return store.Export{}, err
	}
	msgs, err := s.cfg.Store.Messages(r.Context(), user, id, limit)
	return store.Export{Conversation: c, Messages: msgs}, err
}

// apiRename changes a conversation: its title, and its instructions
// ("system", "temperature": null for the default). Fields left out stay.
func (s *Server) apiRename(w http.ResponseWriter, r *http.Request, user string) error {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&body); err != nil || body == nil {
		return errBadRequest{`send {"title": "..."}, or {"system": "...", "temperature": 0.7}`}
	}
	id := r.PathValue("id")
	if raw, ok := body["title"]; ok {
		var title string
		if json.Unmarshal(raw, &title) != nil {
			return errBadRequest{"the title is not a string"}
		}
		if store.CleanTitle(title) == "" {
			return errBadRequest{"the title is empty"}
		}
		if err := s.cfg.Store.RenameConversation(r.Context(), user, id, title); err != nil {
			return err
		}
	}
	rawSystem, setSystem := body["system"]
	rawTemp, setTemp := body["temperature"]
	if setSystem || setTemp {
		c, err := s.cfg.Store.Conversation(r.Context(), user, id)
		if err != nil {
			return err
		}
		system, temp := c.System, c.Temperature
		if setSystem && json.Unmarshal(rawSystem, &system) != nil {
			return errBadRequest{"the instructions are not a string"}
		}
		if setTemp {
			temp = nil
			if json.Unmarshal(rawTemp, &temp) != nil {
				return errBadRequest{"the temperature is not a number"}
			}
		}
		if err := s.cfg.Store.SetInstructions(r.Context(), user, id, system, temp); errors.Is(err, store.ErrInvalid) {
			return errBadRequest{err.Error()}
		} else if err != nil {
			return err
		}
	}
	c, err := s.cfg.Store.Conversation(r.Context(), user, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiDelete(w http.ResponseWriter, r *http.Request, user string) error {
	if err := s.cfg.Store.DeleteConversation(r.Context(), user, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiMarkdown(w http.ResponseWriter, r *http.Request, user string) error {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Conversation(r.Context(), user, id)
	if err != nil {
		return err
	}
	msgs, err := s.cfg.Store.Tree(r.Context(), user, id)
	if err != nil {
		return err
	}
	e := store.Export{Conversation: c, Messages: msgs}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": e.Title + ".md"}))
	_, _ = io.WriteString(w, store.Markdown(e))
	return nil
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, user string) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > 500 {
		return errBadRequest{"the search is too long"}
	}
	// One search at a time per user, MaxSearches in all (below the
	// store's readers, so that other reads, token checks among them,
	// always find one), each stopped after Timeouts.Search.
	if !s.searching.add(user, 1) {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, apiErr{"A search is already running: wait for it.", "busy"})
		return nil
	}
	defer s.searching.remove(user)
	select {
	case s.searches <- struct{}{}:
		defer func() { <-s.searches }()
	default:
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, apiErr{"The server is busy with other searches: try again in a moment.", "busy"})
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeouts.Search)
	defer cancel()
	hits, err := s.cfg.Store.Search(ctx, user, q, limit)
	if err != nil && ctx.Err() != nil && r.Context().Err() == nil {
		writeJSON(w, http.StatusServiceUnavailable, apiErr{"The search took too long: search for something more particular.", "timeout"})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hits": hits})
	return nil
}

// transfer reserves what an export or import of user takes: the user's
// one (per, a counter) and a slot of MaxTransfers. It writes the refusal
// and returns nil when there is none; else the release.
func (s *Server) transfer(w http.ResponseWriter, per *counter, user, what string) (release func()) {
	if !per.add(user, 1) {
		writeJSON(w, http.StatusConflict, apiErr{"An " + what + " is already running: wait for it to finish.", "busy"})
		return nil
	}
	select {
	case s.transfers <- struct{}{}:
	default:
		per.remove(user)
		w.Header().Set("Retry-After", "10")
		writeJSON(w, http.StatusServiceUnavailable, apiErr{"The server is busy with other exports and imports: try again in a moment.", "busy"})
		return nil
	}
	return func() {
		<-s.transfers
		per.remove(user)
	}
}

// apiExport streams the user's conversations as an import file, one
// conversation at a time: the server holds one in memory, and a reader
// that stalls for Timeouts.Write on one is dropped. A failure half way
// aborts the response, so the download is seen to break rather than end
// as a valid file with conversations missing.
func (s *Server) apiExport(w http.ResponseWriter, r *http.Request, user string) error {
	release := s.transfer(w, &s.exports, user, "export")
	if release == nil {
		return nil
	}
	defer release()
	head, _ := json.Marshal(store.File{Format: store.ExportFormat, Exported: time.Now().UTC()})
	head = append(bytes.TrimSuffix(head, []byte("null}")), '[')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="wasmchat-export.json"`)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	first := true
	err := s.cfg.Store.Export(r.Context(), user, func(e store.Export) error {
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.Timeouts.Write))
		if first {
			_, _ = w.Write(head)
		} else {
			_, _ = w.Write([]byte{','})
		}
		first = false
		return enc.Encode(e)
	})
	if err != nil {
		if first {
			return err // nothing sent: an error response
		}
		s.log.Warn("api: export broke off", "user", user, "err", err)
		panic(http.ErrAbortHandler)
	}
	if first {
		_, _ = w.Write(head)
	}
	_, _ = w.Write([]byte("]}\n"))
	return nil
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request, user string) error {
	// One import at a time per user (it writes in batches that let other
	// users' writes through, and a second would only double the wait),
	// and MaxTransfers in all: checked before the body is read, which
	// may be 64 MiB.
	release := s.transfer(w, &s.imports, user, "import")
	if release == nil {
		return nil
	}
	defer release()
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, apiErr{"The file is over 64 MiB: split it.", "too_large"})
		return nil
	case errors.Is(err, errSlowBody):
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusRequestTimeout, apiErr{"The upload came too slowly and was dropped: try again.", "timeout"})
		return nil
	case err != nil:
		return errBadRequest{"the upload broke off"}
	}
	convs, err := store.DecodeImport(data)
	if err != nil {
		return errBadRequest{err.Error()}
	}
	n, err := s.cfg.Store.Import(r.Context(), user, convs)
	// The answer's time to be written starts now: a large import takes
	// a while.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.Timeouts.Write))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"imported": n, "skipped": len(convs) - n})
	return nil
}
