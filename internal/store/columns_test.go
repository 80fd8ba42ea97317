package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/store"
)

// TestReadsScanTheirColumns runs every read whose rows are scanned by
// column position once: each checks its statement's result columns against
// the ones its scan reads, so one that returns a column its scan does not
// read (or misses one, or moves one) fails here, on each database.
func TestReadsScanTheirColumns(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var shopIDs []int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		for _, owner := range []string{"1001", "1002"} {
			id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: owner, Name: "Shop " + owner, StoreURL: "https://a.example/" + owner})
			if err != nil {
				return err
			}
			shopIDs = append(shopIDs, id)
			for _, sku := range []string{"A", "B"} {
				if err := tx.UpsertProducts(ctx, id, []store.ProductWrite{product(sku)}); err != nil {
					return err
				}
			}
			if err := tx.ReplaceFeaturedBySKU(ctx, id, []string{"B", "A"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := st.ProductPagesByShopIDs(ctx, shopIDs, 0, 10)
	if err != nil || len(pages) != 4 {
		t.Fatalf("ProductPagesByShopIDs(two shops) = %d products, %v; want 4", len(pages), err)
	}
	reads := map[string]func() (int, error){
		"ShopsByOwnerIDs": func() (int, error) {
			s, err := st.ShopsByOwnerIDs(ctx, []string{"1001", "1002"})
			return len(s), err
		},
		"ShopsByIDs": func() (int, error) {
			s, err := st.ShopsByIDs(ctx, shopIDs)
			return len(s), err
		},
		"ActiveShops": func() (int, error) {
			s, err := st.ActiveShops(ctx, 0, 10)
			return len(s), err
		},
		"FeaturedProductsByShopIDs(AllColumns)": func() (int, error) {
			p, err := st.FeaturedProductsByShopIDs(ctx, shopIDs, store.AllColumns)
			return len(p), err
		},
		"FeaturedProductsByShopIDs(CardColumns)": func() (int, error) {
			p, err := st.FeaturedProductsByShopIDs(ctx, shopIDs, store.CardColumns)
			return len(p), err
		},
		"FeaturedProductsByShopIDs(KeyColumns)": func() (int, error) {
			p, err := st.FeaturedProductsByShopIDs(ctx, shopIDs, store.KeyColumns)
			return len(p), err
		},
		"ProductsByIDs": func() (int, error) {
			p, err := st.ProductsByIDs(ctx, []int64{pages[0].ID, pages[3].ID})
			return len(p), err
		},
		"ProductPagesByShopIDs(one shop)": func() (int, error) {
			p, err := st.ProductPagesByShopIDs(ctx, shopIDs[:1], 0, 10)
			return len(p), err
		},
	}
	for name, read := range reads {
		if n, err := read(); err != nil || n == 0 {
			t.Errorf("%s = %d rows, %v; want rows", name, n, err)
		}
	}
}

// TestColumnGuard: a statement whose result columns are not the ones its
// scan reads, in order, fails, naming both lists, rather than filling the
// wrong fields.
func TestColumnGuard(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const columns = `id, owner_id, name, description, store_url, status, created_at, updated_at, featured_keys`
	shops, err := st.ReadShops(ctx, `SELECT `+columns+` FROM shops`)
	if err != nil || len(shops) != 1 || shops[0].Name != "Acme" {
		t.Fatalf("the scan's own columns: %+v, %v", shops, err)
	}
	for name, cols := range map[string]string{
		"one more":  columns + `, id AS extra`,
		"one fewer": strings.TrimSuffix(columns, `, featured_keys`),
		"swapped":   `id, name, owner_id, description, store_url, status, created_at, updated_at, featured_keys`,
	} {
		_, err := st.ReadShops(ctx, `SELECT `+cols+` FROM shops`)
		if err == nil || !strings.Contains(err.Error(), "its scan reads") {
			t.Errorf("%s: error %v, want the columns named", name, err)
		}
	}
}
