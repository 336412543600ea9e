package markdown

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The page typesets math as MathML Core, which Chromium, Firefox and
// Safari render themselves: no script, no font to fetch, a few KB of Go
// in the wasm (KaTeX would add about 270 KB of JavaScript, its CSS and
// 60 font files). TeXToMathML turns the LaTeX people and models write —
// fractions, roots, scripts, Greek, operators, big operators with limits,
// accents, fences, matrices and cases, text, font styles — into MathML
// built from a fixed set of elements and attributes, every text escaped.
// A command it does not know shows as its source, in a different colour:
// nothing a model writes can make it emit anything else (\href, \url and
// \rule are such commands).

// Bounds of one formula: beyond them, it shows as its source.
const (
	maxMathBytes = 4 << 10
	maxMathDepth = 32
)

// TeXToMathML returns the MathML of TeX math src, displayed as a block or
// inline, and whether it could: a formula beyond maxMathBytes or nested
// deeper than maxMathDepth is not.
func TeXToMathML(src string, display bool) (string, bool) {
	if len(src) > maxMathBytes || !utf8.ValidString(src) {
		return "", false
	}
	p := &texParser{src: src}
	var b strings.Builder
	mode := "inline"
	if display {
		mode = "block"
	}
	b.WriteString(`<math display="` + mode + `"><semantics><mrow>`)
	p.display = display
	for {
		if !p.row(&b, "") {
			return "", false
		}
		if p.pos >= len(p.src) {
			break
		}
		// A "}" or \right with nothing open: shown as written.
		stray := "}"
		if strings.HasPrefix(p.src[p.pos:], `\right`) {
			stray = `\right`
		}
		p.pos += len(stray)
		b.WriteString("<merror><mtext>" + html.EscapeString(stray) + "</mtext></merror>")
	}
	b.WriteString(`</mrow><annotation encoding="application/x-tex">`)
	b.WriteString(html.EscapeString(src))
	b.WriteString(`</annotation></semantics></math>`)
	return b.String(), true
}

type texParser struct {
	src     string
	pos     int
	depth   int
	display bool
	failed  bool
}

