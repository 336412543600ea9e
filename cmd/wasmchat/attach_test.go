//go:build !js

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"strings"
	"testing"

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
	must(t, chromedp.Do(ctx, chromedp.SendKeys(`#composer`, "a draft"), chromedp.Evaluate[chromedp.Void](`(() => {
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
	must(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["just text"], "later.txt", {type: "text/plain"}));
		const box = document.querySelector("#composer");
		box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
		box.value = "and this one?";
		box.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true}));
	})()`)))
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
	must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(selOpen)))
	poll(t, ctx, "the thumbnail after a reload", shows+` && document.querySelector('.message.user .attachments img.thumb').naturalWidth == 2048`)
}
