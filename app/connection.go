package app

import (
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/wsclient"
)

// connectionView is the #connection indicator.
type connectionView struct {
	app.Compo

	State   string
	RetryAt time.Time
	SignIn  bool
}

func (v *connectionView) label() string {
	switch {
	case v.SignIn:
		return "Signed out: open your login link to sign in again"
	case v.State == string(wsclient.Open):
		return "Connected"
	case v.State == string(wsclient.Reconnecting):
		return "Reconnecting…"
	case v.State == string(wsclient.Offline):
		return "Offline"
	case v.State == string(wsclient.Closed):
		return "Disconnected"
	}
	return "Connecting…"
}

// Render shows the indicator, with "retry now" while reconnecting.
func (v *connectionView) Render() app.UI {
	state := v.State
	if state == "" {
		state = string(wsclient.Connecting)
	}
	return app.Div().ID("connection").Class("connection", state).DataSet("state", state).Role("status").Body(
		app.Span().Class("dot").Aria("hidden", "true"),
		app.Span().Class("label").Text(v.label()),
		app.If(state == string(wsclient.Reconnecting),
			app.Button().Class("link").Text("Retry now").OnClick(func(ctx app.Context, e app.Event) {
				ctx.NewAction(actionRetry)
			}),
		),
	)
}
