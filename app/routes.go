package app

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// Routes registers the page's routes with go-app. The server and the wasm
// main both call it: the server to prerender, the page to mount. In the
// browser it also begins the page's start (start.go): the WebSocket dials
// while go-app renders.
func Routes() {
	var s *start
	if !app.IsServer {
		s = begin()
	}
	app.RouteFunc("/", func() app.Composer { return &Chat{start: s} })
}
