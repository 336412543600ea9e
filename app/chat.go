package app

import (
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/app/wsclient"
	"github.com/wasmchat/wasmchat/protocol"
)

// noWebSocket is the seed page's message for a browser without WebSocket.
const noWebSocket = "您的浏览器不支持WebSocket，无法获取数据 (this browser has no WebSocket support)"

// Chat is the chat page: the sidebar of conversations, the conversation on
// screen, the composer and the connection indicator. What the page knows
// and does is its session (package session); Chat draws it, hands it what
// the reader does, and keeps only what is the page's own: the drawer, the
// theme and language, scrolling, the settings' error, updates and install.
type Chat struct {
	app.Compo

	// start is what the program readied before the first render: the
	// server, the token and the WebSocket's first dial. Nil in tests.
	start *start

	s    *session.Session
	ctx  app.Context // Chat's, from OnMount: for the session's changes
	view *view

	drawer bool   // the sidebar drawer is open (phones)
	fatal  string // why the page cannot connect at all
	theme  string // "system", "light" or "dark"
	lang   string // the page's language: "en" or "zh-CN"
	// scrolledUp is set while the reader is away from the end of the
	// messages: growing answers then leave the view alone.
	scrolledUp bool
	releases   []func()

	servers     servers // the server talked to, and the others allowed
	settingsErr string  // why the settings last typed were refused
	// instructionsErr is why the instructions last typed were refused.
	instructionsErr string
	updateReady     bool // a new version is installed: offer to reload
	installable     bool // the browser offers to install the page as an app
	update          updateCheck
	// offered is a login link's token for another account than the one
	// in use, until the reader says whether to switch (switch.go);
	// offeredName is whom it signs in as, once the server said.
	offered, offeredName string

	api session.HTTP // the server's API with the token, for uploads
	// attaching are the files for the next question (attach.go);
	// waiting is a question sent while one of them uploads. Both are
	// kept over a reload under composerKey, the files' Blobs in pending
	// (pending.go; nil until it opens, or without IndexedDB).
	attaching   []*attachment
	waiting     string
	composerKey string
	pending     *pendingDB
}

var (
	_ app.Initializer  = (*Chat)(nil)
	_ app.Mounter      = (*Chat)(nil)
	_ app.Dismounter   = (*Chat)(nil)
	_ app.AppUpdater   = (*Chat)(nil)
	_ app.AppInstaller = (*Chat)(nil)
)

// OnInit readies an empty page before the first render: what the server
// prerenders, and what shows until OnMount has read browser storage.
func (c *Chat) OnInit() {
	c.lang, c.view = langEnglish, newView()
	c.s = session.New(session.Config{})
	c.s.Texts = sessionTexts(tr(c.lang))
}

// OnMount restores the session kept in browser storage and connects with
// the token from the login link or browser storage.
func (c *Chat) OnMount(ctx app.Context) {
	c.handleActions(ctx)
	if app.IsServer {
		return
	}
	c.ctx = ctx
	if c.start == nil {
		c.start = readyStart()
	}
	c.servers = c.start.servers
	c.installable = ctx.IsAppInstallable()
	c.releases = append(c.releases, app.Window().AddEventListener("click", c.copyCode))
	ctx.Defer(c.listenScroll) // once #messages is in the page
	c.theme = loadTheme()
	c.lang = loadLanguage()
	token := c.start.token
	cfg := session.Config{
		Local:    session.Local{Storage: localStorage, Site: sitePrefix(), Account: session.AccountOf(token)},
		OnChange: c.changed,
		Version:  app.Getenv("GOAPP_VERSION"),
		Context:  ctx,
		// Next, not Update: changed decides what draws again. A chunk
		// draws its message alone, not the page of 500 messages and
		// 1,000 conversations (go-app's Update would, and PreventUpdate
		// cannot stop it there).
		Post: func(f func()) {
			ctx.Dispatcher().Dispatch(app.Dispatch{Mode: app.Next, Source: c, Function: func(app.Context) { f() }})
		},
	}
	if token != "" && c.servers.Base != "" {
		c.api = session.HTTP{Base: c.servers.Base, Token: token}
		cfg.API = c.api
		c.view.base, c.view.token = c.servers.Base, token
	}
	c.view.post = func(f func()) { ctx.Dispatch(func(app.Context) { f() }) }
	c.s = session.New(cfg)
	c.s.Texts = sessionTexts(tr(c.lang))
	if !app.Window().Get("WebSocket").Truthy() {
		c.fatal = noWebSocket
		c.s.SetStatus(wsclient.Status{State: wsclient.Closed})
		return
	}
	defer c.s.AskEarly()
	if cfg.API == nil {
		c.s.SetStatus(wsclient.Status{State: wsclient.Closed, Unauthorized: true})
		return
	}
	c.connect(ctx, protocol.WebSocketURL(c.servers.Base, protocol.ChannelChat), token)
	c.s.Refresh()
	c.restoreComposer(session.AccountOf(token))
	c.offerSwitch(ctx, c.start.offered)
}

