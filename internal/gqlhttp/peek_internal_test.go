package gqlhttp

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzPeekOperation: peekOperation never panics; on any body encoding/json
// writes, it finds what encoding/json reads back; and whatever it finds in
// any body, the direct entry uses it only when encoding/json then decodes
// the same query and operation name (entry.serve), so a body it misreads is
// declined, never misanswered.
func FuzzPeekOperation(f *testing.F) {
	f.Add(`query($r: [_Any!]!) { _entities(representations: $r) { __typename } }`, "Q", `{"r":[{"__typename":"Profile","id":"1"}]}`, []byte(`{"query":"{ a }","variables":{"x":[1,{"y":"}"}]}}`))
	f.Add("\"\\\u2028", "", `null`, []byte(` { "operationName" : null , "query" : "x\"" } `))
	f.Add("", "x", `[]`, []byte(`{"query":"a","query":"b"}`))
	f.Add("q", "", `{}`, []byte(`{"QUERY":"a"}`))
	f.Fuzz(func(t *testing.T, query, name, vars string, body []byte) {
		peekOperation(body) // never panics
		var v any
		if json.Unmarshal([]byte(vars), &v) != nil {
			v = nil
		}
		for _, order := range []bool{false, true} {
			var b []byte
			if order {
				b, _ = json.Marshal(map[string]any{"query": query, "operationName": name, "variables": v, "extensions": map[string]any{"a": []any{"}"}}})
			} else {
				b, _ = json.Marshal(params{Query: query, OperationName: name})
			}
			var p params
			if err := json.Unmarshal(b, &p); err != nil {
				continue // invalid UTF-8 aside, encoding/json reads what it writes
			}
			q, n, ok := peekOperation(b)
			if !ok || q != p.Query || n != p.OperationName {
				t.Fatalf("%s: peeked %q %q %v, decoded %q %q", b, q, n, ok, p.Query, p.OperationName)
			}
			// Indented, too.
			var ind bytes.Buffer
			json.Indent(&ind, b, "", "\t ")
			if q, n, ok := peekOperation(ind.Bytes()); !ok || q != p.Query || n != p.OperationName {
				t.Fatalf("%s: peeked %q %q %v, decoded %q %q", ind.Bytes(), q, n, ok, p.Query, p.OperationName)
			}
		}
	})
}
