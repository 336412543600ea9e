package session

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// Storage is where the page keeps what must survive a reload: the
// browser's localStorage in the page (app/storage.go), a map in tests.
type Storage interface {
	// Get returns the value of key, or "" when there is none.
	Get(key string) string
	// Set stores value under key and reports whether it could: a full
	// storage refuses.
	Set(key, value string) bool
	// Remove deletes key.
	Remove(key string)
}

// Memory is a Storage in memory: what a page prerendered on the server,
// or a test, keeps. Safe for concurrent use. Limit, when above 0, is how
// many bytes of values it holds before it refuses, as a full localStorage
// does.
type Memory struct {
	Limit int

	mu    sync.Mutex
	items map[string]string
	size  int
}

// Get returns the value of key, or "".
func (m *Memory) Get(key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.items[key]
}

// Set stores value under key, unless that takes the values beyond Limit.
func (m *Memory) Set(key, value string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	size := m.size - len(m.items[key]) + len(value)
	if m.Limit > 0 && size > m.Limit {
		return false
	}
	if m.items == nil {
		m.items = make(map[string]string)
	}
	m.items[key], m.size = value, size
	return true
}

// Remove deletes key.
func (m *Memory) Remove(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.size -= len(m.items[key])
	delete(m.items, key)
}

// SiteKey is the storage key of name for the site served under path
// prefix (GOAPP_ROOT_PREFIX).
//
// Browser storage is per origin, and several static builds can share one
// (you.github.io/a/ and you.github.io/b/, each with its own server). What
// belongs to a server (the token, the server chosen, the conversations) is
// kept per site, under the site's path, so one site's token is never sent
// to the other's server and neither shows the other's history. Preferences
// (theme, language) are the user's and shared. The server's own page lives
// at the root and uses the names as they are: its token stays under the
// seed page's key.
func SiteKey(prefix, name string) string {
	if p := strings.TrimSuffix(prefix, "/"); p != "" {
		return p + "/" + name
	}
	return name
}

// Names (SiteKeys) of what the session keeps: the conversation on screen,
// the sidebar's list, the last conversations opened (each under
// cachePrefix+id, most recently used first in cacheIndexKey), and the
// questions asked before the Go program ran.
const (
	conversationKey = "wasmchat.conversation"
	listKey         = "wasmchat.conversations"
	cachePrefix     = "wasmchat.conv."
	cacheIndexKey   = "wasmchat.cached"
	// modelKey is the model asked with last: a new chat starts with it.
	modelKey = "wasmchat.model"
	// EarlyKey is where the page's early script (server/early.js)
	// queues the questions asked before the Go program ran.
	EarlyKey = "wasmchat.early"
	// cacheSize is how many conversations are kept for offline reading.
	cacheSize = 30
)

// Local is the session's part of the page's storage: a Storage, the
// site's path prefix its keys go under, and the account they belong to.
type Local struct {
	Storage Storage // nil: a Memory
	Site    string  // the site's path prefix (GOAPP_ROOT_PREFIX)
	// Account is the fingerprint of the token in use (AccountOf): what
	// the session keeps is kept under it, so that a question asked under
	// one token is never sent with another, and one account's
	// conversations never show to another. "": no token.
	Account string
}

// AccountOf is the fingerprint of a token that storage keys carry: not
// the token, which stays under its own key alone.
func AccountOf(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

func (l Local) key(name string) string {
	if l.Account == "" {
		return SiteKey(l.Site, name)
	}
	return SiteKey(l.Site, name) + "@" + l.Account
}

// adopt moves what a version of the page before accounts kept for the
// site as a whole under the account, once: it was made with the token of
// the time, the one the page starts with (a login link for another now
// asks first).
func (l Local) adopt() {
	site := Local{Storage: l.Storage, Site: l.Site}
	if l.Account == "" || site.Storage.Get(site.key(conversationKey)) == "" && site.Storage.Get(site.key(listKey)) == "" {
		return
	}
	var index []string
	site.getJSON(cacheIndexKey, &index)
	names := []string{conversationKey, listKey, cacheIndexKey}
	for _, id := range index {
		names = append(names, cachePrefix+id)
	}
	for _, name := range names {
		if v := site.Storage.Get(site.key(name)); v != "" && l.Storage.Get(l.key(name)) == "" {
			l.Storage.Set(l.key(name), v)
		}
		site.Storage.Remove(site.key(name))
	}
}

func (l Local) getJSON(name string, v any) bool {
	s := l.Storage.Get(l.key(name))
	return s != "" && json.Unmarshal([]byte(s), v) == nil
}

func (l Local) setJSON(name string, v any) bool {
	b, err := json.Marshal(v)
	return err == nil && l.Storage.Set(l.key(name), string(b))
}

// conversation returns the conversation kept as the one on screen, so a
// reload shows it again and resumes what was in flight.
func (l Local) conversation() *Conversation {
	var c Conversation
	if !l.getJSON(conversationKey, &c) {
		c = Conversation{} // unreadable: start afresh
	}
	c.Notice = ""
	return &c
}

// saveConversation keeps c as the conversation on screen, and for offline
// reading. The session saves on asks, acks, ends and errors, not per
// chunk: an answer's text saved mid-stream is a prefix, and the page
// resumes from its length.
func (l Local) saveConversation(c *Conversation) {
	l.setJSON(conversationKey, c)
	l.cache(c)
}

func (l Local) model() string { return l.Storage.Get(l.key(modelKey)) }

func (l Local) saveModel(model string) { l.Storage.Set(l.key(modelKey), model) }

func (l Local) list() []Summary {
	var list []Summary
	l.getJSON(listKey, &list)
	return list
}

func (l Local) saveList(list []Summary) { l.setJSON(listKey, list) }

// cached returns the copy of conversation id kept for offline reading.
func (l Local) cached(id string) *Conversation {
	var c Conversation
	if id == "" || !l.getJSON(cachePrefix+id, &c) || c.ID != id {
		return nil
	}
	return &c
}

// cache keeps c for offline reading, evicting the least recently used
// conversations beyond cacheSize, or while storage is full.
func (l Local) cache(c *Conversation) {
	if c.ID == "" {
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	var index []string
	l.getJSON(cacheIndexKey, &index)
	index = append([]string{c.ID}, slices.DeleteFunc(index, func(id string) bool { return id == c.ID })...)
	for len(index) > cacheSize {
		l.uncache(index[len(index)-1])
		index = index[:len(index)-1]
	}
	for !l.Storage.Set(l.key(cachePrefix+c.ID), string(b)) && len(index) > 1 {
		l.uncache(index[len(index)-1])
		index = index[:len(index)-1]
	}
	l.setJSON(cacheIndexKey, index)
}

// uncache forgets a conversation's offline copy.
func (l Local) uncache(id string) { l.Storage.Remove(l.key(cachePrefix + id)) }

// takeEarly returns the questions asked before the Go program ran, and
// forgets them: from now on they are the session's, kept with the
// conversation until the server acknowledges them.
//
// They are the site's, not an account's: the early script keeps them
// before the page knows which account it runs as, and they were typed into
// this page, which asks them as the account it runs as.
func (l Local) takeEarly() []string {
	var questions []string
	site := Local{Storage: l.Storage, Site: l.Site}
	if site.Storage.Get(site.key(EarlyKey)) == "" {
		return nil
	}
	site.getJSON(EarlyKey, &questions) // unreadable: nothing to ask
	site.Storage.Remove(site.key(EarlyKey))
	return slices.DeleteFunc(questions, func(q string) bool { return strings.TrimSpace(q) == "" })
}
