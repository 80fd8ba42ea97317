package gqlhttp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/shop-subgraph/shop/graph"
)

// randomDocument writes a query on Query whose fragments spread earlier
// fragments any number of times, inline fragments and nested fields
// included: a document the analysis must price without expanding it.
func randomDocument(r *rand.Rand) string {
	frags := r.IntN(12)
	var b strings.Builder
	body := func(upTo int) string {
		var s strings.Builder
		for range 1 + r.IntN(4) {
			switch k := r.IntN(5); {
			case k == 0 && upTo > 0:
				fmt.Fprintf(&s, " ...F%d", r.IntN(upTo))
			case k == 1:
				s.WriteString(" ... on Query { __typename }")
			case k == 2:
				s.WriteString(" shops { nodes { name featuredProducts { sku } } }")
			default:
				fmt.Fprintf(&s, " a%d: __typename", r.IntN(3))
			}
		}
		return s.String()
	}
	fmt.Fprintf(&b, "query {%s }", body(frags))
	for i := range frags {
		fmt.Fprintf(&b, " fragment F%d on Query {%s }", i, body(i))
	}
	return b.String()
}

// naiveShape expands every spread where it stands: the definition of what
// analyze must compute, exponential in the document.
func naiveShape(doc *ast.QueryDocument, set ast.SelectionSet) (depth int, fields int64) {
	for _, sel := range set {
		var d int
		var n int64
		switch s := sel.(type) {
		case *ast.Field:
			d, n = naiveShape(doc, s.SelectionSet)
			n++
			if !strings.HasPrefix(s.Name, "__") {
				d++
			} else {
				d = 0
			}
		case *ast.InlineFragment:
			d, n = naiveShape(doc, s.SelectionSet)
		case *ast.FragmentSpread:
			d, n = naiveShape(doc, doc.Fragments.ForName(s.Name).SelectionSet)
		}
		depth, fields = max(depth, d), fields+n
	}
	return depth, fields
}

// TestAnalysisIsLinear: for random documents, the analysis visits no more
// selections than the document has nodes, whatever its fragments expand
// to, and finds the depth and the field count that expanding every spread
// finds.
func TestAnalysisIsLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		q := randomDocument(r)
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		a := analyzer{fragments: doc.Fragments, memo: map[string]*shape{}}
		got := a.selectionSet(doc.Operations[0].SelectionSet, nil)
		if nodes := countNodes(doc); a.steps > nodes {
			t.Fatalf("document %d: %d steps for %d nodes: %s", i, a.steps, nodes, q)
		}
		if depth, fields := naiveShape(doc, doc.Operations[0].SelectionSet); got.depth != depth || got.fields != fields {
			t.Fatalf("document %d: depth %d, %d fields; expanding: depth %d, %d fields: %s", i, got.depth, got.fields, depth, fields, q)
		}
	}
}

// TestAnalysisSaturates: counts stop at saturation rather than overflow.
func TestAnalysisSaturates(t *testing.T) {
	var b strings.Builder
	b.WriteString(`query { ...F200 } fragment F0 on Query { shop(id: "1") { id } }`)
	for i := 1; i <= 200; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d ...F%d }", i, i-1, i-1, i-1)
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, b.String(), nil)
	if errs != nil {
		t.Fatal(errs)
	}
	s := analyze(schema, doc, doc.Operations[0], nil, 0)
	if s.fields != saturation || s.complexity != saturation {
		t.Errorf("fields %d, complexity %d, want both %d", s.fields, s.complexity, saturation)
	}
	if got := countString(s.fields); !strings.HasPrefix(got, "more than") {
		t.Errorf("countString = %q", got)
	}
}
