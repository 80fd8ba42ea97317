package graph_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/graph"
)

// everyField writes a selection of every field of the object type name and,
// under it, of every type reachable from it, read from the schema: a field
// with arguments gets the ones it requires, lists page two at a time, and
// a type recurs at most twice on a path (Shop → Product → Shop).
func everyField(s *ast.Schema, name string, path map[string]int) string {
	return everyFieldUpTo(s, name, path, 2)
}

// everyFieldUpTo is everyField with a type recurring at most visits times
// on a path.
func everyFieldUpTo(s *ast.Schema, name string, path map[string]int, visits int) string {
	def := s.Types[name]
	path[name]++
	defer func() { path[name]-- }()
	var b strings.Builder
	b.WriteString("{ __typename")
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		t := s.Types[f.Type.Name()]
		composite := t.Kind == ast.Object || t.Kind == ast.Interface || t.Kind == ast.Union
		if composite && path[t.Name] >= visits {
			continue
		}
		b.WriteString(" " + f.Name)
		var args []string
		for _, a := range f.Arguments {
			switch {
			case a.Name == "first":
				args = append(args, "first: 2")
			case a.Type.NonNull && a.Type.Name() == "DateTime":
				day := map[string]string{"from": "2020-01-01T00:00:00Z", "to": "2020-12-31T00:00:00Z"}[a.Name]
				args = append(args, fmt.Sprintf("%s: %q", a.Name, day))
			case a.Type.NonNull:
				panic("everyField: no value for the required argument " + name + "." + f.Name + "(" + a.Name + ")")
			}
		}
		if len(args) > 0 {
			b.WriteString("(" + strings.Join(args, ", ") + ")")
		}
		if composite {
			b.WriteString(" " + everyFieldUpTo(s, t.Name, path, visits))
		}
	}
	b.WriteString(" }")
	return b.String()
}

// TestEveryFieldBothPaths selects, for each entity the fast path answers,
// every field of every type reachable from it, built from the schema, so a
// field added to the schema is selected here without a hand edit: as
// anonymous, owner and staff viewers, the direct path answers byte for byte
// as gqlgen's executor does, in as many statements.
func TestEveryFieldBothPaths(t *testing.T) {
	servers := bothPaths(t, withTokens(t), withCache(time.Hour))
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
		"owner":     {"Authorization": "Bearer " + token(t, "2001")},
		"staff":     {"Authorization": "Bearer " + token(t, "staff", "shop:admin")},
	}
	for _, typ := range []string{"Profile", "Tweet", "Shop", "Product"} {
		sel := everyField(schema, typ, map[string]int{})
		query := fmt.Sprintf(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on %s %s } }`, typ, sel)
		for viewer, headers := range viewers {
			t.Run(typ+"/"+viewer, func(t *testing.T) {
				vars := map[string]any{"reps": reps[typ]}
				got, gotStmts, gotHeader := rawPostHeader(t, direct, headers, query, vars)
				want, wantStmts, wantHeader := rawPostHeader(t, executor, headers, query, vars)
				if !bytes.Equal(got, want) {
					t.Errorf("direct path:\n%s\ngqlgen:\n%s", got, want)
				}
				if g, w := gotHeader.Get("Cache-Control"), wantHeader.Get("Cache-Control"); g != w {
					t.Errorf("Cache-Control %q on the direct path, %q through gqlgen", g, w)
				}
				if gotStmts != wantStmts {
					t.Errorf("%d statements on the direct path, %d through gqlgen", gotStmts, wantStmts)
				}
				if err := checkJSON(got); err != nil {
					t.Error(err)
				}
			})
		}
	}
}
