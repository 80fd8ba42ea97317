package gqlhttp

import (
	"context"
	"math"

	"github.com/maypok86/otter/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The parsed-query cache and the persisted-query cache are bounded in bytes
// as well as in entries: bounded by entries alone, a thousand distinct
// one-megabyte queries held gigabytes. otter weighs each entry, evicts by
// weight, and admits by frequency (S3-FIFO), so a scan of one-off queries
// does not flush the gateway's few hot ones.

// byteCache is a graphql.Cache[T] that holds at most maxEntries entries
// and maxBytes bytes, as weigh estimates them. otter applies evictions in
// batches: between two, the cache may hold a write buffer's worth more.
type byteCache[T any] struct {
	c *otter.Cache[string, T]
}

func newByteCache[T any](maxEntries int, maxBytes int64, weigh func(key string, v T) int64) *byteCache[T] {
	c := otter.Must(&otter.Options[string, T]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, v T) uint32 {
			// An entry costs at least its share of the entry bound, so
			// the cache holds at most maxEntries of them.
			w := max(weigh(key, v), maxBytes/int64(maxEntries), 1)
			return uint32(min(w, math.MaxUint32))
		},
	})
	return &byteCache[T]{c: c}
}

func (b *byteCache[T]) Get(_ context.Context, key string) (T, bool) { return b.c.GetIfPresent(key) }

func (b *byteCache[T]) Add(_ context.Context, key string, v T) { b.c.Set(key, v) }

// weightedSize is the cache's weight, about its bytes.
func (b *byteCache[T]) weightedSize() int64 { return int64(b.c.WeightedSize()) }

// queryWeight estimates the memory a parsed query document holds: its
// text, which the cache keeps as its key and the AST's positions point
// into, and its nodes, each a few hundred bytes of structs, slices and
// positions.
func queryWeight(query string, doc *ast.QueryDocument) int64 {
	return docBytes + int64(len(query)) + nodeBytes*int64(countNodes(doc))
}

// docBytes is what a document holds besides its text and nodes: the
// document, its source, its lists.
const docBytes = 1 << 10

// nodeBytes is what one AST node holds, measured (TestQueryWeight).
const nodeBytes = 320
