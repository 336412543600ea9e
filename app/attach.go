package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// Attachments in the page. Files pasted, dropped or chosen in the composer
// are readied in the browser (an image is drawn anew at most
// protocol.MaxImageDimension on its long side and re-encoded, which also
// drops its metadata; a text file goes as it is, up to
// protocol.MaxTextFileBytes), uploaded (POST /api/files) and shown as
// chips above the box; the question asked then names them. A question
// sent while one still uploads waits for it. The bytes never pass through
// Go: the browser's Blob goes to fetch as it is, and a thumbnail is that
// Blob's blob: URL (the page's CSP allows blob: images and nothing else
// new). An upload the network breaks off is tried again until it is up or
// taken back; the files and a question waiting for them survive a reload
// (pending.go).

// attachment is a file in the composer: uploading, uploaded (File.ID set)
// or refused (Err).
type attachment struct {
	Name    string
	Preview string // a blob: URL of the image, "" for a text file
	File    protocol.Attachment
	Err     string
	// retrying is set while the network keeps the upload from the
	// server: it is tried again.
	retrying bool

	key  string    // its name in the composer's keeping (pending.go)
	typ  string    // the type of blob
	blob app.Value // the file readied: nil until it is
	// dropped is set, on the UI goroutine, once the file is taken back or
	// asked with: its upload stops trying.
	dropped atomic.Bool
}

// uploading reports whether the file is still on its way.
func (a *attachment) uploading() bool { return a.File.ID == "" && a.Err == "" }

// attachFiles is the actionAttach payload: a FileList, or an array of
// File.
type attachFiles struct{ Files app.Value }

// chips are the composer's files as they show.
func (c *Chat) chips() []chip {
	var out []chip
	for _, a := range c.attaching {
		out = append(out, chip{Name: a.Name, Preview: a.Preview, Err: a.Err, Uploading: a.uploading(), Retrying: a.retrying})
	}
	return out
}

// unattach is the actionUnattach payload: the index of the file to drop.
type unattach struct{ Index int }

// attach readies and uploads each file of list, each on its own
// goroutine: its chip shows at once, and changes when it is readied and
// when it is up.
func (c *Chat) attach(list app.Value) {
	for i := 0; i < list.Length(); i++ {
		file := list.Index(i)
		a := &attachment{Name: file.Get("name").String(), key: newKey()}
		c.attaching = append(c.attaching, a)
		go func() {
			blob, typ, err := ready(file)
			c.ctx.Dispatch(func(app.Context) {
				if err != nil {
					a.Err = err.Error()
				} else if !a.dropped.Load() {
					a.typ = typ
					a.ready(blob)
					c.pending.put(a)
					c.upload(a)
				}
				c.keepComposer()
				c.sendWaiting()
			})
		}()
	}
	c.keepComposer()
}

// ready sets the file's readied Blob, and an image's blob: URL.
func (a *attachment) ready(blob app.Value) {
	a.blob = blob
	if slices.Contains(protocol.FileImageTypes, a.typ) {
		a.Preview = app.Window().Get("URL").Call("createObjectURL", blob).String()
	}
}

// upload sends a readied file, on a goroutine of its own. An upload the
// network broke off is tried again, a second later, then less and less
// often, until it is up, refused, or the file taken back.
func (c *Chat) upload(a *attachment) {
	base, token, name, typ, blob := c.api.Base, c.api.Token, a.Name, a.typ, a.blob
	go func() {
		up, err := send(base, token, name, typ, blob)
		for wait := time.Second; errors.Is(err, errUnreachable) && !a.dropped.Load(); wait = min(2*wait, 30*time.Second) {
			if wait == time.Second {
				c.ctx.Dispatch(func(app.Context) { a.retrying = true; c.Update() })
			}
			time.Sleep(wait)
			up, err = send(base, token, name, typ, blob)
		}
		c.ctx.Dispatch(func(app.Context) {
			a.File, a.retrying = up, false
			if err != nil {
				a.Err = err.Error()
			}
			c.keepComposer()
			c.sendWaiting()
		})
	}()
}

