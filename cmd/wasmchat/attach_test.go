//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserAttachments: an image and a text file pasted into the box
// show as chips, upload, and go with the question: the model gets the
// image downscaled to 2,048 px as an image part and the file's text; the
// question shows the thumbnail, also after a reload.
func TestBrowserAttachments(t *testing.T) {
	t.Parallel()
	fake := &fakeModels{}
	ctx := pageOnFake(t, fake)
	poll(t, ctx, "a 3,000 × 1,200 image and a CSV pasted", `(() => {
		if (window.pasted) return true;
		window.pasted = true;
		const canvas = document.createElement("canvas");
		canvas.width = 3000; canvas.height = 1200;
		const g = canvas.getContext("2d");
		g.fillStyle = "#3a7"; g.fillRect(0, 0, 3000, 1200);
		canvas.toBlob(blob => {
			const dt = new DataTransfer();
			dt.items.add(new File([blob], "wide.png", {type: "image/png"}));
			dt.items.add(new File(["city,people\nLyon,522250\n"], "cities.csv", {type: "text/csv"}));
			document.querySelector("#composer").dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
		}, "image/png");
		return false;
	})()`)
	poll(t, ctx, "both uploaded", `document.querySelectorAll('.composer .chip').length == 2 &&
		!document.querySelector('.composer .chip.uploading') && !document.querySelector('.composer .chip.refused') &&
		document.querySelector('.composer .chip img.thumb')?.src.startsWith("blob:")`)
	askInPage(t, ctx, "what are these?")
	waitAnswers(t, ctx, 1, "done")

	// The model's request: the text with the file, then the image.
	fake.mu.Lock()
	body := fake.bodies[len(fake.bodies)-1]
	fake.mu.Unlock()
	msgs, _ := body["messages"].([]any)
	last, _ := msgs[len(msgs)-1].(map[string]any)
	parts, _ := last["content"].([]any)
	if len(parts) != 2 {
		t.Fatalf("the question went as %v", last)
	}
	text, _ := parts[0].(map[string]any)["text"].(string)
	if !strings.HasPrefix(text, "what are these?") || !strings.Contains(text, `Attached file "cities.csv"`) || !strings.Contains(text, "Lyon,522250") {
		t.Errorf("the question's text: %q", text)
	}
	img, _ := parts[1].(map[string]any)["image_url"].(map[string]any)
	url, _ := img["url"].(string)
	data, ok := strings.CutPrefix(url, "data:image/png;base64,")
	if !ok {
		t.Fatalf("the image went as %.80s", url)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	must(t, err)
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	must(t, err)
	if cfg.Width != 2048 || cfg.Height != 819 {
		t.Errorf("the image sent is %d × %d, want 2048 × 819", cfg.Width, cfg.Height)
	}

	// What is typed stays when a file is pasted: the chip row does not
	// make the box a new element.
	must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`#composer`), "a draft"), chromedp.Evaluate[chromedp.Void](`(() => {
		window.box = document.querySelector("#composer");
		const dt = new DataTransfer();
		dt.items.add(new File(["x"], "x.txt", {type: "text/plain"}));
		window.box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
	})()`)))
	poll(t, ctx, "the draft kept beside the chip", `document.querySelectorAll('.composer .chip').length == 1 && !document.querySelector('.composer .chip.uploading') &&
		document.querySelector('#composer') === window.box && window.box.value == "a draft"`)
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.composer .unattach').click(); window.box.value = ""`)))
	poll(t, ctx, "the chip taken back", `document.querySelectorAll('.composer .chip').length == 0`)

	// A question sent while its file still uploads waits for it.
	must(t, chromedp.Do(ctx, pasteAndSend("later.txt", "just text", "and this one?")))
	waitAnswers(t, ctx, 2, "done")
	fake.mu.Lock()
	second, _ := json.Marshal(fake.bodies[len(fake.bodies)-1]["messages"])
	fake.mu.Unlock()
	if !strings.Contains(string(second), `and this one?\n\nAttached file \"later.txt\"`) {
		t.Errorf("the question sent while its file uploaded went as %s", second)
	}

	shows := `document.querySelector('.message.user .attachments img.thumb')?.src.startsWith("blob:") &&
		document.querySelector('.message.user .file-chip')?.textContent.includes("cities.csv")`
	poll(t, ctx, "the question's thumbnail", shows)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	poll(t, ctx, "the thumbnail after a reload", shows+` && document.querySelector('.message.user .attachments img.thumb').naturalWidth == 2048`)

	// A reload while an upload cannot get through (the page tries again
	// and again), with a question waiting for it: the reloaded page shows
	// the file, uploads it once the network lets it, and asks.
	must(t, chromedp.Do(ctx, uploads(failUploads), pasteAndSend("kept.txt", "kept over a reload", "read the file")))
	waiting := func(messages int) string {
		return fmt.Sprintf(`document.querySelector('.composer .chip.uploading') != null &&
			document.querySelector('.composer .send').textContent == "Uploading…" && document.querySelectorAll('.message').length == %d`, messages)
	}
	retrying := ` && document.querySelector('.composer .chip.retrying .chip-note')?.textContent == "cannot reach the server: trying again"`
	shown := ` && document.querySelector('.composer .waiting-question .waiting-text')?.textContent == "read the file"`
	poll(t, ctx, "the question waiting for its upload, tried again", waiting(4)+retrying+shown)
	poll(t, ctx, "the file kept in IndexedDB", keptFiles+` == 1`)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen))))
	poll(t, ctx, "the file and its question after the reload", waiting(4)+retrying+shown+
		` && document.querySelector('.composer .chip-name').textContent == "kept.txt"`)
	must(t, chromedp.Do(ctx, uploads(passUploads)))
	waitAnswers(t, ctx, 3, "done")
	poll(t, ctx, "the question with its file, nothing left kept", `document.querySelectorAll('.message.user .file-chip')[2]?.textContent.includes("kept.txt") &&
		document.querySelectorAll('.message.user .content')[2].textContent == "read the file" &&
		document.querySelectorAll('.composer .chip').length == 0 && sessionStorage.length == 0`)
	if got := fake.lastTurns(); !strings.Contains(got, "user:read the file") || !strings.Contains(got, "kept over a reload") {
		t.Errorf("the model was sent %q", got)
	}
	poll(t, ctx, "the Blob gone from IndexedDB", keptFiles+` == 0`)

	// A file whose Blob IndexedDB did not have yet when the page went
	// (here: taken out of it), its upload on its way, is offered again,
	// with its question.
	must(t, chromedp.Do(ctx, uploads(holdUploads), pasteAndSend("lost.txt", "not kept", "and this file?")))
	poll(t, ctx, "the second question waiting", waiting(6))
	poll(t, ctx, "the Blob kept", keptFiles+` == 1`)
	poll(t, ctx, "the Blob taken out", `(() => {
		if (!window.clearing) window.clearing = openKept().then(db => new Promise(done => {
			const tx = db.transaction("pending", "readwrite");
			tx.objectStore("pending").clear();
			tx.oncomplete = () => { window.cleared = true; db.close(); done(); };
		}));
		return window.cleared === true;
	})()`)
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(selOpen)), uploads(passUploads)))
	poll(t, ctx, "the file offered again", `document.querySelector('.composer .chip.refused .chip-error')?.textContent.includes("attach it again") &&
		document.querySelector('#composer').value == "and this file?" && document.querySelectorAll('.message').length == 6 &&
		document.querySelector('.composer .send').textContent != "Uploading…" && !document.querySelector('.composer .waiting-question')`)
}

