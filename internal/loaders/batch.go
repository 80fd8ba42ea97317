package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/shop-subgraph/shop/internal/store"
)

// Every batch function returns one result per key, in the order of the keys:
// dataloader v7 checks the length but not the order.

// byKey turns rows in any order into results in key order; keys with no row
// get the zero value (nil for pointers), which means "none".
func byKey[K comparable, V, R any](keys []K, rows []R, key func(*R) K, val func(*R) V) []*dataloader.Result[V] {
	m := make(map[K]V, len(rows))
	for i := range rows {
		m[key(&rows[i])] = val(&rows[i])
	}
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[V]{Data: m[k]}
	}
	return out
}

// failAll gives every key the same error.
func failAll[K comparable, V any](keys []K, err error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i := range out {
		out[i] = &dataloader.Result[V]{Error: err}
	}
	return out
}

func shopsByOwner(st *store.Store) dataloader.BatchFunc[string, *store.Shop] {
	return func(ctx context.Context, ownerIDs []string) []*dataloader.Result[*store.Shop] {
		rows, err := st.ShopsByOwnerIDs(ctx, ownerIDs)
		if err != nil {
			return failAll[string, *store.Shop](ownerIDs, err)
		}
		return byKey(ownerIDs, rows, func(s *store.Shop) string { return s.OwnerID }, func(s *store.Shop) *store.Shop { return s })
	}
}

func shopsByID(st *store.Store) dataloader.BatchFunc[int64, *store.Shop] {
	return func(ctx context.Context, ids []int64) []*dataloader.Result[*store.Shop] {
		rows, err := st.ShopsByIDs(ctx, ids)
		if err != nil {
			return failAll[int64, *store.Shop](ids, err)
		}
		return byKey(ids, rows, func(s *store.Shop) int64 { return s.ID }, func(s *store.Shop) *store.Shop { return s })
	}
}

func productsByID(st *store.Store) dataloader.BatchFunc[int64, *store.ProductWithShop] {
	return func(ctx context.Context, ids []int64) []*dataloader.Result[*store.ProductWithShop] {
		rows, err := st.ProductsByIDs(ctx, ids)
		if err != nil {
			return failAll[int64, *store.ProductWithShop](ids, err)
		}
		return byKey(ids, rows, func(p *store.ProductWithShop) int64 { return p.ID }, func(p *store.ProductWithShop) *store.ProductWithShop { return p })
	}
}

func featuredProducts(st *store.Store, cols func() store.ProductColumns) dataloader.BatchFunc[int64, []store.FeaturedProduct] {
	return func(ctx context.Context, shopIDs []int64) []*dataloader.Result[[]store.FeaturedProduct] {
		rows, err := st.FeaturedProductsByShopIDs(ctx, shopIDs, cols())
		if err != nil {
			return failAll[int64, []store.FeaturedProduct](shopIDs, err)
		}
		return groupByShop(shopIDs, rows, func(f *store.FeaturedProduct) int64 { return f.ShopID })
	}
}

// groupByShop splits rows ordered by shop into one list per shop key, in key
// order; a shop with no rows gets an empty, non-nil list. Each shop's list
// is its run of rows, sliced without copying (a worst-case timeline's 500
// carousel rows were a sixth of its allocated bytes copied); a shop whose
// rows were not together would get a copy.
func groupByShop[R any](shopIDs []int64, rows []R, shop func(*R) int64) []*dataloader.Result[[]R] {
	groups := make(map[int64][]R, len(shopIDs))
	for start := 0; start < len(rows); {
		id := shop(&rows[start])
		end := start + 1
		for end < len(rows) && shop(&rows[end]) == id {
			end++
		}
		run := rows[start:end:end] // full: appending to it copies
		if g, seen := groups[id]; seen {
			run = append(g, run...)
		}
		groups[id] = run
		start = end
	}
	out := make([]*dataloader.Result[[]R], len(shopIDs))
	for i, id := range shopIDs {
		g := groups[id]
		if g == nil {
			g = []R{}
		}
		out[i] = &dataloader.Result[[]R]{Data: g}
	}
	return out
}

// productPages runs one statement per distinct (after, limit) pair: shops
// paged alike, as in a list of shops each showing its first products, share
// one statement.
func productPages(st *store.Store) dataloader.BatchFunc[PageKey, []store.Product] {
	return func(ctx context.Context, keys []PageKey) []*dataloader.Result[[]store.Product] {
		type window struct {
			after int64
			limit int
		}
		shopsOf := map[window][]int64{}
		var order []window
		for _, k := range keys {
			w := window{k.AfterID, k.Limit}
			if _, ok := shopsOf[w]; !ok {
				order = append(order, w)
			}
			shopsOf[w] = append(shopsOf[w], k.Shop)
		}
		pages := make(map[PageKey][]store.Product, len(keys))
		for _, w := range order {
			rows, err := st.ProductPagesByShopIDs(ctx, shopsOf[w], w.after, w.limit)
			if err != nil {
				return failAll[PageKey, []store.Product](keys, err)
			}
			for i, res := range groupByShop(shopsOf[w], rows, func(p *store.Product) int64 { return p.ShopID }) {
				pages[PageKey{shopsOf[w][i], w.after, w.limit}] = res.Data
			}
		}
		return byKey(keys, keys, func(k *PageKey) PageKey { return *k }, func(k *PageKey) []store.Product { return pages[*k] })
	}
}

func productCounts(st *store.Store) dataloader.BatchFunc[int64, int] {
	return func(ctx context.Context, shopIDs []int64) []*dataloader.Result[int] {
		counts, err := st.ProductCountsByShopIDs(ctx, shopIDs)
		if err != nil {
			return failAll[int64, int](shopIDs, err)
		}
		out := make([]*dataloader.Result[int], len(shopIDs))
		for i, id := range shopIDs {
			out[i] = &dataloader.Result[int]{Data: counts[id]}
		}
		return out
	}
}

// eventCounts reads the counters of every shop asked for the same range of
// days in one statement: one a request, as insights ask for one range.
func eventCounts(st *store.Store) dataloader.BatchFunc[EventsKey, []store.EventCount] {
	return func(ctx context.Context, keys []EventsKey) []*dataloader.Result[[]store.EventCount] {
		type days struct{ from, to string }
		byRange := map[days][]int64{}
		var ranges []days
		for _, k := range keys {
			d := days{k.From, k.To}
			if _, seen := byRange[d]; !seen {
				ranges = append(ranges, d)
			}
			byRange[d] = append(byRange[d], k.Shop)
		}
		found := map[EventsKey][]store.EventCount{}
		errs := map[days]error{}
		for _, d := range ranges {
			rows, err := st.EventCountsByShops(ctx, byRange[d], d.from, d.to)
			if err != nil {
				errs[d] = err
				continue
			}
			for i, r := range groupByShop(byRange[d], rows, func(c *store.EventCount) int64 { return c.ShopID }) {
				found[EventsKey{byRange[d][i], d.from, d.to}] = r.Data
			}
		}
		out := make([]*dataloader.Result[[]store.EventCount], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[[]store.EventCount]{Data: found[k], Error: errs[days{k.From, k.To}]}
		}
		return out
	}
}
