package catalog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// statementLog records the names of the statements the store runs.
type statementLog struct {
	mu    sync.Mutex
	names []string
}

func (l *statementLog) ObserveQuery(_ context.Context, name string, _ time.Duration, _ error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.names = append(l.names, name)
}

// during returns the statements fn ran.
func (l *statementLog) during(fn func()) []string {
	l.mu.Lock()
	l.names = nil
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.names
}

// TestWriteStatements pins the statements of the load benchmark's two
// mutations, upsertProducts of 5 products and setFeaturedProducts of 5: each
// is a round trip, and each after the shop's a round trip the shop's other
// writers wait through (PERFORMANCE.md, writes), on both databases, but
// BEGIN: on PostgreSQL it goes in the first statement's round trip, and is
// reported all the same.
func TestWriteStatements(t *testing.T) {
	log := &statementLog{}
	st := storetest.Open(t, store.WithObserver(log))
	ctx := context.Background()
	shopID := importShops(t, st, 5, "3001")["3001"]
	a := Actor{ProfileID: "3001"}
	products := func(price string, skus ...string) []ProductInput {
		var ins []ProductInput
		for _, s := range skus {
			p := testProduct(s)
			p.Price = price
			ins = append(ins, p)
		}
		return ins
	}
	var ps []store.Product
	priceMinor := func(p string) int64 { // "1.00" → 100
		var units, cents int64
		fmt.Sscanf(p, "%d.%d", &units, &cents)
		return units*100 + cents
	}
	upsert := func(ins []ProductInput) func() {
		return func() {
			var errs []FieldError
			var err error
			var shop store.Shop
			shop, ps, errs, err = UpsertProducts(ctx, st, a, shopID, ins)
			if err != nil || len(errs) > 0 {
				t.Fatalf("UpsertProducts: %v %v", err, errs)
			}
			// The shop, whose owner the caller invalidates with the
			// products, comes with them, without a statement of its own.
			if shop.ID != shopID || shop.OwnerID != a.ProfileID {
				t.Errorf("shop = %d of %q, want %d of %q", shop.ID, shop.OwnerID, shopID, a.ProfileID)
			}
			// Every product comes back, in the order given, as stored.
			for i, in := range ins {
				if got := ps[i]; got.SKU != in.SKU || got.ID == 0 || got.ShopID != shopID || got.PriceMinor != priceMinor(in.Price) {
					t.Errorf("products[%d] = %+v, want SKU %s at %s", i, got, in.SKU, in.Price)
				}
			}
		}
	}
	var featured []ProductRef
	feature := func(rotate int) func() {
		return func() {
			featured = make([]ProductRef, len(ps))
			for i := range ps {
				p := ps[(i+rotate)%len(ps)]
				featured[i] = ProductRef{Key: fmt.Sprint(p.ID), ID: p.ID}
			}
			if _, errs, err := SetFeaturedProducts(ctx, st, a, shopID, featured); err != nil || len(errs) > 0 {
				t.Fatalf("SetFeaturedProducts: %v %v", err, errs)
			}
		}
	}
	other := importShops(t, st, 1, "3002")["3002"]
	otherProducts, err := st.ProductPagesByShopIDs(ctx, []int64{other}, 0, 1)
	if err != nil || len(otherProducts) != 1 {
		t.Fatalf("ProductPagesByShopIDs: %v %v", otherProducts, err)
	}
	// Another shop's product: rolled back, then the checked way, which
	// names it.
	featureOther := func() {
		o := otherProducts[0]
		refs := append(featured[:4:4], ProductRef{Key: fmt.Sprint(o.ID), ID: o.ID})
		_, errs, err := SetFeaturedProducts(ctx, st, a, shopID, refs)
		if err != nil {
			t.Fatal(err)
		}
		want := []FieldError{{Field: []string{"productIds", "4"}, Code: CodeNotFound, Message: fmt.Sprintf("the shop has no product %q", fmt.Sprint(o.ID))}}
		if diff := cmp.Diff(want, errs); diff != "" {
			t.Errorf("FieldErrors (-want +got):\n%s", diff)
		}
	}
	for _, tc := range []struct {
		name string
		fn   func()
		want []string
	}{
		{"upsert 5 existing, changed", upsert(products("1.00", "SKU-0", "SKU-1", "SKU-2", "SKU-3", "SKU-4")),
			[]string{"begin", "tx_shop_by_id", "upsert_products", "commit"}},
		{"upsert 5 existing, unchanged", upsert(products("1.00", "SKU-0", "SKU-1", "SKU-2", "SKU-3", "SKU-4")),
			[]string{"begin", "tx_shop_by_id", "upsert_products", "tx_products_by_sku", "commit"}},
		{"upsert 2 new, 3 existing", upsert(products("2.00", "SKU-0", "SKU-1", "SKU-2", "NEW-1", "NEW-2")),
			[]string{"begin", "tx_shop_by_id", "upsert_products", "tx_count_products", "commit"}},
		{"feature 5", feature(1),
			[]string{"begin", "tx_shop_by_id", "take_featured_products", "feature_own_products", "touch_shop", "commit"}},
		{"feature the same 5", feature(1),
			[]string{"begin", "tx_shop_by_id", "take_featured_products", "feature_own_products", "commit"}},
		{"feature another shop's product", featureOther,
			[]string{"begin", "tx_shop_by_id", "take_featured_products", "feature_own_products",
				"begin", "tx_shop_by_id", "tx_product_shop_ids"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, log.during(tc.fn)); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
	// The refused list changed nothing.
	err = st.Write(ctx, func(tx *store.Tx) error {
		got, err := tx.FeaturedProductIDs(ctx, shopID)
		want := make([]int64, len(featured))
		for i, r := range featured {
			want[i] = r.ID
		}
		if diff := cmp.Diff(want, got); err == nil && diff != "" {
			t.Errorf("featured after a refused list (-want +got):\n%s", diff)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
