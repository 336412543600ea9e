package app

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
)

// view is what the page's components share, and only the UI goroutine
// touches: Chat owns it and hands it to each messageView.
type view struct {
	// live maps each message on screen to its view, so a chunk draws
	// that view alone.
	live map[*session.Message]*messageView
	// following is whether growing text keeps the messages' end in view:
	// false once the reader scrolls up, true again at the end, on "jump to
	// latest" or on asking. Kept from scroll events, so a tick reads no
	// layout to decide.
	following bool
	// autoTop is where the page last scrolled the messages itself: a
	// scroll event above it is the reader's.
	autoTop float64
	// reducedMotion is the page's prefers-reduced-motion query, once asked.
	reducedMotion app.Value
	// speaks is whether the browser can read aloud, once asked.
	speaks *bool
	// files are the blob: URLs of attached images by file id ("": being
	// fetched), and base and token what fetches them (fileURL); post runs
	// a function on the UI goroutine.
	files       map[string]string
	base, token string
	post        func(func())
}

func newView() *view {
	return &view{live: make(map[*session.Message]*messageView), following: true, files: map[string]string{}}
}

// messages returns the message list's element, or a falsy value.
func messages() app.Value { return app.Window().GetElementByID("messages") }

// nearBottom reports whether the message list is scrolled to (about) its
// end, so growing text may scroll it without taking the view from a reader
// who scrolled up.
func nearBottom() bool {
	el := messages()
	if !el.Truthy() {
		return false
	}
	return el.Get("scrollHeight").Float()-el.Get("scrollTop").Float()-el.Get("clientHeight").Float() < 80
}

// scrolled takes a scroll event of the message list and reports whether
// the reader is away from its end.
func (v *view) scrolled() (up bool) {
	el := messages()
	if !el.Truthy() {
		return false
	}
	top := el.Get("scrollTop").Float()
	up = top < v.autoTop-1 && !nearBottom()
	if !up {
		v.autoTop = top
	}
	v.following = !up
	return up
}

// followEnd is called before new text renders. While following it returns
// what to run after the render to stay at the end; nil otherwise. The
// render lands at the end of go-app's frame, and the reader may scroll up
// in between: then the view is left where the reader put it.
func (v *view) followEnd() func(app.Context) {
	if v == nil || !v.following {
		return nil
	}
	return func(ctx app.Context) {
		el := messages()
		if !v.following || !el.Truthy() {
			return
		}
		if el.Get("scrollTop").Float() < v.autoTop-1 {
			// The reader scrolled up since the page last did, and the
			// scroll event has not come yet: leave the view there.
			v.following = false
			return
		}
		v.scrollToEnd(ctx)
	}
}

// scrollToEnd shows the end of the messages, and follows it from now on.
func (v *view) scrollToEnd(app.Context) {
	if el := messages(); el.Truthy() {
		el.Set("scrollTop", el.Get("scrollHeight"))
		v.autoTop, v.following = el.Get("scrollTop").Float(), true
	}
}

// instant reports whether text should show as it arrives, without the
// typewriter: in a hidden tab (which then spends no timers; the text is all
// there on return) and for people who prefer reduced motion.
func (v *view) instant() bool {
	w := app.Window()
	if w.Get("document").Get("hidden").Bool() {
		return true
	}
	if v == nil {
		return false
	}
	if v.reducedMotion == nil && w.Get("matchMedia").Truthy() {
		// A MediaQueryList is live: asked once, it follows the setting.
		v.reducedMotion = w.Call("matchMedia", "(prefers-reduced-motion: reduce)")
	}
	return v.reducedMotion != nil && v.reducedMotion.Get("matches").Bool()
}

// bind registers m as the view of msg, instead of the message it showed.
func (v *view) bind(m *messageView, was, msg *session.Message) {
	if v == nil {
		return
	}
	v.unbind(m, was)
	if msg != nil {
		v.live[msg] = m
	}
}

// unbind forgets m as the view of msg.
func (v *view) unbind(m *messageView, msg *session.Message) {
	if v != nil && v.live[msg] == m {
		delete(v.live, msg)
	}
}
