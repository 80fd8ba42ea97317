package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// availabilities are every availability a product can have; the last two
// keep it out of the carousel.
var availabilities = []string{"IN_STOCK", "AVAILABLE_FOR_ORDER", "PREORDER", store.AvailabilityOutOfStock, store.AvailabilityDiscontinued}

// TestCarouselKeysKept: after any sequence of the store's writes (the
// merchants' and the import's, committed or rolled back), every shop's row
// carries the keys of its carousel, as the carousel's own statement reads
// them. The database's triggers keep them, whichever write changed the
// carousel: a featured list replaced, emptied or refilled; a featured
// product made purchasable or not, or deleted; a shop deleted.
func TestCarouselKeysKept(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			st := openStore(t)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(seed, 14))
			owners := []string{"1001", "1002", "1003"}
			err := st.Write(ctx, func(tx *store.Tx) error {
				for _, o := range owners {
					if _, err := tx.CreateShop(ctx, store.ShopWrite{OwnerID: o, Name: "Shop " + o, StoreURL: "https://" + o + ".example"}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			sku := 0
			for step := range 120 {
				op, err := randomWrite(ctx, st, rng, owners[rng.IntN(len(owners))], &sku)
				if err != nil && !errors.Is(err, errRolledBack) {
					t.Fatalf("step %d, %s: %v", step, op, err)
				}
				checkCarouselKeys(t, st, fmt.Sprintf("step %d, after %s", step, op))
			}
		})
	}
}

var errRolledBack = errors.New("rolled back on purpose")

// randomWrite makes one random write to owner's shop and says what it did.
func randomWrite(ctx context.Context, st *store.Store, rng *rand.Rand, owner string, sku *int) (string, error) {
	var op string
	err := st.Write(ctx, func(tx *store.Tx) error {
		shop, err := tx.ShopByOwnerID(ctx, owner)
		if err != nil {
			return err
		}
		skus, err := tx.ShopSKUsByOwnerIDs(ctx, []string{owner})
		if err != nil {
			return err
		}
		products, err := tx.ProductsBySKU(ctx, shop.ID, skus[owner].SKUs)
		if err != nil {
			return err
		}
		pick := func() (store.Product, bool) {
			if len(products) == 0 {
				return store.Product{}, false
			}
			return products[rng.IntN(len(products))], true
		}
		write := func(p store.Product) store.ProductWrite {
			w := product(p.SKU)
			w.Availability = availabilities[rng.IntN(len(availabilities))]
			return w
		}
		switch n := rng.IntN(10); {
		case n < 2 || len(products) < 3:
			*sku++
			op = "create a product"
			_, err = tx.CreateProduct(ctx, shop.ID, write(store.Product{SKU: fmt.Sprint("S", *sku)}))
		case n < 4:
			p, _ := pick()
			op = "update a product's availability"
			_, err = tx.UpdateProduct(ctx, p.ID, write(p))
		case n < 5:
			p, _ := pick()
			op = "delete a product"
			err = tx.DeleteProduct(ctx, p.ID)
		case n < 7:
			ids := make([]int64, 0, 5)
			for _, i := range rng.Perm(len(products))[:min(len(products), rng.IntN(6))] {
				ids = append(ids, products[i].ID)
			}
			op = fmt.Sprintf("feature %d products", len(ids))
			if _, err = tx.TakeFeatured(ctx, shop.ID); err == nil {
				_, err = tx.FeatureOwnProducts(ctx, shop.ID, ids)
			}
		case n < 8:
			op = "replace the featured list by SKU, as the import does"
			var feature []string
			for _, i := range rng.Perm(len(products))[:min(len(products), 5)] {
				feature = append(feature, products[i].SKU)
			}
			ws := make([]store.ProductWrite, len(products))
			for i, p := range products {
				ws[i] = write(p)
			}
			if err = tx.UpsertProducts(ctx, shop.ID, ws); err == nil {
				err = tx.ReplaceFeaturedBySKU(ctx, shop.ID, feature)
			}
		default:
			op = "change the carousel, then roll back"
			if _, err = tx.TakeFeatured(ctx, shop.ID); err == nil {
				err = errRolledBack
			}
		}
		return err
	})
	return op, err
}

