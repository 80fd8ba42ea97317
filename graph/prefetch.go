package graph

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/loaders"
)

// A list of shops (an _entities batch, a page of shops) knows every shop its
// elements will ask about. Before returning it, the resolver loads what the
// query selects under those shops (carousels, catalogue pages, counts) in one
// batch each and leaves the results in the request's loaders. The field
// resolvers that follow then find them cached: the number of statements is
// set by the query's shape, never by the number of shops, and nobody waits for
// a batch window.

// selected returns the fields reached from the current field's selection
// through path, a list of "Type.field" steps, across aliases and fragments;
// with no path, the current field itself.
func selected(ctx context.Context, path ...string) []graphql.CollectedField {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return nil
	}
	if len(path) == 0 {
		return []graphql.CollectedField{fc.Field}
	}
	return collect(graphql.GetOperationContext(ctx), fc.Field.Selections, path)
}

func collect(opCtx *graphql.OperationContext, sels ast.SelectionSet, path []string) []graphql.CollectedField {
	typ, field, _ := strings.Cut(path[0], ".")
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(opCtx, sels, implementorsOf(typ)) {
		if f.Name != field {
			continue
		}
		if len(path) == 1 {
			out = append(out, f)
		} else {
			out = append(out, collect(opCtx, f.Selections, path[1:])...)
		}
	}
	return out
}

// implementorsOf returns the type conditions an object of type typ
// satisfies, as gqlgen's generated code collects its fields: an entity also
// satisfies _Entity, so `... on _Entity { ... on Tweet { shop } }` is found
// here as gqlgen will execute it. ShopOwner is the direct path's name for a
// shop's owner (directSupports), a Profile.
func implementorsOf(typ string) []string {
	switch typ {
	case "Tweet":
		return tweetImplementors
	case "Profile", "ShopOwner":
		return profileImplementors
	case "Shop":
		return shopImplementors
	case "Product":
		return productImplementors
	}
	return []string{typ}
}

// prefetchShopFields loads, for the shops with the given keys, what the
// selections of shop fields ask: featuredProducts, products pages with
// their totalCount, and for platform staff, who may see every shop's, insights
// with their products. Errors are left in the loaders' cache, so each shop's
// field resolver reports its own at its own path.
func prefetchShopFields(ctx context.Context, shopKeys []int64, shopFields []graphql.CollectedField) {
	if len(shopKeys) == 0 || len(shopFields) == 0 {
		return
	}
	opCtx := graphql.GetOperationContext(ctx)
	l := loaders.For(ctx)
	var featured, counted bool
	pages := map[loaders.PageKey]bool{}
	for _, sf := range shopFields {
		for _, f := range graphql.CollectFields(opCtx, sf.Selections, shopImplementors) {
			switch f.Name {
			case "featuredProducts":
				featured = true
			case "products":
				args := f.ArgumentMap(opCtx.Variables)
				var first *int
				if n, ok := toInt(args["first"]); ok {
					first = &n
				}
				var after *string
				if a, ok := args["after"].(string); ok {
					after = &a
				}
				key, err := pageKey(0, first, after)
				if err != nil {
					continue // the field resolver reports the bad argument
				}
				if !pages[key] {
					pages[key] = true
					keys := make([]loaders.PageKey, len(shopKeys))
					for i, s := range shopKeys {
						keys[i] = key
						keys[i].Shop = s
					}
					l.ProductPage.LoadNow(ctx, keys)
				}
				if !counted && len(collect(opCtx, f.Selections, []string{"ProductConnection.totalCount"})) > 0 {
					counted = true
					l.ProductCount.LoadNow(ctx, shopKeys)
				}
			case "insights":
				prefetchInsights(ctx, opCtx, l, shopKeys, f)
			}
		}
	}
	if featured {
		l.FeaturedProducts.LoadNow(ctx, shopKeys)
	}
}

