package app

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/app/session"
	"github.com/wasmchat/wasmchat/protocol"
)

func TestMessageViewTypesOutThenDone(t *testing.T) {
	m := &messageView{Role: session.RoleAssistant, Text: "héllo, wörld", Ended: true, Finish: protocol.FinishStop}
	d := app.NewClientTester(m)
	defer d.Close()
	// Consume waits for the typewriter's ticks: it returns once all is shown.
	d.Consume()
	want := app.Article().Aria("live", "polite").Aria("busy", false).Class("message", session.RoleAssistant).DataSet("role", session.RoleAssistant).DataSet("status", "done").
		DataSet("bytes", len("héllo, wörld"))
	if err := app.TestMatch(m, app.TestUIDescriptor{Path: app.TestPath(0), Expected: want}); err != nil {
		t.Error(err)
	}
	html := app.Raw(`<div class="content markdown"><p>héllo, wörld</p>` + "\n" + `</div>`)
	if err := app.TestMatch(m, app.TestUIDescriptor{Path: app.TestPath(0, 0), Expected: html}); err != nil {
		t.Error(err)
	}
}

func TestMessageViewStreamsUntilEnd(t *testing.T) {
	m := &messageView{Role: session.RoleAssistant, Text: "partial"}
	d := app.NewClientTester(m)
	defer d.Close()
	d.Consume()
	if got := m.status(); got != "streaming" {
		t.Errorf("all shown but not ended: status %q, want streaming", got)
	}
	if m.shown != "partial" {
		t.Errorf("shown %q", m.shown)
	}
}

func TestMessageViewInterruptedAndError(t *testing.T) {
	for _, tt := range []struct {
		m    *messageView
		want string
	}{
		{&messageView{Role: session.RoleAssistant, Text: "some", Ended: true, Finish: protocol.FinishInterrupted}, "interrupted"},
		{&messageView{Role: session.RoleAssistant, Ended: true, Error: "The model failed."}, "error"},
		{&messageView{Role: session.RoleUser, Text: "q", Ended: true}, "done"},
	} {
		d := app.NewClientTester(tt.m)
		d.Consume()
		if got := tt.m.status(); got != tt.want {
			t.Errorf("%+v: status %q, want %q", tt.m, got, tt.want)
		}
		d.Close()
	}
}

// quietClient is a WebSocket client that sends nowhere: the page's
// session is tested with real ones in package session.
type quietClient struct{}

func (quietClient) Ask(context.Context, protocol.ClientFrame)        {}
func (quietClient) Send(context.Context, protocol.ClientFrame) error { return nil }
func (quietClient) Track(string, int)                                {}
func (quietClient) Resume(context.Context, string, int)              {}

// TestChatFlow draws the page as its session changes: the question and its
// answer show as message views bound to their messages, and the answer
// types out and ends done.
func TestChatFlow(t *testing.T) {
	c := &Chat{}
	d := app.NewClientTester(c)
	defer d.Close()
	answer := strings.Repeat("流式 answer ", 10)
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: c, Function: func(ctx app.Context) {
		c.s.Connect(quietClient{})
		c.s.Ask("hello?")
		client := c.s.Conversation().Messages[0].Client
		c.s.OnFrame(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: client, Answer: "a1"})
		c.s.OnFrame(protocol.ServerFrame{Status: protocol.StatusChunk, Answer: "a1", Content: answer[:20]})
		c.s.OnFrame(protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a1", Offset: 20, Content: answer[20:], Finish: "stop"})
	}})
	d.Consume()
	d.Consume() // the message views' OnMount, which the render dispatched
	msgs := c.s.Conversation().Messages
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	// Chat's root div: the skip button, the sidebar, the drawer's scrim slot,
	// then the chat: header, the update banner's slot, main (messages), ….
	// In main: the slots of the empty-chat text and "earlier", then the two
	// message components.
	for i, want := range []*messageView{
		{Role: session.RoleUser, Text: "hello?", Ended: true, Lang: langEnglish, Msg: msgs[0], View: c.view},
		{Role: session.RoleAssistant, Text: answer, Ended: true, Finish: "stop", Lang: langEnglish, Msg: msgs[1], View: c.view},
	} {
		if err := app.TestMatch(c, app.TestUIDescriptor{Path: app.TestPath(0, 3, 2, 2+i), Expected: want}); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if v := c.view.live[msgs[1]]; v == nil || v.Msg != msgs[1] {
		t.Errorf("the answer's view is not bound to it: %v", v)
	}
}

// TestActionPayloads: an action whose payload is not the type its handler
// takes is dropped, not a panic of the UI goroutine; with the right type
// it reaches the session.
func TestActionPayloads(t *testing.T) {
	c := &Chat{}
	d := app.NewClientTester(c)
	defer d.Close()
	d.Consume()
	for _, a := range []struct {
		name  string
		value any
	}{
		{actionEdit, [2]string{"a1", "text"}},
		{actionRename, "id"},
		{actionOpen, nil},
		{actionSend, 42},
		{actionSettings, true},
		{actionSend, ask{Text: "typed"}},
	} {
		d.Dispatch(app.Dispatch{Mode: app.Update, Source: c, Function: func(ctx app.Context) { ctx.NewActionWithValue(a.name, a.value) }})
		d.Consume()
	}
	if msgs := c.s.Conversation().Messages; len(msgs) != 2 || msgs[0].Text != "typed" {
		t.Errorf("messages %+v: want only the question with the right payload", msgs)
	}
}

