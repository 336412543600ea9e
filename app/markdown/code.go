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
//
// Syntax highlighting is left out on purpose for now: the highlighters
// available (chroma and its lexers) would add megabytes to the wasm.
type codeBlocks struct{}

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
	_, _ = w.WriteString(`</span><button type="button" class="copy-code">Copy</button></div><pre><code`)
	if lang != nil {
		_, _ = w.WriteString(` class="language-`)
		html.DefaultWriter.Write(w, lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		html.DefaultWriter.RawWrite(w, line.Value(source))
	}
	return ast.WalkContinue, nil
}
