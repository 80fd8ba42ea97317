package graph

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/errcode"
)

// Representations are checked here, once, for both paths: the executor's
// (Entities.InterceptField gives each bad one its own error and a null) and
// the direct path's (which leaves a call with a bad one to the executor, so
// that it reports it the same way). The entity resolvers then only see
// representations this check passed.

// entityShape is what a representation of an entity must carry, read from
// the schema: its key fields, as strings or numbers; for each @external
// object field it brings (Tweet's author), that object; and which of those
// a @requires of this subgraph needs (Tweet.shop needs author { id }).
type entityShape struct {
	key      []string
	external map[string]string // field → its object type
	required map[string]string // external field → the field whose @requires names it
}

// entityShapes reads the entities' shapes from the schema's @key,
// @external and @requires directives.
func entityShapes(s *ast.Schema) map[string]entityShape {
	shapes := map[string]entityShape{}
	for name, def := range s.Types {
		key := def.Directives.ForName("key")
		if def.Kind != ast.Object || key == nil {
			continue
		}
		sh := entityShape{key: strings.Fields(key.Arguments.ForName("fields").Value.Raw), external: map[string]string{}, required: map[string]string{}}
		for _, f := range def.Fields {
			if t := s.Types[f.Type.Name()]; f.Directives.ForName("external") != nil && t != nil && t.Kind == ast.Object {
				sh.external[f.Name] = t.Name
			}
			if r := f.Directives.ForName("requires"); r != nil {
				if name := requiredField(r.Arguments.ForName("fields").Value.Raw); name != "" {
					sh.required[name] = f.Name
				}
			}
		}
		shapes[name] = sh
	}
	return shapes
}

// requiredField is the external field a @requires(fields:) selection
// starts with, "author" in "author { id }" or "author{id}": its key is
// checked like any external object's.
func requiredField(selection string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(selection), "{")
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}

// entityTypes lists the entities' names, for error messages.
func entityTypes(shapes map[string]entityShape) string {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// checkRepresentation returns the BAD_USER_INPUT error of the i-th
// representation, or nil when this subgraph can resolve it.
func checkRepresentation(shapes map[string]entityShape, types string, i int, rep map[string]any) error {
	name, _ := rep["__typename"].(string)
	sh, known := shapes[name]
	switch {
	case name == "":
		return errcode.BadInput("representation %d has no __typename", i)
	case !known:
		return errcode.BadInput("unknown __typename %q: this subgraph resolves %s", name, types)
	}
	for _, f := range sh.key {
		if !isKeyValue(rep[f]) {
			return errcode.BadInput("%s representation %d lacks its key field %q as a string or number", name, i, f)
		}
	}
	for f, typ := range sh.external {
		by, required := sh.required[f]
		lacks := func() error {
			return errcode.BadInput("%s representation %q lacks %s { %s }, which %s.%s requires", name, fmt.Sprint(rep["id"]), f, strings.Join(shapes[typ].key, " "), name, by)
		}
		v, ok := rep[f]
		if !ok || v == nil {
			if required {
				return lacks()
			}
			continue // a field that needs it reports it
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return errcode.BadInput("%s representation %d has %q, which must be an object", name, i, f)
		}
		for _, k := range shapes[typ].key {
			switch v := obj[k]; {
			case v == nil && required:
				return lacks()
			case v != nil && !isKeyValue(v):
				return errcode.BadInput("%s representation %d has %s.%s, which must be a string or number", name, i, f, k)
			}
		}
	}
	return nil
}

func isKeyValue(v any) bool {
	switch v.(type) {
	case string, json.Number, int, int64, float64:
		return true
	}
	return false
}
