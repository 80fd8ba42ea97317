package graph_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/graph"
	"github.com/shop-subgraph/shop/internal/graphtest"
)

// TestEveryFieldBothPaths selects, for each entity the fast path answers,
// every field of every type reachable from it, built from the schema, so a
// field added to the schema is selected here without a hand edit: as
// anonymous, owner and staff viewers, the direct path answers byte for byte
// as gqlgen's executor does, in as many statements.
func TestEveryFieldBothPaths(t *testing.T) {
	servers := graphtest.BothPaths(t, graphtest.WithTokens(t), graphtest.WithCache(time.Hour))
	direct, executor := servers[0], servers[1]

	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	reps := map[string][]any{
		"Profile": {map[string]any{"__typename": "Profile", "id": "2001"}, map[string]any{"__typename": "Profile", "id": "2004"}, map[string]any{"__typename": "Profile", "id": "9999"}},
		"Tweet":   {map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2002"}}, map[string]any{"__typename": "Tweet", "id": "t2", "author": map[string]any{"id": "2005"}}},
		"Shop":    {map[string]any{"__typename": "Shop", "id": "1"}, map[string]any{"__typename": "Shop", "id": "4"}, map[string]any{"__typename": "Shop", "id": "404"}},
		"Product": {map[string]any{"__typename": "Product", "id": "1"}, map[string]any{"__typename": "Product", "id": "7"}, map[string]any{"__typename": "Product", "id": "404"}},
	}
	viewers := map[string]map[string]string{
		"anonymous": nil,
		"owner":     {"Authorization": "Bearer " + graphtest.Token(t, "2001")},
		"staff":     {"Authorization": "Bearer " + graphtest.Token(t, "staff", "shop:admin")},
	}
	for _, typ := range []string{"Profile", "Tweet", "Shop", "Product"} {
		sel := graphtest.EveryField(schema, typ, 2)
		query := fmt.Sprintf(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on %s %s } }`, typ, sel)
		for viewer, headers := range viewers {
			t.Run(typ+"/"+viewer, func(t *testing.T) {
				vars := map[string]any{"reps": reps[typ]}
				want, wantStmts, wantHeader := executor.PostRaw(t, headers, query, vars)
				// Twice: the second time through the direct entry.
				for _, path := range []string{"the direct path", "the direct path, again"} {
					got, gotStmts, gotHeader := direct.PostRaw(t, headers, query, vars)
					if !bytes.Equal(got, want) {
						t.Errorf("%s:\n%s\ngqlgen:\n%s", path, got, want)
					}
					if g, w := gotHeader.Get("Cache-Control"), wantHeader.Get("Cache-Control"); g != w {
						t.Errorf("Cache-Control %q on %s, %q through gqlgen", g, path, w)
					}
					if gotStmts != wantStmts {
						t.Errorf("%d statements on %s, %d through gqlgen", gotStmts, path, wantStmts)
					}
					if err := graphtest.CheckJSON(got); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
}
