package store

import (
	"strings"
	"unicode/utf8"
)

// Reads by string key (a profile id, a SKU) take keys from outside: an
// _entities representation, a token's sub, a file. A key that contains NUL
// or is not valid UTF-8 can be held by no row (PostgreSQL's text refuses
// both, SQLite's rows are written through the same validation), and
// PostgreSQL fails the whole statement on it (SQLSTATE 22021), the valid
// keys beside it included. Such a key is simply absent from every read's
// result, on both databases, without being sent.

// storable reports whether a text column could hold s.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// storableKeys returns the keys a row could hold, keys itself when that is
// all of them.
func storableKeys(keys []string) []string {
	for i, k := range keys {
		if !storable(k) {
			out := append([]string(nil), keys[:i]...)
			for _, k := range keys[i+1:] {
				if storable(k) {
					out = append(out, k)
				}
			}
			return out
		}
	}
	return keys
}
