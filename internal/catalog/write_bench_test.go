package catalog

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkWriteMutations runs the load benchmark's write pair, upsertProducts
// of 5 products (a new price each time) and setFeaturedProducts of 5 (a new
// order each time), one after the other on one shop: the cost of a write
// without HTTP or GraphQL, on SQLite, and on PostgreSQL when
// TEST_POSTGRES_DSN is set (go test -bench WriteMutations -count=1).
func BenchmarkWriteMutations(b *testing.B) {
	st := newStore(b)
	ctx := context.Background()
	shopID := importShops(b, st, 5, "4001")["4001"]
	a := Actor{ProfileID: "4001"}
	for i := 0; b.Loop(); i++ {
		ins := make([]ProductInput, 5)
		for j := range ins {
			ins[j] = testProduct(fmt.Sprintf("SKU-%d", j))
			ins[j].Price = fmt.Sprintf("%d.%02d", 10+i%90, i%100)
		}
		_, ps, errs, err := UpsertProducts(ctx, st, a, shopID, ins)
		if err != nil || len(errs) > 0 {
			b.Fatalf("UpsertProducts: %v %v", err, errs)
		}
		refs := make([]ProductRef, len(ps))
		for j := range ps {
			p := ps[(j+i)%len(ps)]
			refs[j] = ProductRef{Key: fmt.Sprint(p.ID), ID: p.ID}
		}
		if _, errs, err := SetFeaturedProducts(ctx, st, a, shopID, refs); err != nil || len(errs) > 0 {
			b.Fatalf("SetFeaturedProducts: %v %v", err, errs)
		}
	}
}
