package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

// API is the server's HTTP API as the session calls it. Calls block; the
// session makes them off the UI goroutine.
type API interface {
	// Me returns the name of who the token signs in as.
	Me(ctx context.Context) (string, error)
	// Models returns the models questions may name, and the default.
	Models(ctx context.Context) (protocol.Models, error)
	// List returns the user's conversations, newest first.
	List(ctx context.Context) ([]Summary, error)
	// Get returns conversation id with its last limit messages (0: all),
	// More set when there are earlier ones.
	Get(ctx context.Context, id string, limit int) (*Conversation, error)
	// Show switches conversation id to the branch through message and
	// returns it as Get does.
	Show(ctx context.Context, id, message string, limit int) (*Conversation, error)
	Rename(ctx context.Context, id, title string) error
	// SetInstructions sets conversation id's system prompt and temperature
	// (nil: the default).
	SetInstructions(ctx context.Context, id, system string, temperature *float64) error
	Remove(ctx context.Context, id string) error
	// Share shares conversation id (again: the same link, updated), and
	// Unshare ends its link; Shares lists the user's links.
	Share(ctx context.Context, id string) (protocol.Share, error)
	Unshare(ctx context.Context, id string) error
	Shares(ctx context.Context) ([]protocol.Share, error)
	// Search returns the conversations whose titles or messages hold q.
	Search(ctx context.Context, q string) ([]Hit, error)
}

// HTTP is the API of the server at Base (an origin), called with Token.
// In the page it calls the browser's fetch, not net/http, which would link
// the TLS stack into the wasm (fetch_js.go); natively, net/http.
type HTTP struct {
	Base  string
	Token string
}

var _ API = HTTP{}

// APIError is the server's refusal of a call: its code (not_found,
// bad_request…) and its message, which is the error's text.
type APIError struct{ Code, Message string }

func (e *APIError) Error() string { return e.Message }

// ErrOffline is the error of a call that got no answer from the server.
var ErrOffline = errors.New("the server cannot be reached")

func (a HTTP) do(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	header := map[string]string{"Authorization": "Bearer " + a.Token}
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return err
		}
		header["Content-Type"] = "application/json"
	}
	status, res, err := fetch(ctx, method, a.Base+path, header, data)
	if err != nil {
		return err
	}
	if status >= 300 {
		var e struct{ Error, Code string }
		_ = json.Unmarshal(res, &e)
		if e.Error == "" {
			e.Error = fmt.Sprintf("the server answered %d", status)
		}
		return &APIError{Code: e.Code, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res, out)
}

func (a HTTP) Me(ctx context.Context) (string, error) {
	var out protocol.Me
	err := a.do(ctx, "GET", "/api/me", nil, &out)
	return out.Name, err
}

func (a HTTP) Models(ctx context.Context) (protocol.Models, error) {
	var out protocol.Models
	err := a.do(ctx, "GET", "/api/models", nil, &out)
	return out, err
}

func (a HTTP) List(ctx context.Context) ([]Summary, error) {
	var out struct{ Conversations []Summary }
	err := a.do(ctx, "GET", "/api/conversations", nil, &out)
	return out.Conversations, err
}

// Get asks for one message more than limit, to know whether there are
// earlier ones (More).
func (a HTTP) Get(ctx context.Context, id string, limit int) (*Conversation, error) {
	return a.conversation(ctx, "GET", "/api/conversations/"+url.PathEscape(id), nil, limit)
}

func (a HTTP) Show(ctx context.Context, id, message string, limit int) (*Conversation, error) {
	return a.conversation(ctx, "POST", "/api/conversations/"+url.PathEscape(id)+"/show", map[string]string{"message": message}, limit)
}

// conversation calls what answers a conversation with its last limit
// messages and one more, to know whether there are earlier ones (More).
func (a HTTP) conversation(ctx context.Context, method, path string, body any, limit int) (*Conversation, error) {
	ask := 0
	if limit > 0 {
		ask = limit + 1
	}
	var out protocol.Export
	err := a.do(ctx, method, path+"?limit="+strconv.Itoa(ask), body, &out)
	more := limit > 0 && len(out.Messages) > limit
	if more {
		out.Messages = out.Messages[1:]
	}
	if err != nil {
		return nil, err
	}
	c := fromStored(out)
	c.More = more
	return c, nil
}

func (a HTTP) Rename(ctx context.Context, id, title string) error {
	return a.do(ctx, "PATCH", "/api/conversations/"+url.PathEscape(id), map[string]string{"title": title}, nil)
}

func (a HTTP) SetInstructions(ctx context.Context, id, system string, temperature *float64) error {
	body := map[string]any{"system": system, "temperature": temperature}
	return a.do(ctx, "PATCH", "/api/conversations/"+url.PathEscape(id), body, nil)
}

func (a HTTP) Share(ctx context.Context, id string) (protocol.Share, error) {
	var out protocol.Share
	err := a.do(ctx, "POST", "/api/conversations/"+url.PathEscape(id)+"/share", nil, &out)
	return out, err
}

func (a HTTP) Unshare(ctx context.Context, id string) error {
	return a.do(ctx, "DELETE", "/api/conversations/"+url.PathEscape(id)+"/share", nil, nil)
}

func (a HTTP) Shares(ctx context.Context) ([]protocol.Share, error) {
	var out struct{ Shares []protocol.Share }
	err := a.do(ctx, "GET", "/api/shares", nil, &out)
	return out.Shares, err
}

func (a HTTP) Remove(ctx context.Context, id string) error {
	return a.do(ctx, "DELETE", "/api/conversations/"+url.PathEscape(id), nil, nil)
}

func (a HTTP) Search(ctx context.Context, q string) ([]Hit, error) {
	var out struct{ Hits []Hit }
	err := a.do(ctx, "GET", "/api/search?q="+url.QueryEscape(q)+"&limit=50", nil, &out)
	return out.Hits, err
}
