package markdown

import (
	"bytes"
	"strings"
	"sync"

	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Syntax highlighting for fenced code, written here rather than taken from
// chroma: chroma's lexers would add megabytes to the wasm (its Go lexers
// alone are a registry of every language), while this one is a table per
// language and one scanner, a few kilobytes. It tells apart what a reader
// of a chat answer looks for: comments, strings, numbers, keywords, types
// and built-ins, literals (true, nil, None…) and called functions. It does
// not parse: a construct it does not know stays plain text, never wrong
// markup. All text goes through the same HTML escaping as before, and the
// only markup added is <span class="hl-…">.
//
// Classes: hl-c comment, hl-s string, hl-n number, hl-k keyword, hl-t type
// or built-in, hl-l literal, hl-f function name at a call or definition.

// syntax describes one language for the scanner.
type syntax struct {
	line       []string    // line comment openers
	block      [][2]string // block comment delimiters
	quotes     []string    // string delimiters with backslash escapes, longest first
	raw        []string    // string delimiters without escapes
	keywords   []string
	types      []string
	literals   []string
	foldCase   bool // SQL: keywords in any case
	tags       bool // HTML, XML: <name and </name are keywords
	identChars string
	words      map[string]string // word → class, built from the lists
}

var cFamily = syntax{
	line: []string{"//"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"`, `'`},
}

func lang(base syntax, keywords, types, literals string) *syntax {
	s := base
	s.keywords, s.types, s.literals = strings.Fields(keywords), strings.Fields(types), strings.Fields(literals)
	return &s
}

var (
	goSyntax = lang(syntax{line: []string{"//"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"`, `'`}, raw: []string{"`"}},
		"break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var",
		"any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr append cap clear close complex copy delete imag len make max min new panic print println real recover",
		"true false nil iota")
	pySyntax = lang(syntax{line: []string{"#"}, quotes: []string{`"""`, `'''`, `"`, `'`}},
		"and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case",
		"int float str bool bytes list dict set tuple object type len range print open super isinstance enumerate zip map filter sorted min max sum abs any all self cls",
		"True False None")
	jsKeywords = "async await break case catch class const continue debugger default delete do else export extends finally for from function if import in instanceof let new of return static super switch this throw try typeof var void while with yield"
	jsSyntax   = lang(syntax{line: []string{"//"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"`, `'`, "`"}, identChars: "$"},
		jsKeywords,
		"Array Boolean Date Error JSON Map Math Number Object Promise RegExp Set String Symbol console document window globalThis",
		"true false null undefined NaN Infinity")
	tsSyntax = lang(syntax{line: []string{"//"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"`, `'`, "`"}, identChars: "$"},
		jsKeywords+" abstract as declare enum implements interface keyof namespace private protected public readonly type satisfies",
		"Array Boolean Date Error JSON Map Math Number Object Promise Record Partial Set String any boolean never number string unknown void console",
		"true false null undefined")
	rustSyntax = lang(cFamily,
		"as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while",
		"bool char f32 f64 i8 i16 i32 i64 i128 isize str u8 u16 u32 u64 u128 usize String Vec Option Result Box Rc Arc HashMap println print format vec panic",
		"true false None Some Ok Err")
	cSyntax = lang(cFamily,
		"auto break case const continue default do else enum extern for goto if inline register restrict return sizeof static struct switch typedef union volatile while #include #define #ifdef #ifndef #endif #if #else #pragma",
		"char double float int long short signed unsigned void size_t bool FILE printf malloc free",
		"NULL true false")
	cppSyntax = lang(cFamily,
		"auto break case catch class const constexpr continue default delete do else enum explicit export extern for friend goto if inline mutable namespace new noexcept operator private protected public return sizeof static struct switch template this throw try typedef typename union using virtual volatile while #include #define #ifdef #ifndef #endif #if #else #pragma",
		"bool char double float int long short signed unsigned void size_t std string vector map unique_ptr shared_ptr cout cin endl",
		"nullptr NULL true false")
	javaSyntax = lang(cFamily,
		"abstract assert break case catch class const continue default do else enum extends final finally for goto if implements import instanceof interface native new package private protected public record return static super switch synchronized this throw throws try var void volatile while",
		"boolean byte char double float int long short String Object Integer List Map System",
		"true false null")
	csSyntax = lang(cFamily,
		"abstract as async await base break case catch class const continue default delegate do else enum event explicit extern finally fixed for foreach goto if implicit in interface internal is lock namespace new operator out override params private protected public readonly ref return sealed sizeof static struct switch this throw try typeof using var virtual void volatile while",
		"bool byte char decimal double float int long object sbyte short string uint ulong ushort List Dictionary Console Task",
		"true false null")
	kotlinSyntax = lang(syntax{line: []string{"//"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"""`, `"`, `'`}},
		"as break class continue do else fun for if in interface is object package return super this throw try typealias val var when while import data sealed override private public internal",
		"Any Boolean Char Double Float Int Long String Unit List Map println",
		"true false null")
	swiftSyntax = lang(syntax{line: []string{"//"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"""`, `"`}},
		"as break case catch class continue default defer do else enum extension fallthrough for func guard if import in init inout internal is let private protocol public repeat return self static struct subscript switch throw throws try var where while",
		"Any Bool Character Double Float Int String Array Dictionary Optional print",
		"true false nil")
	shSyntax = lang(syntax{line: []string{"#"}, quotes: []string{`"`}, raw: []string{`'`}},
		"if then else elif fi for while until do done case esac in function return local export readonly set unset shift exit",
		"echo cd ls cat grep sed awk curl git make go npm apt-get sudo printf test source",
		"true false")
	sqlSyntax = lang(syntax{line: []string{"--"}, block: [][2]string{{"/*", "*/"}}, raw: []string{`'`, `"`}, foldCase: true},
		"select from where and or not insert into values update set delete create table drop alter add index primary key foreign references join left right inner outer on as group by order having limit offset distinct union all case when then else end is in like between exists returning with begin commit rollback",
		"int integer bigint text varchar char boolean date timestamp timestamptz serial real numeric count sum avg min max coalesce now",
		"null true false")
	jsonSyntax = lang(syntax{quotes: []string{`"`}}, "", "", "true false null")
	yamlSyntax = lang(syntax{line: []string{"#"}, quotes: []string{`"`}, raw: []string{`'`}}, "", "", "true false null yes no on off")
	cssSyntax  = lang(syntax{block: [][2]string{{"/*", "*/"}}, quotes: []string{`"`, `'`}, identChars: "-"},
		"@media @import @keyframes @font-face @supports !important",
		"", "inherit initial unset none auto")
	phpSyntax = lang(syntax{line: []string{"//", "#"}, block: [][2]string{{"/*", "*/"}}, quotes: []string{`"`, `'`}, identChars: "$"},
		"abstract as break case catch class const continue default do echo else elseif extends final finally fn for foreach function if implements interface namespace new private protected public return static switch throw trait try use while",
		"array bool float int string mixed void", "true false null")
	rubySyntax = lang(syntax{line: []string{"#"}, quotes: []string{`"`, `'`}},
		"alias and begin break case class def do else elsif end ensure for if in module next not or redo rescue retry return self super then unless until when while yield require attr_accessor",
		"puts print Array Hash String Integer", "true false nil")
	markupSyntax = lang(syntax{block: [][2]string{{"<!--", "-->"}}, quotes: []string{`"`, `'`}, tags: true, identChars: "-:"}, "", "", "")
)

// languages maps a fence's language name (lower case) to its syntax.
var languages = map[string]*syntax{
	"go": goSyntax, "golang": goSyntax,
	"python": pySyntax, "py": pySyntax, "python3": pySyntax,
	"javascript": jsSyntax, "js": jsSyntax, "jsx": jsSyntax, "mjs": jsSyntax, "node": jsSyntax,
	"typescript": tsSyntax, "ts": tsSyntax, "tsx": tsSyntax,
	"rust": rustSyntax, "rs": rustSyntax,
	"c": cSyntax, "h": cSyntax,
	"cpp": cppSyntax, "c++": cppSyntax, "cc": cppSyntax, "hpp": cppSyntax, "cxx": cppSyntax,
	"java": javaSyntax, "csharp": csSyntax, "cs": csSyntax, "c#": csSyntax,
	"kotlin": kotlinSyntax, "kt": kotlinSyntax, "swift": swiftSyntax,
	"bash": shSyntax, "sh": shSyntax, "shell": shSyntax, "zsh": shSyntax, "console": shSyntax,
	"sql": sqlSyntax, "postgresql": sqlSyntax, "sqlite": sqlSyntax, "mysql": sqlSyntax,
	"json": jsonSyntax, "jsonc": jsSyntax, "yaml": yamlSyntax, "yml": yamlSyntax, "toml": yamlSyntax,
	"css": cssSyntax, "scss": cssSyntax, "php": phpSyntax, "ruby": rubySyntax, "rb": rubySyntax,
	"html": markupSyntax, "xml": markupSyntax, "svg": markupSyntax, "vue": markupSyntax,
}

// wordsOnce builds every language's words on the first code block, not
// when the page starts: most first screens show none.
var wordsOnce sync.Once

func buildWords() {
	for _, s := range languages {
		if s.words != nil {
			continue
		}
		s.words = make(map[string]string)
		for class, list := range map[string][]string{"hl-t": s.types, "hl-l": s.literals, "hl-k": s.keywords} {
			for _, w := range list {
				if s.foldCase {
					w = strings.ToLower(w)
				}
				s.words[w] = class
			}
		}
	}
}

// syntaxOf returns the syntax of a fence's language, or nil.
func syntaxOf(lang []byte) *syntax {
	s := languages[strings.ToLower(string(lang))]
	if s != nil {
		wordsOnce.Do(buildWords)
	}
	return s
}

// highlight writes code, escaped, with its tokens in spans.
func highlight(w util.BufWriter, s *syntax, code []byte) {
	plainFrom := 0
	flush := func(to int) {
		if to > plainFrom {
			html.DefaultWriter.RawWrite(w, code[plainFrom:to])
		}
	}
	span := func(class string, from, to int) {
		flush(from)
		_, _ = w.WriteString(`<span class="`)
		_, _ = w.WriteString(class)
		_, _ = w.WriteString(`">`)
		html.DefaultWriter.RawWrite(w, code[from:to])
		_, _ = w.WriteString(`</span>`)
		plainFrom = to
	}
	for i := 0; i < len(code); {
		if end := s.comment(code, i); end > i {
			span("hl-c", i, end)
			i = end
			continue
		}
		if end := s.str(code, i); end > i {
			span("hl-s", i, end)
			i = end
			continue
		}
		c := code[i]
		switch {
		case s.tags && c == '<':
			from := i + 1
			if from < len(code) && code[from] == '/' {
				from++
			}
			end := from
			for end < len(code) && s.isIdent(code[end]) {
				end++
			}
			if end > from {
				span("hl-k", from, end)
			}
			i = max(end, i+1)
		case (c == '#' || c == '@' || c == '!') && i+1 < len(code) && isAlpha(code[i+1]):
			// #include, @media, !important: words of their own.
			end := i + 1
			for end < len(code) && s.isIdent(code[end]) {
				end++
			}
			if class := s.words[string(code[i:end])]; class != "" {
				span(class, i, end)
				i = end
			} else {
				i++
			}
		case isDigit(c) && (i == 0 || !s.isIdent(code[i-1])):
			end := i + 1
			for end < len(code) && (isAlnum(code[end]) || code[end] == '.' || code[end] == '_') {
				end++
			}
			span("hl-n", i, end)
			i = end
		case s.isIdentStart(c):
			end := i + 1
			for end < len(code) && s.isIdent(code[end]) {
				end++
			}
			word := string(code[i:end])
			if s.foldCase {
				word = strings.ToLower(word)
			}
			if class := s.words[word]; class != "" {
				span(class, i, end)
			} else if end < len(code) && code[end] == '(' {
				span("hl-f", i, end)
			}
			i = end
		default:
			i++
		}
	}
	flush(len(code))
}

// comment returns the end of a comment starting at i, or i.
func (s *syntax) comment(code []byte, i int) int {
	for _, open := range s.line {
		if hasAt(code, i, open) && (open != "#" || i == 0 || !s.isIdent(code[i-1])) {
			end := i + len(open)
			for end < len(code) && code[end] != '\n' {
				end++
			}
			return end
		}
	}
	for _, d := range s.block {
		if hasAt(code, i, d[0]) {
			end := indexFrom(code, i+len(d[0]), d[1])
			if end < 0 {
				return len(code) // unterminated, as while streaming
			}
			return end + len(d[1])
		}
	}
	return i
}

// str returns the end of a string literal starting at i, or i.
func (s *syntax) str(code []byte, i int) int {
	for _, raw := range []bool{false, true} {
		delims := s.quotes
		if raw {
			delims = s.raw
		}
		for _, q := range delims {
			if !hasAt(code, i, q) {
				continue
			}
			end := i + len(q)
			for end < len(code) {
				switch {
				case !raw && code[end] == '\\':
					end += 2
					continue
				case hasAt(code, end, q):
					return end + len(q)
				case code[end] == '\n' && len(q) == 1 && q != "`" && !raw:
					return end // an unclosed one-line string ends at the line
				}
				end++
			}
			return min(end, len(code))
		}
	}
	return i
}

func (s *syntax) isIdentStart(c byte) bool {
	return c == '_' || isAlpha(c) || c != '-' && c != ':' && strings.IndexByte(s.identChars, c) >= 0
}

func (s *syntax) isIdent(c byte) bool {
	return isAlnum(c) || c == '_' || strings.IndexByte(s.identChars, c) >= 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func hasAt(code []byte, i int, s string) bool {
	return len(code)-i >= len(s) && string(code[i:i+len(s)]) == s
}

func indexFrom(code []byte, from int, s string) int {
	if j := bytes.Index(code[from:], []byte(s)); j >= 0 {
		return from + j
	}
	return -1
}
