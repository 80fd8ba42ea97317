package graph_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// TestConcurrentWrites has many clients, over real HTTP, replace one shop's
// carousel, upsert and delete its products and read it, all at once. No
// request may fail ("database is locked" included: every response must be
// free of top-level errors), a read right after a write sees it, and at the
// end the featured list is at most 5 distinct products of the shop in
// positions 1..n.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t)
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	graphtest.LoadShops(t, st)
	v, err := auth.NewVerifier(auth.Config{Secret: graphtest.Secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gqlhttp.NewHandler(gqlhttp.Options{Store: st, Auth: v}))
	t.Cleanup(srv.Close)
	s := &merchantServer{Server: srv, store: st}

	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	var own []string
	for _, id := range ids(shop) {
		own = append(own, id)
	}
	foreign := ids(s.myShop(t, graphtest.Token(t, "2002")))["J1"]

	const workers, rounds = 24, 15
	var wg sync.WaitGroup
	errc := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			fail := func(format string, args ...any) {
				errc <- fmt.Errorf("worker %d: "+format, append([]any{w}, args...)...)
			}
			// post runs a request that must have no top-level errors.
			post := func(query string, vars map[string]any, out any) bool {
				r := postWithErr(s.URL, "Bearer "+tok, query, vars)
				if r.err != nil || len(r.Errors) > 0 {
					fail("%v %+v", r.err, r.Errors)
					return false
				}
				if err := json.Unmarshal(r.Data, out); err != nil {
					fail("%v", err)
					return false
				}
				return true
			}
			for i := range rounds {
				switch rng.IntN(4) {
				case 0, 1: // a carousel, sometimes an invalid one
					n := rng.IntN(6)
					list := make([]string, 0, n+1)
					for _, k := range rng.Perm(len(own))[:min(n, len(own))] {
						list = append(list, own[k])
					}
					invalid := false
					switch rng.IntN(5) {
					case 0:
						list, invalid = append(list, foreign), true
					case 1:
						if len(list) > 0 {
							list, invalid = append(list, list[0]), true
						}
					}
					if len(list) > catalog.MaxFeatured {
						invalid = true
					}
					var got map[string]payload
					if !post(setFeaturedProducts, map[string]any{"shopId": shop.ID, "ids": list}, &got) {
						continue
					}
					p := got["setFeaturedProducts"]
					if invalid != (len(p.UserErrors) > 0) {
						fail("featured %v: invalid %v, user errors %+v", list, invalid, p.UserErrors)
					}
				case 2: // new products and updates of shared ones
					sku := fmt.Sprintf("W%d-%d", w, i)
					title := fmt.Sprintf("Title %d-%d", w, i)
					products := []any{with(productVars(sku), "title", title), with(productVars("A6"), "title", title), with(productVars("A7"), "price", fmt.Sprintf("%d.00", w+1))}
					var got map[string]payload
					if !post(upsertProducts, map[string]any{"shopId": shop.ID, "products": products}, &got) {
						continue
					}
					p := got["upsertProducts"]
					if len(p.UserErrors) > 0 || len(p.Products) != 3 {
						fail("upsert: %+v", p)
						continue
					}
					// Read after write: another request sees the new product.
					var read struct{ Product *struct{ Title string } }
					if post(`query($id: ID!) { product(id: $id) { title } }`, map[string]any{"id": p.Products[0].ID}, &read) &&
						(read.Product == nil || read.Product.Title != title) {
						fail("read after upsert of %s: %+v", sku, read.Product)
					}
					if rng.IntN(2) == 0 {
						var del map[string]payload
						if post(deleteProduct, map[string]any{"id": p.Products[0].ID}, &del) && len(del["deleteProduct"].UserErrors) > 0 {
							fail("delete: %+v", del)
						}
					}
				case 3: // reads, as the gateway and the merchant make them
					var got struct {
						MyShop struct {
							FeaturedProducts []struct{ ID string }
						}
					}
					if post(`{ myShop { featuredProducts { id } products(first: 100) { totalCount } } }`, nil, &got) && len(got.MyShop.FeaturedProducts) > catalog.MaxFeatured {
						fail("%d featured", len(got.MyShop.FeaturedProducts))
					}
					var ents struct{ Entities []any }
					post(`query($r: [_Any!]!) { entities: _entities(representations: $r) { ... on Profile { shop { featuredProducts { sku } } } } }`,
						map[string]any{"r": []any{graphtest.ProfileRep("2001"), graphtest.ProfileRep("2002")}}, &ents)
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	n := 0
	for err := range errc {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	if n > 10 {
		t.Errorf("... and %d more", n-10)
	}

	// The featured table, as stored.
	driver := "sqlite3"
	if storetest.Backend() == "postgres" {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT f.shop_id, f.position, f.product_id, p.shop_id FROM featured_products f JOIN products p ON p.id = f.product_id ORDER BY f.shop_id, f.position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	positions := map[int64][]int{}
	products := map[int64][]int64{}
	for rows.Next() {
		var shopID, productID, productShop int64
		var pos int
		if err := rows.Scan(&shopID, &pos, &productID, &productShop); err != nil {
			t.Fatal(err)
		}
		if productShop != shopID {
			t.Errorf("shop %d features product %d of shop %d", shopID, productID, productShop)
		}
		positions[shopID] = append(positions[shopID], pos)
		products[shopID] = append(products[shopID], productID)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for shopID, pos := range positions {
		want := make([]int, len(pos))
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(pos, want) || len(pos) > catalog.MaxFeatured {
			t.Errorf("shop %d: positions %v, want 1..n with n at most %d", shopID, pos, catalog.MaxFeatured)
		}
		p := slices.Clone(products[shopID])
		slices.Sort(p)
		if len(slices.Compact(p)) != len(products[shopID]) {
			t.Errorf("shop %d features a product twice: %v", shopID, products[shopID])
		}
	}
}

type result struct {
	graphtest.Response
	err error
}

// postWithErr is postWith for goroutines: it returns its failure instead of
// ending the test.
func postWithErr(url, authorization, query string, vars map[string]any) result {
	r, err := graphtest.PostTo(url, authHeader(authorization), query, vars)
	return result{Response: r, err: err}
}
