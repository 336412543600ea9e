//go:build !(js && wasm)

package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	routes()
	if err := serve(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	web := fs.String("web", "", "folder with app.wasm (and app.wasm.br)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	wasm, err := os.ReadFile(filepath.Join(*web, "app.wasm"))
	if err != nil {
		return err
	}
	br, _ := os.ReadFile(filepath.Join(*web, "app.wasm.br"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /web/app.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		body := wasm
		if br != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
			w.Header().Set("Content-Encoding", "br")
			body = br
		}
		_, _ = w.Write(body)
	})
	// go-app's worker caches the page's icon on install: without it, the
	// worker would not install and warm loads would not be warm.
	icon := image.NewRGBA(image.Rect(0, 0, 192, 192))
	var buf bytes.Buffer
	if err := png.Encode(&buf, icon); err != nil {
		return err
	}
	mux.HandleFunc("GET /web/icon.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := ws.CloseRead(r.Context())
		_ = ws.Write(ctx, websocket.MessageText, []byte(`{"status":3,"type":"hello","content":""}`))
		<-ctx.Done()
	})
	mux.Handle("/", &app.Handler{Name: "floor", Title: "floor", Version: "floor", Icon: app.Icon{Default: "/web/icon.png"}})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