// keptFiles is a JavaScript expression: how many Blobs the page keeps in
// IndexedDB for the composer (-1 until it knows; poll it). It defines
// openKept, which opens that database.
const keptFiles = `(() => {
	window.openKept = () => indexedDB.databases().then(dbs => new Promise((done, fail) => {
		const d = dbs.find(d => d.name.startsWith("wasmchat.files"));
		if (!d) return fail("no database");
		const q = indexedDB.open(d.name);
		q.onsuccess = () => done(q.result);
		q.onerror = fail;
	}));
	openKept().then(db => {
		const c = db.transaction("pending").objectStore("pending").count();
		c.onsuccess = () => { window.keptCount = c.result; db.close(); };
	}, () => { window.keptCount = -1; });
	return window.keptCount ?? -1;
})()`

// pasteJS is JavaScript that pastes a text file into the box.
func pasteJS(name, content string) string {
	return fmt.Sprintf(`{
		const dt = new DataTransfer();
		dt.items.add(new File([%q], %q, {type: "text/plain"}));
		document.querySelector("#composer").dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
	}`, content, name)
}

// pasteFile pastes a text file into the box.
func pasteFile(name, content string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](pasteJS(name, content))
}

// pasteAndSend pastes a text file into the box and sends a question.
func pasteAndSend(name, content, question string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](pasteJS(name, content) + fmt.Sprintf(`{
		const box = document.querySelector("#composer");
		box.value = %q;
		box.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true}));
	}`, question))
}

// What the browser's network does to uploads (POST /api/files): let them
// through, hold each a minute before its answer, or fail them as offline.
const (
	passUploads = iota
	holdUploads
	failUploads
)

// uploads sets what the browser's network does to uploads.
func uploads(what int) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var rules []*network.Conditions
		if what != passUploads {
			rules = []*network.Conditions{{URLPattern: "*://*:*/api/files*", Offline: what == failUploads, Latency: 60000, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
		return err
	})
}

// TestBrowserAttachmentOverQuota: a file over the user's quota is refused
// with the server's reason on its chip, and holds its question back in
// the box: nothing is asked without it.
func TestBrowserAttachmentOverQuota(t *testing.T) {
	t.Parallel()
	a := startApp(t, map[string]string{"WASMCHAT_FILE_QUOTA": "1"})
	ctx := newBrowser(t)
	signIn(t, ctx, a.URL, a.Token)
	big := strings.Repeat("x", 700<<10)
	must(t, chromedp.Do(ctx, pasteFile("first.txt", big)))
	poll(t, ctx, "the first file up", `document.querySelectorAll('.composer .chip').length == 1 && !document.querySelector('.composer .chip.uploading')`)
	must(t, chromedp.Do(ctx, pasteFile("second.txt", big)))
	poll(t, ctx, "the second refused", `document.querySelector('.composer .chip.refused .chip-error')?.textContent.startsWith("Your files would take more than 1 MB")`)
	askInPage(t, ctx, "read both")
	poll(t, ctx, "the question held back", `document.querySelector('#composer').value == "read both" && document.querySelectorAll('.message').length == 0`)
}
