package app

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// appPicker chooses the app (preset) questions run in: plain chat, or one of
// the apps the server lists.
type appPicker struct {
	app.Compo

	Apps     []protocol.App
	Selected string
}

func (p *appPicker) onChange(ctx app.Context, e app.Event) {
	ctx.NewActionWithValue(actionApp, ctx.JSSrc().Get("value").String())
}

// Render shows a select, or nothing while the server has listed no apps.
func (p *appPicker) Render() app.UI {
	if len(p.Apps) == 0 {
		return app.Span().Class("apps")
	}
	return app.Select().ID("app").Class("apps").Aria("label", "App").OnChange(p.onChange).Body(
		app.Option().Value("").Selected(p.Selected == "").Text("Chat"),
		app.Range(p.Apps).Slice(func(i int) app.UI {
			a := p.Apps[i]
			return app.Option().Value(a.ID).Selected(p.Selected == a.ID).Title(a.Description).Text(a.Title)
		}),
	)
}
