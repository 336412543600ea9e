package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/wasmchat/wasmchat/app/markdown"
	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/store"
)

// Share links. POST /api/conversations/{id}/share keeps a snapshot of the
// conversation as it is and answers the link's path, /s/{secret} (130
// random bits); sharing again updates the snapshot behind the same link;
// DELETE …/share ends it, as deleting the conversation does. The link's
// page is rendered here, read-only, for anyone who has it, without a token
// and without the wasm: the answers through the page's own markdown and
// math renderer, and under a policy that allows no script at all. A
// question's files show by name only: their bytes stay their owner's
// (GET /api/files/{id} is the owner's alone), so a link shares the words
// of a conversation and not the screenshots or files asked with it.

// sharePrefix is where share links live.
const sharePrefix = "/s/"

// shareCSS is the share page's style, allowed by its hash.
const shareCSS = `body{margin:0;font:16px/1.6 system-ui,sans-serif;color:#1f2328;background:#fff}
main{max-width:48rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.4rem;margin:0 0 .25rem}.when{color:#656d76;font-size:.85rem;margin:0 0 1.5rem}
.message{margin:1rem 0}.user .content{background:#f3f4f6;border-radius:1rem;padding:.6rem 1rem;white-space:pre-wrap;margin-left:auto;max-width:85%;width:fit-content}
.assistant .content{overflow-wrap:anywhere}.note{color:#656d76;font-size:.85rem}
.files{text-align:right;color:#656d76;font-size:.85rem;margin:0 0 .25rem}.file{border:1px solid #d8dee4;border-radius:.5rem;padding:.1rem .5rem;margin-left:.35rem}
pre{background:#f6f8fa;padding:.75rem;border-radius:.5rem;overflow-x:auto}code{font-family:ui-monospace,monospace;font-size:.9em}
.code-head{display:flex;justify-content:space-between;font-size:.8rem;color:#656d76}.copy-code{display:none}
table{border-collapse:collapse}th,td{border:1px solid #d8dee4;padding:.3rem .6rem}
math[display=block]{margin:.75rem 0;overflow-x:auto}merror{color:#cf222e}
footer{margin-top:2rem;color:#656d76;font-size:.85rem}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#16181d}.user .content,pre{background:#22262e}th,td{border-color:#30363d}}`

// shareCSP lets the share page use its style sheet and inline images
// (data: only, as the markdown renderer writes them), and nothing else.
var shareCSP = func() string {
	sum := sha256.Sum256([]byte(shareCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// apiShare shares a conversation, or shares it again with what it is now.
func (s *Server) apiShare(w http.ResponseWriter, r *http.Request, user string) error {
	e, err := s.conversation(r, user, 0)
	if err != nil {
		return err
	}
	snapshot, err := json.Marshal(e)
	if err != nil {
		return err
	}
	secret, err := s.cfg.Store.Share(r.Context(), user, e.ID, snapshot)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, protocol.Share{Conversation: e.ID, Path: sharePrefix + secret})
	return nil
}

// apiUnshare ends a conversation's share link.
func (s *Server) apiUnshare(w http.ResponseWriter, r *http.Request, user string) error {
	if err := s.cfg.Store.Unshare(r.Context(), user, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiShares lists the user's share links.
func (s *Server) apiShares(w http.ResponseWriter, r *http.Request, user string) error {
	shares, err := s.cfg.Store.Shares(r.Context(), user)
	if err != nil {
		return err
	}
	out := []protocol.Share{}
	for id, secret := range shares {
		out = append(out, protocol.Share{Conversation: id, Path: sharePrefix + secret})
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": out})
	return nil
}

// serveShare shows a share link's conversation.
func (s *Server) serveShare(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", shareCSP)
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Cache-Control", "no-store")
	snapshot, err := s.cfg.Store.Shared(r.Context(), r.PathValue("secret"))
	var e store.Export
	if err == nil {
		err = json.Unmarshal(snapshot, &e)
	}
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "This link was not shared, or no longer is.", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.Error("share", "err", err)
		http.Error(w, "The server could not show this conversation; try again.", http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(sharePage(e)))
}

// sharePage is the HTML of a shared conversation: questions as text,
// answers through the markdown renderer, which lets no script or remote
// fetch through.
func sharePage(e store.Export) string {
	var b strings.Builder
	title := html.EscapeString(e.Title)
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
		`<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer"><title>` + title + ` · wasmchat</title><style>` + shareCSS +
		`</style></head><body><main><h1>` + title + `</h1><p class="when">Shared conversation · ` + e.Updated.UTC().Format(time.DateOnly) + `</p>`)
	for _, m := range e.Messages {
		role := "user"
		if m.Role == store.RoleAssistant {
			role = "assistant"
		}
		b.WriteString(`<article class="message ` + role + `">`)
		if len(m.Attachments) > 0 {
			b.WriteString(`<p class="files">`)
			for _, f := range m.Attachments {
				b.WriteString(`<span class="file">` + html.EscapeString(f.Name) + `</span>`)
			}
			b.WriteString(`</p>`)
		}
		b.WriteString(`<div class="content">`)
		if role == "user" {
			b.WriteString(html.EscapeString(m.Text))
		} else {
			b.WriteString(markdown.Render(m.Text))
		}
		b.WriteString(`</div>`)
		if m.ErrorText != "" {
			b.WriteString(`<p class="note">` + html.EscapeString(m.ErrorText) + `</p>`)
		}
		b.WriteString(`</article>`)
	}
	b.WriteString(`<footer>A read-only copy, made with wasmchat.</footer></main></body></html>`)
	return b.String()
}
