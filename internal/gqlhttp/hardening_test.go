package gqlhttp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
)

// fragmentBomb is a query of n+1 fragments, each spreading the previous one
// twice: it is about 40 bytes a level and expands to 2^n fields.
func fragmentBomb(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query { ...F%d } fragment F0 on Query { __typename }", n)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i-1, i-1)
	}
	return b.String()
}

// TestFragmentBomb: a query whose fragments spread each other is refused
// for what it expands to, counted without expanding it: before, 30 levels
// burned minutes of CPU in the depth and complexity checks. A bomb of
// fields that cost something is refused the same way, and one small
// enough to pass answers.
func TestFragmentBomb(t *testing.T) {
	s := graphtest.NewServer(t)
	for _, n := range []int{12, 30, 62, 200} {
		e := s.WantError(t, fragmentBomb(n), nil, "BAD_USER_INPUT")
		if !strings.Contains(e.Message, "fields, more than the limit of 2000") {
			t.Errorf("%d levels: message %q", n, e.Message)
		}
	}
	// Deep as well as wide: every level adds a field.
	var deep strings.Builder
	deep.WriteString(`{ shops { nodes { ...S0 } } } fragment S0 on Shop { name }`)
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&deep, " fragment S%d on Shop { a%d: name ...S%d ...S%d }", i, i, i-1, i-1)
	}
	q := strings.Replace(deep.String(), "...S0 }", "...S40 }", 1)
	s.WantError(t, q, nil, "BAD_USER_INPUT")

	var got struct {
		Typename string `json:"__typename"`
	}
	s.Data(t, fragmentBomb(10), nil, &got) // 1,024 fields, under the limit
	if got.Typename != "Query" {
		t.Errorf("10 levels: %+v", got)
	}
	few := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxFields: 1023}))
	few.WantError(t, fragmentBomb(10), nil, "BAD_USER_INPUT")
}

