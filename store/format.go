package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ExportFormat names the JSON of Export files.
const ExportFormat = "wasmchat.export.v1"

// File is an export file: what GET /api/export returns and POST
// /api/import takes back.
type File struct {
	Format        string    `json:"format"`
	Exported      time.Time `json:"exported"`
	Conversations []Export  `json:"conversations"`
}

// Limits of an import.
const (
	MaxImportConversations = 100_000
	MaxImportMessages      = 1_000_000
)

// DecodeImport reads an import file: a wasmchat export (File, or just its
// list of conversations), or ChatGPT's conversations.json (from its "Export
// data"), every branch of its tree of messages. Only questions and answers with text are taken; what cannot
// be read is an error naming where.
func DecodeImport(data []byte) ([]Export, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("import: the file is empty")
	}
	var convs []Export
	switch data[0] {
	case '{':
		var f File
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("import: not a wasmchat export: %w", err)
		}
		if f.Format != ExportFormat {
			return nil, fmt.Errorf("import: format %q, want %q", f.Format, ExportFormat)
		}
		convs = f.Conversations
	case '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		for i, r := range raw {
			var probe struct {
				Mapping json.RawMessage `json:"mapping"`
			}
			if err := json.Unmarshal(r, &probe); err != nil {
				return nil, fmt.Errorf("import: conversation %d: %w", i, err)
			}
			var c Export
			var err error
			if probe.Mapping != nil {
				c, err = decodeChatGPT(r)
			} else {
				err = json.Unmarshal(r, &c)
			}
			if err != nil {
				return nil, fmt.Errorf("import: conversation %d: %w", i, err)
			}
			convs = append(convs, c)
		}
	default:
		return nil, errors.New("import: not JSON: want a wasmchat export or ChatGPT's conversations.json")
	}
	if len(convs) > MaxImportConversations {
		return nil, fmt.Errorf("import: %d conversations, at most %d at once", len(convs), MaxImportConversations)
	}
	n := 0
	for i := range convs {
		c := &convs[i]
		if err := checkID(c.ID); err != nil {
			return nil, fmt.Errorf("import: conversation %d: %w", i, err)
		}
		kept := c.Messages[:0]
		for _, m := range c.Messages {
			if m.Role != RoleUser && m.Role != RoleAssistant {
				continue
			}
			kept = append(kept, m)
		}
		c.Messages = kept
		if n += len(kept); n > MaxImportMessages {
			return nil, fmt.Errorf("import: over %d messages at once", MaxImportMessages)
		}
		if strings.TrimSpace(c.Title) == "" {
			c.Title = "Imported chat"
			if len(kept) > 0 {
				c.Title = Title(kept[0].Text)
			}
		}
	}
	return convs, nil
}

// chatGPT is the part of a conversation in ChatGPT's export that is read.
type chatGPT struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	CreateTime  float64 `json:"create_time"`
	UpdateTime  float64 `json:"update_time"`
	CurrentNode string  `json:"current_node"`
	Mapping     map[string]struct {
		Parent   *string  `json:"parent"`
		Children []string `json:"children"`
		Message  *struct {
			Author struct {
				Role string `json:"role"`
			} `json:"author"`
			CreateTime *float64 `json:"create_time"`
			Content    struct {
				Parts []json.RawMessage `json:"parts"`
			} `json:"content"`
		} `json:"message"`
	} `json:"mapping"`
}

