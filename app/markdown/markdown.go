// Package markdown renders model output, which is untrusted input, to HTML
// that cannot run a script or leak data.
//
// It uses goldmark with GFM (tables, task lists, strikethrough, autolinks)
// and adds an allowlist on top of goldmark's own defaults:
//
//   - Raw HTML is never rendered (goldmark's default: it becomes a comment).
//   - A link keeps its target only for http, https and mailto URLs and
//     #fragments; any other link (javascript:, vbscript:, data:, file:,
//     relative paths, in any casing or entity encoding) is shown as its text.
//     Links open in a new tab with rel="noopener noreferrer nofollow".
//   - Images are never fetched: a model can exfiltrate a conversation
//     through an image URL's query. A remote image becomes a link to it; an
//     inline data:image/(png|gif|jpeg|webp) stays an image (it fetches
//     nothing); any other image becomes its alt text.
//   - goldmark's attribute syntax ({onclick=...}) is not enabled.
//   - Fenced code gets a header with its language and a copy button
//     (codeBlocks).
//
// The package is pure Go and runs natively, so it is fuzzed natively.
package markdown

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

var md = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(
		parser.WithASTTransformers(util.Prioritized(safeURLs{}, 1000), util.Prioritized(codeLabels{}, 999)),
		parser.WithInlineParsers(util.Prioritized(mathParser{}, 150)), // after code spans: no math in code
	),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(codeBlocks{}, 100), util.Prioritized(mathRenderer{}, 100))),
)

// Renderer renders markdown in the page's language. The zero Renderer
// speaks English.
type Renderer struct {
	CopyLabel string // the text of code blocks' copy button; "" is "Copy code"
}

// Render returns the HTML of markdown source src.
func Render(src string) string { return Renderer{}.Render(src) }

// Render returns the HTML of markdown source src.
func (r Renderer) Render(src string) string {
	var b bytes.Buffer
	pc := parser.NewContext()
	if r.CopyLabel != "" && r.CopyLabel != defaultCopyLabel { // else no walk to label the blocks
		pc.Set(copyLabelKey, r.CopyLabel)
	}
	if err := md.Convert([]byte(src), &b, parser.WithContext(pc)); err != nil {
		// goldmark fails only on writer errors, which a Buffer has none of.
		return "<p>" + string(util.EscapeHTML([]byte(src))) + "</p>"
	}
	return b.String()
}

// safeURLs rewrites links and images per the package's allowlist.
type safeURLs struct{}

func (safeURLs) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var links, images, autolinks []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindLink:
			links = append(links, n)
		case ast.KindImage:
			images = append(images, n)
		case ast.KindAutoLink:
			autolinks = append(autolinks, n)
		}
		return ast.WalkContinue, nil
	})
	for _, n := range links {
		l := n.(*ast.Link)
		if allowedLink(string(l.Destination)) {
			external(l)
		} else {
			unwrap(l)
		}
	}
	for _, n := range autolinks {
		a := n.(*ast.AutoLink)
		url := string(a.URL(source))
		if a.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
			url = "mailto:" + url
		}
		if allowedLink(url) {
			external(a)
		} else {
			a.Parent().ReplaceChild(a.Parent(), a, ast.NewString(a.Label(source)))
		}
	}
	for _, n := range images {
		img := n.(*ast.Image)
		dest := string(img.Destination)
		switch {
		case inlineImage(dest):
		case allowedLink(dest) && !strings.HasPrefix(dest, "#"):
			// Shown as a link to the image: nothing is fetched unless the
			// person clicks.
			link := ast.NewLink()
			link.Destination, link.Title = img.Destination, img.Title
			label := "image"
			if alt := plain(img, source); alt != "" {
				label = "image: " + alt
			}
			link.AppendChild(link, ast.NewString([]byte(label)))
			external(link)
			img.Parent().ReplaceChild(img.Parent(), img, link)
		default:
			unwrap(img)
		}
	}
}

// external makes a link open in a new tab without giving the page away.
func external(n ast.Node) {
	n.SetAttributeString("rel", []byte("noopener noreferrer nofollow"))
	n.SetAttributeString("target", []byte("_blank"))
}

// unwrap replaces n by its children: the text stays, the link goes.
func unwrap(n ast.Node) {
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// allowedLink reports whether a link may keep its target: http, https,
// mailto or a #fragment. Browsers ignore ASCII tabs and newlines inside a
// URL and leading spaces and controls, so those are removed before the
// scheme is read.
func allowedLink(dest string) bool {
	// Judge the URL as it will be written: goldmark percent-escapes it.
	u := normalize(string(util.URLEscape([]byte(dest), true)))
	switch {
	case strings.HasPrefix(u, "#"):
		return true
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"), strings.HasPrefix(u, "mailto:"):
		return true
	}
	return false
}

// inlineImage reports whether dest is a data: image in a raster format.
func inlineImage(dest string) bool {
	u := normalize(string(util.URLEscape([]byte(dest), true)))
	for _, t := range []string{"data:image/png;", "data:image/gif;", "data:image/jpeg;", "data:image/webp;"} {
		if strings.HasPrefix(u, t) {
			return true
		}
	}
	return false
}

func normalize(dest string) string {
	var b strings.Builder
	for _, r := range strings.TrimLeft(dest, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ") {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

// plain returns the text inside n, as an image's alt text is made.
func plain(n ast.Node, source []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch t := c.(type) {
			case *ast.Text:
				b.Write(t.Segment.Value(source))
			case *ast.String:
				b.Write(t.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}
