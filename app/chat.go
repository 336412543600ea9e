package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
	actionLanguage = "wasmchat/language" // value: "en" or "zh-CN"
	actionEdit     = "wasmchat/edit"     // value: [2]string{answer id, new question}
	actionRegen    = "wasmchat/regen"    // value: the answer id to regenerate
)

// noWebSocket is the seed page's message for a browser without WebSocket.
const noWebSocket = "您的浏览器不支持WebSocket，无法获取数据 (this browser has no WebSocket support)"

// pageSize is how many of a conversation's last messages render at first;
// "show earlier" adds as many again. A conversation of 1,000 messages opens
// as fast as one of 100.
const pageSize = 50

// Chat is the chat page: the sidebar of conversations, the conversation on
// screen, the composer and the connection indicator.
type Chat struct {
	app.Compo

	// start is what the program readied before the first render: the
	// server, the token and the WebSocket's first dial. Nil in tests.
	start *start

	conv *Conversation // on screen
	// open holds the conversations loaded this session, by openKey: frames
	// of answers streaming in a conversation not on screen still land in it.
	open   map[string]*Conversation
	list   []Summary // the sidebar, newest first
	shown  int       // how many of the last messages render
	api    *apiClient
	drawer bool // the sidebar drawer is open (phones)
	query  string
	hits   []Hit

	status wsclient.Status
	client *wsclient.Client
	signIn bool   // no usable token: show how to sign in
	fatal  string // why the page cannot connect at all
	apps   []protocol.App
	// canReplace: the server can continue a conversation from an earlier
	// point, so questions offer "edit" and the last answer "regenerate".
	canReplace bool
	app        string // the app questions run in; "" for plain chat
	theme      string // "system", "light" or "dark"
	lang       string // the page's language: "en" or "zh-CN"
	// scrolledUp is set while the reader is away from the end of the
	// messages: growing answers then leave the view alone.
	scrolledUp bool
	releases   []func()

	servers     servers // the server talked to, and the others allowed
	settingsErr string  // why the settings last typed were refused
	updateReady bool    // a new version is installed: offer to reload
	installable bool    // the browser offers to install the page as an app
}

// OnInit readies an empty page before the first render.
func (c *Chat) OnInit() {
	c.conv, c.open, c.shown, c.lang = &Conversation{}, make(map[string]*Conversation), pageSize, langEnglish
}

// OnMount restores the conversation kept in browser storage and connects
// with the token from the login link or browser storage.
func (c *Chat) OnMount(ctx app.Context) {
	ctx.Handle(actionSend, c.onSend)
	ctx.Handle(actionContinue, func(ctx app.Context, _ app.Action) { c.ask(ctx, tr(c.lang).ContinuePrompt, "") })
	ctx.Handle(actionEdit, func(ctx app.Context, a app.Action) {
		v := a.Value.([2]string)
		c.ask(ctx, v[1], v[0])
	})
	ctx.Handle(actionRegen, func(ctx app.Context, a app.Action) {
		answer := a.Value.(string)
		if q := c.conv.Question(answer); q != "" {
			c.ask(ctx, q, answer)
		}
	})
	ctx.Handle(actionRetry, func(app.Context, app.Action) {
		if c.client != nil {
			c.client.RetryNow()
		}
	})
	ctx.Handle(actionStop, func(ctx app.Context, _ app.Action) { c.stop(ctx) })
	ctx.Handle(actionApp, func(_ app.Context, a app.Action) { c.app, _ = a.Value.(string) })
	ctx.Handle(actionTheme, func(_ app.Context, a app.Action) {
		theme, _ := a.Value.(string)
		c.theme = setTheme(theme)
	})
	ctx.Handle(actionLanguage, func(_ app.Context, a app.Action) {
		c.lang, _ = a.Value.(string)
		setLanguage(c.lang)
	})
	ctx.Handle(actionOpen, func(ctx app.Context, a app.Action) { c.openConversation(ctx, a.Value.(string)) })
	ctx.Handle(actionNew, func(ctx app.Context, _ app.Action) { c.newChat(ctx) })
	ctx.Handle(actionRename, func(ctx app.Context, a app.Action) { c.rename(ctx, a.Value.([2]string)) })
	ctx.Handle(actionDelete, func(ctx app.Context, a app.Action) { c.remove(ctx, a.Value.(string)) })
	ctx.Handle(actionSearch, func(ctx app.Context, a app.Action) { c.search(ctx, a.Value.(string)) })
	ctx.Handle(actionDrawer, func(_ app.Context, a app.Action) { c.drawer, _ = a.Value.(bool) })
	ctx.Handle(actionInstall, func(ctx app.Context, _ app.Action) {
		ctx.ShowAppInstallPrompt()
		c.installable = false // an offer serves once; the browser makes a new one if declined
	})
	ctx.Handle(actionSettings, func(ctx app.Context, a app.Action) {
		v := a.Value.([2]string)
		c.saveSettings(ctx, v[0], v[1])
	})
	if app.IsServer {
		return
	}
	if c.start == nil {
		c.start = &start{servers: pageServers(), token: takeToken()}
	}
	c.servers = c.start.servers
	c.installable = ctx.IsAppInstallable()
	c.releases = append(c.releases, app.Window().AddEventListener("click", c.copyCode))
	ctx.Defer(c.listenScroll) // once #messages is in the page
	c.theme = loadTheme()
	c.lang = loadLanguage()
	c.conv = loadConversation()
	c.open[openKey(c.conv)] = c.conv
	c.list = loadList()
	if !app.Window().Get("WebSocket").Truthy() {
		c.fatal = noWebSocket
		c.status = wsclient.Status{State: wsclient.Closed}
		return
	}
	defer c.askEarly(ctx)
	token := c.start.token
	if token == "" || c.servers.Base == "" {
		c.signIn = true
		c.status = wsclient.Status{State: wsclient.Closed, Unauthorized: true}
		return
	}
	c.api = &apiClient{base: c.servers.Base, token: token}
	c.connect(ctx, protocol.WebSocketURL(c.servers.Base, protocol.ChannelChat), token)
	c.refreshList(ctx)
}

