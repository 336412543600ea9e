package app

import (
	"regexp"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v9/pkg/app"

	"github.com/wasmchat/wasmchat/protocol"
)

func TestMessageViewTypesOutThenDone(t *testing.T) {
	m := &messageView{Role: RoleAssistant, Text: "héllo, wörld", Ended: true, Finish: protocol.FinishStop}
	d := app.NewClientTester(m)
	defer d.Close()
	// Consume waits for the typewriter's ticks: it returns once all is shown.
	d.Consume()
	want := app.Article().Aria("live", "polite").Aria("busy", false).Class("message", RoleAssistant).DataSet("role", RoleAssistant).DataSet("status", "done").
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
	m := &messageView{Role: RoleAssistant, Text: "partial"}
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
		{&messageView{Role: RoleAssistant, Text: "some", Ended: true, Finish: protocol.FinishInterrupted}, "interrupted"},
		{&messageView{Role: RoleAssistant, Ended: true, Error: "The model failed."}, "error"},
		{&messageView{Role: RoleUser, Text: "q", Ended: true}, "done"},
	} {
		d := app.NewClientTester(tt.m)
		d.Consume()
		if got := tt.m.status(); got != tt.want {
			t.Errorf("%+v: status %q, want %q", tt.m, got, tt.want)
		}
		d.Close()
	}
}

// TestChatFlow drives the page component as frames arrive: the question and
// its answer show, the answer types out and ends done.
func TestChatFlow(t *testing.T) {
	c := &Chat{}
	d := app.NewClientTester(c)
	defer d.Close()
	answer := strings.Repeat("流式 answer ", 10)
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: c, Function: func(ctx app.Context) {
		c.conv.Ask("q1", "hello?")
		c.apply(ctx, protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "q1", Answer: "a1"})
		c.apply(ctx, protocol.ServerFrame{Status: protocol.StatusChunk, Answer: "a1", Content: answer[:20]})
		c.apply(ctx, protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a1", Offset: 20, Content: answer[20:], Finish: "stop"})
	}})
	d.Consume()
	if len(c.conv.Messages) != 2 {
		t.Fatalf("%d messages, want 2", len(c.conv.Messages))
	}
	// Chat's root div: the skip button, the sidebar, the drawer's scrim slot,
	// then the chat: header, the update banner's slot, main (messages), ….
	// In main: the slots of the empty-chat text and "earlier", then the two
	// message components.
	for i, want := range []*messageView{
		{Role: RoleUser, Text: "hello?", Ended: true, Lang: langEnglish, Msg: c.conv.Messages[0]},
		{Role: RoleAssistant, Text: answer, Ended: true, Finish: "stop", Lang: langEnglish, Msg: c.conv.Messages[1]},
	} {
		if err := app.TestMatch(c, app.TestUIDescriptor{Path: app.TestPath(0, 3, 2, 2+i), Expected: want}); err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
}

// TestChatFramesOffScreen: an answer keeps streaming into its conversation
// while another is on screen, and a new chat joins the sidebar at its ack.
func TestChatFramesOffScreen(t *testing.T) {
	c := &Chat{}
	d := app.NewClientTester(c)
	defer d.Close()
	var first *Conversation
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: c, Function: func(ctx app.Context) {
		c.conv.Ask("q1", "first question") // as ask does, connected
		c.open[openKey(c.conv)] = c.conv
		first = c.conv
		client := "q1"
		c.apply(ctx, protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: client, Answer: "a1", Conversation: "conv-1"})
		c.apply(ctx, protocol.ServerFrame{Status: protocol.StatusChunk, Answer: "a1", Content: "Hel"})
		c.newChat(ctx)
		c.apply(ctx, protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a1", Offset: 3, Content: "lo", Finish: "stop"})
	}})
	d.Consume()
	if c.conv == first || len(c.conv.Messages) != 0 {
		t.Fatalf("on screen: %+v, want a new chat", c.conv)
	}
	if m := first.Messages[1]; m.Text != "Hello" || !m.Ended {
		t.Errorf("the answer off screen: %+v", *m)
	}
	if len(c.list) != 1 || c.list[0].ID != "conv-1" || c.list[0].Title != "first question" || c.open["conv-1"] != first {
		t.Errorf("sidebar %+v, open %v", c.list, c.open)
	}
}

func TestChatSendWithoutConnection(t *testing.T) {
	c := &Chat{}
	d := app.NewClientTester(c)
	defer d.Close()
	d.Dispatch(app.Dispatch{Mode: app.Update, Source: c, Function: func(ctx app.Context) {
		c.onSend(ctx, app.Action{Name: actionSend, Value: "are you there?"})
	}})
	d.Consume()
	if n := len(c.conv.Messages); n != 2 {
		t.Fatalf("%d messages, want the question and its answer", n)
	}
	if m := c.conv.Messages[1]; m.Error == "" || !m.Ended {
		t.Errorf("unsent question: answer %+v, want an error saying so", *m)
	}
}

func TestMessageViewUsage(t *testing.T) {
	m := &messageView{Role: RoleAssistant, Text: "hi", Ended: true, Finish: protocol.FinishStop,
		Usage: &protocol.Usage{Prompt: 21, Completion: 5, Total: 26}}
	d := app.NewClientTester(m)
	defer d.Close()
	d.Consume()
	want := app.P().Class("usage").Title("tokens: prompt + completion").Text("26 tokens (21 + 5)")
	if err := app.TestMatch(m, app.TestUIDescriptor{Path: app.TestPath(0, 1), Expected: want}); err != nil {
		t.Error(err)
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

	r := &sideRow{Summary: Summary{ID: "b", Title: "B"}}
	d := app.NewClientTester(r)
	defer d.Close()
	for _, tt := range []struct {
		start func()
		shows string
	}{
		{func() { r.editing = r.Summary.ID }, `class="rename"`},
		{func() { r.confirming = r.Summary.ID }, `class="danger"`},
	} {
		r.Summary = Summary{ID: "b", Title: "B"}
		if html := move(d, r, tt.start); !strings.Contains(html, tt.shows) {
			t.Fatalf("row of b does not show %s:\n%s", tt.shows, html)
		}
		if html := move(d, r, func() { r.Summary = Summary{ID: "a", Title: "A"} }); strings.Contains(html, tt.shows) {
			t.Errorf("row moved from b to a still shows %s:\n%s", tt.shows, html)
		}
		if html := move(d, r, func() { r.Summary = Summary{ID: "b", Title: "B"} }); !strings.Contains(html, tt.shows) {
			t.Errorf("row back on b lost %s:\n%s", tt.shows, html)
		}
		r.editing, r.confirming = "", ""
	}

	q1, q2 := &Message{Role: RoleUser, Text: "one", Ended: true}, &Message{Role: RoleUser, Text: "two", Ended: true}
	m := &messageView{Role: RoleUser, Text: q1.Text, Ended: true, Msg: q1, Replace: "a1"}
	dm := app.NewClientTester(m)
	defer dm.Close()
	if html := move(dm, m, func() { m.editing = m.Msg }); !strings.Contains(html, "edit-box") {
		t.Fatalf("no editor:\n%s", html)
	}
	if html := move(dm, m, func() { m.Msg, m.Text, m.Replace = q2, q2.Text, "a2" }); strings.Contains(html, "edit-box") {
		t.Errorf("view moved to another question still edits:\n%s", html)
	}
}
