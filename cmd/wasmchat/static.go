//go:build !js

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	chatapp "github.com/wasmchat/wasmchat/app"
	"github.com/wasmchat/wasmchat/assets"
	"github.com/wasmchat/wasmchat/server"
)

// static writes the page as a static site (make static): the files any
// static host serves, the wasmchat server elsewhere.
func static(args []string, stdout, stderr io.Writer) error {
	var cfg server.StaticConfig
	flags := flag.NewFlagSet("static", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("out", "dist", "folder to write the site into (emptied first)")
	flags.StringVar(&cfg.Base, "base", "/", "URL path the site is served under, e.g. /repo/ on GitHub Pages")
	flags.StringVar(&cfg.Server, "server", "", "the wasmchat server's URL, e.g. https://chat.example.com; it needs -origin for the site's origin")
	flags.Func("connect", "another server `URL` the page's settings may choose, or * for any https server (repeatable)", func(s string) error {
		cfg.Connect = append(cfg.Connect, s)
		return nil
	})
	if err := flags.Parse(args); err != nil || flags.NArg() > 0 {
		return errUsage
	}
	if err := emptyStatic(*out); err != nil {
		return err
	}
	chatapp.Routes()
	cfg.Page, cfg.Web, cfg.Version = chatapp.Handler(), assets.Web(), version
	if err := server.WriteStatic(*out, cfg); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "wrote the static site to %s (served under %s, talking to %s)\n", *out, cfg.Base, orOwn(cfg.Server))
	return err
}

// emptyStatic removes the static site an earlier build wrote in dir, and
// refuses to remove a folder that holds anything else.
func emptyStatic(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "app-worker.js")); err != nil {
		return fmt.Errorf("%s is not empty and holds no static site of wasmchat: give another -out", dir)
	}
	return os.RemoveAll(dir)
}

func orOwn(s string) string {
	if s == "" {
		return "the server set in its settings"
	}
	return s
}