// askEarly asks the questions sent before the Go program ran. They were
// typed into the prerendered page, which shows a new chat, so they start
// one rather than continue the conversation kept from last time (which
// stays in the sidebar). Like any question they wait in the outbox until
// the server has them.
func (c *Chat) askEarly(ctx app.Context) {
	questions := takeEarly()
	if len(questions) == 0 {
		return
	}
	if c.conv.ID != "" || len(c.conv.Messages) > 0 {
		c.show(ctx, &Conversation{})
	}
	for _, q := range questions {
		c.ask(ctx, q, "")
	}
}

// OnAppUpdate is go-app's news that a new version of the page is
// installed (its service worker found one): the page offers to reload.
func (c *Chat) OnAppUpdate(ctx app.Context) { c.updateReady = ctx.AppUpdateAvailable() }

// OnAppInstallChange follows whether the browser offers to install the
// page as an app; the sidebar shows "Install app" while it does.
func (c *Chat) OnAppInstallChange(ctx app.Context) { c.installable = ctx.IsAppInstallable() }

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
		Dial:  c.start.dial,
		OnFrame: func(f protocol.ServerFrame) {
			// Next, not Update: apply decides what renders again. A chunk
			// re-renders its message alone, not the page of 500 messages
			// and 1,000 conversations (go-app's Update would, and
			// PreventUpdate cannot stop it there).
			ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Next, Source: c, Function: func(ctx app.Context) { c.apply(ctx, f) }})
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
	online := w.Get("navigator").Get("onLine").Bool()
	c.client.SetOnline(online)
	if !online {
		// Shown with the history, not after a "connecting" first.
		c.status = wsclient.Status{State: wsclient.Offline}
	}
	c.releases = append(c.releases,
		w.AddEventListener("online", func(app.Context, app.Event) { c.client.SetOnline(true) }),
		w.AddEventListener("offline", func(app.Context, app.Event) { c.client.SetOnline(false) }),
		w.AddEventListener("visibilitychange", func(app.Context, app.Event) {
			if w.Get("document").Get("visibilityState").String() == "visible" {
				c.client.RetryNow()
			}
		}),
		w.AddEventListener("keydown", func(ctx app.Context, e app.Event) {
			switch key := e.Get("key").String(); {
			case key == "Escape":
				c.stop(ctx)
			case (key == "k" || key == "K") && (e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool()):
				e.PreventDefault()
				c.newChat(ctx)
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
	if f.Status == protocol.StatusControl {
		switch f.Type {
		case protocol.ControlApps:
			_ = json.Unmarshal([]byte(f.Content), &c.apps) // unreadable: no apps to offer
			c.Update()
			return
		case protocol.ControlFeatures:
			var features []string
			_ = json.Unmarshal([]byte(f.Content), &features) // unreadable: none
			c.canReplace = slices.Contains(features, protocol.FeatureReplace)
			c.Update()
			return
		case protocol.ControlHello:
			if f.Content != app.Getenv("GOAPP_VERSION") {
				checkForUpdate()
			}
		}
	}
	conv := c.target(f)
	key := openKey(conv)
	// An ack changes nothing shown but the stop button, which it brings.
	changed := conv.Apply(f) || f.Type == protocol.ControlAck
	if f.Type == protocol.ControlAck && conv.ID != "" && key != conv.ID {
		// A new chat got its id: the sidebar lists it from now on.
		delete(c.open, key)
		c.open[conv.ID] = conv
		c.list = touch(c.list, conv.ID, conv.Title(), time.Now())
		saveList(c.list)
	}
	if f.Status == protocol.StatusEnd || f.Status == protocol.StatusError || f.Type == protocol.ControlAck {
		// Saved on these, not per chunk, nor per pong.
		if conv == c.conv {
			saveConversation(conv)
		} else {
			cacheConversation(conv)
		}
		if f.Status == protocol.StatusEnd && conv.ID != "" {
			c.list = touch(c.list, conv.ID, conv.Title(), time.Now())
			saveList(c.list)
			changed = true
		}
	}
	if !changed || conv != c.conv {
		return
	}
	if f.Status == protocol.StatusChunk {
		if v := liveViews[conv.byAnswer(f.Answer)]; v != nil {
			v.refresh() // it follows the end when it renders, as its ticks do
			return
		}
	}
	if follow := followEnd(); follow != nil {
		ctx.Defer(follow)
	}
	c.Update()
}

// target returns the conversation frame f is about: the one on screen, or
// another loaded this session.
func (c *Chat) target(f protocol.ServerFrame) *Conversation {
	if c.conv.Has(f) {
		return c.conv
	}
	for _, conv := range c.open {
		if conv.Has(f) {
			return conv
		}
	}
	return c.conv
}

// openKey is the key of conv in Chat.open: its id, or for a new chat not
// yet acknowledged, its first question's client id.
func openKey(conv *Conversation) string {
	if conv.ID != "" || len(conv.Messages) == 0 {
		return conv.ID
	}
	return "new:" + conv.Messages[0].Client
}

// listenScroll follows the message list's scroll events with a plain
// listener, not go-app's OnScroll: go-app re-renders the whole page after
// each event handler (the page scrolls itself once per typewriter tick), and
// its PreventUpdate, once called from an event handler, stays in force for
// the component's later events too.
func (c *Chat) listenScroll(ctx app.Context) {
	el := app.Window().GetElementByID("messages")
	if !el.Truthy() {
		return
	}
	onScroll := app.FuncOf(func(app.Value, []app.Value) any {
		ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Next, Source: c, Function: c.scrolled})
		return nil
	})
	el.Call("addEventListener", "scroll", onScroll, map[string]any{"passive": true})
	c.releases = append(c.releases, func() {
		el.Call("removeEventListener", "scroll", onScroll)
		onScroll.Release()
	})
}

// scrolled follows whether the reader has scrolled away from the end; the
// page renders again only when that changes (the "jump to latest" button).
func (c *Chat) scrolled(ctx app.Context) {
	el := app.Window().GetElementByID("messages")
	if !el.Truthy() {
		return
	}
	top := el.Get("scrollTop").Float()
	up := top < autoTop-1 && !nearBottom()
	if !up {
		autoTop = top
	}
	following = !up
	if up != c.scrolledUp {
		c.scrolledUp = up
		c.Update()
	}
}

func (c *Chat) jumpToLatest(ctx app.Context, e app.Event) {
	c.scrolledUp = false
	scrollToBottom(ctx)
}

func (c *Chat) onSend(ctx app.Context, a app.Action) {
	if text, _ := a.Value.(string); text != "" {
		c.ask(ctx, text, "")
	}
}

// ask shows a question and hands it to the client's outbox, which sends it
// now or as soon as a connection opens. The conversation is saved first, so
// a reload before the ack sends it again rather than losing it. With
// replace (an answer id), the question takes the place of that answer's
// question and all after it: edit and resend, or regenerate.
func (c *Chat) ask(ctx app.Context, text, replace string) {
	id := rand.Text()
	wasNew := c.conv.ID == "" && len(c.conv.Messages) == 0
	if replace == "" {
		c.conv.Ask(id, text)
	} else if !c.conv.Replace(replace, id, text) {
		return
	}
	if wasNew {
		c.open[openKey(c.conv)] = c.conv
	}
	saveConversation(c.conv)
	if c.client == nil {
		c.conv.Apply(protocol.ServerFrame{Status: protocol.StatusError, Client: id, Content: tr(c.lang).NotConnected})
		return
	}
	c.client.Ask(ctx, protocol.ClientFrame{Type: protocol.TypeAsk, ID: id, Conversation: c.conv.ID, Text: text, App: c.app, Replace: replace})
	c.scrolledUp = false // the reader just asked: follow the answer
	ctx.Defer(scrollToBottom)
}

// copyCode copies a code block when its copy button is clicked. Code blocks
// are raw HTML from the markdown renderer, so their buttons are handled here
// by delegation rather than by handlers on each.
func (c *Chat) copyCode(ctx app.Context, e app.Event) {
	btn := e.Get("target").Call("closest", "button.copy-code")
	if !btn.Truthy() {
		return
	}
	copyText(ctx, btn, btn.Get("parentElement").Get("nextElementSibling").Get("textContent").String(), tr(c.lang).Copied)
}

// copyText writes text to the clipboard and says so on the button for a
// moment.
func copyText(ctx app.Context, btn app.Value, text, copied string) {
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		return // not a secure context: the browser offers no clipboard
	}
	clip.Call("writeText", text)
	label := btn.Get("textContent").String()
	btn.Set("textContent", copied)
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

// following is whether growing text keeps the view at the end: false once
// the reader scrolls up, true again at the end, on "jump to latest" or on
// asking. Kept from scroll events, so a tick reads no layout to decide.
var following = true

// autoTop is where the page last scrolled the view itself: a scroll event
// above it is the reader's.
var autoTop float64

// followEnd is called before new text renders. While following it returns
// what to run after the render to stay at the end; nil otherwise. The
// render lands at the end of go-app's frame, and the reader may scroll up in
// between: then the view is left where the reader put it.
func followEnd() func(app.Context) {
	if !following {
		return nil
	}
	return func(ctx app.Context) {
		el := app.Window().GetElementByID("messages")
		if !following || !el.Truthy() {
			return
		}
		if el.Get("scrollTop").Float() < autoTop-1 {
			// The reader scrolled up since the page last did, and the
			// scroll event has not come yet: leave the view there.
			following = false
			return
		}
		scrollToBottom(ctx)
	}
}

func scrollToBottom(ctx app.Context) {
	if el := app.Window().GetElementByID("messages"); el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight"))
		autoTop, following = el.Get("scrollTop").Float(), true
	}
}