// unattach takes back the composer's file i.
func (c *Chat) unattach(i int) {
	if i < 0 || i >= len(c.attaching) {
		return
	}
	a := c.attaching[i]
	a.dropped.Store(true)
	c.attaching = slices.Delete(c.attaching, i, i+1)
	c.pending.remove(a.key)
	c.keepComposer()
	c.sendWaiting()
}

// sendWaiting asks the question sent while files uploaded, once none is.
func (c *Chat) sendWaiting() {
	if c.waiting == "" || slices.ContainsFunc(c.attaching, (*attachment).uploading) {
		return
	}
	text := c.waiting
	c.waiting = ""
	c.ask(text)
}

// ask asks text with the files uploaded; while one uploads, the question
// waits for it. One refused (its chip says why) holds the question back
// in the box: it is not asked without a file the reader meant it to have.
// What the composer holds then is kept over a reload.
func (c *Chat) ask(text string) {
	defer c.keepComposer()
	if slices.ContainsFunc(c.attaching, (*attachment).uploading) {
		c.waiting = text
		return
	}
	if slices.ContainsFunc(c.attaching, func(a *attachment) bool { return a.Err != "" }) {
		c.waiting = ""
		if box := app.Window().GetElementByID("composer"); box.Truthy() && box.Get("value").String() == "" {
			box.Set("value", text)
		}
		return
	}
	var files []protocol.Attachment
	var keys []string
	for _, a := range c.attaching {
		a.dropped.Store(true)
		files, keys = append(files, a.File), append(keys, a.key)
		if a.Preview != "" {
			c.view.files[a.File.ID] = a.Preview
		}
	}
	c.attaching = nil
	c.s.Ask(text, files...) // kept with the conversation: the files may go
	c.pending.remove(keys...)
}

// ready readies a file for upload: an image drawn anew (downscale), a
// text file as it is. It blocks: call it off the UI goroutine.
func ready(file app.Value) (blob app.Value, typ string, err error) {
	name, typ := file.Get("name").String(), file.Get("type").String()
	if slices.Contains(protocol.FileImageTypes, typ) {
		return downscale(file, typ)
	}
	if size := file.Get("size").Int(); size > protocol.MaxTextFileBytes {
		return nil, "", fmt.Errorf("%s is over %d MB", name, protocol.MaxTextFileBytes>>20)
	}
	if typ == "" {
		typ = "text/plain"
	}
	return file, typ, nil
}

// errUnreachable is an upload the network broke off, or a server not
// there (a proxy's 502, 503 or 504): worth trying again.
var errUnreachable = errors.New("the server cannot be reached")

// send uploads a readied file and returns the server's attachment, or
// why not. It blocks: call it off the UI goroutine.
func send(base, token, name, typ string, body app.Value) (a protocol.Attachment, err error) {
	w := app.Window()
	headers := w.Get("Object").New()
	headers.Set("Content-Type", typ)
	if token != "" {
		headers.Set("Authorization", "Bearer "+token)
	}
	opts := w.Get("Object").New()
	opts.Set("method", "POST")
	opts.Set("headers", headers)
	opts.Set("body", body)
	res, err := await(w.Call("fetch", base+"/api/files?name="+w.Call("encodeURIComponent", name).String(), opts))
	if err != nil {
		return a, errUnreachable
	}
	text, err := await(res.Call("text"))
	if err != nil {
		return a, errUnreachable
	}
	switch status := res.Get("status").Int(); status {
	case 201:
	case 502, 503, 504:
		return a, errUnreachable
	default:
		var refusal struct{ Error string }
		if json.Unmarshal([]byte(text.String()), &refusal) != nil || refusal.Error == "" {
			refusal.Error = fmt.Sprintf("the server refused it (HTTP %d)", status)
		}
		return a, errors.New(refusal.Error)
	}
	if err := json.Unmarshal([]byte(text.String()), &a); err != nil || a.ID == "" {
		return a, errors.New("the server's answer is unreadable")
	}
	return a, nil
}

