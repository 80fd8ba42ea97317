package gqlhttp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shop-subgraph/shop/graph"
)

// TestRawDataTransport: gqlgen's POST and GET transports wrapped in rawData
// answer every request as they do unwrapped, status, headers and body,
// except that the data's <, > and & are not escaped (json.HTMLEscape of the
// wrapped body gives the unwrapped body byte for byte). The requests cover
// the paths through the transports: data, data with errors, request errors
// before the operation (bad JSON, a query that does not validate, a missing
// persisted query, a mutation over GET) and both content types.
func TestRawDataTransport(t *testing.T) {
	newServer := func(wrap func(graphql.Transport) graphql.Transport) *httptest.Server {
		srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}))
		srv.AddTransport(wrap(transport.GET{}))
		srv.AddTransport(wrap(transport.POST{}))
		srv.Use(extension.Introspection{})
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](10)})
		s := httptest.NewServer(srv)
		t.Cleanup(s.Close)
		return s
	}
	plain := newServer(func(tr graphql.Transport) graphql.Transport { return tr })
	raw := newServer(func(tr graphql.Transport) graphql.Transport { return rawData{Transport: tr} })

	post := func(body string, header ...string) func(base string) (*http.Request, error) {
		return func(base string) (*http.Request, error) {
			r, err := http.NewRequest(http.MethodPost, base, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			for i := 0; i+1 < len(header); i += 2 {
				r.Header.Set(header[i], header[i+1])
			}
			return r, err
		}
	}
	get := func(query string) func(base string) (*http.Request, error) {
		return func(base string) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, base+"?query="+url.QueryEscape(query), nil)
		}
	}
	requests := map[string]func(string) (*http.Request, error){
		// The SDL's descriptions hold characters encoding/json escapes.
		"data":                 post(`{"query":"{ _service { sdl } __typename }"}`),
		"data and an error":    post(`{"query":"{ a: __typename _entities(representations: [{__typename: \"Nope\", id: \"1\"}]) { __typename } }"}`),
		"graphql-response":     post(`{"query":"{ __typename }"}`, "Accept", "application/graphql-response+json"),
		"bad JSON":             post(`{"query":`),
		"does not validate":    post(`{"query":"{ nope }"}`),
		"does not validate, 2": post(`{"query":"{ nope }"}`, "Accept", "application/graphql-response+json"),
		"persisted, unknown":   post(`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`),
		"GET":                  get(`{ _service { sdl } }`),
		"GET mutation":         get(`mutation { deleteShop { deletedShopId } }`),
	}
	for name, req := range requests {
		t.Run(name, func(t *testing.T) {
			want, wantStatus, wantType := roundTrip(t, req, plain.URL)
			got, status, typ := roundTrip(t, req, raw.URL)
			if status != wantStatus || typ != wantType {
				t.Errorf("status %d, Content-Type %q; unwrapped: %d, %q", status, typ, wantStatus, wantType)
			}
			var escaped bytes.Buffer
			json.HTMLEscape(&escaped, got)
			if !bytes.Equal(escaped.Bytes(), want) {
				t.Errorf("body\n%s\nHTML-escaped, differs from the unwrapped transport's\n%s", got, want)
			}
		})
	}
}

func roundTrip(t *testing.T, newReq func(string) (*http.Request, error), base string) ([]byte, int, string) {
	t.Helper()
	r, err := newReq(base)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, res.StatusCode, res.Header.Get("Content-Type")
}

// TestResponseParts: responseParts's three parts together are what
// encoding/json writes of a graphql.Response, for every member set and unset.
func TestResponseParts(t *testing.T) {
	yes := true
	for _, r := range []*graphql.Response{
		{},
		{Data: json.RawMessage(`{"a":[1,"x"]}`)},
		{Data: json.RawMessage(`null`)},
		{Errors: gqlerror.List{{Message: "m", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}, Extensions: map[string]any{"code": "X"}}}},
		{Data: json.RawMessage(`{}`), Label: "l", Path: ast.Path{ast.PathName("p")}, HasNext: &yes, Extensions: map[string]any{"k": 1}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := responseParts(r)
		if got := slices.Concat(parts[:]...); err != nil || !bytes.Equal(got, want) {
			t.Errorf("responseParts(%+v) = %s, %v; want %s", r, got, err, want)
		}
	}
}
