package graphtest

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// EveryField writes a selection of every field of the object type name and,
// under it, of every type reachable from it, read from the schema: a field
// with arguments gets the ones it requires, lists page two at a time, and
// a type recurs at most visits times on a path (with 2, Shop → Product →
// Shop).
func EveryField(s *ast.Schema, name string, visits int) string {
	return everyField(s, name, map[string]int{}, visits)
}

func everyField(s *ast.Schema, name string, path map[string]int, visits int) string {
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
				panic("EveryField: no value for the required argument " + name + "." + f.Name + "(" + a.Name + ")")
			}
		}
		if len(args) > 0 {
			b.WriteString("(" + strings.Join(args, ", ") + ")")
		}
		if composite {
			b.WriteString(" " + everyField(s, t.Name, path, visits))
		}
	}
	b.WriteString(" }")
	return b.String()
}
