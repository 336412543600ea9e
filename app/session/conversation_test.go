package session

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/protocol"
)

func chunk(answer string, off int, s string) protocol.ServerFrame {
	return protocol.ServerFrame{Status: protocol.StatusChunk, Answer: answer, Offset: off, Content: s}
}

func TestConversationApply(t *testing.T) {
	t.Parallel()
	var c Conversation
	c.Ask("q1", "hi")
	ack := protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "q1", Answer: "a1", Conversation: "k1"}
	if c.Apply(ack) {
		t.Error("ack changed what is shown")
	}
	if c.ID != "k1" || c.Messages[1].Answer != "a1" {
		t.Fatalf("ack not bound: %+v %+v", c, *c.Messages[1])
	}
	steps := []struct {
		name        string
		frame       protocol.ServerFrame
		wantText    string
		wantChanged bool
	}{
		{"first chunk", chunk("a1", 0, "héllo"), "héllo", true},
		{"not contiguous", chunk("a1", 3, "llo"), "héllo", false},
		{"next chunk", chunk("a1", 6, " wo"), "héllo wo", true},
		{"other answer", chunk("a9", 9, "zzz"), "héllo wo", false},
		{"end with last chunk", protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a1", Offset: 9, Content: "rld", Finish: "stop"}, "héllo world", true},
		{"after end", chunk("a1", 12, "!"), "héllo world", false},
	}
	for _, s := range steps {
		changed := c.Apply(s.frame)
		if m := c.Messages[1]; m.Text != s.wantText || changed != s.wantChanged {
			t.Errorf("%s: text %q changed %v, want %q %v", s.name, m.Text, changed, s.wantText, s.wantChanged)
		}
	}
	if m := c.Messages[1]; !m.Ended || m.Finish != protocol.FinishStop {
		t.Errorf("not ended: %+v", *m)
	}
}

func TestConversationErrors(t *testing.T) {
	t.Parallel()
	var c Conversation
	c.Ask("q1", "hi")
	c.Apply(protocol.ServerFrame{Status: protocol.StatusError, Client: "q1", Code: protocol.CodeTooLarge, Content: "too long"})
	if m := c.Messages[1]; !m.Ended || m.Error != "too long" {
		t.Errorf("error not on the answer: %+v", *m)
	}
	c.Apply(protocol.ServerFrame{Status: protocol.StatusError, Code: protocol.CodeBadFrame, Content: "bad"})
	if c.Notice != "bad" {
		t.Errorf("notice %q", c.Notice)
	}
}

func TestConversationInFlight(t *testing.T) {
	t.Parallel()
	c := Conversation{ID: "k"}
	c.Ask("q1", "first") // acked, streaming
	c.Apply(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "q1", Answer: "a1", Conversation: "k"})
	c.Apply(chunk("a1", 0, "part"))
	c.Ask("q2", "second") // done
	c.Apply(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "q2", Answer: "a2", Conversation: "k"})
	c.Apply(protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a2", Finish: "stop"})
	c.Ask("q3", "third") // never acknowledged
	answers, asks := c.InFlight()
	if len(answers) != 1 || answers[0].Answer != "a1" || answers[0].Text != "part" {
		t.Errorf("answers in flight: %+v", answers)
	}
	want := protocol.ClientFrame{Type: protocol.TypeAsk, ID: "q3", Conversation: "k", Text: "third", Parent: "a2"}
	if len(asks) != 1 || !reflect.DeepEqual(asks[0], want) {
		t.Errorf("asks in flight: %+v, want %+v", asks, want)
	}
}

func TestSidebarList(t *testing.T) {
	now := time.Now()
	var list []Summary
	list = touch(list, "a", "A", now)
	list = touch(list, "b", "B", now)
	list = touch(list, "a", "ignored: a keeps its title", now)
	if len(list) != 2 || list[0].ID != "a" || list[0].Title != "A" || list[1].ID != "b" {
		t.Fatalf("after touches: %+v", list)
	}
	list = renamed(list, "b", "Bee")
	list = without(list, "a")
	if len(list) != 1 || list[0].Title != "Bee" {
		t.Fatalf("after rename and delete: %+v", list)
	}
	if hits := searchOffline([]Summary{{ID: "x", Title: "Go Generics"}, {ID: "y", Title: "翻译"}}, "generic"); len(hits) != 1 || hits[0].Conversation != "x" {
		t.Errorf("offline search: %+v", hits)
	}
}

