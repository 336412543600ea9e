package app

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// composer is the question box: Enter sends, Shift+Enter is a newline,
// Enter in an empty box does nothing, and Enter while an input method is
// composing (Chinese, Japanese...) is left to the input method.
//
// Its keys and the form's submit are plain listeners, not go-app's
// handlers: go-app runs a handler after the event has been handled, too
// late for preventDefault, so Enter in an empty box added a line and Send
// submitted the form. (Before the Go program runs, the page's early script
// does the same for the prerendered box: server/early.js.)
type composer struct {
	app.Compo

	// Streaming shows the stop button (Esc does the same).
	Streaming bool
	Lang      string

	release func()
}

var (
	_ app.Mounter    = (*composer)(nil)
	_ app.Dismounter = (*composer)(nil)
)

// OnMount listens to the question box's keys and its form's submit.
func (c *composer) OnMount(ctx app.Context) {
	form := c.JSValue() // the composer's own elements, in the page or not yet
	box := form.Get("elements").Call("namedItem", "composer")
	if !box.Truthy() {
		return
	}
	onKey := app.FuncOf(func(_ app.Value, args []app.Value) any {
		e := args[0]
		if e.Get("key").String() == "Enter" && !e.Get("shiftKey").Bool() && !e.Get("isComposing").Bool() {
			e.Call("preventDefault")
			c.submit(ctx)
		}
		return nil
	})
	onSubmit := app.FuncOf(func(_ app.Value, args []app.Value) any {
		args[0].Call("preventDefault")
		c.submit(ctx)
		return nil
	})
	box.Call("addEventListener", "keydown", onKey)
	form.Call("addEventListener", "submit", onSubmit)
	c.release = func() {
		box.Call("removeEventListener", "keydown", onKey)
		form.Call("removeEventListener", "submit", onSubmit)
		onKey.Release()
		onSubmit.Release()
	}
}

// OnDismount stops listening.
func (c *composer) OnDismount() {
	if c.release != nil {
		c.release()
		c.release = nil
	}
}

// submit sends the textarea's text to Chat and clears the box.
func (c *composer) submit(ctx app.Context) {
	box := app.Window().GetElementByID("composer")
	text := strings.TrimSpace(box.Get("value").String())
	if text == "" {
		return
	}
	box.Set("value", "")
	ctx.NewActionWithValue(actionSend, text)
}

// Render shows the composer.
func (c *composer) Render() app.UI {
	t := tr(c.Lang)
	return app.Form().Class("composer").Body(
		app.Textarea().
			ID("composer").
			Rows(2).
			Placeholder(t.Placeholder).
			Title(t.ComposerHint).
			Aria("label", t.Label).
			AutoFocus(true),
		slot(c.Streaming,
			app.Button().Type("button").ID("stop").Class("stop").Title(t.StopTitle).Text(t.Stop).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionStop) }),
		),
		app.Button().Type("submit").Class("send").Text(t.Send),
	)
}
