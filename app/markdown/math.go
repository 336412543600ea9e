package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Math in answers: $…$ and \(…\) inline, $$…$$ and \[…\] displayed,
// typeset as MathML (TeXToMathML). A formula not closed (yet, while the
// answer streams) shows as its text. A single dollar opens math only
// before a non-space and closes only after a non-space and before a
// non-digit, as in Pandoc, so "$5 and $10" stays text.

// kindMath is the kind of a formula's node.
var kindMath = ast.NewNodeKind("Math")

// mathNode is one formula.
type mathNode struct {
	ast.BaseInline
	src     string
	display bool
	delims  [2]string // as written, to show the source when it cannot be typeset
}

func (n *mathNode) Kind() ast.NodeKind { return kindMath }

func (n *mathNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"src": n.src}, nil)
}

// mathParser finds formulas.
type mathParser struct{}

func (mathParser) Trigger() []byte { return []byte{'$', '\\'} }

func (mathParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, _ := block.PeekLine()
	var open, closing string
	display := false
	switch {
	case bytes.HasPrefix(line, []byte("$$")):
		open, closing, display = "$$", "$$", true
	case bytes.HasPrefix(line, []byte("$")):
		open, closing = "$", "$"
		if len(line) < 2 || line[1] == ' ' || line[1] == '\t' || line[1] == '\n' || line[1] == '\r' {
			return nil
		}
	case bytes.HasPrefix(line, []byte(`\(`)):
		open, closing = `\(`, `\)`
	case bytes.HasPrefix(line, []byte(`\[`)):
		open, closing, display = `\[`, `\]`, true
	default:
		return nil
	}
	block.Advance(len(open))
	var src bytes.Buffer
	for {
		line, _ := block.PeekLine()
		if line == nil {
			return nil // not closed: text
		}
		if at := closingAt(line, closing); at >= 0 {
			src.Write(line[:at])
			block.Advance(at + len(closing))
			break
		}
		if open == "$" || src.Len()+len(line) > maxMathBytes {
			return nil // single dollars close on their line
		}
		src.Write(line)
		block.AdvanceLine()
	}
	if bytes.TrimSpace(src.Bytes()) == nil {
		return nil
	}
	return &mathNode{src: src.String(), display: display, delims: [2]string{open, closing}}
}

// closingAt returns where the closing delimiter is in line, or -1.
func closingAt(line []byte, closing string) int {
	for i := 0; i+len(closing) <= len(line); i++ {
		if line[i] == '\\' && closing != `\)` && closing != `\]` {
			i++ // an escaped character, \$ among them
			continue
		}
		if !bytes.HasPrefix(line[i:], []byte(closing)) {
			continue
		}
		if closing == "$" {
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
				continue
			}
			if i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '9' {
				continue
			}
		}
		return i
	}
	return -1
}

// mathRenderer writes formulas.
type mathRenderer struct{}

func (mathRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMath, func(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		n := node.(*mathNode)
		if out, ok := TeXToMathML(n.src, n.display); ok {
			_, _ = w.WriteString(out)
			return ast.WalkSkipChildren, nil
		}
		html.DefaultWriter.RawWrite(w, []byte(n.delims[0]+n.src+n.delims[1]))
		return ast.WalkSkipChildren, nil
	})
}
