package store

import (
	"strings"
	"unicode"
)

// Fold returns s with its letters in one case, for search: "Привет" and
// "привет", "ΚΑΛΗΜΈΡΑ" and "καλημέρα" fold alike, as do Greek's two small
// sigmas. (SQLite's LIKE folds ASCII only; the store folds both sides of a
// search with this, registered in SQLite as wasmchat_fold.)
func Fold(s string) string {
	return strings.Map(func(r rune) rune {
		r = unicode.ToLower(r)
		if r == 'ς' {
			return 'σ'
		}
		return r
	}, s)
}
