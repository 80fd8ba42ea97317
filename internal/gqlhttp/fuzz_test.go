package gqlhttp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/graphtest"
)

// FuzzOperation sends documents, variables and representations through the
// real handler, on the executor and on the direct path (a traced request
// takes the executor), and checks what every answer must be: no 5xx and no
// panic, one JSON value with no member named twice in an object, and a
// number of statements bounded by the document's selection sets. Its seeds
// below hold the audit's cases (a fragment bomb, out-of-range literals,
// __typename on the union and the type, Int variables of 1e2 and 1e400, a
// NUL in a key, a body that is not JSON), and testdata/fuzz/FuzzOperation
// the inputs earlier fuzzing found interesting; both run with the ordinary
// tests, on SQLite and on PostgreSQL. To fuzz:
//
//	go test ./internal/gqlhttp -run '^$' -fuzz FuzzOperation -fuzztime 1m -fuzzminimizetime 20x
//
// (each input is a request through the handler: minimizing one at the
// default 60 s per input stalls the run)
func FuzzOperation(f *testing.F) {
	s := graphtest.NewServer(f, graphtest.WithTokens(f))
	profile := `{"__typename":"Profile","id":"2001"}`
	tweet := `{"__typename":"Tweet","id":"t1","author":{"id":"2004"}}`
	entities := `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Profile { id shop { name featuredProducts { sku price { amount } } } } ... on Tweet { shop { name } } } }`
	for _, seed := range []struct {
		query, vars string
		traced      bool
	}{
		{entities, `{"r":[` + profile + `,` + tweet + `]}`, false},
		{entities, `{"r":[` + profile + `,` + tweet + `]}`, true},
		{`{ shops(first: 2) { nodes { name products(first: 2) { totalCount nodes { sku } } } } }`, ``, false},
		{fragmentBomb(30), ``, false},
		{`{ _entities(representations: [{__typename: "Profile", id: 99999999999999999999}]) { __typename } }`, ``, false},
		{`query($r:[_Any!]!){ _entities(representations:$r) { __typename ... on Profile { __typename } } }`, `{"r":[` + profile + `]}`, false},
		{`query($n: Int) { shops(first: $n) { totalCount } }`, `{"n": 1e400}`, false},
		{`query($n: Int) { shops(first: $n) { totalCount } }`, `{"n": 1e2}`, false},
		{entities, `{"r":[{"__typename":"Profile","id":"20\u000001"},` + profile + `]}`, false},
		{entities, `{"r":[1, null, "x", {"__typename": "Tweet", "id": "1", "author": 5}]}`, false},
		{entities, `{"r": [`, false},
		{`{ shop(id: "1") { id ... @defer { name } } }`, ``, false},
		{`{ __schema { types { name fields { name type { name ofType { name } } } } } }`, ``, false},
		{`{ a: shop(id: "1") { name } b: shop(id: "1") { __typename t: __typename } }`, ``, true},
		{`mutation { recordShopEvents(events: [{productId: "1", type: CLICK, occurredAt: "2026-01-01T00:00:00Z"}]) { accepted } }`, ``, false},
		{strings.Repeat("{", 2000), ``, false},
	} {
		f.Add(seed.query, seed.vars, seed.traced)
	}
	f.Fuzz(func(t *testing.T, query, vars string, traced bool) {
		body := `{"query":` + quote(query)
		if vars != "" {
			body += `,"variables":` + vars
		}
		body += "}"
		// Twice: the second time, the document is in the parsed-query
		// cache, and the direct entry may answer it. The answers must be
		// the same.
		var first []byte
		var firstHeader http.Header
		for range 2 {
			req, err := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if traced {
				req.Header.Set("Apollo-Federation-Include-Trace", "ftv1")
			}
			before := s.Metrics.DBQueries()
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode >= 500 {
				t.Fatalf("status %d: %.500s", res.StatusCode, out)
			}
			if err := graphtest.CheckJSON(out); err != nil {
				t.Fatalf("%v: %.500s", err, out)
			}
			if bytes.Contains(out, []byte(`"internal error"`)) {
				t.Fatalf("an internal error: %.500s", out)
			}
			// A statement needs a field with a selection set: a list, an
			// object loaded by key, a count beside a page.
			stmts := int(s.Metrics.DBQueries() - before)
			if most := 3*strings.Count(query, "{") + 3; stmts > most {
				t.Fatalf("%d statements, more than %d for the document's selection sets", stmts, most)
			}
			if traced {
				// Its ftv1 trace has other timings.
				out = withoutTrace(t, out)
				res.Header.Del("Content-Length")
			}
			if first == nil {
				first, firstHeader = out, res.Header
				continue
			}
			if !bytes.Equal(out, first) {
				t.Fatalf("asked again, another answer:\n%.500s\nthe first time:\n%.500s", out, first)
			}
			for _, h := range []string{"Cache-Control", "Content-Type", "Vary", "Content-Length"} {
				if g, w := res.Header.Values(h), firstHeader.Values(h); !slices.Equal(g, w) {
					t.Fatalf("asked again, %s %q, the first time %q", h, g, w)
				}
			}
		}
	})
}

// withoutTrace returns a response without its extensions.ftv1.
func withoutTrace(t *testing.T, out []byte) []byte {
	var r map[string]any
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if ext, ok := r["extensions"].(map[string]any); ok {
		delete(ext, "ftv1")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
