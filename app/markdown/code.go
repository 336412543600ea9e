package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// codeBlocks renders fenced code with a header that names the language and
// holds a copy button. The button is plain markup: the page handles its
// clicks by delegation (no inline handler, nothing a model can imitate to
// run code, since raw HTML from the model never renders).
// Code in a language the highlighter knows is highlighted (highlight.go).
type codeBlocks struct{}

// defaultCopyLabel is the copy button's text unless the Renderer names
// another.
const defaultCopyLabel = "Copy code"

// copyLabelKey carries a Renderer's CopyLabel to codeLabels, which puts it
// on each fenced code block for renderFenced.
var copyLabelKey = parser.NewContextKey()

// copyLabelAttr is the attribute codeLabels sets. Attributes of fenced code
// are never rendered as such (renderFenced writes its own markup), and
// goldmark's attribute syntax is not enabled, so a model cannot set it.
var copyLabelAttr = []byte("wasmchat-copy-label")

// codeLabels labels the fenced code blocks of a document with the
// Renderer's copy label.
type codeLabels struct{}

func (codeLabels) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	label, _ := pc.Get(copyLabelKey).(string)
	if label == "" {
		return
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch {
		case !entering:
		case n.Kind() == ast.KindFencedCodeBlock:
			n.SetAttribute(copyLabelAttr, label)
			return ast.WalkSkipChildren, nil
		case n.Type() == ast.TypeInline:
			return ast.WalkSkipChildren, nil // no code block in there
		}
		return ast.WalkContinue, nil
	})
}

func (codeBlocks) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFenced)
}

func renderFenced(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</code></pre></div>\n")
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	lang := n.Language(source)
	_, _ = w.WriteString(`<div class="code"><div class="code-head"><span class="lang">`)
	if lang != nil {
		html.DefaultWriter.Write(w, lang)
	}
	_, _ = w.WriteString(`</span><button type="button" class="copy-code">`)
	label := defaultCopyLabel
	if v, ok := n.Attribute(copyLabelAttr); ok {
		label, _ = v.(string)
	}
	html.DefaultWriter.RawWrite(w, []byte(label))
	_, _ = w.WriteString(`</button></div><pre><code`)
	if lang != nil {
		_, _ = w.WriteString(` class="language-`)
		html.DefaultWriter.Write(w, lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	var code []byte
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		code = append(code, line.Value(source)...)
	}
	if s := syntaxOf(lang); s != nil {
		highlight(w, s, code)
	} else {
		html.DefaultWriter.RawWrite(w, code)
	}
	return ast.WalkContinue, nil
}
