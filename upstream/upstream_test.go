package upstream_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImplementationsStandAlone: the upstreams link neither the server,
// the store (SQLite, pgx) nor go-app: the contract is this package's.
func TestImplementationsStandAlone(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/wasmchat/wasmchat/upstream/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"wasmchat/server", "wasmchat/store", "modernc.org/sqlite", "jackc/pgx", "go-app"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("an upstream depends on %s", pkg)
			}
		}
	}
}
