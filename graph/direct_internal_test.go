package graph

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestDirectPathPanicFallsBack: a panic in the direct path is logged and
// leaves the call to gqlgen's executor instead of ending the process (with
// two root fields it runs in a goroutine of its own, where nothing else
// would recover it).
func TestDirectPathPanicFallsBack(t *testing.T) {
	var log bytes.Buffer
	d := &Entities{Logger: slog.New(slog.NewTextHandler(&log, nil)), MaxRepresentations: 10}
	// No operation context: graphql.GetOperationContext panics.
	out, ok := d.serve(context.Background(), graphql.CollectedField{})
	if ok || out != nil {
		t.Errorf("serve = %v, %v; want nil, false", out, ok)
	}
	if !strings.Contains(log.String(), "direct path panicked") {
		t.Errorf("log: %s", log.String())
	}
}

// TestCardFieldsInSchema: cardFields and keyFields, the fields
// store.CardColumns and store.KeyColumns fill, name types and fields the
// schema has, so a renamed field cannot leave a carousel read with too few
// columns; and every object field they name holds a type they list, so
// their fields are complete all the way down.
func TestCardFieldsInSchema(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	for list, byType := range map[string]map[string][]string{"cardFields": cardFields, "keyFields": keyFields} {
		for typ, fields := range byType {
			def := schema.Types[typ]
			if def == nil {
				t.Errorf("%s names the type %s, which the schema lacks", list, typ)
				continue
			}
			for _, name := range fields {
				if name == "__typename" {
					continue
				}
				f := def.Fields.ForName(name)
				if f == nil {
					t.Errorf("%s names %s.%s, which the schema lacks", list, typ, name)
					continue
				}
				if child := schema.Types[f.Type.Name()]; child.Kind == ast.Object && byType[child.Name] == nil {
					t.Errorf("%s names %s.%s, of type %s, and no field of %s", list, typ, name, child.Name, child.Name)
				}
			}
		}
	}
}

// TestEntityShapes: the representations' check knows, from the schema,
// what each entity's representation must carry, Tweet's author { id }
// included (FindTweet and the direct path rely on it), however the
// @requires selection is spaced.
func TestEntityShapes(t *testing.T) {
	shapes := entityShapes(NewExecutableSchema(Config{}).Schema())
	for typ, key := range map[string]string{"Profile": "id", "Tweet": "id", "Shop": "id", "Product": "id"} {
		if got := shapes[typ].key; len(got) != 1 || got[0] != key {
			t.Errorf("%s's key %v, want [%s]", typ, got, key)
		}
	}
	if tw := shapes["Tweet"]; tw.external["author"] != "Profile" || tw.required["author"] != "shop" {
		t.Errorf("Tweet's shape %+v: want author, a Profile, required by shop", tw)
	}
	for _, sel := range []string{"author { id }", "author{id}", " author {id} ", "author"} {
		if got := requiredField(sel); got != "author" {
			t.Errorf("requiredField(%q) = %q, want author", sel, got)
		}
	}
}
