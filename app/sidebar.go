package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
)

// sidebar lists the conversations, newest first, with search, rename and
// delete. On phones it is a drawer over the chat. Chat owns the list; the
// sidebar only keeps which row is being renamed or asked about.
type sidebar struct {
	app.Compo

	List     []session.Summary
	Current  string
	Query    string
	Hits     []session.Hit
	Open     bool // the drawer, on phones
	Lang     string
	Settings settings
	// Installable: the browser offers to install the page as an app.
	Installable bool
	// Shares are the share links, by conversation.
	Shares map[string]string

	searchGen int // the search typed last, for the debounce
}

func (s *sidebar) onSearch(ctx app.Context, e app.Event) {
	q := ctx.JSSrc().Get("value").String()
	s.searchGen++
	gen := s.searchGen
	// Wait until typing pauses: one request, not one per key.
	ctx.After(250*time.Millisecond, func(ctx app.Context) {
		if gen == s.searchGen {
			ctx.NewActionWithValue(actionSearch, search{Query: strings.TrimSpace(q)})
		}
	})
}

func (s *sidebar) onSearchKey(ctx app.Context, e app.Event) {
	if e.Get("key").String() == "Escape" {
		ctx.JSSrc().Set("value", "")
		s.searchGen++
		ctx.NewActionWithValue(actionSearch, search{})
	}
}

// Render shows the sidebar.
func (s *sidebar) Render() app.UI {
	searching := s.Query != ""
	t := tr(s.Lang)
	return app.Aside().ID("sidebar").Class("sidebar").Class(map[bool]string{true: "open"}[s.Open]).Aria("label", t.Conversations).Body(
		app.Div().Class("side-head").Body(
			app.Button().ID("new-chat").Class("new-chat").Type("button").Title(t.NewChatTitle).Text(t.NewChat).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionNew) }),
			app.Input().ID("search").Class("search").Type("search").Placeholder(t.Search).Aria("label", t.Search).
				OnInput(s.onSearch).OnKeyDown(s.onSearchKey),
		),
		app.If(searching,
			app.Ul().ID("hits").Class("conversations").Body(
				slot(len(s.Hits) == 0, app.Li().Class("none").Text(t.NothingFound)),
				app.Range(s.Hits).Slice(func(i int) app.UI {
					h := s.Hits[i]
					return app.Li().Class("hit").Body(
						app.Button().Type("button").Class("open").DataSet("id", h.Conversation).
							OnClick(func(ctx app.Context, e app.Event) {
								ctx.NewActionWithValue(actionOpen, open{ID: h.Conversation, Message: h.Message})
							}, h.Conversation, h.Message).Body(
							app.Span().Class("title").Text(h.Title),
							app.Span().Class("snippet").Text(h.Snippet),
						),
					)
				}),
			),
		).Else(
			app.Ul().ID("conversations").Class("conversations").Body(
				app.Range(s.List).Slice(func(i int) app.UI {
					return &sideRow{Summary: s.List[i], Current: s.List[i].ID == s.Current, Lang: s.Lang, Share: s.Shares[s.List[i].ID]}
				}),
			),
		),
		slot(s.Installable,
			app.Button().ID("install").Class("install").Type("button").Text(t.Install).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionInstall) }),
		),
		&settingsView{Settings: s.Settings, Lang: s.Lang},
	)
}

// The row's icons: drawn, not emoji, which many systems lack a font for
// (a box instead of a bin). Their buttons carry the names.
const (
	iconRename = `<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 17.5V20h2.5L17 9.5 14.5 7zM19.7 6.8a1 1 0 0 0 0-1.4l-1.1-1.1a1 1 0 0 0-1.4 0L16 5.5 18.5 8z"/></svg>`
	iconShare  = `<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true"><path d="M10.6 13.4a1 1 0 0 1 0-1.4l3.5-3.5a1 1 0 1 1 1.4 1.4L12 13.4a1 1 0 0 1-1.4 0zM7.8 18.4a3.5 3.5 0 0 1-2.5-6l2.5-2.4 1.4 1.4-2.5 2.5a1.5 1.5 0 0 0 2.1 2.1l2.5-2.5 1.4 1.4-2.4 2.5a3.5 3.5 0 0 1-2.5 1zM16.2 14l-1.4-1.4 2.5-2.5a1.5 1.5 0 0 0-2.1-2.1l-2.5 2.5-1.4-1.4 2.5-2.5a3.5 3.5 0 0 1 4.9 4.9z"/></svg>`
	iconAttach = `<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>`
	iconFile   = `<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 2h8l6 6v14H6zm7 1.5V9h5.5zM8 12v1.5h8V12zm0 3v1.5h8V15zm0 3v1.5h5V18z"/></svg>`
	iconDelete = `<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true"><path d="M9 3h6l1 2h4v2H4V5h4zM6 8h12l-1 13H7z"/></svg>`
)

