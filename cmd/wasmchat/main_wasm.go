//go:build js && wasm

// The page's main: it links go-app's client side and our components, and
// nothing of the server (no HTTP server, no SQL driver), which keeps the
// served wasm small.
package main

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	chatapp "github.com/wasmchat/wasmchat/app"
)

func main() {
	// For the page benchmark (BenchmarkBrowserPageStart): when Go runs.
	app.Window().Get("performance").Call("mark", "go-running")
	chatapp.Routes()
	app.RunWhenOnBrowser()
}
