package app

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/wsclient"
)

// connectionView is the #connection indicator. While reconnecting it counts
// down to the next attempt, once a second, and offers "retry now".
type connectionView struct {
	app.Compo

	State   string
	RetryAt time.Time
	SignIn  bool
	Fatal   string
	Lang    string

	counting bool
}

func (v *connectionView) OnMount(ctx app.Context)  { v.count(ctx) }
func (v *connectionView) OnUpdate(ctx app.Context) { v.count(ctx) }

// count re-renders every second while a countdown is showing.
func (v *connectionView) count(ctx app.Context) {
	if v.counting || v.State != string(wsclient.Reconnecting) || time.Until(v.RetryAt) < time.Second {
		return
	}
	v.counting = true
	ctx.After(time.Second, func(ctx app.Context) {
		v.counting = false
		v.count(ctx)
	})
}

func (v *connectionView) label() string {
	t := tr(v.Lang)
	switch {
	case v.Fatal != "":
		return v.Fatal
	case v.SignIn:
		return t.SignedOut
	case v.State == string(wsclient.Open):
		return t.Connected
	case v.State == string(wsclient.Reconnecting):
		if s := int(time.Until(v.RetryAt).Round(time.Second).Seconds()); s >= 1 {
			return fmt.Sprintf(t.ReconnectingIn, s)
		}
		return t.Reconnecting
	case v.State == string(wsclient.Offline):
		return t.Offline
	case v.State == string(wsclient.Closed):
		return t.Disconnected
	}
	return t.Connecting
}

// Render shows the indicator.
func (v *connectionView) Render() app.UI {
	state := v.State
	if state == "" {
		state = string(wsclient.Connecting)
	}
	return app.Div().ID("connection").Class("connection", state).DataSet("state", state).Role("status").Body(
		app.Span().Class("dot").Aria("hidden", "true"),
		app.Span().Class("label").Text(v.label()),
		app.If(state == string(wsclient.Reconnecting),
			app.Button().ID("retry").Class("link").Text(tr(v.Lang).RetryNow).OnClick(func(ctx app.Context, e app.Event) {
				ctx.NewAction(actionRetry)
			}),
		),
	)
}
