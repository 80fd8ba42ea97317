// Package graphtest is for tests only: the GraphQL handler of
// internal/gqlhttp over a fresh store loaded with the tests' shops
// (shops.jsonl), and the helpers the tests of graph and of internal/gqlhttp
// share to send it requests and check its answers. A package whose tests use
// it calls storetest.Main from its TestMain, so that they run on SQLite and
// on PostgreSQL.
package graphtest

import (
	"bytes"
	"context"
	_ "embed"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/rollout"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// shops is the tests' data in the import format: shops of profiles 2001
// (USD, a featured list with unavailable products), 2002 (JPY), 2003 (KWD),
// 2004 (DRAFT), 2005 (nothing featured); profile 2099 has no shop. The e2e
// suite reads the same file (e2e/lib/testdata.mjs).
//
//go:embed shops.jsonl
var shops []byte

// LoadShops imports shops.jsonl into st.
func LoadShops(t testing.TB, st *store.Store) {
	t.Helper()
	src := catalog.Source{Name: "shops.jsonl", R: bytes.NewReader(shops)}
	if _, err := catalog.Import(context.Background(), st, []catalog.Source{src}, nil); err != nil {
		t.Fatal(err)
	}
}

// Server is the GraphQL handler over a fresh store loaded with shops.jsonl.
type Server struct {
	*httptest.Server
	// Metrics counts the store's statements, read by Post.
	Metrics *metrics.Metrics
	// Operations observes the server's operations and _entities calls:
	// Metrics, but for the executor of BothPaths, which has its own.
	Operations *metrics.Metrics
	Store      *store.Store
}

// NewServer returns a Server, closed when t ends, whose handler has the
// options opts set.
func NewServer(t testing.TB, opts ...func(*gqlhttp.Options)) *Server {
	t.Helper()
	m := metrics.New()
	st := storetest.Open(t, store.WithObserver(m))
	LoadShops(t, st)
	return serve(t, st, m, m, false, opts)
}

// BothPaths returns two servers over one store and one statement counter,
// with opts: the first answers _entities on the direct path, the second
// through gqlgen's executor alone.
func BothPaths(t testing.TB, opts ...func(*gqlhttp.Options)) [2]*Server {
	t.Helper()
	direct := NewServer(t, opts...)
	return [2]*Server{direct, serve(t, direct.Store, direct.Metrics, metrics.New(), true, opts)}
}

func serve(t testing.TB, st *store.Store, m, ops *metrics.Metrics, noDirectPath bool, opts []func(*gqlhttp.Options)) *Server {
	o := gqlhttp.Options{Store: st, Loaders: m, Operations: ops, NoDirectPath: noDirectPath}
	for _, opt := range opts {
		opt(&o)
	}
	srv := httptest.NewServer(gqlhttp.NewHandler(o))
	t.Cleanup(srv.Close)
	return &Server{Server: srv, Metrics: m, Operations: ops, Store: st}
}

// WithCache sets the handler's cache bound, -cache-max-age.
func WithCache(maxAge time.Duration) func(*gqlhttp.Options) {
	return func(o *gqlhttp.Options) { o.Cache.MaxAge = maxAge }
}

// WithRollout sets the handler's rollout rules, as the flags give them.
func WithRollout(t testing.TB, countries, languages, platforms, merchants string) func(*gqlhttp.Options) {
	t.Helper()
	rules, err := rollout.ParseRules(countries, languages, platforms, merchants)
	if err != nil {
		t.Fatal(err)
	}
	return func(o *gqlhttp.Options) { o.Rollout = rules }
}

// Secret is the HS256 secret that WithTokens verifies and Token signs with.
var Secret = []byte("test-secret-test-secret-test-secret!")

// WithTokens makes the handler accept HS256 tokens signed with Secret.
func WithTokens(t testing.TB) func(*gqlhttp.Options) {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: Secret})
	if err != nil {
		t.Fatal(err)
	}
	return func(o *gqlhttp.Options) { o.Auth = v }
}

// Token returns a valid HS256 token for sub, for an hour.
func Token(t testing.TB, sub string, scopes ...string) string {
	t.Helper()
	tok, err := auth.Sign(Secret, auth.Token{Subject: sub, Scopes: scopes, TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ProfileRep is the representation of the Profile id.
func ProfileRep(id string) map[string]any { return map[string]any{"__typename": "Profile", "id": id} }
