package graph

import (
	"context"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/errcode"
	"github.com/shop-subgraph/shop/internal/loaders"
	"github.com/shop-subgraph/shop/internal/rollout"
	"github.com/shop-subgraph/shop/internal/store"
)

// Argument bounds (SPEC §2).
const (
	MaxPageSize     = 100 // exported: the edge's cost analysis reads it
	defaultPageSize = 20
)

// visibleShop reports whether a shop may be shown: only active shops are.
func visibleShop(s *store.Shop) bool {
	return s != nil && s.Status == store.StatusActive
}

// Where Profile.shop and Tweet.shop show a shop.
type placement int

const (
	onTweet placement = iota
	// onProfile: the owner also sees their own shop there, in any status, as
	// a preview (SPEC §7).
	onProfile
)

// shown decides Profile.shop and Tweet.shop for the request's viewer: an
// active shop the rollout rules allow them, or on a profile the owner's own
// shop. It costs no statement: the rules and the viewer are in ctx. It
// records, for the cache headers, when the answer turned on who asks.
func shown(ctx context.Context, s *store.Shop, p placement) bool {
	ok, dep := showing(ctx, s, p)
	switch dep {
	case onToken:
		// The owner sees a preview, any other signed-in viewer null: no
		// shared cache may keep either (another viewer's null would be
		// served to the owner).
		cachecontrol.MarkPrivate(ctx)
	case onAuthorization:
		// Anonymous: public, but the owner's token would see the preview.
		// A gateway keeps anonymous and signed-in answers apart
		// (docs/gateway.md, Caching); an HTTP cache needs Vary.
		cachecontrol.MarkVaryAuthorization(ctx)
	}
	return ok
}

// What an answer of shown depends on besides the shop and the rollout.
type dependence int

const (
	onNothing dependence = iota
	onToken
	onAuthorization // whether there is one: the viewer is anonymous
)

// showing is shown without recording anything.
func showing(ctx context.Context, s *store.Shop, p placement) (bool, dependence) {
	if s == nil {
		return false, onNothing
	}
	public := visibleShop(s) && rollout.Allows(ctx, s.OwnerID)
	if public || p != onProfile {
		return public, onNothing
	}
	v, err := auth.FromContext(ctx)
	if err != nil {
		return false, onAuthorization
	}
	return v.ProfileID == s.OwnerID, onToken
}

// profileShop is Profile.shop and Tweet.shop: the owner's shop when it is
// shown there, else null, never an error for "no shop".
func profileShop(ctx context.Context, ownerID string, p placement) (*model.Shop, error) {
	s, err := loaders.For(ctx).ShopByOwner.Load(ctx, ownerID)()
	if err != nil || !shown(ctx, s, p) {
		return nil, err
	}
	return shopModel(s), nil
}

// featuredCount validates featuredProducts' first: 1..catalog.MaxFeatured,
// by default all of them.
func featuredCount(first *int) (int, error) {
	if first == nil {
		return catalog.MaxFeatured, nil
	}
	if n := *first; n < 1 || n > catalog.MaxFeatured {
		return 0, errcode.BadInput("first must be between 1 and %d, got %d", catalog.MaxFeatured, n)
	}
	return *first, nil
}

// pageArgs validates a page's first and after arguments: first in
// 1..MaxPageSize (default defaultPageSize), after a cursor of kind.
func pageArgs(kind string, first *int, after *string) (n int, afterID int64, err error) {
	n = defaultPageSize
	if first != nil {
		n = *first
	}
	if n < 1 || n > MaxPageSize {
		return 0, 0, errcode.BadInput("first must be between 1 and %d, got %d", MaxPageSize, n)
	}
	if after != nil {
		id, ok := decodeCursor(kind, *after)
		if !ok {
			return 0, 0, errcode.BadInput("after is not a cursor of this list: %q", *after)
		}
		afterID = id
	}
	return n, afterID, nil
}

// pageKey turns a products page's arguments into a loader key for shop. It
// asks for one product more than first, to learn whether a next page exists.
func pageKey(shop int64, first *int, after *string) (loaders.PageKey, error) {
	n, afterID, err := pageArgs(productCursor, first, after)
	if err != nil {
		return loaders.PageKey{}, err
	}
	return loaders.PageKey{Shop: shop, AfterID: afterID, Limit: n + 1}, nil
}

// productConnection builds a page from up to key.Limit rows.
func productConnection(key loaders.PageKey, rows []store.Product) *model.ProductConnection {
	rows, info := pageOf(rows, key.Limit-1, key.AfterID)
	c := &model.ProductConnection{
		Edges:    make([]*model.ProductEdge, len(rows)),
		Nodes:    make([]*model.Product, len(rows)),
		PageInfo: info,
		ShopKey:  key.Shop,
	}
	for i := range rows {
		p := productModel(&rows[i])
		c.Nodes[i] = p
		c.Edges[i] = &model.ProductEdge{Cursor: encodeCursor(productCursor, p.Key), Node: p}
	}
	setCursors(info, len(rows), func(i int) *string { return &c.Edges[i].Cursor })
	return c
}

// pageOf cuts rows, read with one more than the page's n to learn whether
// a next page exists, to the page, and returns its PageInfo, whose cursors
// setCursors fills once the edges are made.
func pageOf[R any](rows []R, n int, afterID int64) ([]R, *model.PageInfo) {
	hasNext := len(rows) > n
	if hasNext {
		rows = rows[:n]
	}
	return rows, &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: afterID > 0}
}

// setCursors sets a page's start and end cursors to those of its first and
// last of n edges.
func setCursors(info *model.PageInfo, n int, cursor func(i int) *string) {
	if n > 0 {
		info.StartCursor, info.EndCursor = cursor(0), cursor(n-1)
	}
}
