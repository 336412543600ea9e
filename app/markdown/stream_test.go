package markdown

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const doc = "## Title\n\nYou asked:\n\n> line one\n> line two\n\nSome *text*.\n\n1. one\n2. two\n3. three\n\n" +
	"```go\nfunc main() {\n\n\tprintln(\"blank line inside the fence\")\n}\n```\n\n" +
	"- item\n\n  continued paragraph of the item\n- next\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nThe end.\n"

// TestStreamMatchesRender feeds a document a few bytes at a time: the
// completed blocks never change once given, and at the end the blocks and
// the tail render what Render renders for the whole.
func TestStreamMatchesRender(t *testing.T) {
	t.Parallel()
	var s Stream
	var prev []string
	for n := 0; n <= len(doc); n += 3 {
		for n < len(doc) && !utf8.RuneStart(doc[n]) {
			n++
		}
		blocks, _ := s.Update(doc[:n])
		if len(blocks) < len(prev) {
			t.Fatalf("at %d: %d blocks, had %d", n, len(blocks), len(prev))
		}
		for i := range prev {
			if blocks[i] != prev[i] {
				t.Fatalf("at %d: block %d changed", n, i)
			}
		}
		prev = append([]string(nil), blocks...)
	}
	blocks, tail := s.Update(doc)
	if got, want := strings.Join(blocks, "")+tail, Render(doc); got != want {
		t.Errorf("streamed render differs:\n got %s\nwant %s", got, want)
	}
	if len(blocks) < 8 {
		t.Errorf("only %d blocks: the cuts are not being made", len(blocks))
	}
	for _, b := range blocks {
		if strings.Contains(b, "blank line inside") && !strings.Contains(b, "<pre>") {
			t.Error("a fence was cut in two")
		}
	}
}

func TestStreamRestartsOnRewrite(t *testing.T) {
	t.Parallel()
	var s Stream
	s.Update("# one\n\ntwo\n\nthree")
	blocks, tail := s.Update("other\n\ntext")
	if got := strings.Join(blocks, "") + tail; got != Render("other\n\ntext") {
		t.Errorf("after a rewrite: %s", got)
	}
}

func FuzzStream(f *testing.F) {
	f.Add(doc, 7)
	f.Fuzz(func(t *testing.T, src string, step int) {
		if step <= 0 || step > 64 || !utf8.ValidString(src) {
			return
		}
		var s Stream
		for n := 0; n < len(src); n += step {
			for n < len(src) && !utf8.RuneStart(src[n]) {
				n++
			}
			blocks, tail := s.Update(src[:n])
			for _, b := range append(blocks, tail) {
				checkSafe(t, src, b)
			}
		}
	})
}

// BenchmarkStreamTick is the markdown cost of one typewriter tick late in a
// 20,000-character answer: a few characters more, rendered incrementally.
func BenchmarkStreamTick(b *testing.B) {
	long := strings.Repeat(doc, 20000/len(doc)+1)[:20000]
	var s Stream
	s.Update(long[:19000])
	n := 19000
	for b.Loop() {
		if n += 7; n > len(long) {
			n = 19000
		}
		for !utf8.RuneStart(long[n-1]) && n < len(long) {
			n++
		}
		s.Update(long[:n])
	}
}

// BenchmarkFullTick is the same tick rendering the whole answer again.
func BenchmarkFullTick(b *testing.B) {
	long := strings.Repeat(doc, 20000/len(doc)+1)[:20000]
	for b.Loop() {
		Render(long)
	}
}
