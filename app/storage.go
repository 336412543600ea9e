package app

import (
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
)

// TokenKey is the localStorage name of the token (a siteKey): the seed
// page's key, so a browser signed in to the seed page stays signed in.
const TokenKey = "Authorization"

// siteKey is the localStorage key of name for this site: see
// session.SiteKey.
func siteKey(name string) string { return session.SiteKey(sitePrefix(), name) }

// sitePrefix is the path the site is served under.
func sitePrefix() string { return app.Getenv("GOAPP_ROOT_PREFIX") }

// webStorage is one of the browser's storages as a session.Storage:
// localStorage (kept until removed, shared by the site's tabs) or
// sessionStorage (this tab's, kept over a reload). A value is stored raw,
// as the seed page stored its token, not JSON-encoded as go-app's
// LocalStorage would.
type webStorage string

const (
	localStorage webStorage = "localStorage"
	tabStorage   webStorage = "sessionStorage"
)

var _ session.Storage = localStorage

// Get reads key: "" when it is not there.
func (s webStorage) Get(key string) string {
	if v := app.Window().Get(string(s)).Call("getItem", key); v.Truthy() {
		return v.String()
	}
	return ""
}

// Set writes key and reports whether it could: a full storage throws,
// which must not take the page down.
func (s webStorage) Set(key, value string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	app.Window().Get(string(s)).Call("setItem", key, value)
	return true
}

// Remove deletes key.
func (s webStorage) Remove(key string) {
	app.Window().Get(string(s)).Call("removeItem", key)
}

// takeToken returns the token to sign in with, stored under key, and a
// login link's token (#token=) that differs from it, which the page asks
// the reader about before switching to it (switch.go): a link must not
// silently sign the reader in as someone else, whose account their next
// questions would go to. A link's token is stored when no token is; the
// fragment is removed from the address bar either way (and so from
// history and screenshots). Values are stored raw, as the seed stored
// its token, not JSON-encoded as go-app's LocalStorage would.
func takeToken(key string) (token, offered string) {
	w := app.Window()
	loc := w.Get("location")
	token = localStorage.Get(key)
	if link, ok := strings.CutPrefix(loc.Get("hash").String(), "#token="); ok && link != "" {
		w.Get("history").Call("replaceState", nil, "", loc.Get("pathname").String()+loc.Get("search").String())
		switch token {
		case "", link:
			localStorage.Set(key, link)
			token = link
		default:
			offered = link
		}
	}
	return token, offered
}

// themeKey is the localStorage key of the chosen theme.
const themeKey = "wasmchat.theme"

// loadTheme applies and returns the theme kept in browser storage.
func loadTheme() string {
	return setTheme(localStorage.Get(themeKey))
}

// setTheme applies a theme to the page and keeps it: "light" and "dark" set
// data-theme on <html>, which the style sheet follows; "system" removes it,
// and prefers-color-scheme decides. It returns the theme applied.
func setTheme(theme string) string {
	w := app.Window()
	root := w.Get("document").Get("documentElement")
	switch theme {
	case "light", "dark":
		root.Call("setAttribute", "data-theme", theme)
	default:
		theme = "system"
		root.Call("removeAttribute", "data-theme")
	}
	localStorage.Set(themeKey, theme)
	return theme
}

// languageKey is the localStorage key of the language chosen in the page.
const languageKey = "wasmchat.lang"

// loadLanguage applies and returns the page's language: the one chosen in
// the page, else the first of the browser's languages the page speaks.
func loadLanguage() string {
	w := app.Window()
	lang := localStorage.Get(languageKey)
	if lang != langEnglish && lang != langChinese {
		var preferred []string
		if langs := w.Get("navigator").Get("languages"); langs.Truthy() {
			for i := range langs.Length() {
				preferred = append(preferred, langs.Index(i).String())
			}
		}
		lang = pickLanguage(preferred)
	}
	applyLanguage(lang)
	return lang
}

// setLanguage applies a language chosen in the page and keeps it.
func setLanguage(lang string) {
	applyLanguage(lang)
	localStorage.Set(languageKey, lang)
}

// applyLanguage sets <html lang>: screen readers and fonts follow it.
func applyLanguage(lang string) {
	app.Window().Get("document").Get("documentElement").Set("lang", lang)
}
