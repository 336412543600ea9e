package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goroot is the GOROOT of the go command the build uses.
func goroot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestPatchThisGo mends this toolchain's runtime/alg.go: both nil-interface
// hashes come out trimmed, nothing else changes, and a mended file needs no
// second mending.
func TestPatchThisGo(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goroot(t), "src", "runtime", "alg.go"))
	if err != nil {
		t.Fatal(err)
	}
	out, needed, err := patch(string(src))
	if err != nil {
		t.Fatal(err)
	}
	if !needed {
		t.Skip("this Go's runtime already trims nil-interface hashes: wasmfix is no longer needed")
	}
	if got := strings.Count(out, "return trimHash(h)") - strings.Count(string(src), "return trimHash(h)"); got != 2 {
		t.Errorf("%d more trimmed returns, want 2", got)
	}
	if len(out) != len(src)+2*len("trimHash()") {
		t.Errorf("patched file is %d bytes, want %d: something else changed", len(out), len(src)+2*len("trimHash()"))
	}
	if _, again, err := patch(out); err != nil || again {
		t.Errorf("patching the mended file: needed %v, err %v; want no change", again, err)
	}
}

func TestPatchRefusesAChangedRuntime(t *testing.T) {
	if _, _, err := patch("package runtime\n\nfunc interhash() {}\n"); err == nil {
		t.Error("a runtime without the known code was patched")
	}
}

func TestOverlayFile(t *testing.T) {
	dir := t.TempDir()
	path, err := run("", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	alg := filepath.Join(goroot(t), "src", "runtime", "alg.go")
	if !strings.Contains(string(b), alg) || !strings.Contains(string(b), filepath.Join(dir, "alg.go")) {
		t.Errorf("overlay %s does not replace %s with the mended copy", b, alg)
	}
}
