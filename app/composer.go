package app

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// composer is the question box: Enter sends, Shift+Enter is a newline,
// Enter in an empty box does nothing, and Enter while an input method is
// composing (Chinese, Japanese...) is left to the input method. (Before the
// Go program runs, the page's early script does the same for the
// prerendered box: server/early.js.)
type composer struct {
	app.Compo

	// Streaming shows the stop button (Esc does the same).
	Streaming bool
	Lang      string
	// Files are the files attached to the next question (attach.go);
	// Waiting, a question sent that waits for them to upload: it shows
	// with them, not in the box (Enter emptied it).
	Files   []chip
	Waiting string
}

// chip is a file in the composer as it shows.
type chip struct {
	Name, Preview, Err  string
	Uploading, Retrying bool
}

// onFiles takes the files of a paste, a drop or the file picker; a paste
// of text alone stays a paste.
func (c *composer) onFiles(ctx app.Context, files app.Value) bool {
	if !files.Truthy() || files.Length() == 0 {
		return false
	}
	// A copy: the list a paste or a drop hands over is emptied after it.
	ctx.NewActionWithValue(actionAttach, attachFiles{Files: app.Window().Get("Array").Call("from", files)})
	return true
}

func (c *composer) onPaste(ctx app.Context, e app.Event) {
	if c.onFiles(ctx, e.Get("clipboardData").Get("files")) {
		e.PreventDefault()
	}
}

func (c *composer) onDrop(ctx app.Context, e app.Event) {
	if dt := e.Get("dataTransfer"); dt.Truthy() && c.onFiles(ctx, dt.Get("files")) {
		e.PreventDefault()
	}
}

func (c *composer) onPick(ctx app.Context, e app.Event) {
	input := ctx.JSSrc()
	c.onFiles(ctx, input.Get("files"))
	input.Set("value", "") // the same file may be chosen again
}

func (c *composer) onKeyDown(ctx app.Context, e app.Event) {
	if e.Get("key").String() != "Enter" || e.Get("shiftKey").Bool() || e.Get("isComposing").Bool() {
		return
	}
	e.PreventDefault()
	c.submit(ctx)
}

func (c *composer) onSubmit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	c.submit(ctx)
}

// submit sends the textarea's text to Chat and clears the box.
func (c *composer) submit(ctx app.Context) {
	box := app.Window().GetElementByID("composer")
	text := strings.TrimSpace(box.Get("value").String())
	if text == "" {
		return
	}
	box.Set("value", "")
	ctx.NewActionWithValue(actionSend, ask{Text: text})
}

// Render shows the composer.
func (c *composer) Render() app.UI {
	t := tr(c.Lang)
	return app.Form().Class("composer").OnSubmit(c.onSubmit).
		OnDragOver(func(ctx app.Context, e app.Event) { e.PreventDefault() }).OnDrop(c.onDrop).Body(
		// Always there, empty without files: go-app diffs children by
		// place, and a row that came and went would make the box after it
		// a new element, losing what is typed in it.
		c.chips(t),
		app.Label().Class("attach").Title(t.Attach).Aria("label", t.Attach).Body(
			app.Raw(iconAttach),
			app.Input().ID("attach-input").Type("file").Multiple(true).
				Accept("image/png,image/jpeg,image/webp,image/gif,text/*,.md,.csv,.json,.txt,.go,.py,.js,.ts,.java,.c,.h,.cpp,.rs,.rb,.sh,.yaml,.yml,.toml,.sql,.html,.css,.xml").
				OnChange(c.onPick),
		),
		app.Textarea().
			ID("composer").
			Rows(2).
			Placeholder(t.Placeholder).
			Title(t.ComposerHint).
			Aria("label", t.Label).
			AutoFocus(true).
			OnKeyDown(c.onKeyDown).OnPaste(c.onPaste),
		slot(c.Streaming,
			app.Button().Type("button").ID("stop").Class("stop").Title(t.StopTitle).Text(t.Stop).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionStop) }),
		),
		app.Button().Type("submit").Class("send").Text(map[bool]string{true: t.Uploading, false: t.Send}[c.Waiting != ""]),
	)
}

// chips shows the files attached to the next question.
func (c *composer) chips(t *texts) app.UI {
	return app.Div().Class("chips").Body(
		app.Range(c.Files).Slice(func(i int) app.UI {
			f := c.Files[i]
			note := map[bool]string{true: t.UploadRetrying}[f.Retrying]
			return app.Span().Class("chip").Class(map[bool]string{true: "uploading"}[f.Uploading]).Class(map[bool]string{true: "retrying"}[f.Retrying]).
				Class(map[bool]string{true: "refused"}[f.Err != ""]).Title(f.Err+note).Body(
				app.If(f.Preview != "", app.Img().Class("thumb").Src(f.Preview).Alt(f.Name)).Else(app.Raw(iconFile)),
				app.Span().Class("chip-name").Text(f.Name),
				app.If(f.Err != "", app.Span().Class("chip-error").Text(f.Err)).ElseIf(f.Retrying, app.Span().Class("chip-note").Text(note)),
				app.Button().Type("button").Class("unattach").Title(t.Remove).Aria("label", t.Remove+" "+f.Name).Text("×").
					OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionUnattach, unattach{Index: i}) }, i),
			)
		}),
		// In the row, not before the box: a sibling that comes and goes
		// before the textarea would make go-app draw it anew.
		app.If(c.Waiting != "", app.Span().Class("waiting-question").Body(
			app.Span().Class("waiting-label").Text(t.WaitingQuestion),
			app.Span().Class("waiting-text").Text(c.Waiting),
		)),
	)
}
