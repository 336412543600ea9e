//go:build !wasm

package app

import "github.com/maxence-charriere/go-app/v9/pkg/app"

// Handler describes the page to go-app's server side: title, icons and
// styles, all local so the page works offline. The server sets Resources
// and Version.
func Handler() *app.Handler {
	return &app.Handler{
		Name:            "wasmchat",
		ShortName:       "wasmchat",
		Title:           "wasmchat",
		Description:     "A fast, reliable chat app in Go and WebAssembly.",
		Lang:            "en",
		BackgroundColor: "#ffffff",
		ThemeColor:      "#10a37f",
		LoadingLabel:    "Loading wasmchat… {progress}%",
		Icon: app.Icon{
			Default:    "/web/icon-192.png",
			Large:      "/web/icon-512.png",
			SVG:        "/web/icon.svg",
			AppleTouch: "/web/icon-192.png",
		},
		Styles: []string{"/web/style.css"},
	}
}
