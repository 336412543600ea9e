package app

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// Routes registers the page's routes with go-app. The server and the wasm
// main both call it: the server to prerender, the page to mount.
func Routes() {
	app.RouteFunc("/", func() app.Composer { return &Chat{} })
}