// handleActions registers what Chat does for each action of its
// components (actions.go).
func (c *Chat) handleActions(ctx app.Context) {
	// The composer's files and a question waiting for them are Chat's:
	// it draws them again (an ask draws through the session's change).
	handle(ctx, actionSend, func(_ app.Context, a ask) { c.ask(a.Text); c.Update() })
	handle(ctx, actionAttach, func(_ app.Context, f attachFiles) { c.attach(f.Files); c.Update() })
	handle(ctx, actionUnattach, func(_ app.Context, u unattach) { c.unattach(u.Index); c.Update() })
	handleBare(ctx, actionContinue, func(app.Context) { c.s.Continue() })
	handle(ctx, actionEdit, func(_ app.Context, e edit) { c.s.Edit(e.Answer, e.Text) })
	handle(ctx, actionRegen, func(_ app.Context, r regenerate) { c.s.Regenerate(r.Answer) })
	handle(ctx, actionBranch, func(_ app.Context, b branch) { c.s.ShowBranch(b.ID) })
	handleBare(ctx, actionStop, func(app.Context) { c.s.Stop() })
	handle(ctx, actionApp, func(_ app.Context, p picked) { c.s.SetApp(p.Value) })
	handle(ctx, actionModel, func(_ app.Context, p picked) { c.s.SetModel(p.Value) })
	handle(ctx, actionInstructions, c.setInstructions)
	handle(ctx, actionShare, func(_ app.Context, v share) { c.s.Share(v.ID) })
	handle(ctx, actionUnshare, func(_ app.Context, v unshare) { c.s.Unshare(v.ID) })
	handle(ctx, actionTheme, func(_ app.Context, p picked) { c.theme = setTheme(p.Value) })
	handle(ctx, actionLanguage, func(_ app.Context, p picked) {
		c.lang = pickLanguage([]string{p.Value})
		setLanguage(c.lang)
		c.s.Texts = sessionTexts(tr(c.lang))
	})
	handle(ctx, actionOpen, func(_ app.Context, o open) {
		c.drawer = false
		c.s.OpenAt(o.ID, o.Message)
	})
	handleBare(ctx, actionNew, c.newChat)
	handle(ctx, actionRename, func(_ app.Context, r rename) { c.s.Rename(r.ID, r.Title) })
	handle(ctx, actionDelete, func(_ app.Context, r remove) { c.s.Delete(r.ID) })
	handle(ctx, actionSearch, func(_ app.Context, s search) { c.s.Search(s.Query) })
	handleBare(ctx, actionInstall, func(ctx app.Context) {
		ctx.ShowAppInstallPrompt()
		c.installable = false // an offer serves once; the browser makes a new one if declined
	})
	handle(ctx, actionSettings, c.keepSettings)
	handleBare(ctx, actionSwitch, c.switchAccount)
	handleBare(ctx, actionStay, func(app.Context) { c.offered, c.offeredName = "", "" })
}

