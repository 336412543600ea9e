package markdown

import "strings"

// Stream renders an answer while it streams in, so the cost of a tick does
// not grow with the answer: the text is cut into top-level blocks at blank
// lines outside fenced code, each completed block is rendered once, and only
// the unfinished last block is rendered again at each call.
//
// A cut is made only before a line that starts at column 0, so an indented
// continuation (a list item's second paragraph, indented code) stays with
// its block. Rendering blocks apart can differ from rendering the whole in
// rare ways (a loose list split in two, a link reference defined further
// down), so the page renders the whole answer with Render once it has ended.
type Stream struct {
	Renderer Renderer // renders the blocks

	src    string   // the text seen so far
	cut    int      // src[:cut] is rendered in Blocks
	blocks []string // HTML of each completed block
}

// Update takes the text so far and returns the HTML of the completed blocks
// (the slice only grows while the text does; earlier entries never change)
// and of the unfinished tail.
func (s *Stream) Update(src string) (blocks []string, tail string) {
	if !strings.HasPrefix(src, s.src[:s.cut]) {
		*s = Stream{Renderer: s.Renderer} // not a continuation: start over
	}
	s.src = src
	for {
		next := nextCut(src, s.cut)
		if next < 0 {
			break
		}
		s.blocks = append(s.blocks, s.Renderer.Render(src[s.cut:next]))
		s.cut = next
	}
	return s.blocks, s.Renderer.Render(src[s.cut:])
}

// nextCut returns the offset of the first safe cut after from, or -1: the
// start of a line at column 0 that follows a blank line outside fenced
// code. Lines are only judged once complete (ended by a newline), except
// the line after the blank, which only needs its first byte.
func nextCut(src string, from int) int {
	fence := ""    // the open fence's marker, or ""
	blank := false // the previous complete line was blank, outside a fence
	for pos := from; pos < len(src); {
		end := strings.IndexByte(src[pos:], '\n')
		if blank && pos > from && src[pos] != ' ' && src[pos] != '\t' && src[pos] != '\n' {
			return pos
		}
		if end < 0 {
			return -1 // the last line is incomplete
		}
		line := src[pos : pos+end]
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.TrimSpace(strings.TrimLeft(trimmed, fence[:1])) == "" {
				fence = ""
			}
			blank = false
		case len(line)-len(trimmed) <= 3 && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
			blank = false
		default:
			blank = strings.TrimSpace(line) == ""
		}
		pos += end + 1
	}
	return -1
}