// prefetchInsights loads the counters of every shop for one insights field,
// and the products they name, when the viewer is platform staff. An owner
// sees only their own shop's (one shop: its resolver loads them), and
// anyone else none, so nothing is read for them here.
func prefetchInsights(ctx context.Context, opCtx *graphql.OperationContext, l *loaders.Loaders, shopKeys []int64, f graphql.CollectedField) {
	if v, err := auth.FromContext(ctx); err != nil || !v.Staff() {
		return
	}
	key, err := insightsKey(0, f.ArgumentMap(opCtx.Variables))
	if err != nil {
		return // the field resolver reports the bad argument
	}
	keys := make([]loaders.EventsKey, len(shopKeys))
	for i, s := range shopKeys {
		keys[i] = key
		keys[i].Shop = s
	}
	counts, _ := l.EventCounts.LoadNow(ctx, keys)
	if len(collect(opCtx, f.Selections, []string{"ShopInsights.products", "ProductInsights.product"})) == 0 {
		return
	}
	var ids []int64
	for _, rows := range counts {
		for _, r := range rows {
			if len(ids) == 0 || ids[len(ids)-1] != r.ProductID {
				ids = append(ids, r.ProductID)
			}
		}
	}
	l.ProductByID.LoadNow(ctx, ids)
}

// cardFields are, for each type under a carousel's products, the fields
// store.CardColumns fills in, and the type each object field holds.
var cardFields = map[string]map[string]string{
	"Product": {"__typename": "", "id": "", "title": "", "url": "", "image": "Image", "price": "Money", "compareAtPrice": "Money"},
	"Image":   {"__typename": "", "url": "", "altText": "", "width": "", "height": ""},
	"Money":   {"__typename": "", "amount": "", "currencyCode": ""},
}

// fieldsWithin reports whether every field sel selects on an object of
// type typ, and under it, is one fields lists (for each type, its fields and
// the type of the object each object field holds, "" for a leaf) and, when
// accept is given, one it accepts.
func fieldsWithin(opCtx *graphql.OperationContext, sel ast.SelectionSet, typ string, fields map[string]map[string]string, accept func(graphql.CollectedField) bool) bool {
	for _, f := range graphql.CollectFields(opCtx, sel, implementorsOf(typ)) {
		child, ok := fields[typ][f.Name]
		if !ok || (accept != nil && !accept(f)) || (child != "" && !fieldsWithin(opCtx, f.Selections, child, fields, accept)) {
			return false
		}
	}
	return true
}

// chooseCarouselColumns is an operation middleware: when no carousel of the
// operation needs more than a card's columns, the request's featured loader
// reads only those (loaders.UseCardColumns). One choice for the whole
// request, before anything is loaded, so the prefetch, the resolvers and the
// direct path share every load.
func chooseCarouselColumns(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if opCtx := graphql.GetOperationContext(ctx); opCtx.Operation != nil &&
		carouselsFitCards(opCtx, opCtx.Operation.SelectionSet, map[string]bool{}) {
		loaders.For(ctx).UseCardColumns()
	}
	return next(ctx)
}

// carouselsFitCards reports whether every Shop.featuredProducts field in sel,
// at any depth and through fragments, needs no more than the card columns.
// It reads the document as written (@skip and @include aside), so it may
// choose the full rows where a skipped field alone needed them; never the
// reverse.
func carouselsFitCards(opCtx *graphql.OperationContext, sel ast.SelectionSet, spread map[string]bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "featuredProducts" && s.ObjectDefinition != nil && s.ObjectDefinition.Name == "Shop" &&
				!fieldsWithin(opCtx, s.SelectionSet, "Product", cardFields, nil) {
				return false
			}
			if !carouselsFitCards(opCtx, s.SelectionSet, spread) {
				return false
			}
		case *ast.InlineFragment:
			if !carouselsFitCards(opCtx, s.SelectionSet, spread) {
				return false
			}
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			if s.Definition == nil || !carouselsFitCards(opCtx, s.Definition.SelectionSet, spread) {
				return false
			}
		}
	}
	return true
}

// toInt reads an Int argument as gqlparser or the variables JSON hold it.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}
