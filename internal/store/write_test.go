package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// recorder counts statements by name.
type recorder struct {
	mu    sync.Mutex
	names []string
}

func (r *recorder) ObserveQuery(_ context.Context, name string, _ time.Duration, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names = append(r.names, name)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.names
	r.names = nil
	return n
}

func openStore(t *testing.T, opts ...store.Option) *store.Store {
	t.Helper()
	return storetest.Open(t, opts...)
}

func TestMain(m *testing.M) { storetest.Main(m) }

func product(sku string) store.ProductWrite {
	return store.ProductWrite{
		SKU: sku, Title: "Product " + sku, URL: "https://a.example/" + sku, ImageURL: "https://a.example/" + sku + ".jpg",
		Currency: "USD", PriceMinor: 1000, Availability: "IN_STOCK", Condition: "NEW",
	}
}

func TestWriteCountsEveryStatement(t *testing.T) {
	rec := &recorder{}
	st := openStore(t, store.WithObserver(rec))
	ctx := context.Background()
	rec.take()
	err := st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ShopSKUsByOwnerIDs(ctx, []string{"1001"}); err != nil {
			return err
		}
		id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"})
		if err != nil {
			return err
		}
		for _, sku := range []string{"A", "B", "C"} {
			if err := tx.UpsertProducts(ctx, id, []store.ProductWrite{product(sku)}); err != nil {
				return err
			}
		}
		return tx.ReplaceFeaturedBySKU(ctx, id, []string{"C", "A"})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"begin", "shop_skus_by_owner_ids", "upsert_shop",
		"upsert_products", "upsert_products", "upsert_products",
		"delete_featured_products", "insert_featured_product", "insert_featured_product", "commit"}
	// No statement for a turn: writers of different shops do not wait for
	// each other; a mutation's first read of its shop locks it (Write).
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}

	shop, ok := storetest.ShopByOwner(t, st, "1001")
	if !ok {
		t.Fatal("no shop for 1001")
	}
	if shop.Status != store.StatusActive {
		t.Errorf("status = %s, want ACTIVE for a new shop without one", shop.Status)
	}
	featured, err := st.FeaturedProductsByShopIDs(ctx, []int64{shop.ID}, store.AllColumns)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range featured {
		got = append(got, f.SKU)
	}
	if want := []string{"C", "A"}; !cmp.Equal(got, want) {
		t.Errorf("featured = %q, want %q", got, want)
	}
}

// TestFeaturedCardColumns: CardColumns and KeyColumns read the same
// carousels as AllColumns with only a card's fields, or the keys, filled.
func TestFeaturedCardColumns(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	alt, width, compareAt := "A mug", 640, int64(1500)
	a, b := product("A"), product("B")
	a.ImageAltText, a.ImageWidth, a.CompareAtMinor = &alt, &width, &compareAt
	err := st.Write(ctx, func(tx *store.Tx) error {
		id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Mugs", StoreURL: "https://mugs.example"})
		if err != nil {
			return err
		}
		if err := tx.UpsertProducts(ctx, id, []store.ProductWrite{a, b}); err != nil {
			return err
		}
		return tx.ReplaceFeaturedBySKU(ctx, id, []string{"B", "A"})
	})
	if err != nil {
		t.Fatal(err)
	}
	shop, ok := storetest.ShopByOwner(t, st, "1001")
	if !ok {
		t.Fatal("no shop for 1001")
	}
	full, err := st.FeaturedProductsByShopIDs(ctx, []int64{shop.ID}, store.AllColumns)
	if err != nil {
		t.Fatal(err)
	}
	cards, err := st.FeaturedProductsByShopIDs(ctx, []int64{shop.ID}, store.CardColumns)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]store.FeaturedProduct, len(full))
	for i, f := range full {
		p := f.Product
		want[i] = store.FeaturedProduct{Position: f.Position, Product: store.Product{
			ID: p.ID, ShopID: p.ShopID, SKU: p.SKU, Title: p.Title, URL: p.URL, ImageURL: p.ImageURL, ImageAltText: p.ImageAltText,
			ImageWidth: p.ImageWidth, ImageHeight: p.ImageHeight, Currency: p.Currency, PriceMinor: p.PriceMinor, CompareAtMinor: p.CompareAtMinor,
		}}
	}
	if len(full) != 2 || full[0].SKU != "B" {
		t.Fatalf("featured = %+v, want B then A", full)
	}
	if diff := cmp.Diff(want, cards); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
	keys, err := st.FeaturedProductsByShopIDs(ctx, []int64{shop.ID}, store.KeyColumns)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range full {
		want[i] = store.FeaturedProduct{Position: f.Position, Product: store.Product{ID: f.ID, ShopID: f.ShopID}}
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestWriteRollsBack(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := st.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Write error = %v, want fn's error unchanged", err)
	}
	if empty, err := st.Empty(ctx); err != nil || !empty {
		t.Errorf("Empty = %t, %v; want the shop rolled back", empty, err)
	}
}

