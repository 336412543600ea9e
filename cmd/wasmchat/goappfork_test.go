//go:build !js

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoAppFork checks third_party/go-app, the copy of go-app v9.8.0 the
// page builds with (its README says why): every file is upstream's byte
// for byte (UPSTREAM.sha256), but http.go and resource.go, which differ by
// their build constraint only, and what the copy adds.
func TestGoAppFork(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "third_party", "go-app")
	sums, err := os.Open(filepath.Join(dir, "UPSTREAM.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	defer sums.Close()
	// What the copy adds before upstream's first line.
	const header = "//go:build !wasm\n\n// wasmchat: not in the wasm build (see ../../README.md).\n\n"
	patched := map[string]bool{"pkg/app/http.go": true, "pkg/app/resource.go": true}
	known := map[string]bool{"UPSTREAM.sha256": true, "README.md": true, "go.mod": true, "pkg/app/http_wasm.go": true}
	lines := bufio.NewScanner(sums)
	for lines.Scan() {
		sum, name, ok := strings.Cut(lines.Text(), "  ")
		if !ok || strings.HasPrefix(sum, "#") {
			continue
		}
		known[name] = true
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Error(err)
			continue
		}
		if patched[name] {
			rest, ok := strings.CutPrefix(string(data), header)
			if !ok {
				t.Errorf("%s: does not start with the copy's build constraint", name)
			}
			data = []byte(rest)
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s differs from go-app v9.8.0's", name)
		}
	}
	must(t, lines.Err())
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !known[filepath.ToSlash(rel)] {
			t.Errorf("%s is not go-app's, nor one the copy adds", rel)
		}
		return nil
	}))
}
