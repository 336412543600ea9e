//go:build wasm

// wasmchat: what the wasm build keeps of http.go, without net/http (see
// ../../README.md).

package app

import "strings"

// Handler serves the page; it is the server's, and has nothing in the
// browser. (wasm.go's GenerateStaticWebsite names it.)
type Handler struct{}

func isRemoteLocation(path string) bool {
	return strings.HasPrefix(path, "https://") ||
		strings.HasPrefix(path, "http://")
}

func isStaticResourcePath(path string) bool {
	return strings.HasPrefix(path, "/web/") ||
		strings.HasPrefix(path, "web/")
}
