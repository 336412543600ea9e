package app

import (
	"context"
	"fmt"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
)

// offerSwitch asks the reader whether to switch to the account of a login
// link's token (offered) rather than sign in with it silently: the page
// goes on as the account in use until they say yes. It asks the server
// whom the link signs in as, to say so.
func (c *Chat) offerSwitch(ctx app.Context, offered string) {
	if offered == "" || c.servers.Base == "" {
		return
	}
	c.offered = offered
	api := session.HTTP{Base: c.servers.Base, Token: offered}
	go func() {
		name, err := api.Me(context.Background())
		ctx.Dispatch(func(app.Context) {
			if err == nil && c.offered == offered {
				c.offeredName = name
			}
		})
	}()
}

// switchAccount signs in with the offered token and starts the page anew
// as that account. What the account in use kept (its conversations, the
// questions waiting in its outbox) stays under it in storage, for when it
// signs in again: it is never sent with the new token.
func (c *Chat) switchAccount(ctx app.Context) {
	if c.offered == "" {
		return
	}
	localStorage.Set(c.servers.tokenKey(c.servers.Base), c.offered)
	ctx.Reload()
}

// accountSwitch is the question a login link for another account asks.
type accountSwitch struct {
	app.Compo

	Offered, Current string // whom each token signs in as; "" not known (yet)
	Lang             string
}

// Render shows the question, over the page.
func (s *accountSwitch) Render() app.UI {
	t := tr(s.Lang)
	offered, current := s.Offered, s.Current
	if offered == "" {
		offered = t.AnotherAccount
	}
	if current == "" {
		current = t.AnotherAccount
	}
	return app.Div().ID("switch").Class("switch").Role("alertdialog").Aria("labelledby", "switch-text").Body(
		app.P().ID("switch-text").Text(fmt.Sprintf(t.SwitchAccount, offered, current)),
		app.Div().Class("switch-actions").Body(
			app.Button().ID("switch-yes").Type("button").Class("send").Text(t.Switch).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionSwitch) }),
			app.Button().ID("switch-no").Type("button").Text(t.Stay).
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionStay) }),
		),
	)
}