func decodeChatGPT(data []byte) (Export, error) {
	var g chatGPT
	if err := json.Unmarshal(data, &g); err != nil {
		return Export{}, err
	}
	e := Export{Conversation: Conversation{
		Title: g.Title, Created: unixSeconds(g.CreateTime), Updated: unixSeconds(g.UpdateTime),
	}}
	if len(g.ID) <= MaxIDBytes {
		e.ID = g.ID
	}
	// Every branch: a walk down from the roots (nodes with no parent, or
	// one not in the mapping), children in their parent's order (then
	// oldest first). Nodes that are not a
	// question or an answer with text (the system prompt, tools, images)
	// are left out, their children following their nearest kept ancestor.
	// The mapping may be cyclic or broken: each node is taken once, and a
	// node on a cycle no root reaches is left out.
	type visit struct{ id, parent string }
	children := map[string][]string{}
	var roots []string
	for id, n := range g.Mapping {
		if _, ok := g.Mapping[deref(n.Parent)]; n.Parent == nil || !ok {
			roots = append(roots, id)
		} else {
			children[*n.Parent] = append(children[*n.Parent], id)
		}
	}
	rank := map[string]int{}
	for _, n := range g.Mapping {
		for i, c := range n.Children {
			rank[c] = i + 1
		}
	}
	older := func(a, b string) int {
		return cmp.Or(cmp.Compare(rank[a], rank[b]), cmp.Compare(g.created(a), g.created(b)), strings.Compare(a, b))
	}
	slices.SortFunc(roots, older)
	for _, c := range children {
		slices.SortFunc(c, older)
	}
	kept := map[string]string{} // node id: the id of it or its nearest kept ancestor
	seen := map[string]bool{}
	var stack []visit
	descend := func(root string) {
		stack = append(stack[:0], visit{root, ""})
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[v.id] {
				continue
			}
			seen[v.id] = true
			kept[v.id] = v.parent
			if msg, ok := g.message(v.id, e.Created); ok {
				msg.ID, msg.Parent = fmt.Sprintf("m%d", len(e.Messages)), v.parent
				e.Messages = append(e.Messages, msg)
				kept[v.id] = msg.ID
			}
			c := children[v.id]
			for i := len(c) - 1; i >= 0; i-- {
				stack = append(stack, visit{c[i], kept[v.id]})
			}
		}
	}
	for _, r := range roots {
		descend(r)
	}
	// What no root reaches is on a cycle, or below one: each such part
	// from its topmost node, so its messages are kept too.
	rest := make([]string, 0, len(g.Mapping)-len(seen))
	for id := range g.Mapping {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	slices.SortFunc(rest, older)
	for _, id := range rest {
		if seen[id] {
			continue
		}
		top, up := id, map[string]bool{id: true}
		for p := deref(g.Mapping[top].Parent); !up[p] && !seen[p]; p = deref(g.Mapping[p].Parent) {
			if _, ok := g.Mapping[p]; !ok {
				break
			}
			up[p], top = true, p
		}
		descend(top)
	}
	e.Leaf = kept[g.CurrentNode]
	return e, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// created is when node id's message was written (0: not known).
func (g *chatGPT) created(id string) float64 {
	if m := g.Mapping[id].Message; m != nil && m.CreateTime != nil {
		return *m.CreateTime
	}
	return 0
}

// message returns node id as a question or an answer, when it is one with
// text.
func (g *chatGPT) message(id string, created time.Time) (Message, bool) {
	m := g.Mapping[id].Message
	if m == nil || (m.Author.Role != RoleUser && m.Author.Role != RoleAssistant) {
		return Message{}, false
	}
	var parts []string
	for _, p := range m.Content.Parts {
		var s string
		if json.Unmarshal(p, &s) == nil && s != "" {
			parts = append(parts, s) // images and files are objects: left out
		}
	}
	if len(parts) == 0 {
		return Message{}, false
	}
	msg := Message{Role: m.Author.Role, Text: strings.Join(parts, "\n\n"), Status: StatusDone, Created: created}
	if m.CreateTime != nil {
		msg.Created = unixSeconds(*m.CreateTime)
	}
	if msg.Role == RoleAssistant {
		msg.Finish = "stop"
	}
	return msg, true
}

func unixSeconds(s float64) time.Time {
	if s <= 0 || math.IsNaN(s) || s > 1e11 {
		return time.Time{}
	}
	return time.UnixMilli(int64(s * 1000)).UTC()
}

// Markdown returns a conversation as a Markdown document: every branch,
// each message after the one it follows, depth first; a message with
// others beside it (an edit, a regenerate) says which of them it is, and
// its branch runs to its end before the next one starts.
func Markdown(e Export) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", strings.TrimSpace(e.Title))
	for _, t := range walk(e.Messages) {
		m := t.m
		who := "You"
		if m.Role == RoleAssistant {
			who = "Assistant"
		}
		if t.of > 1 {
			who += fmt.Sprintf(" (branch %d of %d)", t.nth, t.of)
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", who, strings.TrimSpace(m.Text))
		if m.ErrorText != "" {
			fmt.Fprintf(&b, "> %s\n\n", m.ErrorText)
		}
	}
	return b.String()
}

// walked is a message in the order walk puts it: its branch's place among
// its siblings (nth of of).
type walked struct {
	m       *Message
	nth, of int
}

// walk orders a conversation's messages (oldest first, with parents, as
// Store.Tree returns them) depth first. Messages without parents (before
// branches) keep their order; a parent not among them counts as none, and
// a message no first question leads to (a file's cycle) comes last.
func walk(msgs []Message) []walked {
	children := map[int][]int{} // by the parent's index; -1: none
	chain := !branched(msgs)
	at := make(map[string]int, len(msgs))
	for i, m := range msgs {
		if _, dup := at[m.ID]; m.ID != "" && !dup {
			at[m.ID] = i
		}
	}
	for i, m := range msgs {
		p, ok := at[m.Parent]
		switch {
		case chain:
			p = i - 1
		case m.Parent == "" || !ok:
			p = -1
		}
		children[p] = append(children[p], i)
	}
	out := make([]walked, 0, len(msgs))
	type frame struct{ i, nth, of int }
	var stack []frame
	push := func(c []int) {
		for k := len(c) - 1; k >= 0; k-- {
			stack = append(stack, frame{c[k], k + 1, len(c)})
		}
	}
	push(children[-1])
	seen := make(map[int]bool, len(msgs))
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[f.i] {
			continue
		}
		seen[f.i] = true
		out = append(out, walked{&msgs[f.i], f.nth, f.of})
		push(children[f.i])
	}
	for i := range msgs {
		if !seen[i] {
			out = append(out, walked{&msgs[i], 1, 1})
		}
	}
	return out
}

// branched reports whether any message names its parent.
func branched(msgs []Message) bool {
	for _, m := range msgs {
		if m.Parent != "" {
			return true
		}
	}
	return false
}
