//go:build !js

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/wasmchat/wasmchat/store"
)

// openStore opens PostgreSQL when databaseURL is set, else the SQLite file
// in the data folder. Tokens of the tokens.json file earlier versions kept
// are moved into it.
func openStore(ctx context.Context, data, databaseURL string) (store.Store, error) {
	var st store.Store
	var err error
	if databaseURL != "" {
		st, err = store.OpenPostgres(ctx, databaseURL)
	} else {
		st, err = store.OpenSQLite(ctx, data)
	}
	if err != nil {
		return nil, err
	}
	if err := importTokensFile(ctx, st, data); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// importTokensFile moves the tokens of an earlier version's
// data/tokens.json (names and SHA-256 hashes) into the store, then renames
// the file so it is read once.
func importTokensFile(ctx context.Context, st store.Store, data string) error {
	path := filepath.Join(data, "tokens.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var entries []struct {
		Name    string    `json:"name"`
		Hash    string    `json:"sha256"`
		Created time.Time `json:"created"`
	}
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("%s is corrupt: %w", path, err)
	}
	for _, e := range entries {
		if err := st.AddTokenHash(ctx, e.Name, e.Hash, e.Created); err != nil {
			return err
		}
	}
	return os.Rename(path, path+".imported")
}

// token is `wasmchat token add|list|revoke`.
func token(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet("token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data folder")
	dbURL := fs.String("database-url", "", "PostgreSQL URL (env WASMCHAT_DATABASE_URL); default: SQLite in the data folder")
	label := fs.String("label", "", "what the token is for, e.g. a device (add)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	if *dbURL == "" {
		*dbURL = getenv("WASMCHAT_DATABASE_URL")
	}
	want := map[string]int{"add": 1, "list": 0, "revoke": 1}
	n, ok := want[args[0]]
	if !ok || fs.NArg() != n {
		return errUsage
	}
	st, err := openStore(ctx, *data, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "add":
		t, secret, err := st.AddToken(ctx, fs.Arg(0), *label)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s for %s (shown once, keep it secret):\n%s\n", t.ID, t.UserName, secret)
	case "list":
		toks, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSER\tLABEL\tCREATED")
		for _, t := range toks {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.UserName, t.Label, t.Created.Format(time.DateTime))
		}
		return w.Flush()
	case "revoke":
		if err := st.RevokeToken(ctx, fs.Arg(0)); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no token %q: see `wasmchat token list`", fs.Arg(0))
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
	}
	return nil
}

// firstToken creates a token on a first start and prints the login link:
// `make run` on a fresh machine then needs no other step.
func firstToken(ctx context.Context, st store.Store, base string, stdout io.Writer) error {
	toks, err := st.Tokens(ctx)
	if err != nil || len(toks) > 0 {
		return err
	}
	_, secret, err := st.AddToken(ctx, "owner", "first start")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "first start: created a token for user \"owner\"; sign in with\n%s/#token=%s\n", base, secret)
	return nil
}
