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
	choices := p.Choices
	if app.IsServer {
		choices = p.prerendered()
	}
	return app.Select().ID(p.ID).Class("picker").Aria("label", p.Label).Title(p.Label).OnChange(p.onChange).Body(
		app.Range(choices).Slice(func(i int) app.UI {
			c := choices[i]
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

// prerendered returns the choices the prerendered page's select has: only
// the chosen one (else the first). Until the Go program runs, the pickers
// take no input (they look inactive, style.css), and a select lays out the
// text of every option at the page's first layout: the language picker's
// 简体中文 sent the browser looking for a font with those characters, a
// third of the first layout's time (10 of 23 ms on the 2-core test
// machine, which has no CJK font). The live page has them all. A select
// is as wide as its widest option, and what the server prerenders (System
// theme, English) is the widest of each, so nothing moves when the live
// page replaces the prerendered one (TestBrowserFirstPaintLooksRight).
func (p *picker) prerendered() []choice {
	for _, c := range p.Choices {
		if c.Value == p.Selected {
			return []choice{c}
		}
	}
	return p.Choices[:1]
}
