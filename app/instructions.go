package app

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// instructionsView is the chat's own instructions, folded in the top bar:
// a system prompt and a temperature, which go with each of its questions
// (a new chat's with its first).
type instructionsView struct {
	app.Compo

	System, Temperature string // as shown: Temperature "" for the default
	Err                 string // why the last save was refused
	Lang                string
}

// Render shows the instructions, folded.
func (v *instructionsView) Render() app.UI {
	t := tr(v.Lang)
	return app.Details().ID("instructions").Class("instructions").OnToggle(v.onToggle).Body(
		app.Summary().Text(t.Instructions),
		app.Div().Class("instructions-panel").Body(
			app.Label().For("system-input").Text(t.InstructionsLabel),
			app.Textarea().ID("system-input").Rows(4).Text(v.System),
			app.Label().For("temperature-input").Text(t.TemperatureLabel),
			app.Input().ID("temperature-input").Type("number").Attr("min", "0").Attr("max", "2").Attr("step", "0.1").Value(v.Temperature),
			slot(v.Err != "", app.P().ID("instructions-error").Class("error").Role("alert").Text(v.Err)),
			app.Button().ID("save-instructions").Type("button").Text(t.SaveShort).OnClick(func(ctx app.Context, e app.Event) {
				doc := app.Window().Get("document")
				ctx.NewActionWithValue(actionInstructions, instructions{
					System:      doc.Call("getElementById", "system-input").Get("value").String(),
					Temperature: doc.Call("getElementById", "temperature-input").Get("value").String(),
				})
				ctx.JSSrc().Call("closest", "details").Call("removeAttribute", "open")
			}),
		),
	)
}

// onToggle fills the fields with the conversation's instructions as the
// panel opens: a textarea's text is only its first value, and what was
// typed into it for another conversation would otherwise stay.
func (v *instructionsView) onToggle(ctx app.Context, e app.Event) {
	if !ctx.JSSrc().Get("open").Bool() {
		return
	}
	doc := app.Window().Get("document")
	doc.Call("getElementById", "system-input").Set("value", v.System)
	doc.Call("getElementById", "temperature-input").Set("value", v.Temperature)
}

// setInstructions takes the instructions typed: a temperature that is not
// a number from 0 to 2 is refused with the reason, nothing kept.
func (c *Chat) setInstructions(_ app.Context, v instructions) {
	var temperature *float64
	if s := strings.TrimSpace(v.Temperature); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > 2 {
			c.instructionsErr = tr(c.lang).BadTemperature
			return
		}
		temperature = &f
	}
	c.instructionsErr = ""
	c.s.SetInstructions(strings.TrimSpace(v.System), temperature)
}

// temperatureText is a temperature as the instructions show it.
func temperatureText(t *float64) string {
	if t == nil {
		return ""
	}
	return strconv.FormatFloat(*t, 'f', -1, 64)
}
