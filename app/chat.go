package app

import (
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
)

// Actions Chat handles.
const (
	actionSend     = "wasmchat/send"     // value: the question text
	actionRetry    = "wasmchat/retry"    // reconnect now
	actionContinue = "wasmchat/continue" // continue an interrupted answer
	actionStop     = "wasmchat/stop"     // stop the answers streaming
	actionApp      = "wasmchat/app"      // value: the app id to ask in ("" for plain chat)
	actionTheme    = "wasmchat/theme"    // value: "system", "light" or "dark"
)

// continuePrompt is the question "continue" sends in the same conversation.
const continuePrompt = "Continue your previous answer from where it stopped."

// noWebSocket is the seed page's message for a browser without WebSocket.
const noWebSocket = "您的浏览器不支持WebSocket，无法获取数据 (this browser has no WebSocket support)"

// Chat is the chat page: the conversation, the composer and the connection
// indicator.
type Chat struct {
	app.Compo

	conv   Conversation
	status wsclient.Status
	client *wsclient.Client
	signIn bool   // no usable token: show how to sign in
	fatal  string // why the page cannot connect at all
	apps   []protocol.App
	app    string // the app questions run in; "" for plain chat
	theme  string // "system", "light" or "dark"
	// scrolledUp is set while the reader is away from the end of the
	// messages: growing answers then leave the view alone.
	scrolledUp bool
	releases   []func()
}

