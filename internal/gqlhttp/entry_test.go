package gqlhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
)

// observedOperations records what the handler tells its Operations
// observer: each operation's name and error codes, and the operations the
// direct entry answered.
type observedOperations struct {
	mu     sync.Mutex
	ops    []string
	direct int
}

func (o *observedOperations) ObserveOperation(_ context.Context, name string, _ time.Duration, codes []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, name+" "+strings.Join(codes, ","))
}

func (o *observedOperations) ObserveDirectOperation(context.Context) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.direct++
}

// TestDirectEntry: the direct entry answers the second of two identical
// requests whose operation is made of _entities calls on [_Any!]!
// variables, exactly as gqlgen did the first time: the same status, body,
// Content-Type (for every Accept header), cache headers, and the same
// operation observed; it leaves every other request to gqlgen, which then
// answers it the same way twice.
func TestDirectEntry(t *testing.T) {
	obs := &observedOperations{}
	s := graphtest.NewServer(t, graphtest.WithCache(time.Hour), graphtest.WithRollout(t, "US", "", "", ""),
		func(o *gqlhttp.Options) { o.Operations = obs; o.Limits.MaxRepresentations = 3 })
	const entities = `query Carousels($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Profile { shop { name featuredProducts { sku } } } } }`
	reps := `[{"__typename":"Profile","id":"2001"},{"__typename":"Profile","id":"2002"}]`
	body := func(query, vars string, rest ...string) string {
		q, _ := json.Marshal(query)
		return `{"query":` + string(q) + `,"variables":` + vars + strings.Join(rest, "") + `}`
	}
	for n, tt := range []struct {
		name    string
		body    string
		headers map[string]string
		entry   bool
	}{
		{"entities", body(entities, `{"r":`+reps+`}`), nil, true},
		{"Accept: application/json", body(entities, `{"r":`+reps+`}`), map[string]string{"Accept": "application/json"}, true},
		{"Accept: graphql-response+json", body(entities, `{"r":`+reps+`}`), map[string]string{"Accept": "application/graphql-response+json"}, true},
		{"Accept: both, a parameter", body(entities, `{"r":`+reps+`}`), map[string]string{"Accept": "text/html, application/graphql-response+json;q=0.9, application/json"}, true},
		{"Accept: anything", body(entities, `{"r":`+reps+`}`), map[string]string{"Accept": "*/*"}, true},
		{"Accept: nothing it knows", body(entities, `{"r":`+reps+`}`), map[string]string{"Accept": "text/html;;, image/png"}, true},
		{"a rollout viewer", body(entities, `{"r":`+reps+`}`), map[string]string{"X-Viewer-Country": "FR"}, true},
		{"a signed-in viewer", body(entities, `{"r":`+reps+`}`), map[string]string{"Authorization": "Bearer nonsense"}, true},
		{"two aliased calls, an operation named", body(`query A { __typename } query B($a: [_Any!]!, $b: [_Any!]!) { x: _entities(representations: $a) { __typename } y: _entities(representations: $b) { ... on Shop { name } } }`,
			`{"a":`+reps+`,"b":[{"__typename":"Shop","id":"1"}],"unused":1}`, `,"operationName":"B"`), nil, true},
		{"the other operation", body(`query A { __typename } query B($a: [_Any!]!) { _entities(representations: $a) { __typename } }`, `{"a":`+reps+`}`, `,"operationName":"A"`), nil, false},
		{"a persisted query's extensions", body(entities, `{"r":`+reps+`}`, `,"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}`), nil, false},
		{"a traced request", body(entities, `{"r":`+reps+`}`), map[string]string{"Apollo-Federation-Include-Trace": "ftv1"}, false},
		{"one object for the list", body(entities, `{"r":{"__typename":"Profile","id":"2001"}}`), nil, false},
		{"a list of other things", body(entities, `{"r":[{"__typename":"Profile","id":"2001"},"x"]}`), nil, false},
		{"null", body(entities, `{"r":null}`), nil, false},
		{"none", body(entities, `{}`), nil, false},
		{"an empty list", body(entities, `{"r":[]}`), nil, false},
		{"over the representations limit", body(entities, `{"r":[`+strings.Repeat(`{"__typename":"Profile","id":"2001"},`, 3)+`{"__typename":"Profile","id":"1"}]}`), nil, false},
		{"a malformed representation", body(entities, `{"r":[{"__typename":"Profile"}]}`), nil, false},
		{"another variable", body(`query($r: [_Any!]!, $n: Int) { _entities(representations: $r) { ... on Profile { shop { featuredProducts(first: $n) { sku } } } } }`, `{"r":`+reps+`,"n":1}`), nil, false},
		{"a default", body(`query($r: [_Any!]! = [{__typename: "Profile", id: "2001"}]) { _entities(representations: $r) { __typename } }`, `{"r":`+reps+`}`), nil, false},
		{"literal representations", body(`{ _entities(representations: [{__typename: "Profile", id: "2001"}]) { __typename } }`, `{}`), nil, false},
		{"a root field besides", body(`query($r: [_Any!]!) { __typename _entities(representations: $r) { __typename } }`, `{"r":`+reps+`}`), nil, false},
		{"a directive on the root field", body(`query($r: [_Any!]!) { _entities(representations: $r) @include(if: true) { __typename } }`, `{"r":`+reps+`}`), nil, false},
		{"a field the direct path leaves to gqlgen", body(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { products(first: 1) { totalCount } } } } }`, `{"r":`+reps+`}`), nil, false},
		{"trailing bytes, which gqlgen ignores too", body(entities, `{"r":`+reps+`}`) + ` x`, nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A query of its own, which no other case put in the cache.
			tt.body = strings.Replace(tt.body, `{"query":"`, fmt.Sprintf(`{"query":"# %d\n`, n), 1)
			_, traced := tt.headers["Apollo-Federation-Include-Trace"]
			before := len(obs.ops)
			directBefore := obs.direct
			headers := map[string]string{"X-Viewer-Country": "US"} // where the shops are shown
			maps.Copy(headers, tt.headers)
			first := rawPost(t, s.URL, tt.body, headers)
			again := rawPost(t, s.URL, tt.body, headers)
			if traced {
				// Its ftv1 trace has other timings.
				first.body, again.body = dataOf(first.body), dataOf(again.body)
			}
			sameAnswer(t, "the second answer", again, first)
			if got := obs.direct - directBefore; got != map[bool]int{true: 1}[tt.entry] {
				t.Errorf("the direct entry answered %d of the two requests, want it to answer the second: %v", got, tt.entry)
			}
			if ops := obs.ops[before:]; len(ops) == 2 && ops[0] != ops[1] {
				t.Errorf("observed %q, then %q", ops[0], ops[1])
			} else if tt.entry && len(ops) != 2 {
				t.Errorf("observed %q, want both operations", ops)
			}
		})
	}
}

// dataOf returns a response's data.
func dataOf(body string) string {
	var r graphtest.Response
	json.Unmarshal([]byte(body), &r)
	return string(r.Data)
}
