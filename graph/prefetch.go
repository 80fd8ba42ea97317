package graph

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/loaders"
	"github.com/shop-subgraph/shop/internal/store"
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
	for _, f := range graphql.CollectFields(opCtx, sels, implementorsOf[typ]) {
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

// prefetchShopFields loads, for the shops with the given keys, what the
// selections of shop fields ask: featuredProducts, products pages with
// their totalCount, and for platform staff, who may see every shop's, insights
// with their products. Errors are left in the loaders' cache, so each shop's
// field resolver reports its own at its own path.
func prefetchShopFields(ctx context.Context, shopKeys []int64, shopFields []graphql.CollectedField) {
	var p shopPrefetch
	p.add(ctx, graphql.GetOperationContext(ctx), shopKeys, shopFields)
	p.load(ctx)
}

// shopPrefetch gathers what selections ask under sets of shops, so that
// each kind of row loads in one batch for all of them: the carousels of a
// timeline's profiles and of its Shop representations are one statement.
type shopPrefetch struct {
	featured []int64
	pages    []loaders.PageKey
	counts   []int64
	events   []loaders.EventsKey
	// eventProducts: the insights' products are selected.
	eventProducts bool
}

// add adds what shopFields, fields of type Shop, select under the shops
// with the given keys.
func (p *shopPrefetch) add(ctx context.Context, opCtx *graphql.OperationContext, shopKeys []int64, shopFields []graphql.CollectedField) {
	if len(shopKeys) == 0 || len(shopFields) == 0 {
		return
	}
	var featured, counted bool
	pages := map[loaders.PageKey]bool{}
	for _, sf := range shopFields {
		for _, f := range graphql.CollectFields(opCtx, sf.Selections, implementorsOf["Shop"]) {
			switch f.Name {
			case "featuredProducts":
				featured = true
			case "products":
				args := f.ArgumentMap(opCtx.Variables)
				var first *int
				if n, ok := IntValue(args["first"]); ok {
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
					for _, s := range shopKeys {
						key.Shop = s
						p.pages = append(p.pages, key)
					}
				}
				if !counted && len(collect(opCtx, f.Selections, []string{"ProductConnection.totalCount"})) > 0 {
					counted = true
					p.counts = append(p.counts, shopKeys...)
				}
			case "insights":
				p.addInsights(ctx, opCtx, shopKeys, f)
			}
		}
	}
	if featured {
		p.featured = append(p.featured, shopKeys...)
	}
}

// addInsights adds the counters of every shop for one insights field, and
// the products they name, when the viewer is platform staff. An owner
// sees only their own shop's (one shop: its resolver loads them), and
// anyone else none, so nothing is read for them here.
func (p *shopPrefetch) addInsights(ctx context.Context, opCtx *graphql.OperationContext, shopKeys []int64, f graphql.CollectedField) {
	if v, err := auth.FromContext(ctx); err != nil || !v.Staff() {
		return
	}
	key, err := insightsKey(0, f.ArgumentMap(opCtx.Variables))
	if err != nil {
		return // the field resolver reports the bad argument
	}
	for _, s := range shopKeys {
		key.Shop = s
		p.events = append(p.events, key)
	}
	if len(collect(opCtx, f.Selections, []string{"ShopInsights.products", "ProductInsights.product"})) > 0 {
		p.eventProducts = true
	}
}

// load loads what was added, one batch a loader.
func (p *shopPrefetch) load(ctx context.Context) {
	l := loaders.For(ctx)
	if len(p.featured) > 0 {
		l.FeaturedProducts.LoadNow(ctx, p.featured)
	}
	if len(p.pages) > 0 {
		l.ProductPage.LoadNow(ctx, p.pages)
	}
	if len(p.counts) > 0 {
		l.ProductCount.LoadNow(ctx, p.counts)
	}
	if len(p.events) == 0 {
		return
	}
	// A failed load is not lost: it stays in the loader's cache, and each
	// shop's insights resolver reports it at its own path.
	counts, _ := l.EventCounts.LoadNow(ctx, p.events)
	if !p.eventProducts {
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

// entityCall is one _entities field: its selection and representations.
type entityCall struct {
	sel  ast.SelectionSet
	reps []map[string]any
}

// representations returns the representations of an _entities field, as
// objects; ok is false when one is not an object (the executor reports it).
func representations(opCtx *graphql.OperationContext, f graphql.CollectedField) (reps []map[string]any, ok bool) {
	list, _ := f.ArgumentMap(opCtx.Variables)["representations"].([]any)
	reps = make([]map[string]any, len(list))
	for i, v := range list {
		if reps[i], ok = v.(map[string]any); !ok {
			return nil, false
		}
	}
	return reps, true
}

// prefetchOperation loads, before any root field of a query runs, what
// every _entities field of the operation needs (prefetchEntities), all
// fields together, and returns ctx with the representations it read.
// gqlgen runs root fields concurrently, and a gateway may send several
// aliased _entities fields in one operation (Hive Gateway: the profiles'
// shops beside Shop representations carrying the carousels): loaded
// together, they cost the statements of one call, whatever the plan's
// shape.
func prefetchOperation(ctx context.Context, opCtx *graphql.OperationContext, maxReps int) context.Context {
	var calls []entityCall
	read := operationEntities{}
	for _, f := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, implementorsOf["Query"]) {
		if f.Name != "_entities" {
			continue
		}
		if reps, ok := representations(opCtx, f); ok && len(reps) <= maxReps {
			calls = append(calls, entityCall{f.Selections, reps})
			read[f.Alias] = reps
		}
	}
	prefetchEntities(ctx, opCtx, calls)
	return context.WithValue(ctx, operationEntitiesKey{}, read)
}

// operationEntities are the representations prefetchOperation read, by
// the alias of their _entities field: the fields and the response's cache
// tags read them from here rather than again from the arguments.
type operationEntities map[string][]map[string]any

type operationEntitiesKey struct{}

// operationPrefetched reports whether prefetchOperation loaded what the
// operation's _entities fields need: the fields then need not look again.
func operationPrefetched(ctx context.Context) bool {
	_, done := ctx.Value(operationEntitiesKey{}).(operationEntities)
	return done
}

// entityRepresentations returns an _entities field's representations, as
// prefetchOperation read them, or read afresh (representations).
func entityRepresentations(ctx context.Context, opCtx *graphql.OperationContext, f graphql.CollectedField) ([]map[string]any, bool) {
	if read, ok := ctx.Value(operationEntitiesKey{}).(operationEntities); ok {
		if reps, ok := read[f.Alias]; ok {
			return reps, true
		}
	}
	return representations(opCtx, f)
}

// prefetchEntities loads, for _entities calls, every entity their
// representations name, one batch a kind, and what their selections ask
// under the shops shown, one batch a kind of row: the shops of every
// Profile and every Tweet's author, by owner; Shop representations' shops,
// by id (those the owners' shops primed cost nothing); products, by id,
// and their shops when Product.shop is selected; then carousels, catalogue
// pages and counts. gqlgen resolves each type's group of representations on
// its own, so this runs before, on all of them: a timeline mixing types
// costs what one type does. Failures stay in the loaders' cache, for the
// resolvers to report at their items.
func prefetchEntities(ctx context.Context, opCtx *graphql.OperationContext, calls []entityCall) {
	l := loaders.For(ctx)
	var owners []string
	var shopIDs, productIDs []int64
	for _, c := range calls {
		for _, rep := range c.reps {
			switch rep["__typename"] {
			case "Profile":
				owners = appendID(owners, rep["id"])
			case "Tweet":
				if author, ok := rep["author"].(map[string]any); ok {
					owners = appendID(owners, author["id"])
				}
			case "Shop":
				shopIDs = appendKey(shopIDs, rep["id"])
			case "Product":
				productIDs = appendKey(productIDs, rep["id"])
			}
		}
	}
	if len(owners) > 0 {
		l.ShopByOwner.LoadNow(ctx, owners) // primes ShopByID
	}
	if len(shopIDs) > 0 {
		l.ShopByID.LoadNow(ctx, shopIDs)
	}
	var productShops []int64
	if len(productIDs) > 0 {
		// A failed load stays in the loader's cache: each Product's
		// resolver (or the direct path's fallback) reports it at its item.
		products, _ := l.ProductByID.LoadNow(ctx, productIDs)
		for _, p := range products {
			if p != nil && p.ShopStatus == store.StatusActive {
				productShops = append(productShops, p.ShopID)
			}
		}
	}
	var plan shopPrefetch
	for _, c := range calls {
		where := map[string]placement{"Profile": onProfile, "Tweet": onTweet}
		fields := map[string][]graphql.CollectedField{
			"Profile": collect(opCtx, c.sel, []string{"Profile.shop"}),
			"Tweet":   collect(opCtx, c.sel, []string{"Tweet.shop"}),
			"Shop":    {{Selections: c.sel}},
		}
		var shownShops, visible []int64
		for _, rep := range c.reps {
			typ, _ := rep["__typename"].(string)
			switch typ {
			case "Profile", "Tweet":
				id := rep["id"]
				if typ == "Tweet" {
					author, _ := rep["author"].(map[string]any)
					id = author["id"]
				}
				owner, err := graphql.UnmarshalID(id)
				if err != nil || id == nil || len(fields[typ]) == 0 {
					continue
				}
				// showing, not shown: this decides what to load; the field
				// that writes the shop decides again (no statement, the rules
				// and viewer are in ctx) and records what its answer turned on.
				if s, cached, _ := l.ShopByOwner.Cached(ctx, owner); cached {
					if ok, _ := showing(ctx, s, where[typ]); ok {
						shownShops = append(shownShops, s.ID)
					}
				}
			case "Shop":
				if key, ok := idKey(rep["id"]); ok {
					if s, cached, _ := l.ShopByID.Cached(ctx, key); cached && visibleShop(s) {
						visible = append(visible, s.ID)
					}
				}
			}
		}
		plan.add(ctx, opCtx, shownShops, append(fields["Profile"], fields["Tweet"]...))
		plan.add(ctx, opCtx, visible, fields["Shop"])
		if len(productShops) > 0 && len(collect(opCtx, c.sel, []string{"Product.shop"})) > 0 {
			l.ShopByID.LoadNow(ctx, productShops)
		}
	}
	plan.load(ctx)
}

// appendID appends a representation's id as gqlgen converts it, so the
// resolvers find what is loaded under the ids they get.
func appendID(ids []string, v any) []string {
	if s, err := graphql.UnmarshalID(v); err == nil && v != nil {
		return append(ids, s)
	}
	return ids
}

// idKey reads a Shop or Product representation's id as FindShop and
// FindProduct do.
func idKey(v any) (int64, bool) {
	s, err := graphql.UnmarshalID(v)
	if err != nil || v == nil {
		return 0, false
	}
	return parseID(s)
}

func appendKey(keys []int64, v any) []int64 {
	if k, ok := idKey(v); ok {
		return append(keys, k)
	}
	return keys
}

// cardFields are, for each type under a carousel's products, the fields
// store.CardColumns fills in. The type an object field holds is the
// schema's (the field's definition), so this says only what the store
// reads, which the schema cannot say.
var cardFields = map[string][]string{
	"Product": {"__typename", "id", "sku", "title", "url", "image", "price", "compareAtPrice"},
	"Image":   {"__typename", "url", "altText", "width", "height"},
	"Money":   {"__typename", "amount", "currencyCode"},
}

// keyFields are the fields of a carousel's products store.KeyColumns
// fills in.
var keyFields = map[string][]string{"Product": {"__typename", "id"}}

// fieldsWithin reports whether every field sel selects on an object of
// type typ, and under it, is one fields lists for its type.
func fieldsWithin(opCtx *graphql.OperationContext, sel ast.SelectionSet, typ string, fields map[string][]string) bool {
	for _, f := range graphql.CollectFields(opCtx, sel, implementorsOf[typ]) {
		if !slices.Contains(fields[typ], f.Name) {
			return false
		}
		if len(f.Selections) > 0 && (f.Definition == nil || !fieldsWithin(opCtx, f.Selections, f.Definition.Type.Name(), fields)) {
			return false
		}
	}
	return true
}

// chooseCarouselColumns makes the request's featured loader read only the
// keys (store.KeyColumns) or a card's columns (store.CardColumns) when no
// carousel of the operation needs more (loaders.UseColumns). This is a mode
// of the request's loaders rather than part of each load's key so that the
// prefetch, the resolvers and the direct path share every load; it is safe
// because it is chosen here, once per request, before its one operation
// loads anything, and a carousel read with more columns serves one that
// needs fewer as well.
func chooseCarouselColumns(ctx context.Context, opCtx *graphql.OperationContext) {
	if cols := carouselColumns(opCtx, opCtx.Operation.SelectionSet, store.KeyColumns, map[string]bool{}); cols != store.AllColumns {
		loaders.For(ctx).UseColumns(cols)
	}
}

// carouselColumns returns the fewest columns, from cols up (store.KeyColumns,
// then CardColumns, then AllColumns), that serve every Shop.featuredProducts
// field in sel, at any depth and through fragments. It reads the document
// as written (@skip and @include aside), so it may choose more columns where
// a skipped field alone needed them; never fewer.
func carouselColumns(opCtx *graphql.OperationContext, sel ast.SelectionSet, cols store.ProductColumns, spread map[string]bool) store.ProductColumns {
	for _, s := range sel {
		if cols == store.AllColumns {
			return cols
		}
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "featuredProducts" && s.ObjectDefinition != nil && s.ObjectDefinition.Name == "Shop" {
				if cols == store.KeyColumns && !fieldsWithin(opCtx, s.SelectionSet, "Product", keyFields) {
					cols = store.CardColumns
				}
				if cols == store.CardColumns && !fieldsWithin(opCtx, s.SelectionSet, "Product", cardFields) {
					return store.AllColumns
				}
			}
			cols = carouselColumns(opCtx, s.SelectionSet, cols, spread)
		case *ast.InlineFragment:
			cols = carouselColumns(opCtx, s.SelectionSet, cols, spread)
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			if s.Definition == nil {
				return store.AllColumns
			}
			cols = carouselColumns(opCtx, s.Definition.SelectionSet, cols, spread)
		}
	}
	return cols
}

// IntValue reads an Int argument as gqlparser or the variables JSON hold it.
func IntValue(v any) (int, bool) {
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
