package graph

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestInlineList: which lists are marshalled without a goroutine per
// element. Inlining a list whose elements wait for a loader would make each
// wait alone and run its own statement, so every case that may wait must
// keep its goroutines.
func TestInlineList(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	const carousel = `shop { id name storeUrl featuredProducts { id title url image { url } price { amount currencyCode } } }`
	for _, tt := range []struct {
		name, query string
		entities    bool // the list is _entities'
		inline      bool
	}{
		{"timeline", `{ _entities(representations: []) { ... on Tweet { ` + carousel + ` } } }`, true, true},
		{"profiles and tweets, fragments, aliases", `{ _entities(representations: []) { __typename ... on Profile { s: ` + carousel + ` } ...T } }
		  fragment T on Tweet { id shop { products(first: 2) { nodes { sku } totalCount } } }`, true, true},
		{"shops and products", `{ _entities(representations: []) { ... on Shop { featuredProducts { sku } } ... on Product { shop { name } } } }`, true, true},
		{"a carousel's own list", `{ shop(id: "1") { featuredProducts { id title price { amount } } } }`, false, true},
		{"insights are loaded per shop", `{ _entities(representations: []) { ... on Tweet { shop { insights(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { impressions } } } } }`, true, false},
		{"a product's shop under a carousel is not prefetched", `{ _entities(representations: []) { ... on Tweet { shop { featuredProducts { shop { featuredProducts { sku } } } } } } }`, true, false},
		{"an owner's shop is not prefetched", `{ _entities(representations: []) { ... on Shop { owner { shop { name } } } } }`, true, false},
		{"in a fragment spread too", `{ _entities(representations: []) { ...S } } fragment S on Shop { owner { shop { name } } }`, true, false},
		{"a shop's products outside _entities", `{ shop(id: "1") { products { nodes { shop { featuredProducts { sku } } } } } }`, false, false},
		{"shops page", `{ shops { nodes { featuredProducts { sku } } } }`, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			root := doc.Operations[0].SelectionSet[0].(*ast.Field)
			list := root
			for !tt.entities && list.Definition.Type.Elem == nil { // down to the first list field
				list = list.SelectionSet[0].(*ast.Field)
			}
			ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{
				Object: list.ObjectDefinition.Name,
				Field:  graphql.CollectedField{Field: list},
			})
			if got := inlineList(ctx, list.SelectionSet); got != tt.inline {
				t.Errorf("inlineList = %v, want %v", got, tt.inline)
			}
		})
	}
}

// TestMarshalListInline: an inlined list gives each element its own field
// context, so an element's error and its panic are reported at its index,
// and the other elements are kept.
func TestMarshalListInline(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	doc, gerr := gqlparser.LoadQueryWithRules(schema, `{ shop(id: "1") { featuredProducts { id } } }`, nil)
	if gerr != nil {
		t.Fatal(gerr)
	}
	list := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field)
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, func(_ context.Context, p any) error {
		return fmt.Errorf("panic: %v", p)
	})
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Shop", Field: graphql.CollectedField{Field: list}})
	got := marshalList(ctx, list.SelectionSet, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		switch i {
		case 1:
			graphql.AddErrorf(ctx, "element %d", i)
			return graphql.Null
		case 2:
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	var b bytes.Buffer
	got.MarshalGQL(&b)
	if b.String() != "[0,null,null]" {
		t.Errorf("elements %s", b.String())
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 2 || errs[0].Path.String() != "featuredProducts[1]" || errs[1].Path.String() != "featuredProducts[2]" || errs[1].Message != "panic: boom" {
		t.Errorf("errors %v", errs)
	}
}
