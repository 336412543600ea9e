package server

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasmchat/wasmchat/upstream"

	"github.com/wasmchat/wasmchat/store"
)

// historyMessages bounds the messages read from the store for a
// question's context; the context budget trims far earlier in practice.
const historyMessages = 200

// seat is a user on a channel: a seed-form question continues the seat's
// current conversation.
type seat struct {
	owner   string
	channel int
}

// history returns the turns of stored messages the model should see: the
// text of questions and answers, failed ones too when they have text, each
// question with its files (files, by id: those read).
func history(msgs []store.Message, files map[string]store.FileData) []Turn {
	turns := make([]Turn, 0, len(msgs))
	for _, m := range msgs {
		if m.Text == "" {
			continue
		}
		role := RoleUser
		if m.Role == store.RoleAssistant {
			role = RoleAssistant
		}
		t := Turn{Role: role, Text: m.Text}
		if len(m.Attachments) > 0 {
			var fs []store.FileData
			for _, a := range m.Attachments {
				if f, ok := files[a.ID]; ok {
					fs = append(fs, f)
				}
			}
			t.Text, t.Images = withFiles(t.Text, fs)
		}
		turns = append(turns, t)
	}
	return turns
}

// withFiles returns a question's text with its text files after it (each
// named, in a fence longer than any run of backticks in it), and its
// images.
func withFiles(text string, files []store.FileData) (string, []upstream.Image) {
	var b strings.Builder
	b.WriteString(text)
	var images []upstream.Image
	for _, f := range files {
		if f.Type != textType {
			images = append(images, upstream.Image{Name: f.Name, Type: f.Type, Data: f.Data})
			continue
		}
		fence := strings.Repeat("`", max(3, longestRun(f.Data, '`')+1))
		fmt.Fprintf(&b, "\n\nAttached file %q:\n%s\n%s\n%s", f.Name, fence, strings.TrimRight(string(f.Data), "\n"), fence)
	}
	return b.String(), images
}

// longestRun is the length of the longest run of c in data.
func longestRun(data []byte, c byte) int {
	longest, run := 0, 0
	for _, d := range data {
		if d == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// buildTurns returns the turns sent to the model: the system prompt (always
// kept), then as many of the most recent earlier turns as fit in budget
// characters together with the question, then the question (always kept,
// even alone over the budget: the model then says it is too long). Older
// turns go first; a turn is never cut in half.
func buildTurns(system string, history []Turn, question string, budget int) []Turn {
	used := utf8.RuneCountInString(system) + utf8.RuneCountInString(question)
	keep := len(history)
	for keep > 0 {
		n := utf8.RuneCountInString(history[keep-1].Text)
		if used+n > budget {
			break
		}
		used += n
		keep--
	}
	var turns []Turn
	if system != "" {
		turns = append(turns, Turn{Role: RoleSystem, Text: system})
	}
	turns = append(turns, history[keep:]...)
	return append(turns, Turn{Role: RoleUser, Text: question})
}

// History files sent again with each question: the newest first, at most
// these many and bytes, so a conversation of many images costs each
// question a bounded read (and the model a bounded request); older ones
// are named by their question's text alone.
const (
	maxHistoryFiles     = 8
	maxHistoryFileBytes = 16 << 20
)

// readFiles reads the bytes of the question's files and of the history's
// questions' (the newest, within maxHistoryFiles and maxHistoryFileBytes),
// for the model to see them with each question: they are not kept in
// memory between questions. A file that cannot be read is left out.
func (h *hub) readFiles(owner string, msgs []store.Message, own []store.FileData) map[string]store.FileData {
	var files map[string]store.FileData
	read := func(id string) {
		if files == nil {
			files = map[string]store.FileData{}
		}
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		f, err := h.store.File(ctx, owner, id)
		cancel()
		if err == nil {
			files[id] = f
		}
	}
	for _, f := range own {
		read(f.ID)
	}
	count, size := 0, 0
	for i := len(msgs) - 1; i >= 0; i-- {
		for _, a := range msgs[i].Attachments {
			if count++; count > maxHistoryFiles || size+a.Size > maxHistoryFileBytes {
				return files
			}
			size += a.Size
			read(a.ID)
		}
	}
	return files
}