// sessionTexts are the session's words in the page's language.
func sessionTexts(t *texts) session.Texts {
	return session.Texts{Loading: t.Loading, LoadFailed: t.LoadFailed, RenameFailed: t.RenameFailed, DeleteFailed: t.DeleteFailed,
		NotConnected: t.NotConnected, ContinuePrompt: t.ContinuePrompt, InstructionsFailed: t.InstructionsFailed, ShareFailed: t.ShareFailed,
		BranchFailed: t.BranchFailed}
}

// changed draws what the session changed: one message for a chunk when
// its view is on screen, else the page; following the end of the messages
// as the reader expects.
func (c *Chat) changed(ch session.Change) {
	switch ch.Kind {
	case session.Outdated:
		c.update.run()
		return
	case session.Chunk:
		if v := c.view.live[ch.Message]; v != nil {
			v.refresh() // it follows the end when it renders, as its ticks do
			return
		}
		fallthrough
	case session.Grew:
		if follow := c.view.followEnd(); follow != nil && c.ctx != nil {
			c.ctx.Defer(follow)
		}
	case session.Moved:
		c.scrolledUp = false
		if c.ctx != nil {
			c.ctx.Defer(c.view.scrollToEnd)
		}
	}
	c.Update()
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

// connect starts the client, which hands its frames and states to the
// session. Run is a plain goroutine bound to ctx, not ctx.Async, which
// go-app's test dispatcher would wait on forever.
func (c *Chat) connect(ctx app.Context, url, token string) {
	client := wsclient.New(wsclient.Config{
		URL:     url,
		Token:   token,
		Dial:    c.start.dial,
		OnFrame: c.s.OnFrame,
		OnState: c.s.OnState,
	})
	c.s.Connect(client)
	w := app.Window()
	online := w.Get("navigator").Get("onLine").Bool()
	client.SetOnline(online)
	if !online {
		// Shown with the history, not after a "connecting" first.
		c.s.SetStatus(wsclient.Status{State: wsclient.Offline})
	}
	handleBare(ctx, actionRetry, func(app.Context) { client.RetryNow() })
	c.releases = append(c.releases,
		w.AddEventListener("online", func(app.Context, app.Event) { client.SetOnline(true) }),
		w.AddEventListener("offline", func(app.Context, app.Event) { client.SetOnline(false) }),
		w.AddEventListener("visibilitychange", func(app.Context, app.Event) {
			if w.Get("document").Get("visibilityState").String() == "visible" {
				client.RetryNow()
			}
		}),
		w.AddEventListener("keydown", func(ctx app.Context, e app.Event) {
			switch key := e.Get("key").String(); {
			case key == "Escape":
				c.s.Stop()
			case (key == "k" || key == "K") && (e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool()):
				e.PreventDefault()
				c.newChat(ctx)
			}
		}),
	)
	go client.Run(ctx)
}

// listenScroll follows the message list's scroll events with a plain
// listener, not go-app's OnScroll: go-app re-renders the whole page after
// each event handler (the page scrolls itself once per typewriter tick), and
// its PreventUpdate, once called from an event handler, stays in force for
// the component's later events too.
func (c *Chat) listenScroll(ctx app.Context) {
	el := messages()
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
func (c *Chat) scrolled(app.Context) {
	if up := c.view.scrolled(); up != c.scrolledUp {
		c.scrolledUp = up
		c.Update()
	}
}

func (c *Chat) jumpToLatest(ctx app.Context, e app.Event) {
	c.scrolledUp = false
	c.view.scrollToEnd(ctx)
}

// newChat starts a new conversation and puts the caret in the question
// box.
func (c *Chat) newChat(app.Context) {
	c.drawer = false
	if !c.s.NewChat() {
		return
	}
	if el := app.Window().GetElementByID("composer"); el.Truthy() {
		el.Call("focus")
	}
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
