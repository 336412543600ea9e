//go:build !js

package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserThemes takes the page in light and dark themes, on a
// desktop and on a 360 px phone, each in a tab of its own at once, and
// checks that each theme paints its background.
func TestBrowserThemes(t *testing.T) {
	t.Parallel()
	shootThemes(t, t.TempDir())
}

// TestScreenshots keeps those pictures in $WASMCHAT_SCREENSHOTS to look at:
// `make screenshots` runs it; `make test` has TestBrowserThemes.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("WASMCHAT_SCREENSHOTS")
	if dir == "" {
		t.Skip("make screenshots runs this (TestBrowserThemes checks the themes)")
	}
	must(t, os.MkdirAll(dir, 0o755))
	shootThemes(t, dir)
}

// shootThemes takes the page in each theme and size into dir, and checks
// each theme's background.
func shootThemes(t *testing.T, dir string) {
	a := startApp(t, map[string]string{"WASMCHAT_DEMO_CPS": "5000"})
	for _, view := range []struct {
		name   string
		width  int64
		height int64
		mobile bool
	}{{"desktop", 1280, 800, false}, {"mobile", 360, 740, true}} {
		for _, theme := range []string{"light", "dark"} {
			t.Run(theme+"-"+view.name, func(t *testing.T) {
				t.Parallel()
				ctx := newBrowser(t)
				var opts []chromedp.EmulateViewportOption
				if view.mobile {
					opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
				}
				must(t, chromedp.Do(ctx, chromedp.EmulateViewport(view.width, view.height, opts...)))
				signIn(t, ctx, a.URL, a.Token)
				must(t, chromedp.Do(ctx,
					chromedp.Evaluate[chromedp.Void](`localStorage.setItem("wasmchat.theme", "`+theme+`")`),
					chromedp.Reload(),
					chromedp.WaitVisible(chromedp.CSS(selOpen)),
				))
				askInPage(t, ctx, "Show me the "+theme+" theme")
				waitAnswers(t, ctx, 1, "done")
				shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				must(t, err)
				name := filepath.Join(dir, fmt.Sprintf("%s-%s.png", theme, view.name))
				must(t, os.WriteFile(name, shot, 0o644))
				img, err := png.Decode(bytes.NewReader(shot))
				must(t, err)
				// A point of the page's background, left of the messages.
				b := img.Bounds()
				r, g, bl, _ := img.At(b.Min.X+2, b.Max.Y/2).RGBA()
				lum := (r + g + bl) / 3 >> 8
				if (theme == "light" && lum < 200) || (theme == "dark" && lum > 60) {
					t.Errorf("%s: background luminance %d does not match the %s theme", name, lum, theme)
				}
			})
		}
	}
}
