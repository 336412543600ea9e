// Command wasmsize tells where a WebAssembly binary's bytes go: the code of
// each Go package, summed from the code section's function bodies under
// the names of the binary's "name" section. Build the wasm without -s for
// it (make size does); a stripped binary has no names to go by.
//
//	wasmsize [-top N] [-depth D] app.wasm
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wasmsize:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("wasmsize", flag.ContinueOnError)
	top := fs.Int("top", 25, "how many packages to list")
	depth := fs.Int("depth", 0, "group by the first D path elements (0: whole package path)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: wasmsize [-top N] [-depth D] FILE.wasm")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	m, err := parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if len(m.names) == 0 {
		return fmt.Errorf("%s has no name section: build it without -ldflags=-s", fs.Arg(0))
	}
	sizes := m.byPackage(*depth)
	type row struct {
		pkg  string
		size int
	}
	var rows []row
	total := 0
	for p, n := range sizes {
		rows = append(rows, row{p, n})
		total += n
	}
	sort.Slice(rows, func(i, j int) bool {
		return rows[i].size > rows[j].size || rows[i].size == rows[j].size && rows[i].pkg < rows[j].pkg
	})
	fmt.Fprintf(stdout, "wasm sections: code %d bytes, data %d bytes, total %d bytes\n", m.code, m.data, len(data))
	fmt.Fprintf(stdout, "code by package (top %d of %d):\n", min(*top, len(rows)), len(rows))
	for i, r := range rows {
		if i == *top {
			break
		}
		fmt.Fprintf(stdout, "  %8d  %5.1f%%  %s\n", r.size, 100*float64(r.size)/float64(total), r.pkg)
	}
	return nil
}

// module is what wasmsize reads of a binary: the size of each function's
// body by function index, and the function names.
type module struct {
	imports    int            // imported functions, which come first in the index space
	bodies     []int          // body sizes of the defined functions
	names      map[int]string // function index → name
	code, data int            // section sizes
}

// byPackage sums body sizes by the package part of each function name.
func (m *module) byPackage(depth int) map[string]int {
	out := make(map[string]int)
	for i, n := range m.bodies {
		out[pkgOf(m.names[m.imports+i], depth)] += n
	}
	return out
}

// pkgOf returns the package of a Go function's name in a wasm name
// section, where the linker writes the path's slashes as underscores
// ("github.com_yuin_goldmark_parser.(*p).f"), with slashes, cut to depth
// path elements when depth > 0. The linker writes hyphens as underscores
// too, so a path with either of its own reads as a deeper path
// (maxence-charriere: "maxence/charriere"); close enough to see where the
// bytes go.
func pkgOf(name string, depth int) string {
	if name == "" {
		return "(unnamed)"
	}
	rest := name
	if m := domain.FindString(rest); m != "" {
		rest = rest[len(m):]
	}
	pkg := name[:len(name)-len(rest)]
	if i := strings.IndexAny(rest, ".("); i >= 0 {
		rest = rest[:i]
	}
	pkg = strings.ReplaceAll(pkg+rest, "_", "/")
	if depth > 0 {
		parts := strings.Split(pkg, "/")
		if len(parts) > depth {
			pkg = strings.Join(parts[:depth], "/") + "/…"
		}
	}
	return pkg
}

// domain matches the host at the start of a module path ("github.com_").
var domain = regexp.MustCompile(`^([a-z0-9-]+\.)+[a-z]+_`)

var errShort = errors.New("truncated")

func parse(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a wasm binary")
	}
	m := &module{names: make(map[int]string)}
	r := reader{b: b, i: 8}
	for r.i < len(b) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.uint()
		if err != nil {
			return nil, err
		}
		if r.i+size > len(b) {
			return nil, errShort
		}
		sec := reader{b: b[r.i : r.i+size]}
		r.i += size
		switch id {
		case 2:
			err = m.readImports(&sec)
		case 10:
			m.code = size
			err = m.readCode(&sec)
		case 11:
			m.data = size
		case 0:
			name, err2 := sec.name()
			if err2 != nil {
				return nil, err2
			}
			if name == "name" {
				err = m.readNames(&sec)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *module) readImports(r *reader) error {
	n, err := r.uint()
	if err != nil {
		return err
	}
	for range n {
		if _, err := r.name(); err != nil {
			return err
		}
		if _, err := r.name(); err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0: // function: type index
			m.imports++
			_, err = r.uint()
		case 1: // table: reftype, limits
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case 2: // memory
			err = r.limits()
		case 3: // global: valtype, mut
			if _, err = r.byte(); err == nil {
				_, err = r.byte()
			}
		default:
			return fmt.Errorf("import kind %d", kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *module) readCode(r *reader) error {
	n, err := r.uint()
	if err != nil {
		return err
	}
	m.bodies = make([]int, n)
	for i := range n {
		size, err := r.uint()
		if err != nil {
			return err
		}
		if r.i+size > len(r.b) {
			return errShort
		}
		r.i += size
		m.bodies[i] = size
	}
	return nil
}

func (m *module) readNames(r *reader) error {
	for r.i < len(r.b) {
		id, err := r.byte()
		if err != nil {
			return err
		}
		size, err := r.uint()
		if err != nil {
			return err
		}
		if r.i+size > len(r.b) {
			return errShort
		}
		sub := reader{b: r.b[r.i : r.i+size]}
		r.i += size
		if id != 1 { // function names
			continue
		}
		n, err := sub.uint()
		if err != nil {
			return err
		}
		for range n {
			idx, err := sub.uint()
			if err != nil {
				return err
			}
			name, err := sub.name()
			if err != nil {
				return err
			}
			m.names[idx] = name
		}
	}
	return nil
}

// reader reads the wasm binary format's LEB128 numbers and names.
type reader struct {
	b []byte
	i int
}

func (r *reader) byte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errShort
	}
	r.i++
	return r.b[r.i-1], nil
}

func (r *reader) uint() (int, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if v > 1<<31 {
				return 0, errors.New("number too large")
			}
			return int(v), nil
		}
	}
	return 0, errors.New("number too long")
}

func (r *reader) name() (string, error) {
	n, err := r.uint()
	if err != nil {
		return "", err
	}
	if r.i+n > len(r.b) {
		return "", errShort
	}
	r.i += n
	return string(r.b[r.i-n : r.i]), nil
}

func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.uint(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.uint()
	}
	return err
}
