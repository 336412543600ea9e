package markdown

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// mathOf returns the MathML of the first formula in out, without its TeX
// annotation.
func mathOf(out string) string {
	i := strings.Index(out, "<semantics><mrow>")
	j := strings.Index(out, "</mrow><annotation")
	if i < 0 || j < i {
		return ""
	}
	return out[i+len("<semantics><mrow>") : j]
}

// TestMath: a table of formulas and the MathML they typeset to.
func TestMath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{`$x^2$`, `<msup><mrow><mi>x</mi></mrow><mrow><mn>2</mn></mrow></msup>`},
		{`$a_i^2$`, `<msubsup><mrow><mi>a</mi></mrow><mrow><mi>i</mi></mrow><mrow><mn>2</mn></mrow></msubsup>`},
		{`\(\frac{1}{2}\)`, `<mfrac><mrow><mn>1</mn></mrow><mrow><mn>2</mn></mrow></mfrac>`},
		{`$\sqrt{x}$`, `<msqrt><mi>x</mi></msqrt>`},
		{`$\sqrt[3]{8}$`, `<mroot><mrow><mn>8</mn></mrow><mrow><mn>3</mn></mrow></mroot>`},
		{`$\alpha + \Omega$`, `<mi>α</mi><mo>+</mo><mi mathvariant="normal">Ω</mi>`},
		{`$x \leq 3.14$`, `<mi>x</mi><mo>≤</mo><mn>3.14</mn>`},
		{`$\sin x$`, `<mi mathvariant="normal">sin</mi><mi>x</mi>`},
		{`$\sum_{i=1}^{n} i$`, `<msubsup><mrow><mo largeop="true" movablelimits="true">∑</mo></mrow><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mrow><mi>n</mi></mrow></msubsup><mi>i</mi>`},
		{`$$\sum_{i=1}^{n} i$$`, `<munderover><mrow><mo largeop="true" movablelimits="true">∑</mo></mrow><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mrow><mi>n</mi></mrow></munderover><mi>i</mi>`},
		{`$\hat{x}$`, `<mover accent="true"><mrow><mi>x</mi></mrow><mo stretchy="false">^</mo></mover>`},
		{`$\left(\frac{a}{b}\right)$`, `<mrow><mo fence="true" stretchy="true">(</mo><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac><mo fence="true" stretchy="true">)</mo></mrow>`},
		{`$\text{if } x$`, `<mtext>if </mtext><mi>x</mi>`},
		{`$\mathbb{R}$`, `<mrow><mi>ℝ</mi></mrow>`},
		{`$\begin{cases}1 & x>0\\0\end{cases}$`, `<mrow><mo fence="true" stretchy="true">{</mo><mtable><mtr><mtd><mn>1</mn></mtd><mtd><mi>x</mi><mo>&gt;</mo><mn>0</mn></mtd></mtr><mtr><mtd><mn>0</mn></mtd></mtr></mtable></mrow>`},
		{`$a\,b$`, `<mi>a</mi><mspace width="0.167em"></mspace><mi>b</mi>`},
		{`$\foo{x}$`, `<merror><mtext>\foo</mtext></merror><mrow><mi>x</mi></mrow>`},
		{`$x}$`, `<mi>x</mi><merror><mtext>}</mtext></merror>`},
		{`$E = mc^2$`, `<mi>E</mi><mo>=</mo><mi>m</mi><msup><mrow><mi>c</mi></mrow><mrow><mn>2</mn></mrow></msup>`},
	} {
		if got := mathOf(Render(tt.in)); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// TestMathStaysText: what is not a formula stays text: currency, an
// unclosed formula (while an answer streams), math in code, an escaped
// dollar, a formula beyond its bounds.
func TestMathStaysText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"It costs $5 and $10.":   "<p>It costs $5 and $10.</p>\n",
		"a $ b $ c":              "<p>a $ b $ c</p>\n",
		"streaming $$\\frac{a}{": "<p>streaming $$\\frac{a}{</p>\n",
		"`$x$`":                  "<p><code>$x$</code></p>\n",
		`\$x\$`:                  "<p>$x$</p>\n",
		"```\n$$x$$\n```":        "$$x$$",
		"$" + strings.Repeat("x", maxMathBytes+1) + "$": "<p>$xxx",
	} {
		if got := Render(in); !strings.Contains(got, want) || strings.Contains(got, "<math") {
			t.Errorf("%.40q: %.200s, want text with %.40q", in, got, want)
		}
	}
	deep := "$" + strings.Repeat("{", maxMathDepth+5) + "x" + strings.Repeat("}", maxMathDepth+5) + "$"
	if got := Render(deep); strings.Contains(got, "<math") {
		t.Errorf("a formula nested %d deep typeset: %.200s", maxMathDepth+5, got)
	}
}

// TestMathStreams: a streamed answer shows its formulas once closed.
func TestMathStreams(t *testing.T) {
	t.Parallel()
	var s Stream
	answer := "Inline $x^2$ and then:\n\n$$\\int_0^1 x\\,dx = \\frac{1}{2}$$\n\nDone."
	for i := 1; i <= len(answer); i++ {
		blocks, tail := s.Update(answer[:i])
		checkSafe(t, answer[:i], strings.Join(blocks, "")+tail)
	}
	blocks, tail := s.Update(answer)
	if got := strings.Join(blocks, "") + tail; strings.Count(got, "<math") != 2 || !strings.Contains(got, `display="block"`) {
		t.Errorf("streamed answer: %s", got)
	}
}

// FuzzTeXToMathML: any formula typesets to well-formed MathML of the
// allowed elements, or is refused; the output stays within a bound of its
// source.
func FuzzTeXToMathML(f *testing.F) {
	for _, seed := range []string{`x^2`, `\frac{a}{b}`, `\left(\begin{pmatrix}1&2\\3&4\end{pmatrix}\right)`, `\sqrt[3]{x_{i}^{2}}`,
		`\text{<b>}`, `\mathbb{RZ}`, `}{`, `\left.`, `\begin{cases}`, `a^^^__b`, `\\\\`, `\right)`} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, src string, display bool) {
		out, ok := TeXToMathML(src, display)
		if !ok {
			return
		}
		if len(out) > 200+60*len(src) {
			t.Fatalf("%d bytes of MathML for %d of TeX", len(out), len(src))
		}
		checkSafe(t, src, out)
		depth := 0
		z := html.NewTokenizer(strings.NewReader(out))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			switch tt {
			case html.StartTagToken:
				depth++
			case html.EndTagToken:
				depth--
			}
			if depth < 0 {
				t.Fatalf("unbalanced MathML for %q: %s", src, out)
			}
		}
		if depth != 0 {
			t.Fatalf("unbalanced MathML for %q (%d open): %s", src, depth, out)
		}
	})
}
