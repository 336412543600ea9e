package app

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/markdown"
)

// TokenKey is the localStorage name of the token (a siteKey): the seed
// page's key, so a browser signed in to the seed page stays signed in.
const TokenKey = "Authorization"

// siteKey is the localStorage key of name for this site.
//
// Browser storage is per origin, and several static builds can share one
// (you.github.io/a/ and you.github.io/b/, each with its own server). What
// belongs to a server (the token, the server chosen, the conversations) is
// kept per site, under the site's path, so one site's token is never sent
// to the other's server and neither shows the other's history. Preferences
// (theme, language) are the user's and shared. The server's own page lives
// at the root and uses the names as they are: its token stays under the
// seed page's key.
func siteKey(name string) string {
	if p := strings.TrimSuffix(app.Getenv("GOAPP_ROOT_PREFIX"), "/"); p != "" {
		return p + "/" + name
	}
	return name
}

// getItem reads key from localStorage: "" when it is not there.
func getItem(key string) string {
	if v := app.Window().Get("localStorage").Call("getItem", key); v.Truthy() {
		return v.String()
	}
	return ""
}

// removeItem deletes key from localStorage.
func removeItem(key string) {
	app.Window().Get("localStorage").Call("removeItem", key)
}

// takeToken returns the sign-in token. A login link's #token= fragment wins
// and is stored; the fragment is then removed from the address bar (and so
// from history and screenshots). Without a fragment, the stored token is
// used. The value is stored raw, as the seed stored it, not JSON-encoded as
// go-app's LocalStorage would.
func takeToken() string {
	w := app.Window()
	loc := w.Get("location")
	if token, ok := strings.CutPrefix(loc.Get("hash").String(), "#token="); ok && token != "" {
		setItem(siteKey(TokenKey), token)
		w.Get("history").Call("replaceState", nil, "", loc.Get("pathname").String()+loc.Get("search").String())
		return token
	}
	return getItem(siteKey(TokenKey))
}

// conversationKey is the localStorage name (a siteKey) of the
// conversation on screen.
const conversationKey = "wasmchat.conversation"

// loadConversation returns the conversation kept in browser storage, so a
// reload shows it again and resumes what was in flight.
func loadConversation() *Conversation {
	var c Conversation
	if !getJSON(siteKey(conversationKey), &c) {
		c = Conversation{} // unreadable: start afresh
	}
	c.Notice = ""
	return &c
}

// saveConversation keeps c in browser storage. Chat calls it on asks, acks,
// ends and errors, not per chunk: an answer's text saved mid-stream is a
// prefix, and the page resumes from its length.
func saveConversation(c *Conversation) {
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	setItem(siteKey(conversationKey), string(b))
	cacheConversation(c)
}

// themeKey is the localStorage key of the chosen theme.
const themeKey = "wasmchat.theme"

// loadTheme applies and returns the theme kept in browser storage.
func loadTheme() string {
	return setTheme(getItem(themeKey))
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
	setItem(themeKey, theme)
	return theme
}

// languageKey is the localStorage key of the language chosen in the page.
const languageKey = "wasmchat.lang"

// loadLanguage applies and returns the page's language: the one chosen in
// the page, else the first of the browser's languages the page speaks.
func loadLanguage() string {
	w := app.Window()
	lang := getItem(languageKey)
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
	setItem(languageKey, lang)
}

// applyLanguage sets <html lang> (screen readers and fonts follow it) and
// the code blocks' copy label.
func applyLanguage(lang string) {
	app.Window().Get("document").Get("documentElement").Set("lang", lang)
	markdown.CopyLabel = tr(lang).CopyCode
}

// Names (siteKeys) of what the page keeps for reading offline: the
// sidebar's list, and the last conversations opened, each under
// cachePrefix+id, most recently used first in cacheIndexKey.
const (
	listKey       = "wasmchat.conversations"
	cachePrefix   = "wasmchat.conv."
	cacheIndexKey = "wasmchat.cached"
	// cacheSize is how many conversations are kept for offline reading.
	cacheSize = 30
)

// setItem writes to localStorage and reports whether it could: a full
// storage throws, which must not take the page down.
func setItem(key, value string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	app.Window().Get("localStorage").Call("setItem", key, value)
	return true
}

func getJSON(key string, v any) bool {
	s := getItem(key)
	return s != "" && json.Unmarshal([]byte(s), v) == nil
}

func loadList() []Summary {
	var list []Summary
	getJSON(siteKey(listKey), &list)
	return list
}

func saveList(list []Summary) {
	b, _ := json.Marshal(list)
	setItem(siteKey(listKey), string(b))
}

// loadCached returns the copy of conversation id kept for offline reading.
func loadCached(id string) *Conversation {
	var c Conversation
	if id == "" || !getJSON(siteKey(cachePrefix+id), &c) || c.ID != id {
		return nil
	}
	return &c
}

// cacheConversation keeps c for offline reading, evicting the least
// recently used conversations beyond cacheSize, or while storage is full.
func cacheConversation(c *Conversation) {
	if c.ID == "" {
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	var index []string
	getJSON(siteKey(cacheIndexKey), &index)
	index = append([]string{c.ID}, slices.DeleteFunc(index, func(id string) bool { return id == c.ID })...)
	for len(index) > cacheSize {
		uncache(index[len(index)-1])
		index = index[:len(index)-1]
	}
	for !setItem(siteKey(cachePrefix+c.ID), string(b)) && len(index) > 1 {
		uncache(index[len(index)-1])
		index = index[:len(index)-1]
	}
	ib, _ := json.Marshal(index)
	setItem(siteKey(cacheIndexKey), string(ib))
}

// uncache forgets a deleted conversation.
func uncache(id string) {
	removeItem(siteKey(cachePrefix + id))
}

// earlyKey is the localStorage name (a siteKey) of the questions asked
// before the Go program ran: the page's early script (server/early.js)
// queues them there.
const earlyKey = "wasmchat.early"

// takeEarly returns the questions asked before the Go program ran, and
// forgets them: from now on they are the page's, kept with the
// conversation until the server acknowledges them.
func takeEarly() []string {
	var questions []string
	if getItem(siteKey(earlyKey)) == "" {
		return nil
	}
	getJSON(siteKey(earlyKey), &questions) // unreadable: nothing to ask
	removeItem(siteKey(earlyKey))
	return slices.DeleteFunc(questions, func(q string) bool { return strings.TrimSpace(q) == "" })
}
