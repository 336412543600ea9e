package markdown

import (
	"bufio"
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

func highlighted(lang, code string) string {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	highlight(w, syntaxOf([]byte(lang)), []byte(code))
	_ = w.Flush()
	return b.String()
}

func TestHighlight(t *testing.T) {
	for _, c := range []struct{ lang, code, want string }{
		{"go", `func main() { fmt.Println("hi", 42) } // done`,
			`<span class="hl-k">func</span> <span class="hl-f">main</span>() { fmt.<span class="hl-f">Println</span>(<span class="hl-s">&quot;hi&quot;</span>, <span class="hl-n">42</span>) } <span class="hl-c">// done</span>`},
		{"Go", "var s string = `raw \\` + nil",
			`<span class="hl-k">var</span> s <span class="hl-t">string</span> = <span class="hl-s">` + "`raw \\`" + `</span> + <span class="hl-l">nil</span>`},
		{"python", "def f(x):\n    \"\"\"Doc \"quoted\".\"\"\"\n    return None  # no",
			`<span class="hl-k">def</span> <span class="hl-f">f</span>(x):` + "\n    " + `<span class="hl-s">&quot;&quot;&quot;Doc &quot;quoted&quot;.&quot;&quot;&quot;</span>` + "\n    " + `<span class="hl-k">return</span> <span class="hl-l">None</span>  <span class="hl-c"># no</span>`},
		{"js", "const a = `x${1}`; if (!ok) {}",
			`<span class="hl-k">const</span> a = <span class="hl-s">` + "`x${1}`" + `</span>; <span class="hl-k">if</span> (!ok) {}`},
		{"sql", "SELECT id FROM t WHERE name = 'it''s' -- c",
			`<span class="hl-k">SELECT</span> id <span class="hl-k">FROM</span> t <span class="hl-k">WHERE</span> name = <span class="hl-s">'it'</span><span class="hl-s">'s'</span> <span class="hl-c">-- c</span>`},
		{"c", "#include <stdio.h>\n/* a\nb */ int x = 0x1F;",
			`<span class="hl-k">#include</span> &lt;stdio.h&gt;` + "\n" + `<span class="hl-c">/* a` + "\n" + `b */</span> <span class="hl-t">int</span> x = <span class="hl-n">0x1F</span>;`},
		{"html", `<a href="x">t</a><!-- c -->`,
			`&lt;<span class="hl-k">a</span> href=<span class="hl-s">&quot;x&quot;</span>&gt;t&lt;/<span class="hl-k">a</span>&gt;<span class="hl-c">&lt;!-- c --&gt;</span>`},
		{"css", "a { color: red !important; } @media x {}",
			`a { color: red <span class="hl-k">!important</span>; } <span class="hl-k">@media</span> x {}`},
		// Unterminated, as in the middle of a stream: to the end (block),
		// to the end of the line (one-line string).
		{"go", "/* open\nstill", `<span class="hl-c">/* open` + "\nstill</span>"},
		{"go", "s := \"open\nx", `s := <span class="hl-s">&quot;open</span>` + "\nx"},
		{"go", `"a\"b" x`, `<span class="hl-s">&quot;a\&quot;b&quot;</span> x`},
		{"go", "x := \"中文\" // 注释", `x := <span class="hl-s">&quot;中文&quot;</span> <span class="hl-c">// 注释</span>`},
	} {
		if got := highlighted(c.lang, c.code); got != c.want {
			t.Errorf("%s %q:\n got %s\nwant %s", c.lang, c.code, got, c.want)
		}
	}
}

var tags = regexp.MustCompile(`<[^>]*>`)

// TestHighlightKeepsText: whatever the input, the highlighted HTML is the
// code escaped plus spans: its text is exactly the code.
func TestHighlightKeepsText(t *testing.T) {
	for _, code := range []string{"", "\"", "/*", "`", "'\\", "<", "x\\", "<script>alert(1)</script>", "\xff\xfe", "0.5e10x"} {
		for name := range languages {
			got := html.UnescapeString(tags.ReplaceAllString(highlighted(name, code), ""))
			if got != code {
				t.Errorf("%s %q: text became %q", name, code, got)
			}
		}
	}
}

func FuzzHighlight(f *testing.F) {
	for _, c := range XSSCorpus {
		f.Add("js", c)
	}
	f.Add("python", "'''a\\'''' # x")
	f.Fuzz(func(t *testing.T, lang, code string) {
		s := syntaxOf([]byte(lang))
		if s == nil {
			s = goSyntax
		}
		var b bytes.Buffer
		w := bufio.NewWriter(&b)
		highlight(w, s, []byte(code))
		_ = w.Flush()
		out := b.String()
		if rest := strings.NewReplacer(`<span class="hl-c">`, "", `<span class="hl-s">`, "", `<span class="hl-n">`, "",
			`<span class="hl-k">`, "", `<span class="hl-t">`, "", `<span class="hl-l">`, "", `<span class="hl-f">`, "", `</span>`, "").Replace(out); strings.ContainsAny(rest, "<>\"") {
			t.Fatalf("markup other than the spans, or unescaped text: %q", out)
		}
		// The escaping turns NUL into U+FFFD, as everywhere in the renderer.
		if got := html.UnescapeString(tags.ReplaceAllString(out, "")); got != strings.ReplaceAll(code, "\x00", "\uFFFD") {
			t.Fatalf("text changed: %q → %q", code, got)
		}
	})
}
