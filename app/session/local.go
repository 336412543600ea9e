package session

import (
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
	// EarlyKey is where the page's early script (server/early.js)
	// queues the questions asked before the Go program ran.
	EarlyKey = "wasmchat.early"
	// cacheSize is how many conversations are kept for offline reading.
	cacheSize = 30
)

// Local is the session's part of the page's storage: a Storage and the
// site's path prefix its keys go under.
type Local struct {
	Storage Storage // nil: a Memory
	Site    string  // the site's path prefix (GOAPP_ROOT_PREFIX)
}

func (l Local) key(name string) string { return SiteKey(l.Site, name) }

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
func (l Local) takeEarly() []string {
	var questions []string
	if l.Storage.Get(l.key(EarlyKey)) == "" {
		return nil
	}
	l.getJSON(EarlyKey, &questions) // unreadable: nothing to ask
	l.Storage.Remove(l.key(EarlyKey))
	return slices.DeleteFunc(questions, func(q string) bool { return strings.TrimSpace(q) == "" })
}