// checkCarouselKeys compares every shop's keys, as its row keeps them, with
// what the carousel's statement reads.
func checkCarouselKeys(t *testing.T, st *store.Store, when string) {
	t.Helper()
	ctx := context.Background()
	shops, err := st.ActiveShops(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shops {
		fromRow, ok, err := s.Carousel.Products(s.ID)
		if !ok || err != nil {
			t.Fatalf("%s: shop %d's keys %+v: %v, %v", when, s.ID, s.Carousel, ok, err)
		}
		fromStatement, err := st.FeaturedProductsByShopIDs(ctx, []int64{s.ID}, store.KeyColumns)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fromStatement, fromRow); diff != "" {
			t.Fatalf("%s: shop %d's row keeps %q; (-statement +row):\n%s", when, s.ID, s.Carousel.Text, diff)
		}
	}
}

// TestCarouselKeysConcurrentWriters: on PostgreSQL, two transactions that
// change one carousel at once, neither locking the shop first (statements
// of the test's own), leave the keys both changes make: the second one's
// trigger waits for the first to commit, then reads the carousel afresh.
func TestCarouselKeysConcurrentWriters(t *testing.T) {
	if storetest.Backend() != "postgres" {
		t.Skip("PostgreSQL only: SQLite runs one write transaction at a time")
	}
	// Products A, B and C are featured 1 to 3; D is not featured.
	for _, tt := range []struct {
		name          string
		first, second string // statements; %[1]d..%[4]d: the ids of A, B, C, D
		want          []int  // indexes into A..D of the carousel after both
	}{
		{"two featured products go out of stock",
			`UPDATE products SET availability = 'OUT_OF_STOCK' WHERE id = %[1]d`,
			`UPDATE products SET availability = 'OUT_OF_STOCK' WHERE id = %[2]d`, []int{2}},
		{"a product goes out of stock as it is featured",
			`UPDATE products SET availability = 'OUT_OF_STOCK' WHERE id = %[4]d`,
			`INSERT INTO featured_products (shop_id, position, product_id) SELECT shop_id, 4, id FROM products WHERE id = %[4]d`, []int{0, 1, 2}},
		{"a product is featured as it goes out of stock",
			`INSERT INTO featured_products (shop_id, position, product_id) SELECT shop_id, 4, id FROM products WHERE id = %[4]d`,
			`UPDATE products SET availability = 'OUT_OF_STOCK' WHERE id = %[4]d`, []int{0, 1, 2}},
		{"a featured product leaves the list as another goes out of stock",
			`DELETE FROM featured_products WHERE product_id = %[1]d`,
			`UPDATE products SET availability = 'DISCONTINUED' WHERE id = %[3]d`, []int{1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			ctx := context.Background()
			var shopID int64
			var ids []int64
			err := st.Write(ctx, func(tx *store.Tx) error {
				s, err := tx.CreateShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"})
				if err != nil {
					return err
				}
				shopID = s.ID
				for _, sku := range []string{"A", "B", "C", "D"} {
					p, err := tx.CreateProduct(ctx, s.ID, product(sku))
					if err != nil {
						return err
					}
					ids = append(ids, p.ID)
				}
				return tx.ReplaceFeatured(ctx, s.ID, ids[:3])
			})
			if err != nil {
				t.Fatal(err)
			}
			db := pool(st)
			statement := func(q string) string { return fmt.Sprintf(q, ids[0], ids[1], ids[2], ids[3]) }
			run := func(q string) (*sql.Tx, error) {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, err = tx.ExecContext(ctx, statement(q))
				return tx, err
			}
			first, err := run(tt.first)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				tx  *sql.Tx
				err error
			}
			done := make(chan result, 1)
			go func() {
				tx, err := run(tt.second)
				done <- result{tx, err}
			}()
			// Commit the first once the second waits for a lock it holds, or
			// has finished without waiting.
			var second *result
			for second == nil {
				var waiting int
				err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
					WHERE wait_event_type = 'Lock' AND datname = current_database() AND query = $1`, statement(tt.second)).Scan(&waiting)
				if err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				select {
				case r := <-done:
					second = &r
				case <-time.After(10 * time.Millisecond):
				}
			}
			if err := first.Commit(); err != nil {
				t.Fatal(err)
			}
			if second == nil {
				r := <-done
				second = &r
			}
			if second.err != nil {
				t.Fatal(second.err)
			}
			if err := second.tx.Commit(); err != nil {
				t.Fatal(err)
			}
			checkCarouselKeys(t, st, "after both transactions")
			shops, err := st.ShopsByIDs(ctx, []int64{shopID})
			if err != nil || len(shops) != 1 {
				t.Fatal(shops, err)
			}
			got, _, _ := shops[0].Carousel.Products(shopID)
			var gotIDs, want []int64
			for _, p := range got {
				gotIDs = append(gotIDs, p.ID)
			}
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if !slices.Equal(gotIDs, want) {
				t.Errorf("carousel after both: %v, want %v", gotIDs, want)
			}
		})
	}
}

// TestCarouselKeysFromAnotherSearchPath: on PostgreSQL, a write from a
// session whose search_path does not name the service's schema (a script,
// psql) still keeps the keys: the trigger functions keep their own.
func TestCarouselKeysFromAnotherSearchPath(t *testing.T) {
	if storetest.Backend() != "postgres" {
		t.Skip("PostgreSQL only: SQLite has no schemas")
	}
	st := openStore(t)
	ctx := context.Background()
	var productID int64
	err := st.Write(ctx, func(tx *store.Tx) error {
		s, err := tx.CreateShop(ctx, store.ShopWrite{OwnerID: "1001", Name: "Acme", StoreURL: "https://a.example"})
		if err != nil {
			return err
		}
		p, err := tx.CreateProduct(ctx, s.ID, product("A"))
		if err != nil {
			return err
		}
		productID = p.ID
		return tx.ReplaceFeatured(ctx, s.ID, []int64{p.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := pool(st).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var schema string
	if err := tx.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SET LOCAL search_path TO public`,
		fmt.Sprintf(`UPDATE %s.products SET availability = 'DISCONTINUED' WHERE id = %d`, schema, productID),
		fmt.Sprintf(`DELETE FROM %s.featured_products WHERE product_id = %d`, schema, productID),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	checkCarouselKeys(t, st, "after writes from another search_path")
}

// FuzzCarouselKeys: whatever a shop's featured_keys holds, reading it never
// panics; what it reads without error are pairs that, written back in
// any order, read the same, in position order.
func FuzzCarouselKeys(f *testing.F) {
	for _, s := range []string{"", "1:1", "4:1,1:2", "7:3,5:1,6:2", "1", "1:", ":1", "1:1,", ",", "a:b", "9223372036854775808:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		products, ok, err := store.CarouselKeys{Read: true, Text: text}.Products(7)
		if !ok {
			t.Fatal("read keys reported unread")
		}
		if err != nil {
			return
		}
		var pairs []string
		for i, p := range products {
			if p.ShopID != 7 || (i > 0 && products[i-1].Position > p.Position) {
				t.Fatalf("%q: %+v", text, products)
			}
			pairs = append(pairs, fmt.Sprintf("%d:%d", p.ID, p.Position))
		}
		slices.Reverse(pairs)
		again, _, err := store.CarouselKeys{Read: true, Text: strings.Join(pairs, ",")}.Products(7)
		if err != nil || len(again) != len(products) {
			t.Fatalf("%q read back as %v, %v", text, again, err)
		}
		for i := range again {
			if again[i].Position != products[i].Position {
				t.Fatalf("%q: positions %+v, then %+v", text, products, again)
			}
		}
	})
}
