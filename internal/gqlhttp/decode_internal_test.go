package gqlhttp

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeParams: whatever decodeParams decodes, encoding/json (as
// gqlgen's POST transport runs it) decodes the same; and it decodes the
// bodies gateways send.
func FuzzDecodeParams(f *testing.F) {
	for _, seed := range []string{
		`{"query":"query($r:[_Any!]!){_entities(representations:$r){__typename}}","variables":{"r":[{"__typename":"Tweet","id":"1","author":{"__typename":"Profile","id":"2001"}}]}}`,
		`{"operationName":"Timeline__shop__1","query":"q","variables":{"representations":[{"__typename":"Profile","id":2001.5e-3},{"a":[true,false,null,-0,1E+2]}]},"extensions":{}}`,
		` { "query" : "é" , "operationName" : null , "variables" : null , "extensions" : null } trailing`,
		`{"query":"a","query":"b"}`, `{"QUERY":"a"}`, `{"query":"\u0041"}`, `{"variables":{"a":01}}`, `{"variables":{"a":"\xff"}}`,
		`{"variables":{"a":{"b":1,"b":2}}}`, `{"variables":[]}`, `{"extensions":{"persistedQuery":{}}}`, `{}`, `[]`, `{"query":"x",}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p params
		if !decodeParams(body, &p) {
			return
		}
		var want params
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%q: decoded, where encoding/json fails: %v", body, err)
		}
		if p.Query != want.Query || p.OperationName != want.OperationName || !reflect.DeepEqual(p.Variables, want.Variables) || len(p.Extensions) != len(want.Extensions) {
			t.Fatalf("%q: decoded %#v, encoding/json %#v", body, p, want)
		}
	})
}

// TestDecodeParamsTakesGatewayBodies: the bodies the benchmark sends, as the
// gateways send them, take the fast decoder.
func TestDecodeParamsTakesGatewayBodies(t *testing.T) {
	reps := []any{map[string]any{"__typename": "Tweet", "id": "9000001", "author": map[string]any{"__typename": "Profile", "id": "2001"}}}
	for _, body := range []map[string]any{
		{"query": "query Timeline__shop__1($representations:[_Any!]!){_entities(representations:$representations){...on Tweet{shop{name}}}}", "operationName": "Timeline__shop__1", "variables": map[string]any{"representations": reps}},
		{"query": "query($_v0_representations:[_Any!]!){_v0__entities:_entities(representations:$_v0_representations){__typename}}", "variables": map[string]any{"_v0_representations": reps}},
	} {
		b, _ := json.Marshal(body)
		var p params
		if !decodeParams(b, &p) {
			t.Errorf("%s: not decoded", b)
		}
	}
}
