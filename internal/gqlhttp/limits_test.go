package gqlhttp_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/graph"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
)

func withLimits(l gqlhttp.Limits) func(*gqlhttp.Options) {
	return func(o *gqlhttp.Options) { o.Limits = l }
}

func TestDepthLimit(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxDepth: 4}))
	// shops > nodes > featuredProducts > shop > name: 5 levels.
	e := s.WantError(t, `{ shops { nodes { featuredProducts { shop { name } } } } }`, nil, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "5 levels deep") || !strings.Contains(e.Message, "limit of 4") {
		t.Errorf("message %q", e.Message)
	}
	// Through a fragment too.
	s.WantError(t, `{ shops { ...F } } fragment F on ShopConnection { nodes { featuredProducts { shop { name } } } }`, nil, "BAD_USER_INPUT")
	// 4 levels pass, and introspection does not count.
	var got map[string]any
	s.Data(t, `{ shops { nodes { featuredProducts { sku } } } }`, nil, &got)
	s.Data(t, `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, nil, &got)
}

func TestComplexityLimit(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxComplexity: 1000}))
	// 100 shops × 100 products × 2 fields is far over 1,000.
	r, _ := s.Post(t, `{ shops(first: 100) { nodes { products(first: 100) { nodes { sku title } } } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" || !strings.Contains(r.Errors[0].Message, "limit of 1000") {
		t.Errorf("errors %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
	}
	// _entities costs by its number of representations.
	reps := make([]any, 200)
	for i := range reps {
		reps[i] = graphtest.ProfileRep(fmt.Sprint(i))
	}
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { name storeUrl featuredProducts { sku } } } } }`
	r, _ = s.Post(t, q, map[string]any{"reps": reps})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("200 representations: errors %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
	}
	r, _ = s.Post(t, q, map[string]any{"reps": reps[:10]})
	if len(r.Errors) != 0 {
		t.Errorf("10 representations: %+v", r.Errors)
	}
}

// A first out of bounds is the resolver's BAD_USER_INPUT, whatever its size,
// not a complexity far over the limit.
func TestComplexityOfFirstOutOfBounds(t *testing.T) {
	s := graphtest.NewServer(t)
	for _, tc := range []struct{ query, msg string }{
		{`{ shop(id: "1") { featuredProducts(first: 50000) { sku } } }`, "first must be between 1 and 5, got 50000"},
		{`{ shops(first: 1000) { nodes { products(first: 100) { nodes { id } } } } }`, "first must be between 1 and 100, got 1000"},
		{`{ shops(first: 1) { nodes { products(first: 100000) { nodes { id } } } } }`, "first must be between 1 and 100, got 100000"},
	} {
		e := s.WantError(t, tc.query, nil, "BAD_USER_INPUT")
		if e.Message != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.query, e.Message, tc.msg)
		}
	}
}

// @defer would be run, and its part dropped by a one-response transport:
// it is refused before the operation runs.
func TestDeferRefused(t *testing.T) {
	s := graphtest.NewServer(t)
	for _, q := range []string{
		`{ shop(id: "1") { id ... @defer { name featuredProducts { sku } } } }`,
		`{ shop(id: "1") { id ...F @defer } } fragment F on Shop { name }`,
		`{ shop(id: "1") { id ...F } } fragment F on Shop { ... @defer(label: "x") { name } }`,
		`query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { id ... @defer { shop { name } } } } }`,
	} {
		r, _ := s.Post(t, q, map[string]any{"r": []any{graphtest.ProfileRep("1001")}})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "@defer is not supported") || len(r.Data) > 0 && string(r.Data) != "null" {
			t.Errorf("%s: errors %+v data %s, want one BAD_USER_INPUT about @defer and no data", q, r.Errors, r.Data)
		}
	}
	r, _ := s.Post(t, `query($d: Boolean!) { shop(id: "1") { id ... @defer(if: $d) { name } } }`, map[string]any{"d": true})
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "@defer is not supported") {
		t.Errorf("@defer(if: $d) with $d true: %+v", r.Errors)
	}
	// @defer(if: false) defers nothing; other directives pass.
	for _, q := range []string{
		`{ shop(id: "1") { id ... @include(if: true) { name } } }`,
		`{ shop(id: "1") { id ... @defer(if: false) { name } } }`,
		`query($d: Boolean!) { shop(id: "1") { id ...F @defer(if: $d) } } fragment F on Shop { name }`,
	} {
		var got struct{ Shop struct{ ID, Name string } }
		s.Data(t, q, map[string]any{"d": false}, &got)
		if got.Shop.Name == "" {
			t.Errorf("%s: %+v, want the shop's name", q, got)
		}
	}
}

func TestRepresentationsLimit(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxRepresentations: 3}))
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { id } } }`
	reps := []any{graphtest.ProfileRep("1"), graphtest.ProfileRep("2"), graphtest.ProfileRep("3"), graphtest.ProfileRep("4")}
	e := s.WantError(t, q, map[string]any{"reps": reps}, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "at most 3 representations") {
		t.Errorf("message %q", e.Message)
	}
	var got map[string]any
	s.Data(t, q, map[string]any{"reps": reps[:3]}, &got)
}

