//go:build !(js && wasm)

package session

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// fetch makes an HTTP request with net/http, outside the browser (tests).
func fetch(ctx context.Context, method, url string, header map[string]string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, ErrOffline
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, ErrOffline
	}
	return res.StatusCode, data, nil
}
