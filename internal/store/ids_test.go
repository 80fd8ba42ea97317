package store_test

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// addProduct creates the product sku in the shop of owner, creating the
// shop if need be, and returns the shop's and the product's ids.
func addProduct(t *testing.T, st *store.Store, owner, sku string) (shopID, productID int64) {
	t.Helper()
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if shopID, err = tx.UpsertShop(ctx, store.ShopWrite{OwnerID: owner, Name: "Shop " + owner, StoreURL: "https://a.example/" + owner}); err != nil {
			return err
		}
		if err := tx.UpsertProducts(ctx, shopID, []store.ProductWrite{product(sku)}); err != nil {
			return err
		}
		ps, err := tx.ProductsBySKU(ctx, shopID, []string{sku})
		if err != nil {
			return err
		}
		productID = ps[0].ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return shopID, productID
}

func deleteProduct(t *testing.T, st *store.Store, id int64) {
	t.Helper()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error { return tx.DeleteProduct(ctx, id) }); err != nil {
		t.Fatal(err)
	}
}

// pool is the store's pool that writes.
func pool(st *store.Store) *sql.DB {
	if db, ok := st.Pools()["write"]; ok {
		return db
	}
	return st.Pools()["main"]
}

// wantNewIDs deletes the newest product and creates one in another shop,
// then deletes the newest shop (no operation of the service deletes shops;
// an operator may) and creates one: neither new id is one used before.
func wantNewIDs(t *testing.T, st *store.Store, newestProduct int64) {
	t.Helper()
	deleteProduct(t, st, newestProduct)
	if _, id := addProduct(t, st, "ids-other", "AFTER-DELETE"); id <= newestProduct {
		t.Errorf("product created after deleting product %d got id %d, want one above every id used before", newestProduct, id)
	}
	var newestShop int64
	if err := pool(st).QueryRow(`SELECT MAX(id) FROM shops`).Scan(&newestShop); err != nil {
		t.Fatal(err)
	}
	if _, err := pool(st).Exec(`DELETE FROM shops WHERE id = ` + itoa(newestShop)); err != nil {
		t.Fatal(err)
	}
	if id, _ := addProduct(t, st, "ids-after-shop-delete", "S"); id <= newestShop {
		t.Errorf("shop created after deleting shop %d got id %d, want one above every id used before", newestShop, id)
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }

// TestIDsNeverReused: the id of a deleted product, or shop, is never given
// again, on SQLite as on PostgreSQL.
func TestIDsNeverReused(t *testing.T) {
	st := openStore(t)
	addProduct(t, st, "1001", "A")
	addProduct(t, st, "1001", "B")
	_, newest := addProduct(t, st, "1001", "C")
	wantNewIDs(t, st, newest)
}

// TestMigrateFromOldSchema: a database made by the first two migrations,
// with shops, products, featured lists and counters, keeps all of them
// through the later migrations, and then never reuses the newest id.
func TestMigrateFromOldSchema(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.MigrateTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO shops (id, owner_id, name, description, store_url, status, created_at, updated_at) VALUES
			(1, '1001', 'Acme', 'Outdoor gear', 'https://acme.example', 'ACTIVE', '2024-01-02 03:04:05', '2024-02-03 04:05:06'),
			(2, '1002', 'Tea', NULL, 'https://tea.example', 'DRAFT', '2024-01-02 03:04:05', '2024-01-02 03:04:05')`,
		`INSERT INTO products (id, shop_id, sku, title, description, url, image_url, image_alt_text, image_width, image_height,
			currency, price_minor, compare_at_minor, availability, condition, brand, created_at, updated_at) VALUES
			(1, 1, 'A1', 'Tent', 'Big', 'https://acme.example/a1', 'https://acme.example/a1.jpg', 'A tent', 640, 480, 'USD', 19900, 24900, 'IN_STOCK', 'NEW', 'Acme', '2024-01-02 03:04:05', '2024-01-02 03:04:05'),
			(2, 1, 'A2', 'Stove', NULL, 'https://acme.example/a2', 'https://acme.example/a2.jpg', NULL, NULL, NULL, 'USD', 4900, NULL, 'PREORDER', 'USED', NULL, '2024-01-02 03:04:05', '2024-01-02 03:04:05'),
			(3, 2, 'J1', 'Sencha', NULL, 'https://tea.example/j1', 'https://tea.example/j1.jpg', NULL, NULL, NULL, 'JPY', 1200, NULL, 'IN_STOCK', 'NEW', NULL, '2024-01-02 03:04:05', '2024-01-02 03:04:05'),
			(4, 1, 'A3', 'Lamp', NULL, 'https://acme.example/a3', 'https://acme.example/a3.jpg', NULL, NULL, NULL, 'USD', 2900, NULL, 'IN_STOCK', 'NEW', NULL, '2024-01-02 03:04:05', '2024-01-02 03:04:05')`,
		`INSERT INTO featured_products (shop_id, position, product_id) VALUES (1, 1, 4), (1, 2, 1), (2, 1, 3)`,
		`INSERT INTO shop_event_counts (shop_id, product_id, day, type, count) VALUES
			(1, 4, '2024-03-01', 'IMPRESSION', 10), (1, 4, '2024-03-01', 'CLICK', 2), (1, 1, '2024-03-02', 'CLICK', 1), (2, 3, '2024-03-01', 'IMPRESSION', 3)`,
	} {
		if _, err := pool(st).ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if storetest.Backend() == "postgres" {
		// The rows above name their ids, which identity columns do not
		// count; rows the service inserts take theirs from the sequence.
		for _, table := range []string{"shops", "products"} {
			q := `SELECT setval(pg_get_serial_sequence('` + table + `', 'id'), (SELECT MAX(id) FROM ` + table + `))`
			if _, err := pool(st).ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	type snapshot struct {
		Shops    []store.Shop
		Products []store.ProductWithShop
		Featured []store.FeaturedProduct
		Counts   []store.EventCount
	}
	read := func() snapshot {
		t.Helper()
		var s snapshot
		// The shops' columns the first migrations made, read by a
		// statement of this test's: the store's reads select the carousel's
		// keys too, which a later migration adds.
		rows, err := pool(st).QueryContext(ctx, `SELECT id, owner_id, name, description, store_url, status, created_at, updated_at FROM shops WHERE id IN (1, 2)`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var sh store.Shop
			if err := rows.Scan(&sh.ID, &sh.OwnerID, &sh.Name, &sh.Description, &sh.StoreURL, &sh.Status, &sh.CreatedAt, &sh.UpdatedAt); err != nil {
				t.Fatal(err)
			}
			s.Shops = append(s.Shops, sh)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if s.Products, err = st.ProductsByIDs(ctx, []int64{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
		if s.Featured, err = st.FeaturedProductsByShopIDs(ctx, []int64{1, 2}, store.AllColumns); err != nil {
			t.Fatal(err)
		}
		if s.Counts, err = st.EventCountsByShops(ctx, []int64{1, 2}, "2024-01-01", "2024-12-31"); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := read()
	if len(before.Shops) != 2 || len(before.Products) != 4 || len(before.Featured) != 3 || len(before.Counts) != 4 {
		t.Fatalf("before migrating: %+v", before)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sortSnapshot := gocmp.Transformer("sorted", func(s snapshot) snapshot {
		slices.SortFunc(s.Shops, func(a, b store.Shop) int { return cmp.Compare(a.ID, b.ID) })
		slices.SortFunc(s.Products, func(a, b store.ProductWithShop) int { return cmp.Compare(a.ID, b.ID) })
		return s
	})
	if diff := gocmp.Diff(before, read(), sortSnapshot); diff != "" {
		t.Errorf("rows after migrating (-before +after):\n%s", diff)
	}
	// The migration that adds the carousel's keys to the shops' rows sets
	// them for the carousels already there.
	shops, err := st.ShopsByIDs(ctx, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[int64]string{}
	for _, s := range shops {
		products, ok, err := s.Carousel.Products(s.ID)
		if !ok || err != nil {
			t.Fatalf("shop %d's carousel keys %+v: %v, %v", s.ID, s.Carousel, ok, err)
		}
		for _, p := range products {
			keys[s.ID] += fmt.Sprintf("%d@%d ", p.ID, p.Position)
		}
	}
	if want := map[int64]string{1: "4@1 1@2 ", 2: "3@1 "}; !maps.Equal(keys, want) {
		t.Errorf("carousel keys after migrating (product@position): %v, want %v", keys, want)
	}
	if storetest.Backend() == "sqlite" {
		rows, err := pool(st).QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			t.Fatal(err)
		}
		if rows.Next() {
			t.Errorf("PRAGMA foreign_key_check finds violations after migrating")
		}
		rows.Close()
	}
	// Deleting the newest product takes its featured entry and counters
	// with it; its id is not given again.
	wantNewIDs(t, st, 4)
	if f, err := st.FeaturedProductsByShopIDs(ctx, []int64{1}, store.CardColumns); err != nil || len(f) != 1 || f[0].ID != 1 {
		t.Errorf("shop 1's carousel after deleting product 4: %+v, %v; want product 1 alone", f, err)
	}
}
