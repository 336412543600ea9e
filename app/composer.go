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
	return app.Form().Class("composer").OnSubmit(c.onSubmit).Body(
		app.Textarea().
			ID("composer").
			Rows(2).
			Placeholder(t.Placeholder).
			Title(t.ComposerHint).
			Aria("label", t.Label).
			AutoFocus(true).
			OnKeyDown(c.onKeyDown),
		slot(c.Streaming,
			app.Button().Type("button").ID("stop").Class("stop").Title(t.StopTitle).Text(t.Stop).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionStop) }),
		),
		app.Button().Type("submit").Class("send").Text(t.Send),
	)
}