func (p *texParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *texParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\n' || p.src[p.pos] == '\t' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

// command reads a control sequence after its backslash: letters, or one
// other character.
func (p *texParser) command() string {
	start := p.pos
	for p.pos < len(p.src) && isLetter(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start && p.pos < len(p.src) {
		_, n := utf8.DecodeRuneInString(p.src[p.pos:])
		p.pos += n
	}
	return p.src[start:p.pos]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// row writes atoms until the end, a closing brace, or the command end
// (\right, \end, & or \\ when in a table: the caller looks at what
// stopped it).
func (p *texParser) row(b *strings.Builder, stopAt string) bool {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxMathDepth {
		p.failed = true
		return false
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.failed {
			return !p.failed
		}
		c := p.src[p.pos]
		if c == '}' {
			return true
		}
		if stopAt != "" && (c == '&' || strings.HasPrefix(p.src[p.pos:], `\\`) || strings.HasPrefix(p.src[p.pos:], `\end`) || strings.HasPrefix(p.src[p.pos:], `\right`)) {
			return true
		}
		if stopAt == "" && strings.HasPrefix(p.src[p.pos:], `\right`) {
			return true
		}
		p.scripted(b)
	}
}

// scripted writes one atom with its sub- and superscripts.
func (p *texParser) scripted(b *strings.Builder) {
	var base strings.Builder
	big := p.atom(&base)
	var sub, sup strings.Builder
	hasSub, hasSup := false, false
	for {
		p.skipSpace()
		switch p.peek() {
		case '_':
			p.pos++
			if hasSub {
				continue
			}
			hasSub = true
			p.argument(&sub)
			continue
		case '^':
			p.pos++
			if hasSup {
				continue
			}
			hasSup = true
			p.argument(&sup)
			continue
		case '\'':
			p.pos++
			hasSup = true
			sup.WriteString(`<mo>′</mo>`)
			continue
		}
		break
	}
	under, over := "msub", "msup"
	both := "msubsup"
	if big && p.display {
		under, over, both = "munder", "mover", "munderover"
	}
	switch {
	case hasSub && hasSup:
		b.WriteString("<" + both + ">" + wrap(base.String()) + wrap(sub.String()) + wrap(sup.String()) + "</" + both + ">")
	case hasSub:
		b.WriteString("<" + under + ">" + wrap(base.String()) + wrap(sub.String()) + "</" + under + ">")
	case hasSup:
		b.WriteString("<" + over + ">" + wrap(base.String()) + wrap(sup.String()) + "</" + over + ">")
	default:
		b.WriteString(base.String())
	}
}

// wrap makes a script's part one element.
func wrap(s string) string {
	if s == "" {
		return "<mrow></mrow>"
	}
	return "<mrow>" + s + "</mrow>"
}

// argument writes one argument: a group, or a single atom.
func (p *texParser) argument(b *strings.Builder) {
	p.skipSpace()
	if p.peek() == '{' {
		p.pos++
		p.row(b, "")
		if p.peek() == '}' {
			p.pos++
		}
		return
	}
	if p.pos >= len(p.src) {
		return
	}
	p.atom(b)
}

// textArgument returns a braced argument's raw text.
func (p *texParser) textArgument() string {
	p.skipSpace()
	if p.peek() != '{' {
		if p.pos >= len(p.src) {
			return ""
		}
		_, n := utf8.DecodeRuneInString(p.src[p.pos:])
		p.pos += n
		return p.src[p.pos-n : p.pos]
	}
	p.pos++
	start, level := p.pos, 1
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '\\':
			p.pos++
		case '{':
			level++
		case '}':
			level--
			if level == 0 {
				s := p.src[start:p.pos]
				p.pos++
				return s
			}
		}
		p.pos++
	}
	p.pos = len(p.src) // not closed: to the end
	return p.src[start:]
}

// atom writes one atom and reports whether it is a big operator, whose
// scripts go under and over it in display math.
func (p *texParser) atom(b *strings.Builder) (big bool) {
	c := p.peek()
	switch {
	case c == '{':
		p.pos++
		b.WriteString("<mrow>")
		p.row(b, "")
		b.WriteString("</mrow>")
		if p.peek() == '}' {
			p.pos++
		}
	case c == '\\':
		p.pos++
		return p.control(b, p.command())
	case c >= '0' && c <= '9' || c == '.' && p.pos+1 < len(p.src) && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9':
		start := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		b.WriteString("<mn>" + p.src[start:p.pos] + "</mn>")
	case isLetter(c):
		p.pos++
		b.WriteString("<mi>" + string(c) + "</mi>")
	case c == '^' || c == '_':
		p.pos++ // a script with no base
		b.WriteString("<mrow></mrow>")
	case c == '&' || c == '#' || c == '~':
		p.pos++
		if c == '~' {
			b.WriteString(`<mspace width="0.33em"></mspace>`)
		}
	default:
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		p.pos += n
		switch {
		case unicode.IsLetter(r):
			b.WriteString("<mi>" + html.EscapeString(string(r)) + "</mi>")
		case unicode.IsDigit(r):
			b.WriteString("<mn>" + html.EscapeString(string(r)) + "</mn>")
		default:
			b.WriteString("<mo>" + html.EscapeString(string(r)) + "</mo>")
		}
	}
	return false
}

// control writes a control sequence's element.
func (p *texParser) control(b *strings.Builder, name string) (big bool) {
	if s, ok := texSymbols[name]; ok {
		b.WriteString(s)
		return false
	}
	if s, ok := texBigOps[name]; ok {
		b.WriteString(`<mo largeop="true" movablelimits="true">` + s + `</mo>`)
		return true
	}
	if texFunctions[name] {
		b.WriteString(`<mi mathvariant="normal">` + name + `</mi>`)
		return name == "lim" || name == "max" || name == "min" || name == "sup" || name == "inf"
	}
	switch name {
	case "frac", "dfrac", "tfrac", "binom":
		var num, den strings.Builder
		p.argument(&num)
		p.argument(&den)
		if name == "binom" {
			b.WriteString(`<mrow><mo>(</mo><mfrac linethickness="0">` + wrap(num.String()) + wrap(den.String()) + `</mfrac><mo>)</mo></mrow>`)
		} else {
			b.WriteString("<mfrac>" + wrap(num.String()) + wrap(den.String()) + "</mfrac>")
		}
	case "sqrt":
		p.skipSpace()
		var index strings.Builder
		if p.peek() == '[' {
			p.pos++
			for p.pos < len(p.src) && p.peek() != ']' && !p.failed {
				p.scripted(&index)
				p.skipSpace()
			}
			if p.peek() == ']' {
				p.pos++
			}
		}
		var arg strings.Builder
		p.argument(&arg)
		if index.Len() > 0 {
			b.WriteString("<mroot>" + wrap(arg.String()) + wrap(index.String()) + "</mroot>")
		} else {
			b.WriteString("<msqrt>" + arg.String() + "</msqrt>")
		}
	case "text", "textrm", "textit", "textbf", "mbox", "operatorname":
		t := p.textArgument()
		if name == "operatorname" {
			b.WriteString(`<mi mathvariant="normal">` + html.EscapeString(t) + `</mi>`)
		} else {
			b.WriteString("<mtext>" + html.EscapeString(t) + "</mtext>")
		}
	case "mathbb", "mathbf", "mathit", "mathrm", "mathcal", "mathsf", "mathtt", "mathfrak", "boldsymbol":
		p.styled(b, name)
	case "hat", "bar", "vec", "dot", "ddot", "tilde", "widehat", "widetilde", "overline", "overrightarrow":
		var arg strings.Builder
		p.argument(&arg)
		b.WriteString(`<mover accent="true">` + wrap(arg.String()) + `<mo stretchy="` + stretchy(name) + `">` + texAccents[name] + `</mo></mover>`)
	case "underline":
		var arg strings.Builder
		p.argument(&arg)
		b.WriteString(`<munder accentunder="true">` + wrap(arg.String()) + `<mo stretchy="true">_</mo></munder>`)
	case "left":
		p.fenced(b)
	case "begin":
		p.environment(b, p.textArgument())
	case ",", ":", ";", "quad", "qquad", " ", "!":
		b.WriteString(`<mspace width="` + texSpaces[name] + `"></mspace>`)
	default:
		// Not known: shown as written, for the reader to see.
		b.WriteString(`<merror><mtext>\` + html.EscapeString(name) + `</mtext></merror>`)
	}
	return false
}

func stretchy(accent string) string {
	if strings.HasPrefix(accent, "wide") || strings.HasPrefix(accent, "over") {
		return "true"
	}
	return "false"
}

// styled writes an argument in a font style: \mathbb's letters as their
// double-struck characters, the others with mathvariant.
func (p *texParser) styled(b *strings.Builder, name string) {
	if name == "mathbb" {
		t := p.textArgument()
		b.WriteString("<mrow>")
		for _, r := range t {
			if s, ok := doubleStruck[r]; ok {
				b.WriteString("<mi>" + s + "</mi>")
			} else if r != ' ' {
				b.WriteString("<mi>" + html.EscapeString(string(r)) + "</mi>")
			}
		}
		b.WriteString("</mrow>")
		return
	}
	variant := map[string]string{"mathbf": "bold", "boldsymbol": "bold-italic", "mathit": "italic", "mathrm": "normal",
		"mathcal": "script", "mathsf": "sans-serif", "mathtt": "monospace", "mathfrak": "fraktur"}[name]
	var arg strings.Builder
	p.argument(&arg)
	// MathML Core styles only single-letter <mi> by mathvariant; the page's
	// style sheet styles the rest (the class).
	b.WriteString(`<mrow class="math-` + variant + `">` + strings.ReplaceAll(arg.String(), "<mi>", `<mi mathvariant="normal">`) + `</mrow>`)
}

// fenced writes \left( … \right).
func (p *texParser) fenced(b *strings.Builder) {
	open := p.delimiter()
	b.WriteString(`<mrow><mo fence="true" stretchy="true">` + open + `</mo>`)
	p.row(b, "")
	closing := ""
	if strings.HasPrefix(p.src[p.pos:], `\right`) {
		p.pos += len(`\right`)
		closing = p.delimiter()
	}
	b.WriteString(`<mo fence="true" stretchy="true">` + closing + `</mo></mrow>`)
}

// delimiter reads a fence: a character, \{, \}, \langle… or "." (none).
func (p *texParser) delimiter() string {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return ""
	}
	if p.src[p.pos] == '\\' {
		p.pos++
		switch name := p.command(); name {
		case "{":
			return "{"
		case "}":
			return "}"
		case "|":
			return "‖"
		case "langle":
			return "⟨"
		case "rangle":
			return "⟩"
		case "lfloor":
			return "⌊"
		case "rfloor":
			return "⌋"
		case "lceil":
			return "⌈"
		case "rceil":
			return "⌉"
		default:
			return ""
		}
	}
	r, n := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += n
	if r == '.' {
		return ""
	}
	return html.EscapeString(string(r))
}

// environment writes \begin{name} … \end{name}: the matrices, cases and
// aligned as a table.
func (p *texParser) environment(b *strings.Builder, name string) {
	fences := texFences[name]
	open, closing := fences[0], fences[1]
	b.WriteString("<mrow>")
	if open != "" {
		b.WriteString(`<mo fence="true" stretchy="true">` + html.EscapeString(open) + `</mo>`)
	}
	b.WriteString("<mtable><mtr><mtd>")
	for !p.failed {
		p.row(b, "table")
		switch {
		case p.pos >= len(p.src):
		case p.src[p.pos] == '&':
			p.pos++
			b.WriteString("</mtd><mtd>")
			continue
		case strings.HasPrefix(p.src[p.pos:], `\\`):
			p.pos += 2
			b.WriteString("</mtd></mtr><mtr><mtd>")
			continue
		case strings.HasPrefix(p.src[p.pos:], `\end`):
			p.pos += len(`\end`)
			p.textArgument()
		case strings.HasPrefix(p.src[p.pos:], `\right`):
			// A \right that closes an outer \left: the environment ends here.
		case p.src[p.pos] == '}':
			p.pos++
			continue
		}
		break
	}
	b.WriteString("</mtd></mtr></mtable>")
	if closing != "" {
		b.WriteString(`<mo fence="true" stretchy="true">` + html.EscapeString(closing) + `</mo>`)
	}
	b.WriteString("</mrow>")
}