func TestStoredConversation(t *testing.T) {
	s := protocol.Export{Conversation: Summary{ID: "c"}, Messages: []protocol.Message{
		{ID: "m1", Role: RoleUser, Text: "q", Status: "done", Client: "k"},
		{ID: "m2", Role: RoleAssistant, Text: "partial", Status: "streaming", Client: "k"},
		{ID: "m3", Role: RoleAssistant, Text: "", Status: "error", ErrorText: "failed"},
	}}
	c := fromStored(s)
	if c.ID != "c" || len(c.Messages) != 3 {
		t.Fatalf("%+v", c)
	}
	if m := c.Messages[1]; m.Answer != "m2" || m.Ended || m.Client != "k" {
		t.Errorf("streaming answer %+v", *m)
	}
	if m := c.Messages[2]; !m.Ended || m.Error != "failed" {
		t.Errorf("failed answer %+v", *m)
	}
	if !c.Busy() {
		t.Error("a conversation with an answer streaming is not busy")
	}
	if !c.Has(protocol.ServerFrame{Answer: "m2"}) || c.Has(protocol.ServerFrame{Answer: "zz"}) {
		t.Error("Has")
	}
}

// TestReplace: an edit or a regenerate drops the replaced question and all
// after it, asks in their place, and a reload before the ack sends the ask
// again with what it replaces.
func TestReplace(t *testing.T) {
	c := &Conversation{ID: "conv"}
	for i, q := range []string{"one", "two", "three"} {
		client := fmt.Sprint("c", i)
		c.Ask(client, q)
		c.Apply(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: client, Answer: "a" + client, Conversation: "conv"})
		c.Apply(protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a" + client, Content: "answer " + q, Finish: protocol.FinishStop})
	}
	if q := c.Question("ac1"); q != "two" {
		t.Errorf("Question(ac1) = %q", q)
	}
	if c.Replace("no-such", "x", "y", false) || len(c.Messages) != 6 {
		t.Fatal("replacing an unknown answer changed the conversation")
	}
	c.Messages[2].ID = "q1" // as loaded from the server
	if !c.Replace("ac1", "c9", "two, edited", false) {
		t.Fatal("replace of a known answer refused")
	}
	shown := func() string {
		var got []string
		for _, m := range c.Messages {
			s := m.Role[:1] + ":" + m.Text
			if nth, of, prev, next := c.Branch(m); of > 0 {
				s += fmt.Sprintf("(%d/%d<%s>%s)", nth, of, prev, next)
			}
			got = append(got, s)
		}
		return strings.Join(got, "|")
	}
	if got := shown(); got != "u:one|a:answer one|u:two, edited(2/2<q1>)|a:" {
		t.Errorf("after the edit: %q", got)
	}
	_, asks := c.InFlight()
	if len(asks) != 1 || asks[0].Replace != "ac1" || asks[0].Regenerate || asks[0].Parent != "" || asks[0].Text != "two, edited" || asks[0].ID != "c9" {
		t.Errorf("in flight %+v, want the edited ask replacing ac1", asks)
	}
	// The ack names the new question: the switcher knows it.
	c.Apply(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "c9", Answer: "a9", Question: "q9", Conversation: "conv"})
	c.Apply(protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a9", Content: "nine", Finish: protocol.FinishStop})
	if got := shown(); got != "u:one|a:answer one|u:two, edited(2/2<q1>)|a:nine" || c.Messages[2].ID != "q9" || c.Messages[2].Siblings[1] != "q9" {
		t.Errorf("after the ack: %q %+v", got, c.Messages[2])
	}
	// Regenerate: the question stays, the answer gets a sibling.
	if !c.Replace("a9", "c10", "two, edited", true) {
		t.Fatal("regenerate refused")
	}
	_, asks = c.InFlight()
	if len(asks) != 1 || asks[0].Replace != "a9" || !asks[0].Regenerate || asks[0].Text != "two, edited" {
		t.Errorf("in flight %+v, want the regenerate of a9", asks)
	}
	c.Apply(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "c10", Answer: "a10", Question: "q9", Conversation: "conv"})
	if got := shown(); got != "u:one|a:answer one|u:two, edited(2/2<q1>)|a:(2/2<a9>)" {
		t.Errorf("after the regenerate: %q", got)
	}
	// A question after them follows the last answer.
	c.Ask("c11", "three")
	if _, asks = c.InFlight(); len(asks) != 1 || asks[0].Parent != "a10" {
		t.Errorf("in flight %+v, want the ask after a10", asks)
	}
}

