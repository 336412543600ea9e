package session

import (
	"slices"
	"strings"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// Summary is a conversation as the sidebar lists it, Hit a search result:
// the API's own types (GET /api/conversations, /api/search).
type (
	Summary = protocol.Conversation
	Hit     = protocol.Hit
)

// touch puts conversation id first in list (the newest), adding it with
// title when the list lacks it.
func touch(list []Summary, id, title string, now time.Time) []Summary {
	s := Summary{ID: id, Title: title, Updated: now}
	if i := slices.IndexFunc(list, func(s Summary) bool { return s.ID == id }); i >= 0 {
		s.Title = list[i].Title
		list = slices.Delete(list, i, i+1)
	}
	return slices.Insert(list, 0, s)
}

// without returns list without conversation id.
func without(list []Summary, id string) []Summary {
	return slices.DeleteFunc(list, func(s Summary) bool { return s.ID == id })
}

// renamed returns list with conversation id titled title.
func renamed(list []Summary, id, title string) []Summary {
	for i := range list {
		if list[i].ID == id {
			list[i].Title = title
		}
	}
	return list
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
