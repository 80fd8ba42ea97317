package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// gqlgen marshals every list of objects with a goroutine per element, so
// that elements whose fields wait for a loader wait together and share one
// batch. Under an _entities call nothing the prefetch loaded waits: the
// shops and carousels were loaded before the list was returned
// (prefetch.go). There the goroutines are pure cost: a quarter of a
// timeline's CPU when gqlgen executed timelines, mostly in growing their
// stacks through gqlgen's field chain (PERFORMANCE.md); the timeline's own
// call now takes the direct path (direct.go), and what it leaves to gqlgen
// still gains. The generated code calls
// marshalList instead of graphql.MarshalSliceConcurrently (the rewrite is
// internal/tools/gqlgen's), and it marshals the elements in turn when none of
// them can wait.

// marshalList marshals a list of n elements whose selection set is sel, as
// graphql.MarshalSliceConcurrently does: the same field contexts, results
// and panic recovery. It uses goroutines only when an element's selection
// reaches a field that may wait for a loader (inlineList).
func marshalList(ctx context.Context, sel ast.SelectionSet, n int, workerLimit int64, omitPanicHandler bool, marshal func(context.Context, int) graphql.Marshaler) graphql.Array {
	if n < 2 || !inlineList(ctx, sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, workerLimit, omitPanicHandler, marshal)
	}
	ret := make(graphql.Array, n)
	for i := range n {
		ret[i] = marshalElement(ctx, i, omitPanicHandler, marshal)
	}
	return ret
}

func marshalElement(ctx context.Context, i int, omitPanicHandler bool, marshal func(context.Context, int) graphql.Marshaler) (ret graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return marshal(ctx, i)
}

// coverage maps the fields ("Type.field") whose data a resolver has loaded
// for every object of a list before returning it to what is loaded under
// them, in turn.
type coverage map[string]coverage

// shopPrefetched is what prefetchShopFields loads for a list of shops.
var shopPrefetched = coverage{
	"Shop.featuredProducts": nil,
	"Shop.products":         {"ProductConnection.totalCount": nil},
}

// entitiesPrefetched is what an _entities call loads for all its
// representations: the shops of every Profile and Tweet and, for the ones
// shown, what their selections ask (prefetchEntities); a Shop's own
// fields (FindShop); a Product's shop (FindProduct).
var entitiesPrefetched = coverage{
	"Profile.shop":          shopPrefetched,
	"Tweet.shop":            shopPrefetched,
	"Shop.featuredProducts": shopPrefetched["Shop.featuredProducts"],
	"Shop.products":         shopPrefetched["Shop.products"],
	"Product.shop":          nil,
}

// inlineList reports whether a list's elements can be marshalled in turn:
// when no field of their selection may wait for a loader. A field may wait
// when gqlgen resolves it concurrently (concurrentFields, generated from
// gqlgen's own data) and its data was not loaded for the whole list
// beforehand, which only an _entities list is known to have.
func inlineList(ctx context.Context, sel ast.SelectionSet) bool {
	var covered coverage
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Object == "Query" && fc.Field.Name == "_entities" {
		covered = entitiesPrefetched
	}
	return !waits(sel, covered)
}

// waits reports whether resolving sel may wait for a loader: whether it
// reaches a concurrent field that covered does not hold. Under a field,
// only what covered holds for that field counts as loaded.
func waits(sel ast.SelectionSet, covered coverage) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			parent := s.ObjectDefinition
			if s.Name == "__typename" {
				continue
			}
			if parent == nil || parent.Kind != ast.Object {
				return true // not validated, or a field of an interface: assume it may
			}
			key := parent.Name + "." + s.Name
			under, loaded := covered[key]
			if concurrentFields[key] && !loaded {
				return true
			}
			if len(s.SelectionSet) > 0 && waits(s.SelectionSet, under) {
				return true
			}
		case *ast.InlineFragment:
			if waits(s.SelectionSet, covered) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || waits(s.Definition.SelectionSet, covered) {
				return true
			}
		default:
			return true
		}
	}
	return false
}
