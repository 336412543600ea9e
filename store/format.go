package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
// data"), whose tree of messages is flattened along the branch that was
// shown last. Only questions and answers with text are taken; what cannot
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
		Parent  *string `json:"parent"`
		Message *struct {
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
	// Walk up from the node shown last; the mapping may be cyclic or
	// broken: the walk ends at a node it has seen (each message once).
	var branch []string
	seen := map[string]bool{}
	for id := g.CurrentNode; id != "" && !seen[id]; {
		n, ok := g.Mapping[id]
		if !ok {
			break
		}
		seen[id] = true
		branch = append(branch, id)
		if n.Parent == nil {
			break
		}
		id = *n.Parent
	}
	for i := len(branch) - 1; i >= 0; i-- {
		m := g.Mapping[branch[i]].Message
		if m == nil || (m.Author.Role != RoleUser && m.Author.Role != RoleAssistant) {
			continue
		}
		var parts []string
		for _, p := range m.Content.Parts {
			var s string
			if json.Unmarshal(p, &s) == nil && s != "" {
				parts = append(parts, s) // images and files are objects: left out
			}
		}
		if len(parts) == 0 {
			continue
		}
		msg := Message{Role: m.Author.Role, Text: strings.Join(parts, "\n\n"), Status: StatusDone, Created: e.Created}
		if m.CreateTime != nil {
			msg.Created = unixSeconds(*m.CreateTime)
		}
		if msg.Role == RoleAssistant {
			msg.Finish = "stop"
		}
		e.Messages = append(e.Messages, msg)
	}
	return e, nil
}

func unixSeconds(s float64) time.Time {
	if s <= 0 || math.IsNaN(s) || s > 1e11 {
		return time.Time{}
	}
	return time.UnixMilli(int64(s * 1000)).UTC()
}

// Markdown returns a conversation as a Markdown document.
func Markdown(e Export) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", strings.TrimSpace(e.Title))
	for _, m := range e.Messages {
		who := "You"
		if m.Role == RoleAssistant {
			who = "Assistant"
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", who, strings.TrimSpace(m.Text))
		if m.ErrorText != "" {
			fmt.Fprintf(&b, "> %s\n\n", m.ErrorText)
		}
	}
	return b.String()
}
