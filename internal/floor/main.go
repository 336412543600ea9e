// Command floor is the least page of this stack: a go-app v9 page with a
// question box that opens one coder/websocket connection, and its server.
// The page benchmark (BenchmarkBrowserPageStart in cmd/wasmchat) builds it
// beside wasmchat and loads both in Chromium in one run, so wasmchat's
// start is measured against what go-app and the WebSocket alone cost.
//
// The same file is the page (GOOS=js GOARCH=wasm) and its server (the
// host): `floor -addr 127.0.0.1:0 -web DIR` serves DIR/app.wasm (with
// DIR/app.wasm.br when the browser takes brotli) and /ws, which sends one
// hello frame. It prints "listening on http://…" when it is up. The page
// marks "go-running" when its main starts and "ws-open" and "ws-page" when
// its WebSocket opens (performance.mark), as wasmchat's page does.
package main

import (
	"strings"

	"github.com/coder/websocket"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

type page struct {
	app.Compo
	state string
}

func (p *page) Render() app.UI {
	state := p.state
	if state == "" {
		state = "connecting"
	}
	return app.Main().Body(
		app.Textarea().ID("composer").AutoFocus(true).Placeholder("Ask anything"),
		app.P().ID("connection").DataSet("state", state).Text(state),
	)
}

func (p *page) OnMount(ctx app.Context) {
	// autofocus is not applied to a box inserted after the page loaded.
	ctx.Defer(func(app.Context) { app.Window().GetElementByID("composer").Call("focus") })
	u := app.Window().URL()
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path, u.Fragment = "/ws", ""
	ctx.Async(func() {
		ws, _, err := websocket.Dial(ctx, u.String(), nil)
		state := "open"
		if err == nil {
			app.Window().Get("performance").Call("mark", "ws-open")
			app.Window().Get("performance").Call("mark", "ws-page")
			_, _, err = ws.Read(ctx)
		}
		if err != nil {
			state = "closed"
		}
		ctx.Dispatch(func(app.Context) { p.state = state })
	})
}

func routes() { app.RouteFunc("/", func() app.Composer { return &page{} }) }