// OnMount restores the conversation kept in browser storage and connects
// with the token from the login link or browser storage.
func (c *Chat) OnMount(ctx app.Context) {
	ctx.Handle(actionSend, c.onSend)
	ctx.Handle(actionContinue, func(ctx app.Context, _ app.Action) { c.ask(ctx, continuePrompt) })
	ctx.Handle(actionRetry, func(app.Context, app.Action) {
		if c.client != nil {
			c.client.RetryNow()
		}
	})
	ctx.Handle(actionStop, func(ctx app.Context, _ app.Action) { c.stop(ctx) })
	ctx.Handle(actionApp, func(_ app.Context, a app.Action) { c.app, _ = a.Value.(string) })
	ctx.Handle(actionTheme, func(_ app.Context, a app.Action) {
		c.theme, _ = a.Value.(string)
		setTheme(c.theme)
	})
	if app.IsServer {
		return
	}
	c.releases = append(c.releases, app.Window().AddEventListener("click", copyCode))
	c.theme = loadTheme()
	c.conv = loadConversation()
	if !app.Window().Get("WebSocket").Truthy() {
		c.fatal = noWebSocket
		c.status = wsclient.Status{State: wsclient.Closed}
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

// OnDismount stops listening to the browser.
func (c *Chat) OnDismount() {
	for _, release := range c.releases {
		release()
	}
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
	// What was in flight when the page was last closed: resume the answers,
	// send the questions again (the server answers each client id once).
	answers, asks := c.conv.InFlight()
	for _, m := range answers {
		c.client.Track(m.Answer, len(m.Text))
	}
	for _, f := range asks {
		c.client.Ask(ctx, f)
	}
	w := app.Window()
	c.client.SetOnline(w.Get("navigator").Get("onLine").Bool())
	c.releases = append(c.releases,
		w.AddEventListener("online", func(app.Context, app.Event) { c.client.SetOnline(true) }),
		w.AddEventListener("offline", func(app.Context, app.Event) { c.client.SetOnline(false) }),
		w.AddEventListener("visibilitychange", func(app.Context, app.Event) {
			if w.Get("document").Get("visibilityState").String() == "visible" {
				c.client.RetryNow()
			}
		}),
		w.AddEventListener("keydown", func(ctx app.Context, e app.Event) {
			if e.Get("key").String() == "Escape" {
				c.stop(ctx)
			}
		}),
	)
	go c.client.Run(ctx)
}

// stop asks the server to stop every answer still streaming; each ends with
// finish "cancelled", keeping its text.
func (c *Chat) stop(ctx app.Context) {
	if c.client == nil {
		return
	}
	for _, id := range c.conv.Streaming() {
		_ = c.client.Send(ctx, protocol.ClientFrame{Type: protocol.TypeStop, Answer: id})
	}
}

func (c *Chat) apply(ctx app.Context, f protocol.ServerFrame) {
	if f.Status == protocol.StatusControl && f.Type == protocol.ControlApps {
		_ = json.Unmarshal([]byte(f.Content), &c.apps) // unreadable: no apps to offer
		return
	}
	changed := c.conv.Apply(f)
	if f.Status == protocol.StatusEnd || f.Status == protocol.StatusError || f.Type == protocol.ControlAck {
		saveConversation(&c.conv) // not per chunk, nor per pong
	}
	if !changed {
		ctx.PreventUpdate()
		return
	}
	if follow := followEnd(); follow != nil {
		ctx.Defer(follow)
	}
}

// onScroll follows whether the reader has scrolled away from the end.
func (c *Chat) onScroll(ctx app.Context, e app.Event) {
	up := !nearBottom()
	if up == c.scrolledUp {
		ctx.PreventUpdate()
		return
	}
	c.scrolledUp = up
}

func (c *Chat) jumpToLatest(ctx app.Context, e app.Event) {
	c.scrolledUp = false
	scrollToBottom(ctx)
}

func (c *Chat) onSend(ctx app.Context, a app.Action) {
	if text, _ := a.Value.(string); text != "" {
		c.ask(ctx, text)
	}
}

// ask shows a question and hands it to the client's outbox, which sends it
// now or as soon as a connection opens. The conversation is saved first, so
// a reload before the ack sends it again rather than losing it.
func (c *Chat) ask(ctx app.Context, text string) {
	id := rand.Text()
	c.conv.Ask(id, text)
	saveConversation(&c.conv)
	if c.client == nil {
		c.conv.Apply(protocol.ServerFrame{Status: protocol.StatusError, Client: id, Content: "Not connected: sign in first."})
		return
	}
	c.client.Ask(ctx, protocol.ClientFrame{Type: protocol.TypeAsk, ID: id, Conversation: c.conv.ID, Text: text, App: c.app})
	c.scrolledUp = false // the reader just asked: follow the answer
	ctx.Defer(scrollToBottom)
}

// copyCode copies a code block when its copy button is clicked. Code blocks
// are raw HTML from the markdown renderer, so their buttons are handled here
// by delegation rather than by handlers on each.
func copyCode(ctx app.Context, e app.Event) {
	btn := e.Get("target").Call("closest", "button.copy-code")
	if !btn.Truthy() {
		return
	}
	copyText(ctx, btn, btn.Get("parentElement").Get("nextElementSibling").Get("textContent").String())
}

// copyText writes text to the clipboard and says so on the button for a
// moment.
func copyText(ctx app.Context, btn app.Value, text string) {
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		return // not a secure context: the browser offers no clipboard
	}
	clip.Call("writeText", text)
	label := btn.Get("textContent").String()
	btn.Set("textContent", "Copied")
	ctx.After(1500*time.Millisecond, func(app.Context) { btn.Set("textContent", label) })
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

// followEnd is called before new text renders. When the view is at the end
// it returns what to run after the render to stay there; nil otherwise. The
// render lands at the end of go-app's frame, and the reader may scroll up in
// between: then the view is left where the reader put it.
func followEnd() func(app.Context) {
	if !nearBottom() {
		return nil
	}
	el := app.Window().GetElementByID("messages")
	top := el.Get("scrollTop").Float()
	return func(ctx app.Context) {
		if el.Get("scrollTop").Float() >= top-1 {
			scrollToBottom(ctx)
		}
	}
}

func scrollToBottom(ctx app.Context) {
	if el := app.Window().GetElementByID("messages"); el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight"))
	}
}

// Render shows the page.
func (c *Chat) Render() app.UI {
	streaming := len(c.conv.Streaming()) > 0
	return app.Div().Class("chat").Body(
		app.Header().Class("topbar").Body(
			app.H1().Class("brand").Text("wasmchat"),
			&picker{ID: "app", Label: "App", Action: actionApp, Choices: appChoices(c.apps), Selected: c.app},
			&picker{ID: "theme", Label: "Theme", Action: actionTheme, Choices: themeChoices, Selected: c.theme},
			&connectionView{State: string(c.status.State), RetryAt: c.status.RetryAt, SignIn: c.signIn, Fatal: c.fatal},
		),
		app.Main().ID("messages").Class("messages").Aria("live", "polite").OnScroll(c.onScroll).Body(
			app.If(len(c.conv.Messages) == 0,
				app.Div().Class("empty").Body(
					app.H2().Text("Ask anything"),
					app.P().Text("Answers stream in as the model writes them."),
				),
			),
			app.Range(c.conv.Messages).Slice(func(i int) app.UI {
				m := c.conv.Messages[i]
				return &messageView{Role: m.Role, Text: m.Text, Ended: m.Ended, Finish: m.Finish, Error: m.Error, Usage: m.Usage}
			}),
		),
		app.If(c.scrolledUp && streaming,
			app.Button().ID("jump").Class("jump").Type("button").Text("Jump to latest ↓").OnClick(c.jumpToLatest),
		),
		app.If(c.conv.Notice != "", app.P().Class("notice").Role("alert").Text(c.conv.Notice)),
		&composer{Streaming: streaming},
	)
}

// appChoices offers plain chat and the server's apps, once it has listed
// them.
func appChoices(apps []protocol.App) []choice {
	if len(apps) == 0 {
		return nil
	}
	out := []choice{{Value: "", Text: "Chat"}}
	for _, a := range apps {
		out = append(out, choice{Value: a.ID, Text: a.Title, Title: a.Description})
	}
	return out
}

var themeChoices = []choice{
	{Value: "system", Text: "System theme"},
	{Value: "light", Text: "Light"},
	{Value: "dark", Text: "Dark"},
}
