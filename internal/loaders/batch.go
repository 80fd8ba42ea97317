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

// featuredProducts loads the carousels with read. Only their keys asked for
// (cols returns store.KeyColumns), a shop whose row the request has read
// already (kept) is served from the keys its row keeps: a carousel asked for
// beside its shop costs no statement of its own, and read runs only for the
// other shops, if any.
func featuredProducts(cols func() store.ProductColumns, kept func(context.Context, int64) ([]store.FeaturedProduct, bool, error),
	read dataloader.BatchFunc[int64, []store.FeaturedProduct]) dataloader.BatchFunc[int64, []store.FeaturedProduct] {
	return func(ctx context.Context, shopIDs []int64) []*dataloader.Result[[]store.FeaturedProduct] {
		if cols() != store.KeyColumns {
			return read(ctx, shopIDs)
		}
		out := make([]*dataloader.Result[[]store.FeaturedProduct], len(shopIDs))
		var rest []int64
		for i, id := range shopIDs {
			if keys, ok, err := kept(ctx, id); ok {
				out[i] = &dataloader.Result[[]store.FeaturedProduct]{Data: keys, Error: err}
			} else {
				rest = append(rest, id)
			}
		}
		if len(rest) == 0 {
			return out
		}
		results := read(ctx, rest)
		for i := range out { // the read shops' results, in order, fill the gaps
			if out[i] == nil {
				out[i], results = results[0], results[1:]
			}
		}
		return out
	}
}

// featuredRows reads the carousels by their statement, with the columns
// cols returns.
func featuredRows(st *store.Store, cols func() store.ProductColumns) dataloader.BatchFunc[int64, []store.FeaturedProduct] {
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
	type window struct {
		after int64
		limit int
	}
	return func(ctx context.Context, keys []PageKey) []*dataloader.Result[[]store.Product] {
		return perGroup(ctx, keys,
			func(k PageKey) (window, int64) { return window{k.AfterID, k.Limit}, k.Shop },
			func(w window, shop int64) PageKey { return PageKey{shop, w.after, w.limit} },
			func(ctx context.Context, w window, shops []int64) ([]store.Product, error) {
				return st.ProductPagesByShopIDs(ctx, shops, w.after, w.limit)
			},
			func(p *store.Product) int64 { return p.ShopID })
	}
}

// perGroup loads keys that differ by shop and by a group (a page window, a
// range of days) with one statement a group: group splits a key into its
// group and shop, key puts them back together, read reads a group's shops'
// rows ordered by shop, and shop gives a row's shop. A failed statement
// fails every key.
func perGroup[K, G comparable, R any](ctx context.Context, keys []K, group func(K) (G, int64), key func(G, int64) K,
	read func(context.Context, G, []int64) ([]R, error), shop func(*R) int64) []*dataloader.Result[[]R] {
	shopsOf := map[G][]int64{}
	var order []G
	for _, k := range keys {
		g, s := group(k)
		if _, ok := shopsOf[g]; !ok {
			order = append(order, g)
		}
		shopsOf[g] = append(shopsOf[g], s)
	}
	found := make(map[K][]R, len(keys))
	for _, g := range order {
		rows, err := read(ctx, g, shopsOf[g])
		if err != nil {
			return failAll[K, []R](keys, err)
		}
		for i, res := range groupByShop(shopsOf[g], rows, shop) {
			found[key(g, shopsOf[g][i])] = res.Data
		}
	}
	return byKey(keys, keys, func(k *K) K { return *k }, func(k *K) []R { return found[*k] })
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
// days in one statement: one a distinct range, whatever the number of shops.
func eventCounts(st *store.Store) dataloader.BatchFunc[EventsKey, []store.EventCount] {
	type days struct{ from, to string }
	return func(ctx context.Context, keys []EventsKey) []*dataloader.Result[[]store.EventCount] {
		return perGroup(ctx, keys,
			func(k EventsKey) (days, int64) { return days{k.From, k.To}, k.Shop },
			func(d days, shop int64) EventsKey { return EventsKey{shop, d.from, d.to} },
			func(ctx context.Context, d days, shops []int64) ([]store.EventCount, error) {
				return st.EventCountsByShops(ctx, shops, d.from, d.to)
			},
			func(c *store.EventCount) int64 { return c.ShopID })
	}
}