// Render shows the page.
func (c *Chat) Render() app.UI {
	streaming := len(c.conv.Streaming()) > 0
	msgs := c.conv.Messages
	earlier := max(0, len(msgs)-c.shown)
	msgs = msgs[earlier:]
	return app.Div().Class("shell").Body(
		// For keyboard users: the first Tab offers the question box.
		app.Button().Class("skip").Type("button").Text(tr(c.lang).Skip).OnClick(func(ctx app.Context, e app.Event) {
			app.Window().GetElementByID("composer").Call("focus")
		}),
		&sidebar{List: c.list, Current: c.conv.ID, Query: c.query, Hits: c.hits, Open: c.drawer, Lang: c.lang, Installable: c.installable,
			Settings: settings{Server: c.servers.Base, Choosable: len(c.servers.Allowed) > 0, Open: c.signIn, Err: c.settingsErr}},
		slot(c.drawer, app.Div().Class("scrim").OnClick(func(ctx app.Context, e app.Event) { c.drawer = false })),
		c.renderChat(streaming, earlier, msgs),
	)
}

func (c *Chat) renderChat(streaming bool, earlier int, msgs []*Message) app.UI {
	t := tr(c.lang)
	return app.Div().Class("chat").Body(
		app.Header().Class("topbar").Body(
			app.Button().ID("menu").Class("menu").Type("button").Aria("label", t.Conversations).Aria("expanded", c.drawer).Text("☰").
				OnClick(func(ctx app.Context, e app.Event) { c.drawer = !c.drawer }),
			app.H1().Class("brand").Text("wasmchat"),
			&picker{ID: "app", Label: t.App, Action: actionApp, Choices: appChoices(c.apps, t), Selected: c.app},
			&picker{ID: "theme", Label: t.Theme, Action: actionTheme, Choices: themeChoices(t), Selected: c.theme},
			&picker{ID: "language", Label: t.Language, Action: actionLanguage, Choices: languageChoices, Selected: c.lang},
			&connectionView{State: string(c.status.State), RetryAt: c.status.RetryAt, SignIn: c.signIn, Fatal: c.fatal, Lang: c.lang},
		),
		slot(c.updateReady,
			app.Div().ID("update").Class("update").Role("status").Body(
				app.Span().Text(t.UpdateReady),
				app.Button().ID("reload").Type("button").Text(t.Reload).OnClick(func(ctx app.Context, e app.Event) { ctx.Reload() }),
			),
		),
		app.Main().ID("messages").Class("messages").Body(
			slot(len(c.conv.Messages) == 0,
				app.Div().Class("empty").Body(
					app.H2().Text(t.AskAnything),
					app.P().Text(t.AnswersStream),
				),
			),
			slot(earlier > 0 || c.conv.More,
				app.Button().ID("earlier").Class("earlier").Type("button").Text(earlierLabel(earlier, t)).
					OnClick(func(ctx app.Context, e app.Event) { c.showEarlier(ctx) }),
			),
			app.Range(msgs).Slice(func(i int) app.UI {
				m := msgs[i]
				return &messageView{Role: m.Role, Text: m.Text, Ended: m.Ended, Finish: m.Finish, Error: m.Error, Usage: m.Usage, Lang: c.lang, Msg: m,
					Replace: c.replaceable(msgs, i, streaming)}
			}),
		),
		slot(c.scrolledUp && streaming,
			app.Button().ID("jump").Class("jump").Type("button").Text(t.JumpToLatest).OnClick(c.jumpToLatest),
		),
		slot(c.conv.Notice != "", app.P().Class("notice").Role("alert").Text(c.conv.Notice)),
		&composer{Streaming: streaming, Lang: c.lang},
	)
}

