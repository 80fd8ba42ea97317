package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// Writers of different shops do not wait for each other on PostgreSQL (a
// row lock on the shop, not one platform-wide turn); these tests check that
// what the turn guaranteed still holds with 24 writers at once: the checks
// hold at commit, nothing deadlocks, and one profile gets one shop. On
// SQLite they run too, where the single write connection serialises.

const concurrentWriters = 24

func testProduct(sku string) ProductInput {
	return ProductInput{SKU: sku, Title: "Product " + sku, URL: "https://shop.example/p/" + sku,
		Image: ImageInput{URL: "https://shop.example/i/" + sku + ".jpg"}, Price: "9.90", Currency: "USD"}
}

// importShops imports shops owned by the given profiles, each with n
// products SKU-0…SKU-(n-1), and returns their ids by owner.
func importShops(t testing.TB, st *store.Store, n int, owners ...string) map[string]int64 {
	t.Helper()
	var b strings.Builder
	for _, o := range owners {
		ps := make([]ProductInput, n)
		for i := range ps {
			ps[i] = testProduct(fmt.Sprintf("SKU-%d", i))
		}
		line, err := json.Marshal(map[string]any{"profileId": o, "name": "Shop " + o, "storeUrl": "https://shop.example/" + o, "products": ps})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if _, err := importText(t, st, "shops.jsonl", b.String()); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, o := range owners {
		s, ok := storetest.ShopByOwner(t, st, o)
		if !ok {
			t.Fatalf("no shop for %s", o)
		}
		ids[o] = s.ID
	}
	return ids
}

// checkShop checks a shop's invariants: at most MaxProducts products, SKUs
// distinct (the key), a featured list of at most MaxFeatured of its own
// products in positions 1..n.
func checkShop(t *testing.T, st *store.Store, shopID int64) (products int) {
	t.Helper()
	ctx := context.Background()
	counts, err := st.ProductCountsByShopIDs(ctx, []int64{shopID})
	if err != nil {
		t.Fatal(err)
	}
	if n := counts[shopID]; n > MaxProducts {
		t.Errorf("shop %d holds %d products, more than %d", shopID, n, MaxProducts)
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		ids, err := tx.FeaturedProductIDs(ctx, shopID)
		if err != nil {
			return err
		}
		if len(ids) > MaxFeatured {
			t.Errorf("shop %d features %d products, more than %d", shopID, len(ids), MaxFeatured)
		}
		shops, err := tx.ProductShopIDs(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if shops[id] != shopID {
				t.Errorf("shop %d features product %d of shop %d", shopID, id, shops[id])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts[shopID]
}

// TestConcurrentWritersOnManyShopsAndOne runs 24 writers, each upserting 5
// new products and setting its featured list, on 24 different shops, then
// on one shop whose catalogue has room for 2 of them: exactly 2 succeed and
// the others are refused with TOO_MANY, which the check can only get right
// if it holds at commit.
func TestConcurrentWritersOnManyShopsAndOne(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	owners := make([]string, concurrentWriters)
	for i := range owners {
		owners[i] = fmt.Sprintf("20%02d", i)
	}
	ids := importShops(t, st, 5, owners...)

	t.Run("24 shops", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, concurrentWriters)
		for w, o := range owners {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := Actor{ProfileID: o}
				for round := range 3 {
					var ins []ProductInput
					for i := range 5 {
						ins = append(ins, testProduct(fmt.Sprintf("W%d-R%d-%d", w, round, i)))
					}
					_, ps, ferrs, err := UpsertProducts(ctx, st, a, ids[o], ins)
					if err != nil || len(ferrs) > 0 {
						errs[w] = fmt.Errorf("upsert: %v %v", err, ferrs)
						return
					}
					refs := make([]ProductRef, len(ps))
					for i, p := range ps {
						refs[i] = ProductRef{Key: fmt.Sprint(p.ID), ID: p.ID}
					}
					if _, ferrs, err := SetFeaturedProducts(ctx, st, a, ids[o], refs); err != nil || len(ferrs) > 0 {
						errs[w] = fmt.Errorf("feature: %v %v", err, ferrs)
						return
					}
				}
			}()
		}
		wg.Wait()
		for w, err := range errs {
			if err != nil {
				t.Errorf("writer %d: %v", w, err)
			}
		}
		for _, o := range owners {
			if got, want := checkShop(t, st, ids[o]), 5+3*5; got != want {
				t.Errorf("shop of %s: %d products, want %d", o, got, want)
			}
		}
	})

	t.Run("one shop", func(t *testing.T) {
		full := importShops(t, st, MaxProducts-10, "2999")["2999"]
		a := Actor{ProfileID: "2999"}
		var (
			wg            sync.WaitGroup
			mu            sync.Mutex
			ok, tooMany   int
			unexpected    []string
			featuredFails int
		)
		for w := range concurrentWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var ins []ProductInput
				for i := range 5 {
					ins = append(ins, testProduct(fmt.Sprintf("NEW-%d-%d", w, i)))
				}
				_, _, ferrs, err := UpsertProducts(ctx, st, a, full, ins)
				// Every writer also replaces the carousel with 5 of the
				// catalogue's first products, in its own order.
				refs := make([]ProductRef, 5)
				for i := range refs {
					id := int64(0)
					if p, perr := st.ProductPagesByShopIDs(ctx, []int64{full}, 0, 5); perr == nil && len(p) == 5 {
						id = p[(i+w)%5].ID
					}
					refs[i] = ProductRef{Key: fmt.Sprint(id), ID: id}
				}
				_, ffe, ferr := SetFeaturedProducts(ctx, st, a, full, refs)
				mu.Lock()
				defer mu.Unlock()
				if ferr != nil || len(ffe) > 0 {
					featuredFails++
				}
				switch {
				case err != nil:
					unexpected = append(unexpected, err.Error())
				case len(ferrs) == 0:
					ok++
				case len(ferrs) == 1 && ferrs[0].Code == CodeTooMany:
					tooMany++
				default:
					unexpected = append(unexpected, fmt.Sprint(ferrs))
				}
			}()
		}
		wg.Wait()
		if len(unexpected) > 0 || featuredFails > 0 {
			t.Fatalf("unexpected outcomes: %q; %d setFeaturedProducts failed", unexpected, featuredFails)
		}
		if ok != 2 || tooMany != concurrentWriters-2 {
			t.Errorf("%d upserts succeeded and %d were TOO_MANY, want 2 and %d", ok, tooMany, concurrentWriters-2)
		}
		if got := checkShop(t, st, full); got != MaxProducts {
			t.Errorf("the full shop holds %d products, want %d", got, MaxProducts)
		}
	})

	t.Run("createShop for one profile", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, taken := 0, 0
		var unexpected []string
		for range concurrentWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ferrs, err := CreateShop(ctx, st, Actor{ProfileID: "3000"}, ShopInput{Name: "Mine", StoreURL: "https://mine.example"})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					unexpected = append(unexpected, err.Error())
				case len(ferrs) == 0:
					created++
				case len(ferrs) == 1 && ferrs[0].Code == CodeTaken:
					taken++
				default:
					unexpected = append(unexpected, fmt.Sprint(ferrs))
				}
			}()
		}
		wg.Wait()
		if len(unexpected) > 0 {
			t.Fatalf("unexpected outcomes: %q", unexpected)
		}
		if created != 1 || taken != concurrentWriters-1 {
			t.Errorf("%d shops created and %d TAKEN, want 1 and %d", created, taken, concurrentWriters-1)
		}
	})
}
