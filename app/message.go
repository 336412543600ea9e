package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/markdown"
	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/app/typewriter"
	"github.com/wasmchat/wasmchat/protocol"
)

// messageView shows one message. Its exported fields come from Chat; an
// answer's text is paced by its own typewriter, and each tick re-renders
// this component alone.
type messageView struct {
	app.Compo

	Role   string
	Text   string // all the text received so far
	Ended  bool
	Finish string
	Error  string
	Usage  *protocol.Usage
	Model  string // the model an answer came from, once known
	Lang   string
	// Replace is the answer id an edit of this question, or a regenerate of
	// this answer, replaces; "" offers neither.
	Replace string
	// Branch of Branches is which version of the message this is, among
	// its edits or regenerates (Branches 0: the only one); PrevBranch and
	// NextBranch the ids of the ones before and after it ("": none, or
	// not now).
	Branch, Branches       int
	PrevBranch, NextBranch string
	// Attachments are a question's files.
	Attachments []protocol.Attachment
	// Msg is the message shown, for refresh: a chunk updates this view
	// alone, from the message, without rendering the page again.
	Msg *session.Message
	// View is the page's: where the view registers under Msg, and how it
	// follows the end of the messages. Nil in tests of the view alone.
	View *view

	ctx   app.Context      // this component's, for its own timers and updates
	bound *session.Message // the Msg registered in View
	// editing is the question being edited: this view's Msg, or nil. A
	// message, not a flag: go-app reuses views by position, and a view
	// moved onto another message (earlier ones shown above it) must not
	// carry the edit over to it.
	editing *session.Message

	tw      *typewriter.Writer
	fed     string // the Text last given to tw
	shown   string
	ticking bool
	md      markdown.Stream // renders the streaming answer block by block
	speech  *speech         // the answer being read aloud, or nil
}

var (
	_ app.Mounter    = (*messageView)(nil)
	_ app.Updater    = (*messageView)(nil)
	_ app.Dismounter = (*messageView)(nil)
)

func (m *messageView) OnMount(ctx app.Context)  { m.bind(ctx) }
func (m *messageView) OnUpdate(ctx app.Context) { m.bind(ctx) }

func (m *messageView) OnDismount() {
	m.unbind()
	m.speech.stop()
}

// bind registers the view under its message and feeds the typewriter.
func (m *messageView) bind(ctx app.Context) {
	m.ctx = ctx
	m.View.bind(m, m.bound, m.Msg)
	m.bound = m.Msg
	m.feed(ctx)
}

// unbind forgets the message the view was registered under.
func (m *messageView) unbind() {
	m.View.unbind(m, m.bound)
	m.bound = nil
}

// refresh takes the message's new text and state and renders this view
// again (and only it).
func (m *messageView) refresh() {
	if m.Msg == nil || m.ctx == nil {
		return
	}
	msg := m.Msg
	shown, status := m.shown, m.status()
	m.Text, m.Ended, m.Finish, m.Error, m.Usage = msg.Text, msg.Ended, msg.Finish, msg.Error, msg.Usage
	m.feed(m.ctx)
	if m.shown != shown || m.status() != status {
		// Else the typewriter's next tick shows the new text.
		if follow := m.View.followEnd(); follow != nil {
			m.ctx.Defer(follow)
		}
		m.Update()
	}
}

// feed hands the received text to the typewriter and starts ticking.
func (m *messageView) feed(ctx app.Context) {
	if m.Role != session.RoleAssistant {
		m.shown = m.Text
		return
	}
	// A new answer here: a first one, or another conversation's in this
	// place. One that had ended before it was shown (history, a reload)
	// shows at once; only text arriving while it is on screen types out.
	fresh := m.tw == nil || !strings.HasPrefix(m.Text, m.fed)
	if fresh {
		m.tw = typewriter.New()
	}
	m.fed = m.Text
	m.tw.Set(time.Now(), m.Text, m.Ended)
	if (fresh && m.Ended) || m.View.instant() {
		m.shown = m.tw.Flush()
		return
	}
	if m.tw.Pending() && !m.ticking {
		m.ticking = true
		ctx.After(typewriter.Interval, m.tick)
	}
}