// TestMessageViewUsage: under a finished answer, the model it came from
// and its token count, as far as each is known.
func TestMessageViewUsage(t *testing.T) {
	for _, tt := range []struct {
		model string
		usage *protocol.Usage
		want  string
	}{
		{"", &protocol.Usage{Prompt: 21, Completion: 5, Total: 26}, "26 tokens (21 + 5)"},
		{"gpt-4o", &protocol.Usage{Prompt: 21, Completion: 5, Total: 26}, "gpt-4o · 26 tokens (21 + 5)"},
		{"llama3.2", nil, "llama3.2"},
	} {
		m := &messageView{Role: session.RoleAssistant, Text: "hi", Ended: true, Finish: protocol.FinishStop, Model: tt.model, Usage: tt.usage}
		d := app.NewClientTester(m)
		d.Consume()
		want := app.P().Class("usage").Title("model · tokens: prompt + completion").Text(tt.want)
		if err := app.TestMatch(m, app.TestUIDescriptor{Path: app.TestPath(0, 1), Expected: want}); err != nil {
			t.Error(err)
		}
		d.Close()
	}
}

// TestPrerenderedBooleanAttributes: the page the server sends before the
// program starts sets no boolean attribute to "false", which HTML reads as
// true (a folded panel shown open, the last option of every picker shown
// chosen), and each picker marks only its chosen option.
func TestPrerenderedBooleanAttributes(t *testing.T) {
	boolFalse := regexp.MustCompile(`\s(async|autofocus|autoplay|checked|default|defer|disabled|hidden|loop|multiple|muted|open|required|reversed|selected|readonly|ismap)="false"`)
	choices := []choice{{Value: "a", Text: "A"}, {Value: "b", Text: "B"}, {Value: "c", Text: "C"}}
	for _, ui := range []app.UI{
		&Chat{},
		&settingsView{},
		&settingsView{Settings: settings{Open: true, Choosable: true}},
		&picker{ID: "p", Choices: choices, Selected: "b"},
	} {
		d := app.NewServerTester(ui)
		html := app.HTMLString(ui)
		d.Close()
		if m := boolFalse.FindString(html); m != "" {
			t.Errorf("%T prerenders %s:\n%s", ui, m, html)
		}
		if p, ok := ui.(*picker); ok {
			if n := strings.Count(html, "selected"); n != 1 || !regexp.MustCompile(`<option[^>]*value="`+p.Selected+`"[^>]*selected|<option[^>]*selected[^>]*value="`+p.Selected+`"`).MatchString(html) {
				t.Errorf("picker marks %d options selected, want only %q:\n%s", n, p.Selected, html)
			}
		}
		if s, ok := ui.(*settingsView); ok && s.Settings.Open != strings.Contains(html, " open") {
			t.Errorf("settings open=%v prerender:\n%s", s.Settings.Open, html)
		}
	}
}

// TestViewStateFollowsItsItem: go-app reuses a row or a message view by
// position, so when a conversation is added above (or earlier messages
// shown above), a view shows another item. A rename, delete question or
// edit under way belongs to the item, and does not move onto the next one.
func TestViewStateFollowsItsItem(t *testing.T) {
	move := func(d app.ClientDispatcher, c app.Composer, change func()) string {
		d.Dispatch(app.Dispatch{Mode: app.Update, Source: c, Function: func(ctx app.Context) { change() }})
		d.Consume()
		return app.HTMLString(c)
	}

	r := &sideRow{Summary: session.Summary{ID: "b", Title: "B"}}
	d := app.NewClientTester(r)
	defer d.Close()
	for _, tt := range []struct {
		start func()
		shows string
	}{
		{func() { r.editing = r.Summary.ID }, `class="rename"`},
		{func() { r.confirming = r.Summary.ID }, `class="danger"`},
	} {
		r.Summary = session.Summary{ID: "b", Title: "B"}
		if html := move(d, r, tt.start); !strings.Contains(html, tt.shows) {
			t.Fatalf("row of b does not show %s:\n%s", tt.shows, html)
		}
		if html := move(d, r, func() { r.Summary = session.Summary{ID: "a", Title: "A"} }); strings.Contains(html, tt.shows) {
			t.Errorf("row moved from b to a still shows %s:\n%s", tt.shows, html)
		}
		if html := move(d, r, func() { r.Summary = session.Summary{ID: "b", Title: "B"} }); !strings.Contains(html, tt.shows) {
			t.Errorf("row back on b lost %s:\n%s", tt.shows, html)
		}
		r.editing, r.confirming = "", ""
	}

	q1, q2 := &session.Message{Role: session.RoleUser, Text: "one", Ended: true}, &session.Message{Role: session.RoleUser, Text: "two", Ended: true}
	m := &messageView{Role: session.RoleUser, Text: q1.Text, Ended: true, Msg: q1, Replace: "a1"}
	dm := app.NewClientTester(m)
	defer dm.Close()
	if html := move(dm, m, func() { m.editing = m.Msg }); !strings.Contains(html, "edit-box") {
		t.Fatalf("no editor:\n%s", html)
	}
	if html := move(dm, m, func() { m.Msg, m.Text, m.Replace = q2, q2.Text, "a2" }); strings.Contains(html, "edit-box") {
		t.Errorf("view moved to another question still edits:\n%s", html)
	}
}
