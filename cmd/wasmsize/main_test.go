package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// leb writes n as unsigned LEB128.
func leb(n int) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, leb(len(body))...), body...)
}

func name(s string) []byte { return append(leb(len(s)), s...) }

// testModule is a wasm binary with one imported function and two defined
// ones of body sizes 3 and 130 (a two-byte LEB size), named as Go names
// them.
func testModule() []byte {
	var imports []byte
	imports = append(imports, leb(1)...)
	imports = append(append(append(imports, name("go")...), name("debug")...), 0, 0) // func, type 0
	code := leb(2)
	code = append(append(code, leb(3)...), 0, 0, 0x0b)
	code = append(append(code, leb(130)...), bytes.Repeat([]byte{1}, 130)...)
	var fnames []byte
	fnames = append(fnames, leb(3)...)
	for i, n := range []string{"go.debug", "github.com_yuin_goldmark_parser.(*p).parse", "runtime.main"} {
		fnames = append(append(fnames, leb(i)...), name(n)...)
	}
	names := append(name("name"), append([]byte{1}, append(leb(len(fnames)), fnames...)...)...)
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = append(out, section(2, imports)...)
	out = append(out, section(10, code)...)
	return append(out, section(0, names)...)
}

func TestRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.wasm")
	if err := os.WriteFile(file, testModule(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run([]string{file}, &out); err != nil {
		t.Fatal(err)
	}
	// Body sizes, without their size prefix; the import has none.
	for _, want := range []string{`\s130\s+97\.7%\s+runtime\n`, `\s3\s+2\.3%\s+github\.com/yuin/goldmark/parser\n`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run([]string{"-depth", "2", file}, &out); err != nil || !strings.Contains(out.String(), "github.com/yuin/…") {
		t.Errorf("-depth 2: %v\n%s", err, out.String())
	}
}

func TestPkgOf(t *testing.T) {
	for in, want := range map[string]string{
		"runtime.main": "runtime",
		"github.com_yuin_goldmark_ast.(*Heading).Kind": "github.com/yuin/goldmark/ast",
		"crypto_internal_fips140_nistec.init":          "crypto/internal/fips140/nistec",
		"go.uber.org_zap.New":                          "go.uber.org/zap",
		"":                                             "(unnamed)",
	} {
		if got := pkgOf(in, 0); got != want {
			t.Errorf("pkgOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("not wasm"), testModule()[:20]} {
		if _, err := parse(data); err == nil {
			t.Errorf("parse(%q) read a module", data)
		}
	}
}