func TestUpsertShopKeepsID(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var ids []int64
	for _, name := range []string{"Acme", "Acme Outdoor"} {
		err := st.Write(ctx, func(tx *store.Tx) error {
			id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: name, StoreURL: "https://a.example", Status: store.StatusDraft})
			ids = append(ids, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] != ids[1] {
		t.Errorf("ids = %v, want the same shop updated", ids)
	}
	shop, ok := storetest.ShopByOwner(t, st, "1001")
	if !ok {
		t.Fatal("no shop for 1001")
	}
	if shop.Name != "Acme Outdoor" || shop.Status != store.StatusDraft {
		t.Errorf("shop = %q %s, want \"Acme Outdoor\" DRAFT", shop.Name, shop.Status)
	}
}

func TestReplaceFeaturedErrors(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var shopID int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if shopID, err = tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"}); err != nil {
			return err
		}
		return tx.UpsertProducts(ctx, shopID, []store.ProductWrite{product("A")})
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		skus []string
		want error
	}{
		{"unknown sku", []string{"A", "NOPE"}, store.ErrNotFound},
		// Callers validate; a unique violation that slips through is a
		// conflict, not an internal mystery.
		{"same product twice", []string{"A", "A"}, store.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.Write(ctx, func(tx *store.Tx) error {
				return tx.ReplaceFeaturedBySKU(ctx, shopID, tt.skus)
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("ReplaceFeaturedBySKU(%q) error = %v, want %v", tt.skus, err, tt.want)
			}
		})
	}
}

// TestUpsertProductsChunks writes more products than one statement takes:
// new ones get ids in the order given, updates keep theirs.
func TestUpsertProductsChunks(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var shopID int64
	skus := make([]store.ProductWrite, 250)
	for i := range skus {
		skus[i] = product(fmt.Sprintf("S%03d", 249-i)) // not in sorted order
	}
	write := func(ps []store.ProductWrite) {
		t.Helper()
		err := st.Write(ctx, func(tx *store.Tx) error {
			id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"})
			shopID = id
			if err != nil {
				return err
			}
			return tx.UpsertProducts(ctx, id, ps)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(skus[:120])
	changed := skus[5]
	changed.Title = "Renamed"
	write(append([]store.ProductWrite{changed}, skus[120:]...))
	rows, err := st.ProductPagesByShopIDs(ctx, []int64{shopID}, 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 250 {
		t.Fatalf("%d products, want 250", len(rows))
	}
	for i, r := range rows {
		if r.SKU != skus[i].SKU {
			t.Fatalf("product %d is %s, want %s: catalogue order lost", i, r.SKU, skus[i].SKU)
		}
	}
	if rows[5].Title != "Renamed" {
		t.Errorf("update not applied: %q", rows[5].Title)
	}
}
