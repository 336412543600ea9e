package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wasmchat/wasmchat/store"
)

// chatGPTExport is a small conversations.json in the shape of ChatGPT's
// data export: a tree of nodes, an edited question leaving a branch that
// was not shown last, a system node, and an image part.
const chatGPTExport = `[{
  "title": "Capital of France",
  "create_time": 1700000000.5,
  "update_time": 1700000100.25,
  "current_node": "a2",
  "id": "gpt-conv-1",
  "mapping": {
    "root": {"id": "root", "message": null, "parent": null, "children": ["sys"]},
    "sys": {"id": "sys", "message": {"author": {"role": "system"}, "content": {"content_type": "text", "parts": [""]}}, "parent": "root", "children": ["q1", "q1b"]},
    "q1": {"id": "q1", "message": {"author": {"role": "user"}, "create_time": 1700000001, "content": {"content_type": "text", "parts": ["What is the capital of France?"]}}, "parent": "sys", "children": ["a1"]},
    "a1": {"id": "a1", "message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Paris."]}}, "parent": "q1", "children": ["q2"]},
    "q2": {"id": "q2", "message": {"author": {"role": "user"}, "content": {"content_type": "multimodal_text", "parts": [{"content_type": "image_asset_pointer"}, "And of Italy?"]}}, "parent": "a1", "children": ["a2"]},
    "a2": {"id": "a2", "message": {"author": {"role": "assistant"}, "content": {"content_type": "text", "parts": ["Rome."]}}, "parent": "q2", "children": []},
    "q1b": {"id": "q1b", "message": {"author": {"role": "user"}, "content": {"content_type": "text", "parts": ["an abandoned edit"]}}, "parent": "sys", "children": []}
  }
}]`

func TestDecodeChatGPT(t *testing.T) {
	convs, err := store.DecodeImport([]byte(chatGPTExport))
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 {
		t.Fatalf("%d conversations", len(convs))
	}
	c := convs[0]
	if c.ID != "gpt-conv-1" || c.Title != "Capital of France" || !c.Created.Equal(time.UnixMilli(1700000000500)) {
		t.Errorf("conversation %+v", c.Conversation)
	}
	// Every branch, each message after its parent: the abandoned edit is
	// a first question beside the one shown, and the shown branch's last
	// answer is the leaf.
	var got []string
	at := map[string]int{}
	for i, m := range c.Messages {
		at[m.ID] = i
		parent := "-"
		if m.Parent != "" {
			parent = c.Messages[at[m.Parent]].Text
		}
		got = append(got, m.Role+": "+m.Text+" <- "+parent)
	}
	want := []string{"user: What is the capital of France? <- -", "assistant: Paris. <- What is the capital of France?",
		"user: And of Italy? <- Paris.", "assistant: Rome. <- And of Italy?", "user: an abandoned edit <- -"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("messages %q, want %q", got, want)
	}
	if c.Leaf != c.Messages[3].ID {
		t.Errorf("leaf %q, want Rome's %q", c.Leaf, c.Messages[3].ID)
	}
	md := store.Markdown(c)
	if !strings.Contains(md, "## You (branch 1 of 2)\n\nWhat is the capital") || !strings.Contains(md, "## You (branch 2 of 2)\n\nan abandoned edit") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestDecodeOwnExport(t *testing.T) {
	f := store.File{Format: store.ExportFormat, Conversations: []store.Export{{
		Conversation: store.Conversation{ID: "c1"},
		Messages: []store.Message{
			{Role: "user", Text: "hi"}, {Role: "system", Text: "dropped"}, {Role: "assistant", Text: "hello"},
		},
	}}}
	data, _ := json.Marshal(f)
	convs, err := store.DecodeImport(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs[0].Messages) != 2 || convs[0].Title != "hi" {
		t.Errorf("decoded %+v", convs[0])
	}
	md := store.Markdown(convs[0])
	if !strings.Contains(md, "# hi\n") || !strings.Contains(md, "## Assistant\n\nhello") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestDecodeImportErrors(t *testing.T) {
	for _, in := range []string{"", "  ", "hello", `{"format":"other"}`, `{"format":`, `[1]`, `[{"mapping": 3}]`,
		`[{"id":"` + strings.Repeat("x", 70) + `"}]`} {
		if _, err := store.DecodeImport([]byte(in)); err == nil {
			t.Errorf("DecodeImport(%q): no error", in)
		}
	}
}

func FuzzDecodeImport(f *testing.F) {
	f.Add([]byte(chatGPTExport))
	f.Add([]byte(`{"format":"wasmchat.export.v1","conversations":[{"id":"a","messages":[{"role":"user","text":"x"}]}]}`))
	f.Add([]byte(`[{"current_node":"a","mapping":{"a":{"parent":"a"}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		convs, err := store.DecodeImport(data)
		if err != nil {
			return
		}
		for _, c := range convs {
			if len(c.ID) > store.MaxIDBytes || c.Title == "" {
				t.Fatalf("conversation %+v", c.Conversation)
			}
			for _, m := range c.Messages {
				if m.Role != store.RoleUser && m.Role != store.RoleAssistant {
					t.Fatalf("message of role %q", m.Role)
				}
			}
		}
	})
}

// TestDecodeChatGPTCycle: a mapping whose parents loop gives each message
// once, not once per step of a walk bounded only by the mapping's size.
func TestDecodeChatGPTCycle(t *testing.T) {
	const cyclic = `[{"title": "loop", "current_node": "a", "mapping": {
		"q": {"id": "q", "message": {"author": {"role": "user"}, "content": {"parts": ["question"]}}, "parent": "a"},
		"a": {"id": "a", "message": {"author": {"role": "assistant"}, "content": {"parts": ["answer"]}}, "parent": "q"},
		"x": {"id": "x", "message": null, "parent": null}, "y": {"id": "y", "message": null, "parent": null}
	}}]`
	convs, err := store.DecodeImport([]byte(cyclic))
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 1 || len(convs[0].Messages) != 2 || convs[0].Messages[0].Text != "question" || convs[0].Messages[1].Text != "answer" {
		t.Fatalf("%+v", convs)
	}
}
