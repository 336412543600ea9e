package app

import (
	"crypto/rand"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
)

// Actions Chat handles.
const (
	actionSend  = "wasmchat/send"  // value: the question text
	actionRetry = "wasmchat/retry" // reconnect now
)

// Chat is the chat page: the conversation, the composer and the connection
// indicator.
type Chat struct {
	app.Compo

	conv   Conversation
	status wsclient.Status
	client *wsclient.Client
	signIn bool // no token: show how to sign in
}

// OnMount connects to the server with the token from the login link or
// browser storage.
func (c *Chat) OnMount(ctx app.Context) {
	ctx.Handle(actionSend, c.onSend)
	ctx.Handle(actionRetry, func(ctx app.Context, _ app.Action) {
		if c.client != nil {
			c.client.RetryNow()
		}
	})
	if app.IsServer {
		return
	}
	token := takeToken()
	if token == "" {
		c.signIn = true
		c.status = wsclient.Status{State: wsclient.Closed, Unauthorized: true}
		return
	}
	c.connect(ctx, endpointURL(protocol.ChannelChat), token)
}

// connect starts the client. Its callbacks run on the client's goroutine
// and hand every change to the UI goroutine with Dispatch. Run is a plain
// goroutine bound to ctx, not ctx.Async, which go-app's test dispatcher
// would wait on forever.
func (c *Chat) connect(ctx app.Context, url, token string) {
	c.client = wsclient.New(wsclient.Config{
		URL:   url,
		Token: token,
		OnFrame: func(f protocol.ServerFrame) {
			ctx.Dispatch(func(ctx app.Context) { c.apply(ctx, f) })
		},
		OnState: func(s wsclient.Status) {
			ctx.Dispatch(func(app.Context) {
				c.status = s
				c.signIn = s.Unauthorized
			})
		},
	})
	go c.client.Run(ctx)
}

func (c *Chat) apply(ctx app.Context, f protocol.ServerFrame) {
	changed, resume := c.conv.Apply(f)
	if resume != nil {
		c.send(ctx, *resume)
	}
	if !changed {
		ctx.PreventUpdate()
		return
	}
	ctx.Defer(scrollToBottom)
}

func (c *Chat) onSend(ctx app.Context, a app.Action) {
	text, _ := a.Value.(string)
	if text == "" {
		return
	}
	id := rand.Text()
	c.conv.Ask(id, text)
	c.send(ctx, protocol.ClientFrame{Type: protocol.TypeAsk, ID: id, Conversation: c.conv.ID, Text: text})
	ctx.Defer(scrollToBottom)
}

// send writes a frame; when it cannot, the answer it was for says so.
func (c *Chat) send(ctx app.Context, f protocol.ClientFrame) {
	if c.client == nil {
		c.fail(f, "Not connected: sign in first.")
		return
	}
	if err := c.client.Send(ctx, f); err != nil {
		c.fail(f, "Not connected: your question was not sent. Send it again once connected.")
	}
}

func (c *Chat) fail(f protocol.ClientFrame, msg string) {
	c.conv.Apply(protocol.ServerFrame{Status: protocol.StatusError, Client: f.ID, Answer: f.Answer, Content: msg})
}

// nearBottom reports whether the message list is scrolled to (about) its
// end, so growing text may scroll it without taking the view from a reader
// who scrolled up.
func nearBottom() bool {
	el := app.Window().GetElementByID("messages")
	if !el.Truthy() {
		return false
	}
	return el.Get("scrollHeight").Float()-el.Get("scrollTop").Float()-el.Get("clientHeight").Float() < 80
}

func scrollToBottom(ctx app.Context) {
	if el := app.Window().GetElementByID("messages"); el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight"))
	}
}

// Render shows the page.
func (c *Chat) Render() app.UI {
	return app.Div().Class("chat").Body(
		app.Header().Class("topbar").Body(
			app.H1().Class("brand").Text("wasmchat"),
			&connectionView{State: string(c.status.State), RetryAt: c.status.RetryAt, SignIn: c.signIn},
		),
		app.Main().ID("messages").Class("messages").Aria("live", "polite").Body(
			app.If(len(c.conv.Messages) == 0,
				app.Div().Class("empty").Body(
					app.H2().Text("Ask anything"),
					app.P().Text("Answers stream in as the model writes them."),
				),
			),
			app.Range(c.conv.Messages).Slice(func(i int) app.UI {
				m := c.conv.Messages[i]
				return &messageView{Role: m.Role, Text: m.Text, Ended: m.Ended, Finish: m.Finish, Error: m.Error}
			}),
		),
		app.If(c.conv.Notice != "", app.P().Class("notice").Role("alert").Text(c.conv.Notice)),
		&composer{},
	)
}
