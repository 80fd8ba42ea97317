package loaders

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/shop-subgraph/shop/internal/store"
)

type row struct{ Shop, N int64 }

// TestGroupByShop: each key gets its rows in order, together or not, an
// empty non-nil list when it has none; a list never reaches into the rows
// of another: appending to one leaves the next shop's rows as they were.
func TestGroupByShop(t *testing.T) {
	rows := []row{{1, 1}, {1, 2}, {2, 1}, {3, 1}, {3, 2}, {3, 3}, {1, 3}}
	res := groupByShop([]int64{3, 4, 1, 2}, rows, func(r *row) int64 { return r.Shop })
	want := [][]row{{{3, 1}, {3, 2}, {3, 3}}, {}, {{1, 1}, {1, 2}, {1, 3}}, {{2, 1}}}
	var got [][]row
	for _, r := range res {
		if r.Error != nil || r.Data == nil {
			t.Fatalf("result %+v", r)
		}
		got = append(got, r.Data)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	_ = append(res[3].Data, row{9, 9}) // shop 2's list sits before shop 3's rows
	if rows[3] != (row{3, 1}) {
		t.Errorf("appending to shop 2's list overwrote shop 3's first row: %+v", rows[3])
	}
}

// TestFeaturedProductsFromRows: with only the keys asked for, the shops
// whose rows are held are served from them, each with its own error, and
// read runs once, for the others alone, its results put back in key order;
// it does not run when every shop is held; with more columns, every shop
// goes to read.
func TestFeaturedProductsFromRows(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("bad keys")
	kept := func(_ context.Context, shop int64) ([]store.FeaturedProduct, bool, error) {
		switch shop {
		case 1:
			return []store.FeaturedProduct{{Product: store.Product{ID: 10, ShopID: 1}, Position: 1}}, true, nil
		case 3:
			return nil, true, boom
		}
		return nil, false, nil
	}
	var reads [][]int64
	read := func(_ context.Context, shops []int64) []*dataloader.Result[[]store.FeaturedProduct] {
		reads = append(reads, shops)
		out := make([]*dataloader.Result[[]store.FeaturedProduct], len(shops))
		for i, s := range shops {
			out[i] = &dataloader.Result[[]store.FeaturedProduct]{Data: []store.FeaturedProduct{{Product: store.Product{ID: 100 + s, ShopID: s}, Position: 1}}}
		}
		return out
	}
	summary := func(res []*dataloader.Result[[]store.FeaturedProduct]) []string {
		var out []string
		for _, r := range res {
			switch {
			case r.Error != nil:
				out = append(out, r.Error.Error())
			default:
				s := ""
				for _, p := range r.Data {
					s += fmt.Sprint(p.ID, "@", p.ShopID)
				}
				out = append(out, s)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		cols  store.ProductColumns
		keys  []int64
		want  []string
		reads [][]int64
	}{
		{"keys, some held", store.KeyColumns, []int64{4, 1, 2, 3}, []string{"104@4", "10@1", "102@2", "bad keys"}, [][]int64{{4, 2}}},
		{"keys, all held", store.KeyColumns, []int64{3, 1}, []string{"bad keys", "10@1"}, nil},
		{"cards", store.CardColumns, []int64{1, 2}, []string{"101@1", "102@2"}, [][]int64{{1, 2}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reads = nil
			batch := featuredProducts(func() store.ProductColumns { return tt.cols }, kept, read)
			if diff := cmp.Diff(tt.want, summary(batch(ctx, tt.keys))); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.reads, reads); diff != "" {
				t.Errorf("reads (-want +got):\n%s", diff)
			}
		})
	}
}