// sideRow is one conversation of the sidebar: a component, so that of a
// thousand rows only those that change render again.
type sideRow struct {
	app.Compo

	Summary session.Summary
	Current bool
	Lang    string
	Share   string // its share link, if shared

	// The id of the conversation being renamed, or asked whether to
	// delete: ids, not flags, because go-app reuses rows by position, and
	// when a conversation is added above, this row shows the next one,
	// which must not be renamed or deleted in its place.
	editing, confirming, sharing string
}

func (r *sideRow) onRenameKey(ctx app.Context, e app.Event) {
	switch e.Get("key").String() {
	case "Enter":
		e.PreventDefault()
		title := strings.TrimSpace(ctx.JSSrc().Get("value").String())
		r.editing = ""
		if title != "" && title != r.Summary.Title {
			ctx.NewActionWithValue(actionRename, rename{ID: r.Summary.ID, Title: title})
		}
	case "Escape":
		r.editing = ""
	}
}

// Render shows the row: the title, rename and delete; or the title being
// edited; or the question whether to delete.
func (r *sideRow) Render() app.UI {
	c, t := r.Summary, tr(r.Lang)
	li := app.Li().Class("conversation").DataSet("id", c.ID).Aria("current", map[bool]string{true: "page", false: "false"}[r.Current])
	switch {
	case r.editing == c.ID:
		return li.Body(
			app.Input().Class("rename").Value(c.Title).Aria("label", t.NewTitle).AutoFocus(true).
				OnKeyDown(r.onRenameKey).
				OnBlur(func(ctx app.Context, e app.Event) { r.editing = "" }),
		)
	case r.sharing == c.ID:
		return li.Class("sharing").Body(r.sharePanel(t))
	case r.confirming == c.ID:
		return li.Class("confirm").Body(
			app.Span().Class("title").Text(fmt.Sprintf(t.DeleteConfirm, c.Title)),
			app.Button().Type("button").Class("danger").Text(t.Delete).
				OnClick(func(ctx app.Context, e app.Event) {
					r.confirming = ""
					ctx.NewActionWithValue(actionDelete, remove{ID: c.ID})
				}, c.ID),
			app.Button().Type("button").Text(t.Cancel).OnClick(func(ctx app.Context, e app.Event) { r.confirming = "" }),
		)
	}
	return li.Body(
		app.Button().Type("button").Class("open").Title(c.Title).
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionOpen, open{ID: c.ID}) }, c.ID).
			Body(app.Span().Class("title").Text(c.Title)),
		app.Button().Type("button").Class("icon").Class("rename-btn").Title(t.Rename).Aria("label", fmt.Sprintf(t.RenameTitle, c.Title)).Body(app.Raw(iconRename)).
			OnClick(func(ctx app.Context, e app.Event) { r.editing, r.confirming = c.ID, "" }, c.ID),
		app.Button().Type("button").Class("icon").Class("share-btn").Class(map[bool]string{true: "shared"}[r.Share != ""]).
			Title(t.Share).Aria("label", fmt.Sprintf(t.ShareTitle, c.Title)).Body(app.Raw(iconShare)).
			OnClick(func(ctx app.Context, e app.Event) {
				r.sharing, r.editing, r.confirming = c.ID, "", ""
				if r.Share == "" {
					ctx.NewActionWithValue(actionShare, share{ID: c.ID})
				}
			}, c.ID),
		app.Button().Type("button").Class("icon").Class("delete-btn").Title(t.Delete).Aria("label", fmt.Sprintf(t.DeleteTitle, c.Title)).Body(app.Raw(iconDelete)).
			OnClick(func(ctx app.Context, e app.Event) { r.confirming, r.editing, r.sharing = c.ID, "", "" }, c.ID),
	)
}

// sharePanel is the row while its share link is shown: the link (once the
// server made it), copy, stop sharing, done.
func (r *sideRow) sharePanel(t *texts) app.UI {
	id := r.Summary.ID
	if r.Share == "" {
		return app.Span().Class("title").Text(t.Sharing)
	}
	return app.Div().Class("share-panel").Body(
		app.A().Class("share-link").Href(r.Share).Target("_blank").Rel("noopener noreferrer").Text(t.ShareLink),
		app.Button().Type("button").Class("copy-share").Text(t.Copy).OnClick(func(ctx app.Context, e app.Event) {
			copyText(ctx, ctx.JSSrc(), r.Share, t.Copied)
		}),
		app.Button().Type("button").Class("unshare").Text(t.Unshare).OnClick(func(ctx app.Context, e app.Event) {
			r.sharing = ""
			ctx.NewActionWithValue(actionUnshare, unshare{ID: id})
		}, id),
		app.Button().Type("button").Class("share-done").Text(t.Done).OnClick(func(ctx app.Context, e app.Event) { r.sharing = "" }),
	)
}
