package gqlhttp

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// TestByteCacheBounds: the cache holds no more bytes, as weighed, and no
// more entries than it is given, however many are added.
func TestByteCacheBounds(t *testing.T) {
	ctx := context.Background()
	c := newByteCache(100, 1<<20, func(k, v string) int64 { return int64(len(k) + len(v)) })
	big := strings.Repeat("x", 100<<10)
	for i := range 300 {
		c.Add(ctx, fmt.Sprint(i), big)
	}
	c.c.CleanUp() // otter's batched maintenance
	if w := c.weightedSize(); w > 1<<20 {
		t.Errorf("300 entries of 100 KiB: weighs %d, over the bound of %d", w, 1<<20)
	}
	for i := range 5000 {
		c.Add(ctx, fmt.Sprint("small", i), "x")
	}
	c.c.CleanUp()
	if n := c.c.EstimatedSize(); n > 100 {
		t.Errorf("5,000 small entries: holds %d, over the bound of 100", n)
	}
	c.Add(ctx, "kept", "v")
	if v, ok := c.Get(ctx, "kept"); !ok || v != "v" {
		t.Errorf("Get after Add: %q %v", v, ok)
	}
}

// TestQueryWeight: queryWeight does not underestimate what a parsed
// document holds on the heap, for documents of many small nodes and of
// long text.
func TestQueryWeight(t *testing.T) {
	for _, q := range []string{
		"{" + strings.Repeat(" a: __typename", 3000) + " }",
		`{ shops(first: 10) { nodes { id name featuredProducts(first: 5) { id title price { amount currencyCode } } } } }`,
		`{ _entities(representations: [` + strings.Repeat(`{__typename: "Profile", id: "1001"}, `, 500) + `]) { __typename } }`,
		"# " + strings.Repeat("comment ", 4000) + "\n{ __typename }",
	} {
		// The least of three measures: whatever else the process allocates
		// meanwhile (another test's server) only adds to one.
		held, doc := heapHeld(t, q)
		for range 2 {
			h, _ := heapHeld(t, q)
			held = min(held, h)
		}
		if w := queryWeight(q, doc); w < held {
			t.Errorf("%.40s…: weighs %d, holds %d bytes", q, w, held)
		}
	}
}

// heapHeld parses q (a copy of it, whose text the document keeps) and
// returns the heap bytes the document and its text hold.
func heapHeld(t *testing.T, q string) (int64, *ast.QueryDocument) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	doc, err := parser.ParseQuery(&ast.Source{Input: strings.Clone(q)})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(doc)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc), doc
}