// tick runs on the UI goroutine; it re-arms itself while text is pending.
func (m *messageView) tick(ctx app.Context) {
	if m.View.instant() {
		m.shown, m.ticking = m.tw.Flush(), false
		return
	}
	if follow := m.View.followEnd(); follow != nil {
		ctx.Defer(follow) // keep following the answer as it grows
	}
	m.shown = m.tw.Tick(time.Now())
	if m.tw.Pending() {
		ctx.After(typewriter.Interval, m.tick)
		return
	}
	m.ticking = false
}

// status is the data-status test hook: "done" only once the answer has
// ended and is wholly shown.
func (m *messageView) status() string {
	shown := m.tw != nil && m.tw.Done()
	switch {
	case m.Error != "":
		return "error"
	case m.Role == session.RoleUser:
		return "done"
	case shown && m.Finish == protocol.FinishInterrupted:
		return "interrupted"
	case shown:
		return "done"
	}
	return "streaming"
}

// Render shows the message.
func (m *messageView) Render() app.UI {
	status, t := m.status(), tr(m.Lang)
	article := app.Article()
	if m.Role == session.RoleAssistant {
		// A screen reader reads an answer once it is whole, not per tick.
		article = article.Aria("live", "polite").Aria("busy", status == "streaming")
	}
	return article.
		Class("message", m.Role).
		DataSet("role", m.Role).
		DataSet("status", status).
		DataSet("bytes", len(m.shown)).
		Body(
			m.content(status),
			app.If(status == "streaming" && m.Role == session.RoleAssistant,
				app.Span().Class("cursor").Aria("hidden", "true"),
			),
			app.If(m.Error != "", app.P().Class("error").Role("alert").Text(m.Error)),
			app.If(m.Finish == protocol.FinishCancelled, app.P().Class("note").Text(t.Stopped)),
			app.If(m.Finish == protocol.FinishLength, app.P().Class("note").Text(t.CutShort)),
			app.If((m.Usage != nil || m.Model != "") && status == "done" && m.Role == session.RoleAssistant, m.usage()),
			app.If(m.Branches > 1 && !m.isEditing(), m.branches()),
			app.If(m.Role == session.RoleAssistant && status != "streaming" && m.Text != "",
				app.Button().Type("button").Class("link", "copy-answer").Title(t.CopyAnswerTitle).Text(t.Copy).
					OnClick(func(ctx app.Context, e app.Event) { copyText(ctx, ctx.JSSrc(), m.Text, t.Copied) }),
			),
			app.If(m.Role == session.RoleAssistant && status != "streaming" && m.Text != "" && m.View.canSpeak(),
				app.Button().Type("button").Class("link", "read-aloud").Aria("pressed", m.speech != nil).
					Text(map[bool]string{true: t.StopReading, false: t.ReadAloud}[m.speech != nil]).OnClick(m.readAloud),
			),
			app.If(m.Replace != "" && m.Role == session.RoleAssistant,
				app.Button().Type("button").Class("link", "regenerate").Text(t.Regenerate).
					OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionRegen, regenerate{Answer: m.Replace}) }),
			),
			app.If(m.Replace != "" && m.Role == session.RoleUser && !m.isEditing(),
				app.Button().Type("button").Class("link", "edit").Text(t.Edit).
					OnClick(func(ctx app.Context, e app.Event) { m.editing = m.Msg }),
			),
			app.If(status == "interrupted", app.P().Class("note").Body(
				app.Text(t.Interrupted),
				app.Button().Class("link continue").Text(t.Continue).OnClick(func(ctx app.Context, e app.Event) {
					ctx.NewAction(actionContinue)
				}),
			)),
		)
}

