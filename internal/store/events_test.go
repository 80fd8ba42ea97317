package store_test

import (
	"context"
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
			if err := tx.UpsertProduct(ctx, id, product(sku)); err != nil {
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
