package app

import (
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// serverKey is the localStorage name (a siteKey) of the server chosen in
// the settings.
const serverKey = "wasmchat.server"

// servers is which wasmchat server the page talks to. A page served by
// the server talks to its own origin. A static build names its server
// (protocol.EnvServer) and the others its settings may choose
// (protocol.EnvConnect), which are what its Content-Security-Policy allows;
// a server chosen in the settings is kept in browser storage.
type servers struct {
	Base    string   // the server in use: a protocol.ServerURL; "" when none is set yet
	Allowed []string // what the settings may choose; none: the field is not shown
	// Home is the server the page was built for or is served by, whose
	// token is kept under the seed page's key; "" for a static build that
	// names none.
	Home string
}

// tokenKey is the storage key of the token for server base. Tokens are
// kept per server, so that choosing another server in the settings never
// sends it the token of the one before: the home server's under the seed
// page's key, any other's under a key of its own.
func (s servers) tokenKey(base string) string {
	if base == s.Home {
		return siteKey(TokenKey)
	}
	return siteKey(TokenKey + "@" + base)
}

// pageServers reads the page's servers from its environment and storage.
func pageServers() servers {
	built := app.Getenv(protocol.EnvServer)
	s := servers{Allowed: strings.Fields(app.Getenv(protocol.EnvConnect))}
	if built == "" && len(s.Allowed) == 0 {
		// Served by the server: itself.
		s.Base = app.Window().Get("location").Get("origin").String()
		s.Home = s.Base
		return s
	}
	if built != "" {
		s.Allowed = append([]string{built}, s.Allowed...)
	}
	s.Base, s.Home = built, built
	if v := localStorage.Get(siteKey(serverKey)); v != "" {
		if stored, err := protocol.ServerURL(v); err == nil && protocol.ServerAllowed(stored, s.Allowed) {
			s.Base = stored
		}
	}
	return s
}

// check returns the normalized address typed in the settings, or why the
// page cannot use it.
func (s servers) check(typed string, t *texts) (string, error) {
	base, err := protocol.ServerURL(typed)
	if err != nil {
		return "", fmt.Errorf(t.BadServer, typed)
	}
	if !protocol.ServerAllowed(base, s.Allowed) {
		return "", fmt.Errorf(t.ServerNotAllowed, strings.Join(s.Allowed, ", "))
	}
	return base, nil
}

// settingsView is the settings, at the foot of the sidebar: the token (to
// sign in without a login link) and, on a static build, the server.
type settingsView struct {
	app.Compo

	Settings settings
	Lang     string
}

// settings is what settingsView shows.
type settings struct {
	Server    string
	Choosable bool   // the server field shows
	Open      bool   // shown open: the page needs something from them
	Err       string // why the last save was refused
	Me        string // whom the token in use signs in as; "" not known
}

// Render shows the settings, folded unless Open.
func (v *settingsView) Render() app.UI {
	t, s := tr(v.Lang), v.Settings
	d := app.Details().ID("settings").Class("settings")
	if s.Open {
		// Only when true: go-app prerenders Open(false) as open="false",
		// which HTML reads as open until the program starts.
		d = d.Open(true)
	}
	return d.Body(
		// Who is signed in shows on the folded settings too.
		app.Summary().Body(
			app.Text(t.Settings),
			slot(s.Me != "", app.Span().ID("signed-in").Class("signed-in").Text(fmt.Sprintf(t.SignedInAs, s.Me))),
		),
		slot(s.Choosable, app.Label().For("server-url").Text(t.ServerAddress)),
		slot(s.Choosable, app.Input().ID("server-url").Type("url").Value(s.Server).Placeholder("https://chat.example.com").
			Attr("autocomplete", "url").Attr("spellcheck", "false")),
		app.Label().For("token-input").Text(t.TokenLabel),
		app.Input().ID("token-input").Type("password").Placeholder(t.TokenHint).Attr("autocomplete", "off"),
		slot(s.Err != "", app.P().ID("settings-error").Class("error").Role("alert").Text(s.Err)),
		app.Button().ID("save-settings").Type("button").Text(t.Save).OnClick(func(ctx app.Context, e app.Event) {
			doc := app.Window().Get("document")
			server := ""
			if el := doc.Call("getElementById", "server-url"); el.Truthy() {
				server = el.Get("value").String()
			}
			token := doc.Call("getElementById", "token-input").Get("value").String()
			ctx.NewActionWithValue(actionSettings, saveSettings{Server: server, Token: token})
		}),
	)
}

// keepSettings keeps the server and token typed in the settings and
// reloads the page, which then connects with them. A server the page may
// not use is refused with the reason, and nothing is kept; so is another
// server without a token for it (tokens are kept per server).
func (c *Chat) keepSettings(ctx app.Context, v saveSettings) {
	t := tr(c.lang)
	server, token := strings.TrimSpace(v.Server), strings.TrimSpace(v.Token)
	if server == "" && c.servers.Base == "" {
		c.settingsErr = t.NeedServer
		return
	}
	base := c.servers.Base
	if server != "" && len(c.servers.Allowed) > 0 && server != c.servers.Base {
		var err error
		if base, err = c.servers.check(server, t); err != nil {
			c.settingsErr = err.Error()
			return
		}
	}
	if token == "" && localStorage.Get(c.servers.tokenKey(base)) == "" {
		c.settingsErr = fmt.Sprintf(t.NeedToken, base)
		return
	}
	if base != c.servers.Base {
		localStorage.Set(siteKey(serverKey), base)
	}
	if token != "" {
		localStorage.Set(c.servers.tokenKey(base), token)
	}
	ctx.Reload()
}

// updateCheck asks the browser to look for a new version of the page's
// service worker; when there is one, go-app calls OnAppUpdate. The page
// asks when the server says it runs another version than the page's: a
// release restarts the server, and the WebSocket reconnects. Its callbacks
// are made once, for the page's life.
type updateCheck struct {
	then, ignore app.Func
}

func (u *updateCheck) run() {
	sw := app.Window().Get("navigator").Get("serviceWorker")
	if !sw.Truthy() {
		return
	}
	if u.then == nil {
		u.ignore = app.FuncOf(func(app.Value, []app.Value) any { return nil })
		u.then = app.FuncOf(func(_ app.Value, args []app.Value) any {
			if len(args) > 0 && args[0].Truthy() {
				args[0].Call("update").Call("catch", u.ignore) // offline: at the next hello
			}
			return nil
		})
	}
	sw.Call("getRegistration").Call("then", u.then).Call("catch", u.ignore)
}
