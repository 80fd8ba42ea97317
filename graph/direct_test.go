package graph_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/graphtest"
)

// TestDirectPathAnswersAsGqlgen: the direct path (graph/direct.go) answers
// every _entities call it takes byte for byte as gqlgen's executor does,
// with as many statements, and leaves every other call to it. Two servers
// over the same data, one with the direct path turned off, get the same
// requests: selections across every field the direct path writes, aliases,
// fragments, @skip/@include, arguments from literals and variables, viewers
// the rollout rules and the owner preview treat differently; and requests it
// must leave to gqlgen (other entities, fields it does not write, bad input).
func TestDirectPathAnswersAsGqlgen(t *testing.T) {
	entryDeclines := map[string]bool{"aliases, fragments, directives, arguments": true,
		"first from a variable left out": true, "literal representations": true}
	// The same store (rows, timestamps, statement counter), the direct path
	// off on the second, which counts its operations apart.
	servers := graphtest.BothPaths(t, graphtest.WithRollout(t, "", "", "", "2001,2002,2003,2004"), graphtest.WithTokens(t), graphtest.WithCache(time.Hour))
	direct, executor := servers[0], servers[1]
	executorCalls := executor.Operations

	const product = `id sku title description url image { url altText width height __typename } price { amount currencyCode }
	  compareAtPrice { amount currencyCode } availability condition brand createdAt updatedAt __typename`
	const shop = `id name description storeUrl status createdAt updatedAt owner { id __typename } __typename
	  featuredProducts { ` + product + ` }`
	tweet := func(id, author string) map[string]any {
		return map[string]any{"__typename": "Tweet", "id": id, "author": map[string]any{"id": author}}
	}
	profile := func(id any) map[string]any { return map[string]any{"__typename": "Profile", "id": id} }
	timeline := []any{tweet("t1", "2001"), tweet("t2", "2005"), tweet("t3", "2002"), tweet("t4", "2001"),
		tweet("t5", "9999"), tweet("t6", "2004"), tweet("t7", "2003"), profile("2001"), profile("2004"), profile(2002)}
	owner := map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2004")}

	for _, tt := range []struct {
		name    string
		query   string
		vars    map[string]any
		headers map[string]string
		direct  bool // the direct path must take it
	}{
		{"the timeline", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Tweet { shop { id name storeUrl featuredProducts { id title url image { url } price { amount currencyCode } } } } } }`,
			nil, nil, true},
		{"every field, both types", `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename
		  ... on Tweet { id shop { ` + shop + ` } } ... on Profile { id shop { ` + shop + ` } } } }`, nil, nil, true},
		{"the owner's preview", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Profile { shop { name status } } ... on Tweet { shop { name } } } }`, nil, owner, true},
		{"aliases, fragments, directives, arguments", `query($reps: [_Any!]!, $n: Int, $yes: Boolean!) {
		  _entities(representations: $reps) { ...T ... on Profile { s: shop { a: name b: name featuredProducts(first: 2) { sku } } }
		    ... on Tweet @include(if: $yes) { id } ... on Tweet { skipped: id @skip(if: $yes) } } }
		  fragment T on Tweet { shop { one: featuredProducts(first: 1) { title } n: featuredProducts(first: $n) { title }
		    nul: featuredProducts(first: null) { sku } ...S } }
		  fragment S on Shop { name storeUrl }`, map[string]any{"n": 3, "yes": true}, nil, true},
		{"first from a variable left out", `query($reps: [_Any!]!, $n: Int) { _entities(representations: $reps) {
		  ... on Tweet { shop { featuredProducts(first: $n) { sku } } } } }`, nil, nil, true},
		{"a product's shop", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Tweet { shop { featuredProducts { shop { name } } } } } }`, nil, nil, true},
		{"a catalogue page", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Profile { shop { products(first: 2) { nodes { sku } totalCount } } } } }`, nil, nil, false},
		{"the owner's shop", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Profile { shop { owner { shop { name } } } } } }`, nil, nil, true},
		{"first out of bounds", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Tweet { shop { featuredProducts(first: 6) { sku } } } } }`, nil, nil, false},
		{"a Tweet's author", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Tweet { author { id } shop { name } } } }`, nil, nil, true},
		{"a shop and a product", `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Shop { name } ... on Product { sku } ... on Tweet { shop { name } } } }`,
			map[string]any{"reps": append([]any{map[string]any{"__typename": "Shop", "id": "1"}, map[string]any{"__typename": "Product", "id": "1"}}, timeline...)}, nil, true},
		{"a Tweet without its author", `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { shop { name } } } }`,
			map[string]any{"reps": []any{tweet("t1", "2001"), map[string]any{"__typename": "Tweet", "id": "t2"}}}, nil, false},
		{"a malformed representation", `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { name } } } }`,
			map[string]any{"reps": []any{profile("2001"), map[string]any{"__typename": "Nope", "id": "1"}, profile(true)}}, nil, false},
		{"literal representations", `{ _entities(representations: [{__typename: "Profile", id: "2001"}, {__typename: "Tweet", id: "t", author: {id: "2002"}}]) {
		  ... on Profile { shop { name } } ... on Tweet { shop { name featuredProducts { sku } } } } }`, nil, nil, true},
		{"__typename on the union and on the type", `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename
		  ... on Profile { __typename t: __typename shop { __typename } } ... on _Entity { __typename } ... on Tweet { __typename id } } }`, nil, nil, true},
		{"Hive Gateway's first request", `query($representations:[_Any!]!){_entities(representations:$representations){__typename ...on Tweet{shop{__typename name id featuredProducts{__typename}}id}}}`,
			map[string]any{"representations": timeline}, nil, true},
		{"Hive Gateway's second request", `query($_v0_representations:[_Any!]!$_v1_representations:[_Any!]!){_v0__entities:_entities(representations:$_v0_representations){__typename ...on Profile{shop{name}}}_v1__entities:_entities(representations:$_v1_representations){__typename ...on Shop{featuredProducts{sku title price{amount currencyCode}url}}}}`,
			map[string]any{"_v0_representations": []any{profile("2001"), profile("2002"), profile("2004")},
				"_v1_representations": []any{map[string]any{"__typename": "Shop", "id": "1"}, map[string]any{"__typename": "Shop", "id": "2"}, map[string]any{"__typename": "Shop", "id": "999"}, map[string]any{"__typename": "Shop", "id": "x"}}}, nil, true},
		{"products, a catalogue's shop", `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { id sku title shop { name featuredProducts { sku } } } } }`,
			map[string]any{"reps": []any{map[string]any{"__typename": "Product", "id": "1"}, map[string]any{"__typename": "Product", "id": "2"}, map[string]any{"__typename": "Product", "id": "99999"}}}, nil, false},
		{"no representations", `{ _entities(representations: []) { __typename } }`, nil, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vars := tt.vars
			if vars == nil {
				vars = map[string]any{}
			}
			if _, ok := vars["reps"]; !ok {
				vars["reps"] = timeline
			}
			before, beforeOps := direct.Metrics.EntitiesCalls("direct"), direct.Operations.DirectOperations()
			want, wantStmts, wantHeader := executor.PostRaw(t, tt.headers, tt.query, vars)
			// The first time, gqlgen parses the document and the direct
			// path answers at the root field; the second time, the direct
			// entry (internal/gqlhttp) answers the whole operation when it
			// can, without entering gqlgen.
			for _, path := range []string{"the direct path", "the direct path, again"} {
				got, gotStmts, gotHeader := direct.PostRaw(t, tt.headers, tt.query, vars)
				if !bytes.Equal(got, want) {
					t.Errorf("%s:\n%s\ngqlgen:\n%s", path, got, want)
				}
				for _, h := range []string{"Cache-Control", "Vary", "Content-Type", "ETag"} {
					if g, w := gotHeader.Values(h), wantHeader.Values(h); !slices.Equal(g, w) {
						t.Errorf("%s: %q on %s, %q through gqlgen", h, g, path, w)
					}
				}
				if err := graphtest.CheckJSON(got); err != nil {
					t.Errorf("%s: %v:\n%s", path, err, got)
				}
				if gotStmts != wantStmts {
					t.Errorf("%d statements on %s, %d through gqlgen", gotStmts, path, wantStmts)
				}
			}
			calls := 2 * float64(strings.Count(tt.query, "_entities("))
			if served := direct.Metrics.EntitiesCalls("direct") - before; served != map[bool]float64{true: calls}[tt.direct] {
				t.Errorf("the direct path answered %v of %v calls, want it to answer them: %v", served, calls, tt.direct)
			}
			// The direct entry takes only representations from [_Any!]!
			// variables: not literal ones, not other variables.
			entry := tt.direct && !entryDeclines[tt.name]
			if ops := direct.Operations.DirectOperations() - beforeOps; ops != map[bool]float64{true: 1}[entry] {
				t.Errorf("the direct entry answered %v of the two operations, want it to answer the second: %v", ops, entry)
			}
			if executorCalls.EntitiesCalls("direct") != 0 || executorCalls.EntitiesCalls("executor") == 0 {
				t.Error("the direct path answered with NoDirectPath set")
			}
		})
	}
}
