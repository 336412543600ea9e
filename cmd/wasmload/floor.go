package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/coder/websocket"

	"github.com/wasmchat/wasmchat/protocol"
	"github.com/wasmchat/wasmchat/upstream"
	"github.com/wasmchat/wasmchat/upstream/demo"
)

// runFloor serves the floor: the least a WebSocket server of this stack
// does for the same work. On /ws/… it accepts a coder/websocket connection,
// sends a hello, and answers each ask frame with an ack and the demo's
// answer at the demo's pace, a chunk frame per piece the demo emits, then
// the end frame: wasmchat's frames, with no hub, store, limits, pings or
// coalescing. It prints "listening on http://…" when it is up.
func runFloor(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	rate := fs.Float64("cps", demo.DefaultRate, "characters a second of the answers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: floorHandler(ctx, demo.New(*rate))}
	fmt.Fprintf(stdout, "listening on http://%s\n", l.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func floorHandler(ctx context.Context, d *demo.Demo) http.Handler {
	hello := protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlHello, Content: "floor"}.Encode()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{protocol.Subprotocol}})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(protocol.MaxFrameBytes)
		if ws.Write(ctx, websocket.MessageText, hello) != nil {
			return
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			f, err := protocol.DecodeClient(data)
			if err != nil || f.Type != protocol.TypeAsk {
				continue
			}
			id, conv := rand.Text(), rand.Text()
			ack := protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: f.ID, Answer: id, Conversation: conv}
			if ws.Write(ctx, websocket.MessageText, ack.Encode()) != nil {
				return
			}
			go func() {
				off := 0
				req := upstream.Request{Turns: []upstream.Turn{{Role: upstream.RoleUser, Text: f.Text}}}
				_, _ = d.Stream(ctx, req, func(chunk string) {
					c := protocol.ServerFrame{Status: protocol.StatusChunk, Content: chunk, Answer: id, Offset: off}
					_ = ws.Write(ctx, websocket.MessageText, c.Encode())
					off += len(chunk)
				})
				end := protocol.ServerFrame{Status: protocol.StatusEnd, Answer: id, Conversation: conv, Offset: off, Finish: protocol.FinishStop}
				_ = ws.Write(ctx, websocket.MessageText, end.Encode())
			}()
		}
	})
}
