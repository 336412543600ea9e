package tokens

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAddThenAuthenticate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	server, err := Open(dir) // the running server's view
	if err != nil {
		t.Fatal(err)
	}
	if n, err := server.Count(); err != nil || n != 0 {
		t.Fatalf("Count = %d, %v on an empty folder", n, err)
	}
	if _, err := server.Authenticate(context.Background(), "x"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown token: err = %v", err)
	}
	// `wasmchat token add` runs as another process, with its own File.
	cli, _ := Open(dir)
	tok, err := cli.Add("alice")
	if err != nil {
		t.Fatal(err)
	}
	if user, err := server.Authenticate(context.Background(), tok); err != nil || user != "alice" {
		t.Errorf("new token without restart: %q, %v", user, err)
	}
	tok2, _ := cli.Add("bob")
	if user, _ := server.Authenticate(context.Background(), tok2); user != "bob" {
		t.Errorf("second token: user %q", user)
	}
	for _, bad := range []string{"", tok[:len(tok)-1], strings.ToUpper(tok)} {
		if _, err := server.Authenticate(context.Background(), bad); !errors.Is(err, ErrUnknown) {
			t.Errorf("Authenticate(%q) err = %v", bad, err)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(data), tok) {
		t.Error("the tokens file holds a token in clear")
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Errorf("tokens file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestCorruptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := Open(dir)
	if _, err := f.Authenticate(context.Background(), "x"); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("corrupt file: err = %v, want a read error", err)
	}
	if _, err := f.Add("alice"); err == nil {
		t.Error("Add over a corrupt file succeeded: it would have dropped the tokens in it")
	}
}

func TestAddNeedsName(t *testing.T) {
	t.Parallel()
	f, _ := Open(t.TempDir())
	if _, err := f.Add(""); err == nil {
		t.Error("Add(\"\") succeeded")
	}
}