// replaceable returns the answer id that message i of msgs may replace,
// or "": a question offers "edit" when its answer is known, the last answer
// "regenerate"; neither while an answer streams or when the server cannot.
func (c *Chat) replaceable(msgs []*Message, i int, streaming bool) string {
	if !c.canReplace || streaming {
		return ""
	}
	m := msgs[i]
	switch {
	case m.Role == RoleUser && i+1 < len(msgs) && msgs[i+1].Role == RoleAssistant && msgs[i+1].Ended:
		return msgs[i+1].Answer
	case m.Role == RoleAssistant && i == len(msgs)-1 && m.Ended:
		return m.Answer
	}
	return ""
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

func themeChoices(t *texts) []choice {
	return []choice{
		{Value: "system", Text: t.SystemTheme},
		{Value: "light", Text: t.Light},
		{Value: "dark", Text: t.Dark},
	}
}

// refreshList loads the sidebar from the server; offline, the list kept
// in browser storage stays.
func (c *Chat) refreshList(ctx app.Context) {
	api := c.api
	go func() {
		list, err := api.list(context.Background())
		ctx.Dispatch(func(app.Context) {
			if err == nil {
				c.list = list
				saveList(list)
			}
		})
	}()
}

// openConversation shows conversation id: at once from memory or the copy
// kept offline, then as the server has it.
func (c *Chat) openConversation(ctx app.Context, id string) {
	c.drawer = false
	if id == "" || (id == c.conv.ID && !c.conv.Busy() && len(c.conv.Messages) > 0) {
		return
	}
	conv, ok := c.open[id]
	if !ok {
		if conv = loadCached(id); conv == nil {
			conv = &Conversation{ID: id, Notice: tr(c.lang).Loading}
		}
		c.open[id] = conv
	}
	c.show(ctx, conv)
	if c.api == nil {
		return
	}
	c.load(ctx, conv, pageSize)
}

// load fetches conv's last limit messages (0: all) from the server.
func (c *Chat) load(ctx app.Context, conv *Conversation, limit int) {
	api, id := c.api, conv.ID
	go func() {
		stored, err := api.get(context.Background(), id, limit)
		ctx.Dispatch(func(ctx app.Context) { c.loaded(ctx, conv, stored, err) })
	}()
}

// showEarlier renders more of the earlier messages, loading them first
// when the page has only the last ones: the last c.shown, not all, so no
// response is bigger than what will render.
func (c *Chat) showEarlier(ctx app.Context) {
	if c.shown < len(c.conv.Messages) || !c.conv.More || c.api == nil {
		c.shown += pageSize
		return
	}
	c.shown += pageSize
	c.load(ctx, c.conv, c.shown)
}

// loaded takes a conversation as the server has it. A conversation with
// something in flight on this page keeps the page's copy, which is ahead.
func (c *Chat) loaded(ctx app.Context, conv *Conversation, stored *Conversation, err error) {
	switch {
	case err != nil && len(conv.Messages) == 0:
		conv.Notice = fmt.Sprintf(tr(c.lang).LoadFailed, err)
	case err != nil:
		conv.Notice = ""
	case !conv.Busy():
		*conv = *stored
		for _, m := range conv.Messages {
			if m.Role == RoleAssistant && !m.Ended && c.client != nil {
				// Streaming still (in another tab, or before a reload):
				// follow it from what is stored.
				c.client.Resume(context.Background(), m.Answer, len(m.Text))
			}
		}
		if conv == c.conv {
			saveConversation(conv)
			if c.shown <= pageSize {
				ctx.Defer(scrollToBottom)
			}
		} else {
			cacheConversation(conv)
		}
	}
}

// show puts conv on screen. The one it replaces was kept offline when it
// was last saved (ask, ack, end, load); its frames still land in it.
func (c *Chat) show(ctx app.Context, conv *Conversation) {
	c.conv, c.shown, c.scrolledUp = conv, pageSize, false
	saveConversation(conv)
	ctx.Defer(scrollToBottom)
}

// newChat starts a new conversation (the next question opens it on the
// server).
func (c *Chat) newChat(ctx app.Context) {
	c.drawer = false
	if c.conv.ID == "" && len(c.conv.Messages) == 0 {
		return
	}
	c.show(ctx, &Conversation{})
	if el := app.Window().GetElementByID("composer"); el.Truthy() {
		el.Call("focus")
	}
}

func (c *Chat) rename(ctx app.Context, v [2]string) {
	id, title := v[0], v[1]
	old := c.list
	c.list = renamed(slices.Clone(c.list), id, title)
	if c.api == nil {
		return
	}
	api := c.api
	go func() {
		err := api.rename(context.Background(), id, title)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				c.list, c.conv.Notice = old, fmt.Sprintf(tr(c.lang).RenameFailed, err)
			}
			saveList(c.list)
		})
	}()
}

