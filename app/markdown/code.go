package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// codeBlocks renders fenced code with a header that names the language and
// holds a copy button. The button is plain markup: the page handles its
// clicks by delegation (no inline handler, nothing a model can imitate to
// run code, since raw HTML from the model never renders).
// Code in a language the highlighter knows is highlighted (highlight.go).
type codeBlocks struct{}

// CopyLabel is the text of code blocks' copy button: the page sets it to
// its language. Render reads it on the goroutine that renders.
var CopyLabel = "Copy code"

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
	html.DefaultWriter.RawWrite(w, []byte(CopyLabel))
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
