package gqlhttp

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// rawParams is graphql.RawParams' JSON members, which gqlgen's POST
// transport decodes a body into.
type rawParams struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// gqlgenDecode decodes b as gqlgen's POST transport does.
func gqlgenDecode(b []byte) (rawParams, error) {
	var p rawParams
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return p, dec.Decode(&p)
}

// FuzzReadParams: readParams never panics; whatever it reads from any body,
// encoding/json (as gqlgen's POST transport runs it) reads the same; and it
// reads the bodies encoding/json writes, whatever their strings, members'
// order or spacing.
func FuzzReadParams(f *testing.F) {
	for _, seed := range []string{
		`{"query":"query($r:[_Any!]!){_entities(representations:$r){__typename}}","variables":{"r":[{"__typename":"Tweet","id":"1","author":{"__typename":"Profile","id":"2001"}}]}}`,
		`{"operationName":"Timeline__shop__1","query":"q","variables":{"representations":[{"__typename":"Profile","id":2001.5e-3},{"a":[true,false,null,-0,1E+2]}]},"extensions":{}}`,
		` { "query" : "é" , "operationName" : null , "variables" : null , "extensions" : null } trailing`,
		`{"query":"a","query":"b"}`, `{"QUERY":"a"}`, `{"query":"\u0041\"\ud800"}`, `{"query":"q","variables":{"a":01}}`,
		"{\"query\":\"q\",\"variables\":{\"a\":\"\xff\"}}", `{"query":"q","variables":{"a":{"b":1,"b":2}}}`, `{"query":"q","variables":[]}`,
		`{"query":"q","extensions":{"persistedQuery":{}}}`, `{}`, `[]`, `{"query":"x",}`, `{"query":"q","id":[1,{"x":"}"}],"\u212aey":1}`,
	} {
		f.Add([]byte(seed), "q\"\\\u2028<é", "", `{"r":[{"id":"x"}]}`)
	}
	f.Fuzz(func(t *testing.T, b []byte, query, name, vars string) {
		check(t, b, false)
		var v any
		if json.Unmarshal([]byte(vars), &v) != nil {
			v = nil
		}
		vs, ok := v.(map[string]any)
		if !ok || depth(v) > maxDepth-2 {
			vs = nil // readParams declines deeper values
		}
		// Members in both orders: sorted by name, and gqlgen's.
		sorted, _ := json.Marshal(map[string]any{"query": query, "operationName": name, "variables": vs, "extensions": map[string]any{}})
		ordered, _ := json.Marshal(rawParams{Query: query, OperationName: name, Variables: vs})
		for _, written := range [][]byte{sorted, ordered} {
			check(t, written, true)
			var indented bytes.Buffer
			json.Indent(&indented, written, "", "\t ")
			check(t, indented.Bytes(), true)
		}
	})
}

// check: when readParams reads b (which it must when must), encoding/json
// reads the same query, operation name, variables and whether there are
// extensions.
func check(t *testing.T, b []byte, must bool) {
	t.Helper()
	p, ok := readParams(b)
	var vars map[string]any
	if ok {
		vars, ok = p.decodeVariables()
	}
	want, err := gqlgenDecode(b)
	if !ok {
		if must && err == nil {
			t.Fatalf("%q: not read, where encoding/json reads %#v", b, want)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: read, where encoding/json fails: %v", b, err)
	}
	if p.query != want.Query || p.name != want.OperationName || !reflect.DeepEqual(vars, want.Variables) || p.extensions != (len(want.Extensions) > 0) {
		t.Fatalf("%q: read %q %q %#v %v, encoding/json %#v", b, p.query, p.name, vars, p.extensions, want)
	}
}

// depth is how deep v nests objects and arrays.
func depth(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			n = max(n, depth(e))
		}
	case []any:
		for _, e := range v {
			n = max(n, depth(e))
		}
	default:
		return 0
	}
	return n + 1
}
