//go:build js && wasm

package app

import (
	"context"

	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// fetch makes an HTTP request with the browser's fetch, not net/http:
// net/http's client would add 5.5 MB to the wasm. It blocks, so call it off
// the UI goroutine. A request that gets no answer returns errOffline.
func fetch(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	w := app.Window()
	opts := w.Get("Object").New()
	opts.Set("method", method)
	h := w.Get("Object").New()
	for k, v := range header {
		h.Set(k, v)
	}
	opts.Set("headers", h)
	if body != nil {
		opts.Set("body", string(body))
	}
	abort := w.Get("AbortController").New()
	opts.Set("signal", abort.Get("signal"))

	type result struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan result, 2)
	status := 0
	onFail := app.FuncOf(func(app.Value, []app.Value) any {
		done <- result{err: errOffline}
		return nil
	})
	onBody := app.FuncOf(func(_ app.Value, args []app.Value) any {
		done <- result{status: status, body: []byte(args[0].String())}
		return nil
	})
	onResponse := app.FuncOf(func(_ app.Value, args []app.Value) any {
		status = args[0].Get("status").Int()
		args[0].Call("text").Call("then", onBody, onFail)
		return nil
	})
	defer func() {
		onFail.Release()
		onBody.Release()
		onResponse.Release()
	}()
	w.Call("fetch", url, opts).Call("then", onResponse, onFail)
	select {
	case r := <-done:
		return r.status, r.body, r.err
	case <-ctx.Done():
		abort.Call("abort")
		<-done
		return 0, nil, ctx.Err()
	}
}
