package markdown

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// allowedTags are the elements the renderer may produce.
var allowedTags = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "li": true, "blockquote": true, "pre": true, "code": true,
	"em": true, "strong": true, "del": true, "a": true, "img": true, "br": true, "hr": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "input": true,
	"div": true, "span": true, "button": true, // the code block header
	// Math (TeXToMathML).
	"math": true, "semantics": true, "annotation": true, "mrow": true, "mi": true, "mn": true, "mo": true, "mtext": true,
	"mspace": true, "msub": true, "msup": true, "msubsup": true, "munder": true, "mover": true, "munderover": true,
	"mfrac": true, "msqrt": true, "mroot": true, "mtable": true, "mtr": true, "mtd": true, "merror": true,
}

// mathAttrs are the attributes math elements may carry, with the values
// each may have ("": any number with a unit, for widths).
var mathAttrs = map[string][]string{
	"display": {"block", "inline"}, "mathvariant": {"normal", "bold", "italic", "bold-italic"},
	"largeop": {"true"}, "movablelimits": {"true"}, "stretchy": {"true", "false"}, "fence": {"true"},
	"accent": {"true"}, "accentunder": {"true"}, "linethickness": {"0"}, "encoding": {"application/x-tex"},
	"width": {""},
}

// allowedAttrs are the attributes each may carry.
var allowedAttrs = map[string]bool{
	"href": true, "src": true, "alt": true, "title": true, "rel": true, "target": true,
	"class": true, "start": true, "align": true, "type": true, "checked": true, "disabled": true,
}

// checkSafe fails when html has an element, attribute or URL the renderer
// must never produce.
func checkSafe(t testing.TB, src, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedTags[tok.Data] {
				t.Fatalf("%q rendered a <%s> element:\n%s", src, tok.Data, out)
			}
			for _, a := range tok.Attr {
				if values, ok := mathAttrs[a.Key]; ok {
					if !slices.Contains(values, a.Val) && !(values[0] == "" && regexp.MustCompile(`^[0-9.]+em$`).MatchString(a.Val)) {
						t.Fatalf("%q rendered %s=%q", src, a.Key, a.Val)
					}
					continue
				}
				if !allowedAttrs[a.Key] {
					t.Fatalf("%q rendered attribute %s=%q:\n%s", src, a.Key, a.Val, out)
				}
				switch a.Key {
				case "href":
					if !allowedLink(a.Val) {
						t.Fatalf("%q rendered href %q", src, a.Val)
					}
				case "src":
					if !inlineImage(a.Val) {
						t.Fatalf("%q rendered an image fetching %q", src, a.Val)
					}
				case "type":
					if a.Val != "checkbox" && a.Val != "button" {
						t.Fatalf("%q rendered input type %q", src, a.Val)
					}
				}
			}
		}
	}
}

func TestCorpusIsSafe(t *testing.T) {
	t.Parallel()
	if len(XSSCorpus) < 50 {
		t.Fatalf("corpus has %d vectors, want at least 50", len(XSSCorpus))
	}
	for _, v := range XSSCorpus {
		out := Render(v)
		checkSafe(t, v, out)
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Errorf("%q: %s", v, out)
		}
	}
}

func TestRendering(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"# Title", "<h1>Title</h1>\n"},
		{"**b** ~~s~~", "<p><strong>b</strong> <del>s</del></p>\n"},
		{"[go](https://go.dev)", `<p><a href="https://go.dev" rel="noopener noreferrer nofollow" target="_blank">go</a></p>` + "\n"},
		{"[bad](javascript:alert(1))", "<p>bad</p>\n"},
		{"[top](#top)", `<p><a href="#top" rel="noopener noreferrer nofollow" target="_blank">top</a></p>` + "\n"},
		{"![cat](https://x.example/cat.png)", `<p><a href="https://x.example/cat.png" rel="noopener noreferrer nofollow" target="_blank">image: cat</a></p>` + "\n"},
		{"![dot](data:image/png;base64,iVBORw0KGgo=)", `<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="dot"></p>` + "\n"},
		{"<b>raw</b>", "<p><!-- raw HTML omitted -->raw<!-- raw HTML omitted --></p>\n"},
		{"see https://go.dev", `<p>see <a href="https://go.dev" rel="noopener noreferrer nofollow" target="_blank">https://go.dev</a></p>` + "\n"},
		{"- [x] done", "<ul>\n<li><input checked=\"\" disabled=\"\" type=\"checkbox\"> done</li>\n</ul>\n"},
		{"| a |\n|---|\n| 1 |", "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n"},
		{"```go\nx := 1 < 2\n```", `<div class="code"><div class="code-head"><span class="lang">go</span><button type="button" class="copy-code">Copy code</button></div><pre><code class="language-go">x := <span class="hl-n">1</span> &lt; <span class="hl-n">2</span>` + "\n</code></pre></div>\n"},
		{"```<img src=x onerror=alert(1)>\nx\n```", `<div class="code"><div class="code-head"><span class="lang">&lt;img</span><button type="button" class="copy-code">Copy code</button></div><pre><code class="language-&lt;img">x` + "\n</code></pre></div>\n"},
	}
	for _, tt := range tests {
		if got := Render(tt.in); got != tt.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, v := range XSSCorpus {
		f.Add(v)
	}
	f.Add("# h\n\n- a\n- b\n\n```\ncode\n```\n[l](http://x)")
	f.Fuzz(func(t *testing.T, src string) {
		checkSafe(t, src, Render(src))
	})
}

func BenchmarkRender(b *testing.B) {
	src := strings.Repeat("## Heading\n\nSome *text* with `code` and a [link](https://go.dev).\n\n- one\n- two\n\n```go\nfunc main() {}\n```\n\n", 100)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Render(src)
	}
}

// TestCopyLabel: a Renderer labels every code block's copy button in its
// language, nested ones too; the zero Renderer in English. Text a model
// writes cannot set the label.
func TestCopyLabel(t *testing.T) {
	src := "```go\nx := 1\n```\n\n- item\n\n  ```\n  nested\n  ```\n\n> ~~~\n> quoted\n> ~~~\n"
	got := Renderer{CopyLabel: "复制代码"}.Render(src)
	if n := strings.Count(got, `class="copy-code">复制代码</button>`); n != 3 {
		t.Errorf("%d code blocks labelled in Chinese, want 3:\n%s", n, got)
	}
	if n := strings.Count(Render(src), `class="copy-code">Copy code</button>`); n != 3 {
		t.Errorf("%d code blocks labelled in English, want 3", n)
	}
	if got := (Renderer{CopyLabel: "<b>&amp;"}).Render("```\nx\n```"); !strings.Contains(got, `class="copy-code">&lt;b&gt;&amp;amp;</button>`) {
		t.Errorf("label not escaped:\n%s", got)
	}
	var s Stream
	s.Renderer.CopyLabel = "复制代码"
	blocks, tail := s.Update("```\na\n```\n\ntext")
	if len(blocks) != 1 || !strings.Contains(blocks[0], "复制代码") || strings.Contains(tail, "Copy") {
		t.Errorf("stream: %q %q", blocks, tail)
	}
}
