package app

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

// The composer's files, and a question waiting for them, survive a
// reload of the tab. What the composer holds is written to the tab's
// sessionStorage at each change, at once and whole (keptComposer: the
// question, and each file's name, type and server id once it is up); the
// readied Blob of each file is put in IndexedDB (pendingDB), whose writes
// land a moment later. A reloaded tab shows the files again, uploads those
// that were not up, and asks the question once they are; a file whose Blob
// had not reached IndexedDB when the page went is offered again: its chip
// says to attach it once more, and the question goes back into the box.
//
// sessionStorage, not localStorage: what waits is the tab's own, so
// another tab of the same account neither shows these files nor asks the
// question a second time. It is kept per site and account. IndexedDB is
// shared by the tabs; a Blob stays there until its question is asked or
// the file taken back, and one a tab left behind (closed mid-upload) is
// swept by the next tab that opens after a day.

// keptComposer is what a tab keeps of its composer over a reload.
type keptComposer struct {
	Question string     `json:"question,omitempty"`
	Files    []keptFile `json:"files,omitempty"`
}

// keptFile is a file of the composer: Type is set once it is readied (its
// Blob, of that type, is then in IndexedDB under Key, or on its way
// there), File.ID once it is up.
type keptFile struct {
	Key  string              `json:"key"`
	Name string              `json:"name"`
	Type string              `json:"type,omitempty"`
	File protocol.Attachment `json:"file"`
}

// composerKey is the sessionStorage name of the composer kept, and
// pendingName the IndexedDB database of its Blobs, for the site and
// account.
const (
	composerKey = "wasmchat.composer"
	pendingName = "wasmchat.files"
)

// pendingStore is the IndexedDB object store of the Blobs; a record is
// {key, blob, at (ms since the epoch)}.
const pendingStore = "pending"

// pendingSweep is how old a Blob no tab asked for is swept.
const pendingSweep = 24 * time.Hour

// keepComposer writes what the composer holds to the tab's storage: the
// question waiting, and the files not refused.
func (c *Chat) keepComposer() {
	if c.composerKey == "" {
		return
	}
	k := keptComposer{Question: c.waiting}
	for _, a := range c.attaching {
		if a.Err == "" {
			k.Files = append(k.Files, keptFile{Key: a.key, Name: a.Name, Type: a.typ, File: a.File})
		}
	}
	if k.Question == "" && len(k.Files) == 0 {
		tabStorage.Remove(c.composerKey)
		return
	}
	b, _ := json.Marshal(k)
	tabStorage.Set(c.composerKey, string(b))
}

// restoreComposer shows what the tab's composer held before a reload,
// and, once IndexedDB has answered, uploads the files that were not up
// and asks the question waiting for them. account names the token's
// account.
func (c *Chat) restoreComposer(account string) {
	c.composerKey = siteKey(composerKey) + "@" + account
	var k keptComposer
	if raw := tabStorage.Get(c.composerKey); raw != "" && json.Unmarshal([]byte(raw), &k) != nil {
		tabStorage.Remove(c.composerKey) // unreadable: nothing kept
	}
	c.waiting = k.Question
	restored := make([]*attachment, 0, len(k.Files))
	for _, f := range k.Files {
		a := &attachment{key: f.Key, Name: f.Name, typ: f.Type, File: f.File}
		restored = append(restored, a)
		c.attaching = append(c.attaching, a)
	}
	go func() {
		db, err := openPending(siteKey(pendingName) + "@" + account)
		var blobs map[string]app.Value
		if err == nil {
			blobs = db.sweep(func(key string) bool {
				return slices.ContainsFunc(k.Files, func(f keptFile) bool { return f.Key == key })
			})
		}
		c.ctx.Dispatch(func(app.Context) {
			c.pending = db
			for _, a := range c.attaching {
				if a.blob != nil && !slices.Contains(restored, a) {
					db.put(a) // readied before the database opened
				}
			}
			for _, a := range restored {
				if !slices.Contains(c.attaching, a) {
					continue // taken back meanwhile
				}
				blob, ok := blobs[a.key]
				switch {
				case ok && a.typ != "":
					a.ready(blob)
					if a.File.ID == "" {
						c.upload(a)
					}
				case a.File.ID == "":
					a.Err = tr(c.lang).FileLost
				}
			}
			c.keepComposer()
			c.sendWaiting()
			c.Update()
		})
	}()
}

// pendingDB is the composer's Blobs in IndexedDB; nil when the browser
// has none, or refused to open it (then files live as long as the page).
type pendingDB struct{ db app.Value }

// openPending opens the database name. It blocks: call it off the UI
// goroutine.
func openPending(name string) (*pendingDB, error) {
	idb := app.Window().Get("indexedDB")
	if !idb.Truthy() {
		return nil, errors.New("no IndexedDB")
	}
	req := idb.Call("open", name, 1)
	upgrade := app.FuncOf(func(app.Value, []app.Value) any {
		opts := app.Window().Get("Object").New()
		opts.Set("keyPath", "key")
		req.Get("result").Call("createObjectStore", pendingStore, opts)
		return nil
	})
	defer upgrade.Release()
	req.Set("onupgradeneeded", upgrade)
	db, err := idbResult(req)
	if err != nil {
		return nil, err
	}
	return &pendingDB{db: db}, nil
}

// idbResult waits for an IndexedDB request: its result, or an error.
func idbResult(req app.Value) (app.Value, error) {
	ch := make(chan error, 1)
	ok := app.FuncOf(func(app.Value, []app.Value) any { ch <- nil; return nil })
	fail := app.FuncOf(func(app.Value, []app.Value) any { ch <- errors.New("IndexedDB refused"); return nil })
	defer ok.Release()
	defer fail.Release()
	req.Set("onsuccess", ok)
	req.Set("onerror", fail)
	if err := <-ch; err != nil {
		return nil, err
	}
	return req.Get("result"), nil
}

// store returns the object store in a new transaction of mode.
func (p *pendingDB) store(mode string) app.Value {
	return p.db.Call("transaction", pendingStore, mode).Call("objectStore", pendingStore)
}

// put keeps a readied file's Blob; it lands a moment later.
func (p *pendingDB) put(a *attachment) {
	if p == nil || a.blob == nil {
		return
	}
	rec := app.Window().Get("Object").New()
	rec.Set("key", a.key)
	rec.Set("blob", a.blob)
	rec.Set("at", app.Window().Get("Date").Call("now"))
	p.store("readwrite").Call("put", rec)
}

// remove forgets the Blobs of keys.
func (p *pendingDB) remove(keys ...string) {
	if p == nil || len(keys) == 0 {
		return
	}
	s := p.store("readwrite")
	for _, k := range keys {
		s.Call("delete", k)
	}
}

// sweep returns the Blobs of the keys mine says are this tab's, and
// deletes those no tab has asked for in pendingSweep. It blocks: call it
// off the UI goroutine.
func (p *pendingDB) sweep(mine func(key string) bool) map[string]app.Value {
	recs, err := idbResult(p.store("readonly").Call("getAll"))
	if err != nil {
		return nil
	}
	blobs := map[string]app.Value{}
	old := float64(time.Now().Add(-pendingSweep).UnixMilli())
	var stale []string
	for i := 0; i < recs.Length(); i++ {
		r := recs.Index(i)
		key := r.Get("key").String()
		switch {
		case mine(key) && r.Get("blob").Truthy():
			blobs[key] = r.Get("blob")
		case r.Get("at").Float() < old:
			stale = append(stale, key)
		}
	}
	p.remove(stale...)
	return blobs
}

// newKey is a file's name in the composer's keeping.
func newKey() string { return rand.Text() }
