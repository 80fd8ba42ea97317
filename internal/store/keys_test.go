package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// FuzzStringKeys: arbitrary owner ids and SKUs (NUL, invalid UTF-8, very
// long, or real ones) mixed with real ones never make a read by string key
// fail, and the read returns exactly the rows of the real keys, on SQLite and
// on PostgreSQL. PostgreSQL refuses NUL and invalid UTF-8 in text (SQLSTATE
// 22021): sent as they were, one bad key failed the whole batch. The seed
// corpus is testdata/fuzz/FuzzStringKeys.
func FuzzStringKeys(f *testing.F) {
	ctx := context.Background()
	st := storetest.Open(f)
	real := []string{"1001", "1002", "1003"}
	err := st.Write(ctx, func(tx *store.Tx) error {
		for _, owner := range real {
			id, err := tx.UpsertShop(ctx, store.ShopWrite{OwnerID: owner, Name: "Shop " + owner, StoreURL: "https://a.example/" + owner})
			if err != nil {
				return err
			}
			if err := tx.UpsertProducts(ctx, id, []store.ProductWrite{product("SKU-" + owner)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("1001", "\x00", uint16(0))
	f.Fuzz(func(t *testing.T, a, b string, n uint16) {
		long := strings.Repeat("x"+a, int(n%4096))
		keys := []string{a, "1001", b, long, "1002", a + "\x00" + b, "no shop"}
		var want []string // the real keys asked for, in the order of real
		for _, r := range real {
			if slices.Contains(keys, r) {
				want = append(want, r)
			}
		}

		shops, err := st.ShopsByOwnerIDs(ctx, keys)
		if err != nil {
			t.Fatalf("ShopsByOwnerIDs(%s): %v", show(keys), err)
		}
		var got []string
		for _, s := range shops {
			got = append(got, s.OwnerID)
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ShopsByOwnerIDs(%s) owners (-want +got):\n%s", show(keys), diff)
		}

		// The write transaction's reads by owner and by SKU, as catalog's
		// import and mutations use them.
		skus := make([]string, len(keys))
		for i, k := range keys {
			skus[i] = "SKU-" + k
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			byOwner, err := tx.ShopSKUsByOwnerIDs(ctx, keys)
			if err != nil {
				return err
			}
			var owners []string
			for o := range byOwner {
				owners = append(owners, o)
			}
			slices.Sort(owners)
			if diff := cmp.Diff(want, owners); diff != "" {
				t.Errorf("ShopSKUsByOwnerIDs(%s) owners (-want +got):\n%s", show(keys), diff)
			}
			for _, o := range want {
				ps, err := tx.ProductsBySKU(ctx, byOwner[o].ShopID, skus)
				if err != nil {
					return err
				}
				if len(ps) != 1 || ps[0].SKU != "SKU-"+o {
					t.Errorf("ProductsBySKU(shop of %s, %s) = %+v, want SKU-%s", o, show(skus), ps, o)
				}
			}
			for _, k := range []string{a, b, long} {
				s, err := tx.ShopByOwnerID(ctx, k)
				switch {
				case slices.Contains(real, k) && (err != nil || s.OwnerID != k):
					t.Errorf("ShopByOwnerID(%s) = %q, %v; want its shop", show([]string{k}), s.OwnerID, err)
				case !slices.Contains(real, k) && !errors.Is(err, store.ErrNotFound):
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reads in a write transaction with keys %s: %v", show(keys), err)
		}
	})
}

// show quotes keys for a message, the long ones shortened.
func show(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if len(k) > 40 {
			out[i] = fmt.Sprintf("%q…(%d bytes)", k[:40], len(k))
		} else {
			out[i] = fmt.Sprintf("%q", k)
		}
	}
	return "[" + strings.Join(out, " ") + "]"
}