// TestSiteKey: a site under a sub-path keeps what belongs to its server
// under its own keys; the server's page, at the root, uses the names as
// they are (the token under the seed page's key).
func TestSiteKey(t *testing.T) {
	for _, tt := range []struct{ prefix, name, want string }{
		{"", "Authorization", "Authorization"},
		{"/", listKey, "wasmchat.conversations"},
		{"/repo", "Authorization", "/repo/Authorization"},
		{"/a/b/", cachePrefix + "c1", "/a/b/wasmchat.conv.c1"},
	} {
		if got := SiteKey(tt.prefix, tt.name); got != tt.want {
			t.Errorf("prefix %q: SiteKey(%q) = %q, want %q", tt.prefix, tt.name, got, tt.want)
		}
	}
}

// TestLocalCacheEvicts: the offline copies keep the last cacheSize
// conversations, and make room in a full storage by dropping the least
// recently used; a full storage loses nothing else.
func TestLocalCacheEvicts(t *testing.T) {
	t.Parallel()
	l := Local{Storage: &Memory{}, Site: "/s"}
	for i := range cacheSize + 5 {
		l.cache(&Conversation{ID: fmt.Sprint("c", i)})
	}
	if l.cached("c0") != nil || l.cached("c4") != nil || l.cached("c5") == nil || l.cached(fmt.Sprint("c", cacheSize+4)) == nil {
		t.Error("the cache does not keep the last conversations only")
	}
	big := strings.Repeat("x", 400)
	full := Local{Storage: &Memory{Limit: 3000}}
	for i := range 5 {
		c := &Conversation{ID: fmt.Sprint("c", i)}
		c.Ask("q", big)
		full.cache(c)
	}
	if full.cached("c4") == nil || full.cached("c0") != nil {
		t.Error("a full storage did not make room for the latest conversation by dropping the oldest")
	}
}

// TestAskWithFiles: a question's files go with its ask and with the ask
// sent again after a reload; an edit asks them again.
func TestAskWithFiles(t *testing.T) {
	t.Parallel()
	files := []protocol.Attachment{{ID: "f1", Name: "a.png", Type: "image/png", Size: 3}, {ID: "f2", Name: "b.txt", Type: "text/plain", Size: 4}}
	c := &Conversation{ID: "conv"}
	c.Ask("c1", "look", files...)
	if _, asks := c.InFlight(); len(asks) != 1 || !reflect.DeepEqual(asks[0].Attachments, []string{"f1", "f2"}) {
		t.Fatalf("in flight %+v", asks)
	}
	c.Apply(protocol.ServerFrame{Status: protocol.StatusControl, Type: protocol.ControlAck, Client: "c1", Answer: "a1", Question: "q1", Conversation: "conv"})
	c.Apply(protocol.ServerFrame{Status: protocol.StatusEnd, Answer: "a1", Content: "seen", Finish: protocol.FinishStop})
	c.Replace("a1", "c2", "look again", false)
	if _, asks := c.InFlight(); len(asks) != 1 || !reflect.DeepEqual(asks[0].Attachments, []string{"f1", "f2"}) || !reflect.DeepEqual(c.Messages[0].Attachments, files) {
		t.Errorf("the edit: in flight %+v, shows %+v", asks, c.Messages[0].Attachments)
	}
}
