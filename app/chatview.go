package app

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// Render shows the page.
func (c *Chat) Render() app.UI {
	query, hits := c.s.Hits()
	signIn := c.s.Status().Unauthorized
	return app.Div().Class("shell").Body(
		// For keyboard users: the first Tab offers the question box.
		app.Button().Class("skip").Type("button").Text(tr(c.lang).Skip).OnClick(func(ctx app.Context, e app.Event) {
			app.Window().GetElementByID("composer").Call("focus")
		}),
		&sidebar{List: c.s.List(), Current: c.s.Conversation().ID, Query: query, Hits: hits, Open: c.drawer, Lang: c.lang, Installable: c.installable,
			Shares:   c.shareLinks(),
			Settings: settings{Server: c.servers.Base, Choosable: len(c.servers.Allowed) > 0, Open: signIn, Err: c.settingsErr, Me: c.s.Me()}},
		slot(c.drawer, app.Div().Class("scrim").OnClick(func(ctx app.Context, e app.Event) { c.drawer = false })),
		c.renderChat(),
		slot(c.offered != "", &accountSwitch{Offered: c.offeredName, Current: c.s.Me(), Lang: c.lang}),
	)
}

func (c *Chat) renderChat() app.UI {
	t, conv, streaming := tr(c.lang), c.s.Conversation(), c.s.Streaming()
	busy := conv.Busy()
	msgs, earlier := c.s.Shown()
	apps, chosen := c.s.Apps()
	models, model := c.s.Models()
	status := c.s.Status()
	return app.Div().Class("chat").Body(
		app.Header().Class("topbar").Body(
			app.Button().ID("menu").Class("menu").Type("button").Aria("label", t.Conversations).Aria("expanded", c.drawer).Text("☰").
				OnClick(func(ctx app.Context, e app.Event) { c.drawer = !c.drawer }),
			app.H1().Class("brand").Text("wasmchat"),
			&picker{ID: "app", Label: t.App, Action: actionApp, Choices: appChoices(apps, t), Selected: chosen},
			&picker{ID: "model", Label: t.Model, Action: actionModel, Choices: modelChoices(models), Selected: model},
			&picker{ID: "theme", Label: t.Theme, Action: actionTheme, Choices: themeChoices(t), Selected: c.theme},
			&picker{ID: "language", Label: t.Language, Action: actionLanguage, Choices: languageChoices, Selected: c.lang},
			&connectionView{State: string(status.State), RetryAt: status.RetryAt, SignIn: status.Unauthorized, Fatal: c.fatal, Lang: c.lang},
			&instructionsView{System: conv.System, Temperature: temperatureText(conv.Temperature), Err: c.instructionsErr, Lang: c.lang},
		),
		slot(c.updateReady,
			app.Div().ID("update").Class("update").Role("status").Body(
				app.Span().Text(t.UpdateReady),
				app.Button().ID("reload").Type("button").Text(t.Reload).OnClick(func(ctx app.Context, e app.Event) { ctx.Reload() }),
			),
		),
		app.Main().ID("messages").Class("messages").Body(
			slot(len(conv.Messages) == 0,
				app.Div().Class("empty").Body(
					app.H2().Text(t.AskAnything),
					app.P().Text(t.AnswersStream),
				),
			),
			slot(earlier > 0 || conv.More,
				app.Button().ID("earlier").Class("earlier").Type("button").Text(earlierLabel(earlier, t)).
					OnClick(func(ctx app.Context, e app.Event) { c.s.ShowEarlier() }),
			),
			app.Range(msgs).Slice(func(i int) app.UI {
				m := msgs[i]
				v := &messageView{Role: m.Role, Text: m.Text, Ended: m.Ended, Finish: m.Finish, Error: m.Error, Usage: m.Usage, Model: m.Model, Lang: c.lang, Msg: m,
					View: c.view, Replace: c.s.Replaceable(msgs, i)}
				v.Branch, v.Branches, v.PrevBranch, v.NextBranch = conv.Branch(m)
				v.Attachments = m.Attachments
				if busy {
					v.PrevBranch, v.NextBranch = "", "" // the page's copy is ahead of the server's
				}
				return v
			}),
		),
		slot(c.scrolledUp && streaming,
			app.Button().ID("jump").Class("jump").Type("button").Text(t.JumpToLatest).OnClick(c.jumpToLatest),
		),
		slot(conv.Notice != "", app.P().Class("notice").Role("alert").Text(conv.Notice)),
		&composer{Streaming: streaming, Lang: c.lang, Files: c.chips(), Waiting: c.waiting},
	)
}

// appChoices offers plain chat and the server's apps, once it has listed
// them.
func appChoices(apps []protocol.App, t *texts) []choice {
	if len(apps) == 0 {
		return nil
	}
	out := []choice{{Value: "", Text: t.PlainChat}}
	for _, a := range apps {
		out = append(out, choice{Value: a.ID, Text: a.Title, Title: a.Description})
	}
	return out
}

// modelChoices offers the server's models, when it offers a choice.
func modelChoices(models []string) []choice {
	if len(models) < 2 {
		return nil
	}
	out := make([]choice, len(models))
	for i, m := range models {
		out[i] = choice{Value: m, Text: m}
	}
	return out
}

func themeChoices(t *texts) []choice {
	return []choice{
		{Value: "system", Text: t.SystemTheme},
		{Value: "light", Text: t.Light},
		{Value: "dark", Text: t.Dark},
	}
}

func earlierLabel(n int, t *texts) string {
	if n == 0 {
		return t.ShowEarlier
	}
	return fmt.Sprintf(t.ShowEarlierN, n)
}

// shareLinks are the share links' addresses, by conversation.
func (c *Chat) shareLinks() map[string]string {
	out := make(map[string]string, len(c.s.Shares()))
	for id, path := range c.s.Shares() {
		out[id] = c.servers.Base + path
	}
	return out
}
