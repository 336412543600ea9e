package session

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/wasmchat/wasmchat/protocol"
)

// background runs call off the session's goroutine when there is an API,
// and then done with its outcome on it.
func background[T any](s *Session, call func(context.Context, API) (T, error), done func(T, error)) {
	api := s.cfg.API
	if api == nil {
		return
	}
	go func() {
		v, err := call(s.cfg.Context, api)
		s.cfg.Post(func() { done(v, err) })
	}()
}

// Refresh loads the sidebar's list from the server, who the session is
// signed in as, and the models questions may name; offline, the list kept
// in storage stays.
func (s *Session) Refresh() {
	background(s, func(ctx context.Context, api API) (protocol.Models, error) { return api.Models(ctx) },
		func(models protocol.Models, err error) {
			if err == nil {
				s.models = models
				s.notify(Changed, nil)
			}
		})
	if s.cfg.API != nil {
		s.refreshing = true
	}
	background(s, func(ctx context.Context, api API) (string, error) { return api.Me(ctx) },
		func(name string, err error) {
			s.refreshing, s.refreshed = false, s.refreshed || err == nil
			if err == nil && name != s.me {
				s.me = name
				s.notify(Changed, nil)
			}
		})
	background(s, func(ctx context.Context, api API) ([]protocol.Share, error) { return api.Shares(ctx) },
		func(shares []protocol.Share, err error) {
			if err != nil {
				return
			}
			s.shares = make(map[string]string, len(shares))
			for _, sh := range shares {
				s.shares[sh.Conversation] = sh.Path
			}
			s.notify(Changed, nil)
		})
	background(s, func(ctx context.Context, api API) ([]Summary, error) { return api.List(ctx) },
		func(list []Summary, err error) {
			if err != nil {
				return
			}
			s.list = list
			s.cfg.Local.saveList(list)
			s.notify(Changed, nil)
		})
}

// Open shows conversation id: at once from memory or the copy kept
// offline, then as the server has it.
func (s *Session) Open(id string) { s.OpenAt(id, "") }

// OpenAt opens conversation id showing message (a search hit, "": the
// branch it shows): when the message is not among those shown, the
// branch through it, which the server then shows from now on.
func (s *Session) OpenAt(id, message string) {
	if id == "" {
		return
	}
	if id == s.conv.ID && !s.conv.Busy() && len(s.conv.Messages) > 0 {
		if message != "" && !s.conv.shows(message) {
			s.ShowBranch(message)
		}
		return
	}
	conv, ok := s.open[id]
	if !ok {
		if conv = s.cfg.Local.cached(id); conv == nil {
			conv = &Conversation{ID: id, Notice: s.Texts.Loading}
		}
		s.open[id] = conv
	}
	s.show(conv)
	if message == "" || conv.shows(message) || conv.Busy() {
		s.load(conv, PageSize)
		return
	}
	background(s, func(ctx context.Context, api API) (*Conversation, error) { return api.Show(ctx, id, message, PageSize) },
		func(stored *Conversation, err error) { s.loaded(conv, stored, err, false) })
}

// load fetches conv's last limit messages (0: all) from the server.
func (s *Session) load(conv *Conversation, limit int) {
	id := conv.ID
	background(s, func(ctx context.Context, api API) (*Conversation, error) { return api.Get(ctx, id, limit) },
		func(stored *Conversation, err error) { s.loaded(conv, stored, err, false) })
}

// ShowBranch shows the branch of the conversation on screen through
// message id (a sibling of a message shown: "‹ 2 / 3 ›"), as the server
// has it; the server remembers it as the branch shown. Not while
// something is in flight: the page's copy is ahead of the server's.
func (s *Session) ShowBranch(id string) {
	conv := s.conv
	if conv.ID == "" || id == "" || conv.Busy() {
		return
	}
	limit := max(s.shown, PageSize)
	background(s, func(ctx context.Context, api API) (*Conversation, error) { return api.Show(ctx, conv.ID, id, limit) },
		func(stored *Conversation, err error) {
			if err != nil && len(conv.Messages) > 0 {
				conv.Notice = fmt.Sprintf(s.Texts.BranchFailed, err)
				s.notify(Changed, nil)
				return
			}
			s.loaded(conv, stored, err, true)
		})
}

// ShowEarlier shows more of the earlier messages, loading them first when
// the page has only the last ones: the last Shown, not all, so no
// response is bigger than what will show.
func (s *Session) ShowEarlier() {
	s.shown += PageSize
	if s.shown-PageSize >= len(s.conv.Messages) && s.conv.More {
		s.load(s.conv, s.shown)
	}
	s.notify(Changed, nil)
}

// loaded takes a conversation as the server has it. A conversation with
// something in flight on this page keeps the page's copy, which is ahead.
// With keep, the reader stays where they are (a branch switched at a
// message): the change is not a move to the end.
func (s *Session) loaded(conv *Conversation, stored *Conversation, err error, keep bool) {
	switch {
	case err != nil && len(conv.Messages) == 0:
		conv.Notice = fmt.Sprintf(s.Texts.LoadFailed, err)
	case err != nil:
		conv.Notice = ""
	case conv.Busy():
		return
	default:
		*conv = *stored
		for _, m := range conv.Messages {
			if m.Role == RoleAssistant && !m.Ended && s.client != nil {
				// Streaming still (in another tab, or before a reload):
				// follow it from what is stored.
				s.client.Resume(s.cfg.Context, m.Answer, len(m.Text))
			}
		}
		s.save(conv)
	}
	switch {
	case conv != s.conv:
	case err == nil && s.shown <= PageSize && !keep:
		s.notify(Moved, nil)
	default:
		s.notify(Changed, nil)
	}
}

