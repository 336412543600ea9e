// Command wasmfix writes a `go build -overlay` file that mends a bug of Go's
// js/wasm runtime in the toolchain that builds the page, and prints its
// path. `make wasm` builds the page with it.
//
// The bug (Go 1.26.8 and 1.27.3): on wasm, map hashes are 32 bits wide
// (runtime.trimHash), but the hash of a nil interface is the map's seed
// untrimmed, 64 bits. A lookup, insert or delete of a nil interface key in a
// map that has grown past one table (about 900 entries) then computes a
// table index far outside the map's directory and the wasm traps with
// "memory access out of bounds". go-app v9 looks up a nil key on every
// event of a window listener (its resize listener and ours: keydown,
// click, online…) in its map of components to update, which grows past 900
// entries when that many components render in one frame (a few hundred
// messages): the trap unwinds the engine's goroutine and the page stops
// running Go code for good. The fix is the one the non-nil branch already
// has: return trimHash(h).
//
// A toolchain whose runtime no longer has the bug gets an empty overlay; one
// whose runtime changed so that the patch no longer applies is an error, so
// the build stops instead of shipping the bug.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", ".build/wasmfix", "folder for the overlay and the patched files")
	goroot := flag.String("goroot", "", "the GOROOT of the toolchain that builds the wasm (default: `go env GOROOT`)")
	flag.Parse()
	path, err := run(*goroot, *dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmfix:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

func run(goroot, dir string) (string, error) {
	if goroot == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOROOT: %w", err)
		}
		goroot = strings.TrimSpace(string(out))
	}
	return write(goroot, dir)
}

// fixes are the runtime's nil-interface hashes: interhash and nilinterhash.
var fixes = []struct{ buggy, fixed string }{
	{"\ttab := a.tab\n\tif tab == nil {\n\t\treturn h\n\t}", "\ttab := a.tab\n\tif tab == nil {\n\t\treturn trimHash(h)\n\t}"},
	{"\tt := a._type\n\tif t == nil {\n\t\treturn h\n\t}", "\tt := a._type\n\tif t == nil {\n\t\treturn trimHash(h)\n\t}"},
}

// patch returns alg.go mended, or ok false when it needs no mending.
func patch(src string) (out string, ok bool, err error) {
	for _, f := range fixes {
		switch {
		case strings.Count(src, f.buggy) == 1:
			src = strings.Replace(src, f.buggy, f.fixed, 1)
			ok = true
		case strings.Contains(src, f.fixed):
		default:
			return "", false, errors.New("runtime/alg.go has changed: the nil-interface hash fix does not apply; check whether this Go still needs it (see cmd/wasmfix)")
		}
	}
	if !strings.Contains(src, "func trimHash(") {
		return "", false, errors.New("runtime/alg.go has no trimHash: check whether this Go still needs the fix (see cmd/wasmfix)")
	}
	return src, ok, nil
}

// write writes the overlay for the runtime under goroot into dir and
// returns the overlay file's path.
func write(goroot, dir string) (string, error) {
	alg := filepath.Join(goroot, "src", "runtime", "alg.go")
	src, err := os.ReadFile(alg)
	if err != nil {
		return "", err
	}
	out, needed, err := patch(string(src))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	replace := map[string]string{}
	if needed {
		mended := filepath.Join(dir, "alg.go")
		if err := os.WriteFile(mended, []byte(out), 0o644); err != nil {
			return "", err
		}
		replace[alg] = mended
	}
	overlay, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "overlay.json")
	return path, os.WriteFile(path, overlay, 0o644)
}
