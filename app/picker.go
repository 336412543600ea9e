package app

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// choice is one option of a picker.
type choice struct {
	Value, Text, Title string
}

// picker is a labelled select that reports the chosen value to Chat as the
// action Action, with a picked payload. It renders nothing while it has no choices.
type picker struct {
	app.Compo

	ID       string
	Label    string
	Action   string
	Choices  []choice
	Selected string
}

func (p *picker) onChange(ctx app.Context, e app.Event) {
	ctx.NewActionWithValue(p.Action, picked{Value: ctx.JSSrc().Get("value").String()})
}

// Render shows the select.
func (p *picker) Render() app.UI {
	if len(p.Choices) == 0 {
		return app.Span().Hidden(true)
	}
	return app.Select().ID(p.ID).Class("picker").Aria("label", p.Label).Title(p.Label).OnChange(p.onChange).Body(
		app.Range(p.Choices).Slice(func(i int) app.UI {
			c := p.Choices[i]
			o := app.Option().Value(c.Value).Title(c.Title).Text(c.Text)
			if p.Selected == c.Value {
				// Only the chosen one: go-app prerenders Selected(false)
				// as selected="false", which HTML reads as selected.
				o = o.Selected(true)
			}
			return o
		}),
	)
}
