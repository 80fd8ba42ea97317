package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
)

// seedProducts writes a shop with products A and B and returns their ids.
func seedProducts(t *testing.T, st *store.Store) (shopID, a, b int64) {
	t.Helper()
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"})
		if err != nil {
			return err
		}
		shopID = id
		for _, sku := range []string{"A", "B"} {
			if err := tx.UpsertProducts(ctx, id, []store.ProductWrite{product(sku)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.ProductPagesByShopIDs(ctx, []int64{shopID}, 0, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("products %v %v", page, err)
	}
	return shopID, page[0].ID, page[1].ID
}

func TestEventCounts(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	shop, a, b := seedProducts(t, st)
	shops, err := st.ProductShops(ctx, []int64{a, b, 999})
	if err != nil || !cmp.Equal(shops, map[int64]int64{a: shop, b: shop}) {
		t.Fatalf("ProductShops = %v, %v", shops, err)
	}
	add := []store.EventCount{
		{ShopID: shop, ProductID: a, Day: "2026-11-20", Type: store.EventImpression, Count: 10},
		{ShopID: shop, ProductID: a, Day: "2026-11-21", Type: store.EventImpression, Count: 5},
		{ShopID: shop, ProductID: a, Day: "2026-11-21", Type: store.EventClick, Count: 2},
		{ShopID: shop, ProductID: b, Day: "2026-11-22", Type: store.EventImpression, Count: 7},
	}
	for range 2 { // adding twice doubles every counter
		if err := st.AddEventCounts(ctx, add); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.EventCountsByShops(ctx, []int64{shop}, "2026-11-21", "2026-11-22")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.EventCount{
		{ShopID: shop, ProductID: a, Type: store.EventClick, Count: 4},
		{ShopID: shop, ProductID: a, Type: store.EventImpression, Count: 10},
		{ShopID: shop, ProductID: b, Type: store.EventImpression, Count: 14},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestEventCountsConcurrent: 8 writers adding 1,000 events each, one at a
// time, lose none.
func TestEventCountsConcurrent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	shop, a, b := seedProducts(t, st)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				p, typ := a, store.EventImpression
				if (w+i)%2 == 0 {
					p, typ = b, store.EventClick
				}
				if err := st.AddEventCounts(ctx, []store.EventCount{{ShopID: shop, ProductID: p, Day: "2026-11-23", Type: typ, Count: 1}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := st.EventCountsByShops(ctx, []int64{shop}, "2026-11-23", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.EventCount{
		{ShopID: shop, ProductID: a, Type: store.EventImpression, Count: 4000},
		{ShopID: shop, ProductID: b, Type: store.EventClick, Count: 4000},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts after 8×1,000 concurrent events (-want +got):\n%s", diff)
	}
}

// TestEventCountsVanishedProduct: a product deleted since the caller looked
// it up adds nothing and fails nothing.
func TestEventCountsVanishedProduct(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	shop, a, _ := seedProducts(t, st)
	err := st.AddEventCounts(ctx, []store.EventCount{
		{ShopID: shop, ProductID: a, Day: "2026-11-23", Type: store.EventClick, Count: 2},
		{ShopID: shop, ProductID: 424242, Day: "2026-11-23", Type: store.EventClick, Count: 5},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.EventCountsByShops(ctx, []int64{shop}, "2026-11-23", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.EventCount{{ShopID: shop, ProductID: a, Type: store.EventClick, Count: 2}}; !cmp.Equal(got, want) {
		t.Errorf("counts %+v, want %+v", got, want)
	}
}

// TestEventCountsBatched: counters go 500 to a statement, in one
// transaction, and a counter given twice is added once with both counts.
func TestEventCountsBatched(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	st := openStore(t, store.WithObserver(rec))
	shop, a, b := seedProducts(t, st)
	var add []store.EventCount
	for d := range 600 { // 600 days of product A
		day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format(store.DayLayout)
		add = append(add, store.EventCount{ProductID: a, Day: day, Type: store.EventImpression, Count: 1})
	}
	add = append(add,
		store.EventCount{ProductID: b, Day: "2026-11-23", Type: store.EventClick, Count: 2},
		store.EventCount{ProductID: b, Day: "2026-11-23", Type: store.EventClick, Count: 3})
	rec.take()
	if err := st.AddEventCounts(ctx, add); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.take(), []string{"begin", "add_event_counts", "add_event_counts", "commit"}; !cmp.Equal(got, want) {
		t.Errorf("statements %v, want %v", got, want)
	}
	got, err := st.EventCountsByShops(ctx, []int64{shop}, "2025-01-01", "2026-12-31")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.EventCount{
		{ShopID: shop, ProductID: a, Type: store.EventImpression, Count: 600},
		{ShopID: shop, ProductID: b, Type: store.EventClick, Count: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestEventCountsByShops: several shops' counters in one read, ordered by
// shop, across the 500-id chunks of the IN list.
func TestEventCountsByShops(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const n = 502 // three chunks' worth of ids with the unknown ones below
	shops := make([]int64, n)
	products := make([]int64, n)
	err := st.Write(ctx, func(tx *store.Tx) error {
		for i := range n {
			id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: fmt.Sprint(5000 + i), Name: "Shop", StoreURL: "https://s.example"})
			if err != nil {
				return err
			}
			if err := tx.UpsertProducts(ctx, id, []store.ProductWrite{product("A")}); err != nil {
				return err
			}
			shops[i] = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := st.ProductPagesByShopIDs(ctx, shops, 0, 1)
	if err != nil || len(pages) != n {
		t.Fatalf("products %d %v", len(pages), err)
	}
	for _, p := range pages {
		products[slices.Index(shops, p.ShopID)] = p.ID
	}
	var add []store.EventCount
	for i := range n {
		add = append(add, store.EventCount{ProductID: products[i], Day: "2026-11-23", Type: store.EventClick, Count: int64(i + 1)})
	}
	if err := st.AddEventCounts(ctx, add); err != nil {
		t.Fatal(err)
	}
	// Asked in reverse, with unknown shops: every known one, ordered by shop.
	ask := append([]int64{999999, 999998}, shops...)
	slices.Reverse(ask)
	got, err := st.EventCountsByShops(ctx, ask, "2026-11-23", "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d rows, want %d", len(got), n)
	}
	for i, c := range got {
		if i > 0 && got[i-1].ShopID >= c.ShopID {
			t.Fatalf("row %d: shop %d after %d, want ascending shops", i, c.ShopID, got[i-1].ShopID)
		}
		k := slices.Index(shops, c.ShopID)
		if c.ProductID != products[k] || c.Type != store.EventClick || c.Count != int64(k+1) {
			t.Errorf("shop %d: %+v, want %d clicks on %d", c.ShopID, c, k+1, products[k])
		}
	}
}