// show puts conv on screen. The one it replaces was kept offline when it
// was last saved (ask, ack, end, load); its frames still land in it.
func (s *Session) show(conv *Conversation) {
	s.conv, s.shown = conv, PageSize
	s.cfg.Local.saveConversation(conv)
	s.notify(Moved, nil)
}

// NewChat starts a new conversation (the next question opens it on the
// server). It reports false when the one on screen is new already.
func (s *Session) NewChat() bool {
	if s.conv.ID == "" && len(s.conv.Messages) == 0 {
		return false
	}
	s.show(&Conversation{})
	return true
}

// Rename renames conversation id at once in the list, and back with a
// notice if the server refuses.
func (s *Session) Rename(id, title string) {
	old := s.list
	s.list = renamed(slices.Clone(s.list), id, title)
	s.notify(Changed, nil)
	background(s, func(ctx context.Context, api API) (struct{}, error) { return struct{}{}, api.Rename(ctx, id, title) },
		func(_ struct{}, err error) {
			if err != nil {
				s.list, s.conv.Notice = old, fmt.Sprintf(s.Texts.RenameFailed, err)
			}
			s.cfg.Local.saveList(s.list)
			s.notify(Changed, nil)
		})
}

// SetInstructions sets the system prompt and temperature (nil: the
// default) of the conversation on screen: kept with a new chat and sent
// with its first question; an existing one's are changed on the server,
// and back with a notice if it refuses.
func (s *Session) SetInstructions(system string, temperature *float64) {
	conv := s.conv
	oldSystem, oldTemp := conv.System, conv.Temperature
	conv.System, conv.Temperature = system, temperature
	s.save(conv)
	s.notify(Changed, nil)
	if conv.ID == "" {
		return
	}
	id := conv.ID
	background(s, func(ctx context.Context, api API) (struct{}, error) {
		return struct{}{}, api.SetInstructions(ctx, id, system, temperature)
	}, func(_ struct{}, err error) {
		if err == nil {
			return
		}
		conv.System, conv.Temperature = oldSystem, oldTemp
		conv.Notice = fmt.Sprintf(s.Texts.InstructionsFailed, err)
		s.save(conv)
		s.notify(Changed, nil)
	})
}

// Share shares conversation id (again: updates its link with what it is
// now); its link's path shows in Shares once the server has it. A
// failure is a notice.
func (s *Session) Share(id string) {
	background(s, func(ctx context.Context, api API) (protocol.Share, error) { return api.Share(ctx, id) },
		func(sh protocol.Share, err error) {
			if err != nil {
				s.conv.Notice = fmt.Sprintf(s.Texts.ShareFailed, err)
			} else {
				if s.shares == nil {
					s.shares = make(map[string]string)
				}
				s.shares[id] = sh.Path
			}
			s.notify(Changed, nil)
		})
}

// Unshare ends conversation id's share link.
func (s *Session) Unshare(id string) {
	background(s, func(ctx context.Context, api API) (struct{}, error) { return struct{}{}, api.Unshare(ctx, id) },
		func(_ struct{}, err error) {
			if ae, ok := errors.AsType[*APIError](err); err != nil && !(ok && ae.Code == "not_found") {
				s.conv.Notice = fmt.Sprintf(s.Texts.ShareFailed, err)
			} else {
				delete(s.shares, id)
			}
			s.notify(Changed, nil)
		})
}

// Shares returns the share links' paths on the server, by conversation.
func (s *Session) Shares() map[string]string { return s.shares }

// Delete deletes conversation id once the server has.
func (s *Session) Delete(id string) {
	background(s, func(ctx context.Context, api API) (struct{}, error) { return struct{}{}, api.Remove(ctx, id) },
		func(_ struct{}, err error) {
			if err != nil {
				s.conv.Notice = fmt.Sprintf(s.Texts.DeleteFailed, err)
				s.notify(Changed, nil)
				return
			}
			s.list = without(s.list, id)
			s.cfg.Local.saveList(s.list)
			delete(s.open, id)
			s.cfg.Local.uncache(id)
			if s.conv.ID == id {
				s.show(&Conversation{})
				return
			}
			s.notify(Changed, nil)
		})
}

// Search searches the conversations for q ("" ends the search). Offline,
// it searches the titles of the list kept. A search's hits show only
// while it is the last one asked.
func (s *Session) Search(q string) {
	s.query = q
	if q == "" || s.cfg.API == nil {
		s.hits = nil
		s.notify(Changed, nil)
		return
	}
	background(s, func(ctx context.Context, api API) ([]Hit, error) { return api.Search(ctx, q) },
		func(hits []Hit, err error) {
			if q != s.query {
				return // a later search is on its way
			}
			if err != nil {
				hits = searchOffline(s.list, q)
			}
			s.hits = hits
			s.notify(Changed, nil)
		})
}