// downscale draws an image anew, at most protocol.MaxImageDimension on its
// long side, and encodes it: PNG for a PNG or a GIF (its first frame),
// JPEG for a photo.
func downscale(file app.Value, typ string) (app.Value, string, error) {
	w := app.Window()
	bitmap, err := await(w.Call("createImageBitmap", file))
	if err != nil {
		return nil, "", errors.New("the image cannot be read")
	}
	defer bitmap.Call("close")
	width, height := bitmap.Get("width").Float(), bitmap.Get("height").Float()
	scale := math.Min(1, protocol.MaxImageDimension/math.Max(width, height))
	canvas := w.Get("document").Call("createElement", "canvas")
	canvas.Set("width", math.Max(1, math.Round(width*scale)))
	canvas.Set("height", math.Max(1, math.Round(height*scale)))
	canvas.Call("getContext", "2d").Call("drawImage", bitmap, 0, 0, canvas.Get("width"), canvas.Get("height"))
	out := "image/jpeg"
	if typ == "image/png" || typ == "image/gif" {
		out = "image/png"
	}
	done := make(chan app.Value, 1)
	cb := app.FuncOf(func(_ app.Value, args []app.Value) any {
		done <- args[0]
		return nil
	})
	defer cb.Release()
	canvas.Call("toBlob", cb, out, 0.9)
	blob := <-done
	if !blob.Truthy() {
		return nil, "", errors.New("the image cannot be encoded")
	}
	return blob, out, nil
}

// await waits for a promise: its value, or an error when it is rejected.
// It blocks: call it off the UI goroutine.
func await(p app.Value) (app.Value, error) {
	type result struct {
		v   app.Value
		err error
	}
	done := make(chan result, 1)
	then := app.FuncOf(func(_ app.Value, args []app.Value) any {
		done <- result{v: args[0]}
		return nil
	})
	catch := app.FuncOf(func(_ app.Value, args []app.Value) any {
		done <- result{err: errors.New("rejected")}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	r := <-done
	return r.v, r.err
}

// fileURL returns the blob: URL of file id, fetched with the token the
// first time it is asked for (done then runs on the UI goroutine); "" until
// it is there.
func (v *view) fileURL(id string, done func()) string {
	if v == nil || v.post == nil {
		return ""
	}
	if u, ok := v.files[id]; ok {
		return u
	}
	base, token := v.base, v.token
	v.files[id] = ""
	go func() {
		w := app.Window()
		headers := w.Get("Object").New()
		headers.Set("Authorization", "Bearer "+token)
		opts := w.Get("Object").New()
		opts.Set("headers", headers)
		res, err := await(w.Call("fetch", base+"/api/files/"+id, opts))
		if err != nil || res.Get("status").Int() != 200 {
			return
		}
		blob, err := await(res.Call("blob"))
		if err != nil {
			return
		}
		url := w.Get("URL").Call("createObjectURL", blob).String()
		v.post(func() {
			v.files[id] = url
			done()
		})
	}()
	return ""
}

// attachmentList shows a question's files: images as thumbnails, text
// files by name.
func attachmentList(files []protocol.Attachment, url func(id string) string) app.UI {
	return app.Div().Class("attachments").Body(
		app.Range(files).Slice(func(i int) app.UI {
			f := files[i]
			if slices.Contains(protocol.FileImageTypes, f.Type) {
				if u := url(f.ID); strings.HasPrefix(u, "blob:") {
					return app.Img().Class("thumb").Src(u).Alt(f.Name).Title(f.Name)
				}
				return app.Span().Class("thumb", "loading").Title(f.Name)
			}
			return app.Span().Class("file-chip").Body(app.Raw(iconFile), app.Text(f.Name))
		}),
	)
}
