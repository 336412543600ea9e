//go:build js && wasm

package session

import (
	"context"
	"syscall/js"
)

// fetch makes an HTTP request with the browser's fetch, not net/http:
// net/http's client would add 5.5 MB to the wasm. It blocks, so call it off
// the UI goroutine. A request that gets no answer returns ErrOffline.
func fetch(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	w := js.Global()
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
	onFail := js.FuncOf(func(js.Value, []js.Value) any {
		done <- result{err: ErrOffline}
		return nil
	})
	onBody := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{status: status, body: []byte(args[0].String())}
		return nil
	})
	onResponse := js.FuncOf(func(_ js.Value, args []js.Value) any {
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