// TestComplexityThroughFragments: a fragment's cost counts wherever it is
// spread, multiplied by the lists around it.
func TestComplexityThroughFragments(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxComplexity: 1000}))
	// 100 shops × 100 products × 2 fields, through two fragments.
	r, _ := s.Post(t, `{ shops(first: 100) { nodes { ...S } } } fragment S on Shop { products(first: 100) { nodes { ...P } } } fragment P on Product { sku title }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Errorf("errors %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
	}
}

// TestQueryLength: a query over the limit is refused before it is parsed,
// and an over-long persisted query is not kept.
func TestQueryLength(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxQueryBytes: 100}))
	long := "# " + strings.Repeat("x", 100) + "\n{ __typename }"
	e := s.WantError(t, long, nil, "BAD_USER_INPUT")
	if !strings.Contains(e.Message, "more than the limit of 100") || len(e.Message) > 200 {
		t.Errorf("message %q", e.Message)
	}
	sum := sha256.Sum256([]byte(long))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	for _, body := range []map[string]any{{"query": long, "extensions": ext}, {"extensions": ext}} {
		b, _ := json.Marshal(body)
		res, err := http.Post(s.URL, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var r graphtest.Response
		json.NewDecoder(res.Body).Decode(&r)
		res.Body.Close()
		if len(r.Errors) != 1 || r.Data != nil && string(r.Data) != "null" {
			t.Fatalf("%v: %+v %s, want one error", body, r.Errors, r.Data)
		}
		if _, registering := body["query"]; !registering && r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
			t.Errorf("the over-long query was kept: %+v", r.Errors)
		}
	}
	var got map[string]any
	s.Data(t, `{ __typename }`, nil, &got)
}

// TestTokenLimit: the parser stops at the token limit.
func TestTokenLimit(t *testing.T) {
	s := graphtest.NewServer(t, withLimits(gqlhttp.Limits{MaxTokens: 50}))
	r, status := postStatus(t, s.URL, "{"+strings.Repeat(" __typename", 60)+" }", nil)
	if status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "GRAPHQL_PARSE_FAILED" || !strings.Contains(r.Errors[0].Message, "token limit of 50") {
		t.Errorf("status %d, %+v", status, r.Errors)
	}
}

// TestNumberLiteralsOutOfRange: a literal that has no 64-bit value, where a
// custom scalar's type lets it through validation, is the client's error,
// not a panic and a 500.
func TestNumberLiteralsOutOfRange(t *testing.T) {
	s := graphtest.NewServer(t)
	for _, q := range []string{
		`{ _entities(representations: [{__typename: "Profile", id: 99999999999999999999}]) { __typename } }`,
		`{ _entities(representations: [{__typename: "Profile", id: "1", x: [1, {y: -99999999999999999999}]}]) { __typename } }`,
		`{ _entities(representations: [{__typename: "Profile", id: 1e400}]) { ... on Profile { shop { name } } } }`,
		`query($r: [_Any!]! = [{__typename: "Profile", id: 99999999999999999999}]) { _entities(representations: $r) { __typename } }`,
		`{ shop(id: "1") { name } ... on Query @skip(if: false) { _entities(representations: [{__typename: "Shop", id: 123456789012345678901234567890}]) { __typename } } }`,
		`mutation { createShop(input: {name: "a", storeUrl: 1e999}) { userErrors { code } } }`,
	} {
		r, status := postStatus(t, s.URL, q, nil)
		if status != http.StatusUnprocessableEntity || len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, "the literal") {
			t.Errorf("%s: status %d, %+v", q, status, r.Errors)
		}
	}
}

// TestRequestErrorsSayWhatIsWrong: a body that is not JSON is answered
// without being quoted back, whatever its size; a number variable that is
// not an Int says so.
func TestRequestErrorsSayWhatIsWrong(t *testing.T) {
	s := graphtest.NewServer(t)
	body := `{"query": "{ shops { totalCount } }", "variables": {"x": "` + strings.Repeat("y", 900_000)
	res, err := http.Post(s.URL, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || len(out) > 1000 || !bytes.Contains(out, []byte("the request body is not valid JSON")) || !bytes.Contains(out, []byte("BAD_USER_INPUT")) {
		t.Errorf("status %d, %d bytes: %.300s", res.StatusCode, len(out), out)
	}
	q := `query($n: Int) { shops(first: $n) { totalCount } }`
	for _, v := range []string{"1e400", "1e2", "1.5", "99999999999999999999"} {
		b := `{"query": ` + quote(q) + `, "variables": {"n": ` + v + `}}`
		res, err := http.Post(s.URL, "application/json", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var r graphtest.Response
		json.NewDecoder(res.Body).Decode(&r)
		res.Body.Close()
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "variable $n must be an Int") {
			t.Errorf("n = %s: %+v", v, r.Errors)
		}
	}
}

// postStatus posts a query and returns the response, whatever its status,
// and the status.
func postStatus(t testing.TB, url, query string, vars map[string]any) (graphtest.Response, int) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r graphtest.Response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("status %d: %v", res.StatusCode, err)
	}
	return r, res.StatusCode
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestClientGoneStopsWork: a request whose client went away before its
// operation ran is stopped after parsing and validation: no statement
// runs, and it says why.
func TestClientGoneStopsWork(t *testing.T) {
	s := graphtest.NewServer(t)
	h := gqlhttp.NewHandler(gqlhttp.Options{Store: s.Store, Loaders: s.Metrics, Operations: s.Metrics})
	body := `{"query":"query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name featuredProducts { sku } } } } }","variables":{"r":[{"__typename":"Profile","id":"2001"}]}}`
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	before := s.Metrics.DBQueries()
	h.ServeHTTP(rec, req)
	if n := s.Metrics.DBQueries() - before; n != 0 {
		t.Errorf("%v statements for a request whose client had gone", n)
	}
	if out := rec.Body.String(); !strings.Contains(out, `"request canceled"`) {
		t.Errorf("graphtest.Response %s, want request canceled", out)
	}
}