func (c *Chat) remove(ctx app.Context, id string) {
	if c.api == nil {
		return
	}
	api := c.api
	go func() {
		err := api.remove(context.Background(), id)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				c.conv.Notice = fmt.Sprintf(tr(c.lang).DeleteFailed, err)
				return
			}
			c.list = without(c.list, id)
			saveList(c.list)
			delete(c.open, id)
			uncache(id)
			if c.conv.ID == id {
				c.conv = &Conversation{}
				saveConversation(c.conv)
			}
		})
	}()
}

func (c *Chat) search(ctx app.Context, q string) {
	c.query = q
	if q == "" || c.api == nil {
		c.hits = nil
		return
	}
	api := c.api
	go func() {
		hits, err := api.search(context.Background(), q)
		ctx.Dispatch(func(app.Context) {
			if q != c.query {
				return // a later search is on its way
			}
			if err != nil {
				hits = searchOffline(c.list, q)
			}
			c.hits = hits
		})
	}()
}

// searchOffline searches the titles of the list kept offline.
func searchOffline(list []Summary, q string) []Hit {
	q = strings.ToLower(q)
	var hits []Hit
	for _, s := range list {
		if strings.Contains(strings.ToLower(s.Title), q) {
			hits = append(hits, Hit{Conversation: s.ID, Title: s.Title, Snippet: s.Title})
		}
	}
	return hits
}

func earlierLabel(n int, t *texts) string {
	if n == 0 {
		return t.ShowEarlier
	}
	return fmt.Sprintf(t.ShowEarlierN, n)
}