func TestBodyLimit(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxBodyBytes: 100}))
	big := `{"query":"{ shops { totalCount } }","variables":{"pad":"` + strings.Repeat("x", 200) + `"}}`
	res, err := http.Post(s.URL, "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", res.StatusCode)
	}
	var got map[string]any
	s.Data(t, `{ shops { totalCount } }`, nil, &got)
}

// Requests gqlgen's transports would refuse without an extensions.code are
// refused with one, and with the HTTP status that says why.
func TestUnsupportedRequestsCoded(t *testing.T) {
	s := graphtest.NewServer(t)
	get := func(q string) string { return s.URL + "?query=" + url.QueryEscape(q) }
	for _, tc := range []struct {
		name, method, url, contentType, body string
		status                               int
		allow, msg                           string
	}{
		{"PUT", http.MethodPut, s.URL, "application/json", `{"query":"{ shops { totalCount } }"}`, 405, "GET, POST, OPTIONS", "send GraphQL requests with POST, or queries with GET"},
		{"text/plain", http.MethodPost, s.URL, "text/plain", `{"query":"{ shops { totalCount } }"}`, 415, "", "send the request as JSON, with Content-Type: application/json"},
		{"no content type", http.MethodPost, s.URL, "", `{"query":"{ shops { totalCount } }"}`, 415, "", "send the request as JSON, with Content-Type: application/json"},
		{"mutation with GET", http.MethodGet, get(`mutation { recordShopEvents(events: []) { accepted } }`), "", "", 406, "", "GET requests only allow query operations"},
		{"named mutation with GET", http.MethodGet, get(`query Q { shops { totalCount } } mutation M { recordShopEvents(events: []) { accepted } }`) + "&operationName=M", "", "", 406, "", "GET requests only allow query operations"},
		{"variables not JSON with GET", http.MethodGet, get(`{ shops { totalCount } }`) + "&variables=notjson", "", "", 400, "", "variables could not be decoded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var r graphtest.Response
			if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status || res.Header.Get("Allow") != tc.allow || len(r.Errors) != 1 || r.Errors[0].Message != tc.msg || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
				t.Errorf("%d Allow %q %+v, want %d Allow %q and BAD_USER_INPUT %q", res.StatusCode, res.Header.Get("Allow"), r.Errors, tc.status, tc.allow, tc.msg)
			}
		})
	}
	// What stays: a query with GET, the named query of a document with a
	// mutation, JSON with a charset.
	for _, u := range []string{get(`{ shops { totalCount } }`), get(`query Q { shops { totalCount } } mutation M { recordShopEvents(events: []) { accepted } }`) + "&operationName=Q"} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", u, res.StatusCode)
		}
	}
	head, err := http.Head(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusMethodNotAllowed || head.Header.Get("Allow") != "GET, POST, OPTIONS" {
		t.Errorf("HEAD: status %d Allow %q, want 405 and GET, POST, OPTIONS", head.StatusCode, head.Header.Get("Allow"))
	}
	res, err := http.Post(s.URL, "application/json; charset=utf-8", strings.NewReader(`{"query":"{ shops { totalCount } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("JSON with a charset: status %d, want 200", res.StatusCode)
	}
}

func TestTimeout(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{Timeout: time.Nanosecond}))
	e := s.WantError(t, `{ shops { totalCount } }`, nil, "INTERNAL_SERVER_ERROR")
	if e.Message != "request timed out" {
		t.Errorf("message %q, want request timed out", e.Message)
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{NoIntrospection: true}))
	s.WantError(t, `{ __schema { queryType { name } } }`, nil, "BAD_USER_INPUT")
	s.WantError(t, `{ __type(name: "Shop") { name } }`, nil, "BAD_USER_INPUT")
	var got struct {
		Service struct{ SDL string }      `json:"_service"`
		Shops   struct{ Typename string } `json:"shops"`
	}
	s.Data(t, `{ _service { sdl } shops { __typename } }`, nil, &got)
	if !strings.Contains(got.Service.SDL, "type Shop") {
		t.Errorf("_service.sdl does not work with introspection off")
	}
	on := graphtest.NewServer(t)
	s.Data(t, `{ __typename }`, nil, &got)
	on.Data(t, `{ __schema { queryType { name } } }`, nil, &got)
}

func TestAutomaticPersistedQueries(t *testing.T) {
	s := graphtest.NewServer(t)
	query := `{ shops(first: 1) { nodes { name } } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(body map[string]any) graphtest.Response {
		b, _ := json.Marshal(body)
		res, err := http.Post(s.URL, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r graphtest.Response
		json.NewDecoder(res.Body).Decode(&r)
		return r
	}
	if r := post(map[string]any{"extensions": ext}); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %+v, want PERSISTED_QUERY_NOT_FOUND", r.Errors)
	}
	want := `{"shops":{"nodes":[{"name":"Acme Outdoor"}]}}`
	if r := post(map[string]any{"query": query, "extensions": ext}); string(r.Data) != want {
		t.Fatalf("registering: %s %+v", r.Data, r.Errors)
	}
	if r := post(map[string]any{"extensions": ext}); string(r.Data) != want {
		t.Errorf("hash only over POST: %s %+v", r.Data, r.Errors)
	}
	extJSON, _ := json.Marshal(ext)
	res, err := http.Get(s.URL + "?extensions=" + url.QueryEscape(string(extJSON)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r graphtest.Response
	json.NewDecoder(res.Body).Decode(&r)
	if string(r.Data) != want {
		t.Errorf("hash only over GET: %s %+v", r.Data, r.Errors)
	}
	bad := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}
	if r := post(map[string]any{"query": query, "extensions": bad}); len(r.Errors) == 0 {
		t.Errorf("a query whose hash does not match was accepted")
	}
}

// TestFederatedTracing: ftv1 comes back when the gateway asks for it, and
// only then.
func TestFederatedTracing(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { name } } } }`
	vars := map[string]any{"reps": []any{graphtest.ProfileRep("2001")}}
	r, _ := s.PostHeaders(t, map[string]string{"Apollo-Federation-Include-Trace": "ftv1"}, q, vars)
	if trace, _ := r.Extensions["ftv1"].(string); trace == "" || len(r.Errors) > 0 {
		t.Errorf("asked for ftv1, got extensions %v, errors %+v", r.Extensions, r.Errors)
	}
	r, _ = s.Post(t, q, vars)
	if r.Extensions["ftv1"] != nil {
		t.Errorf("ftv1 returned without being asked for")
	}
}

// TestComplexityModel: the complexity limit prices as demand control does
// (objects 1, scalars and enums 0, lists times their @listSize), with a
// default that lets a gateway's catalogue query through (40 shops, each
// with a page of 100 products, every field of both) and refuses 10,000
// aliases.
func TestComplexityModel(t *testing.T) {
	s := graphtest.NewServer(t)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	shop := strings.ReplaceAll(graphtest.EveryField(schema, "Shop", 1), "products(first: 2)", "products(first: 100)")
	q := `{ shops(first: 40) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node ` + shop + ` } nodes ` + shop + ` } }`
	r, _ := s.Post(t, q, nil)
	for _, e := range r.Errors {
		if code := e.Extensions["code"]; code == "COMPLEXITY_LIMIT_EXCEEDED" || strings.Contains(e.Message, "limit of") {
			t.Errorf("the catalogue query was refused: %s", e.Message)
		}
	}
	// Its price, just under the limit it is allowed.
	tight := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxComplexity: 1000}))
	r, _ = tight.Post(t, q, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("errors %+v", r.Errors)
	}
	t.Log(r.Errors[0].Message)

	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 10_000 {
		fmt.Fprintf(&aliases, " a%d: shop(id: \"1\") { name }", i)
	}
	aliases.WriteString(" }")
	r, _ = postStatus(t, s.URL, aliases.String(), nil)
	if len(r.Errors) != 1 || r.Data != nil && string(r.Data) != "null" {
		t.Errorf("10,000 aliases: %+v", r.Errors)
	}
	// Within the length limit, the field limit refuses them.
	wide := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxQueryBytes: 1 << 20, MaxTokens: 1 << 20}))
	e := wide.WantError(t, aliases.String(), nil, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "fields") {
		t.Errorf("10,000 aliases: %s", e.Message)
	}
	// Scalars cost nothing, objects 1, lists times their size.
	for _, tt := range []struct {
		query string
		cost  int
	}{
		{`{ shop(id: "1") { name description } product(id: "1") { sku } }`, 2},
		{`{ shop(id: "1") { featuredProducts { sku } } }`, 6},
		{`{ shop(id: "1") { featuredProducts(first: 2) { sku image { url } } } }`, 5},
		{`{ shop(id: "1") { products(first: 10) { totalCount pageInfo { hasNextPage } nodes { sku } edges { node { id } } } } }`, 1 + 1 + 1 + 10 + 10*2},
	} {
		low := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxComplexity: tt.cost - 1}))
		e := low.WantError(t, tt.query, nil, "COMPLEXITY_LIMIT_EXCEEDED")
		if want := fmt.Sprintf("complexity %d,", tt.cost); !strings.Contains(e.Message, want) {
			t.Errorf("%s: %s, want %s", tt.query, e.Message, want)
		}
	}
}
