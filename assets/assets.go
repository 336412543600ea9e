// Package assets embeds the files the server serves under /web/: the page's
// wasm (built by `make build`, with its precompressed .br and .gz), icons
// and styles. Embedding them makes bin/wasmchat the whole deployment.
package assets

import (
	"embed"
	"io/fs"
)

//go:embed web
var files embed.FS

// Web returns the contents of /web/.
func Web() fs.FS {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic(err) // "web" is embedded: Sub cannot fail
	}
	return sub
}
