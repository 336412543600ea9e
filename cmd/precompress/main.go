// Command precompress writes name.br and name.gz next to each file it is
// given, at the best quality of each format. `make build` runs it on the
// wasm so the server never compresses per request, nor at start.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
}

func run(names []string, stdout io.Writer) error {
	if len(names) == 0 {
		return fmt.Errorf("usage: precompress FILE [FILE ...]")
	}
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		for _, enc := range []struct {
			ext string
			new func(io.Writer) io.WriteCloser
		}{
			{".br", func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, brotli.BestCompression) }},
			{".gz", func(w io.Writer) io.WriteCloser { z, _ := gzip.NewWriterLevel(w, gzip.BestCompression); return z }},
		} {
			var b bytes.Buffer
			w := enc.new(&b)
			if _, err := w.Write(raw); err != nil {
				return fmt.Errorf("compress %s: %w", name, err)
			}
			if err := w.Close(); err != nil {
				return fmt.Errorf("compress %s: %w", name, err)
			}
			if err := os.WriteFile(name+enc.ext, b.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s%s: %d bytes (raw %d)\n", name, enc.ext, b.Len(), len(raw))
		}
	}
	return nil
}
