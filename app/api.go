package app

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

// apiClient calls the server's HTTP API with the page's token. (Methods
// are plain strings: the page does not import net/http, which would link
// the TLS stack into the wasm; see third_party/go-app.)
type apiClient struct {
	base  string // the page's origin
	token string
}

// errOffline is the error of a call that got no answer from the server.
var errOffline = errors.New("the server cannot be reached")

func (a *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	header := map[string]string{"Authorization": "Bearer " + a.token}
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return err
		}
		header["Content-Type"] = "application/json"
	}
	status, res, err := fetch(ctx, method, a.base+path, header, data)
	if err != nil {
		return err
	}
	if status >= 300 {
		var e struct{ Error string }
		_ = json.Unmarshal(res, &e)
		if e.Error == "" {
			e.Error = fmt.Sprintf("the server answered %d", status)
		}
		return errors.New(e.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res, out)
}

func (a *apiClient) list(ctx context.Context) ([]Summary, error) {
	var out struct{ Conversations []Summary }
	err := a.do(ctx, "GET", "/api/conversations", nil, &out)
	return out.Conversations, err
}

// get returns conversation id with its last limit messages (0: all). It
// asks for one more, to know whether there are earlier ones (More).
func (a *apiClient) get(ctx context.Context, id string, limit int) (*Conversation, error) {
	ask := 0
	if limit > 0 {
		ask = limit + 1
	}
	var out protocol.Export
	err := a.do(ctx, "GET", "/api/conversations/"+url.PathEscape(id)+"?limit="+strconv.Itoa(ask), nil, &out)
	more := limit > 0 && len(out.Messages) > limit
	if more {
		out.Messages = out.Messages[1:]
	}
	c := fromStored(out)
	c.More = more
	return c, err
}

func (a *apiClient) rename(ctx context.Context, id, title string) error {
	return a.do(ctx, "PATCH", "/api/conversations/"+url.PathEscape(id), map[string]string{"title": title}, nil)
}

func (a *apiClient) remove(ctx context.Context, id string) error {
	return a.do(ctx, "DELETE", "/api/conversations/"+url.PathEscape(id), nil, nil)
}

func (a *apiClient) search(ctx context.Context, q string) ([]Hit, error) {
	var out struct{ Hits []Hit }
	err := a.do(ctx, "GET", "/api/search?q="+url.QueryEscape(q)+"&limit=50", nil, &out)
	return out.Hits, err
}