// content shows a question as typed, and an answer as markdown rendered by
// the markdown package, which lets no script or remote fetch through.
//
// While the answer streams, each completed block is its own raw node and
// only the last block changes per tick: go-app diffs children by index, so
// the DOM work of a tick does not grow with the answer. Once the answer is
// over, it is rendered whole, once.
func (m *messageView) content(status string) app.UI {
	if m.Role != session.RoleAssistant && m.isEditing() && m.Replace != "" {
		return m.editor()
	}
	if m.Role != session.RoleAssistant {
		text := app.Div().Class("content").Text(m.shown)
		if len(m.Attachments) == 0 {
			return text
		}
		return app.Div().Class("question").Body(
			attachmentList(m.Attachments, func(id string) string { return m.View.fileURL(id, m.Update) }),
			text,
		)
	}
	m.md.Renderer.CopyLabel = tr(m.Lang).CopyCode
	if status != "streaming" {
		return app.Raw(`<div class="content markdown">` + m.md.Renderer.Render(m.shown) + `</div>`)
	}
	blocks, tail := m.md.Update(m.shown)
	return app.Div().Class("content", "markdown").Body(
		app.Range(blocks).Slice(func(i int) app.UI {
			return app.Raw(`<div class="md-block">` + blocks[i] + `</div>`)
		}),
		app.Raw(`<div class="md-block">`+tail+`</div>`),
	)
}

// isEditing reports whether the question shown is being edited.
func (m *messageView) isEditing() bool { return m.editing != nil && m.editing == m.Msg }

// editor is the question being edited: Enter or "send" asks it in place of
// the original (and everything after it), Esc or "cancel" leaves it.
func (m *messageView) editor() app.UI {
	t := tr(m.Lang)
	send := func(ctx app.Context, box app.Value) {
		text := strings.TrimSpace(box.Get("value").String())
		m.editing = nil
		if text != "" {
			ctx.NewActionWithValue(actionEdit, edit{Answer: m.Replace, Text: text})
		}
	}
	return app.Div().Class("content", "editing").Body(
		app.Textarea().Class("edit-box").Aria("label", t.EditLabel).Rows(3).AutoFocus(true).Text(m.Text).
			OnKeyDown(func(ctx app.Context, e app.Event) {
				switch {
				case e.Get("key").String() == "Escape":
					e.Call("stopPropagation") // not the page's Esc (stop)
					m.editing = nil
				case e.Get("key").String() == "Enter" && !e.Get("shiftKey").Bool() && !e.Get("isComposing").Bool():
					e.PreventDefault()
					send(ctx, ctx.JSSrc())
				}
			}),
		app.Div().Class("edit-actions").Body(
			app.Button().Type("button").Class("send", "edit-send").Text(t.Send).OnClick(func(ctx app.Context, e app.Event) {
				send(ctx, ctx.JSSrc().Get("parentElement").Get("previousElementSibling"))
			}),
			app.Button().Type("button").Class("edit-cancel").Text(t.Cancel).OnClick(func(ctx app.Context, e app.Event) { m.editing = nil }),
		),
	)
}

// branches is the switcher between the versions of a message: "‹ 2 / 3 ›";
// nil for a message that has no others.
func (m *messageView) branches() app.UI {
	if m.Branches < 2 {
		return nil
	}
	t := tr(m.Lang)
	step := func(class, label, text, to string) app.UI {
		return app.Button().Type("button").Class("link", class).Title(label).Aria("label", label).Disabled(to == "").Text(text).
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionBranch, branch{ID: to}) }, to)
	}
	return app.Span().Class("branches").Role("group").Aria("label", fmt.Sprintf(t.BranchLabel, m.Branch, m.Branches)).Body(
		step("branch-prev", t.PrevBranch, "‹", m.PrevBranch),
		app.Span().Class("branch-of").Text(fmt.Sprintf("%d / %d", m.Branch, m.Branches)),
		step("branch-next", t.NextBranch, "›", m.NextBranch),
	)
}

// usage is the discreet line under a finished answer: the model it came
// from and its token count, as far as they are known.
func (m *messageView) usage() app.UI {
	var parts []string
	if m.Model != "" {
		parts = append(parts, m.Model)
	}
	if u := m.Usage; u != nil {
		parts = append(parts, fmt.Sprintf(tr(m.Lang).Tokens, u.Total, u.Prompt, u.Completion))
	}
	return app.P().Class("usage").Title("model · tokens: prompt + completion").Text(strings.Join(parts, " · "))
}
