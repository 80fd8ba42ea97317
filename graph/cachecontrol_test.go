package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/graphtest"
)

// TestCacheControl: every response has the Cache-Control its fields'
// hints and the rules give it, on both execution paths.
func TestCacheControl(t *testing.T) {
	servers := graphtest.BothPaths(t, graphtest.WithTokens(t), graphtest.WithCache(time.Hour))
	owner := map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2004")}
	tweets := []any{
		map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2001"}},
		map[string]any{"__typename": "Tweet", "id": "t2", "author": map[string]any{"id": "2004"}},
	}
	const timeline = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Tweet { shop { name featuredProducts { title price { amount } } } } } }`
	for _, tt := range []struct {
		name    string
		query   string
		vars    map[string]any
		headers map[string]string
		want    string
	}{
		{"an anonymous timeline", timeline, map[string]any{"r": tweets}, nil, "public, max-age=300"},
		{"a timeline read with a token, answered as to anyone", timeline, map[string]any{"r": tweets}, owner, "public, max-age=300"},
		{"the owner's preview of a draft", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name status } } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2004")}}, owner, "private, max-age=300"},
		{"another viewer's profile, with a token", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name status } } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2001"), graphtest.ProfileRep("2002")}}, owner, "public, max-age=300"},
		{"a draft hidden from another signed-in viewer, whose answer turned on the token", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name } } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2004")}}, map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2001")}, "private, max-age=300"},
		{"a draft hidden from an anonymous viewer", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name } } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2004")}}, nil, "public, max-age=300"},
		{"a profile's id beside a shop, signed in: its shop is not asked, so not private", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Shop { name } ... on Profile { id } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2004"), map[string]any{"__typename": "Shop", "id": "1"}}}, map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2001")}, "public, max-age=300"},
		{"myShop", `{ myShop { name } }`, nil, owner, "private, max-age=60"},
		{"insights", `{ shop(id: "1") { name insights(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { clicks } } }`, nil, nil, "private, max-age=60"},
		{"a catalogue page", `{ shops(first: 2) { nodes { name products(first: 2) { nodes { sku image { url } } pageInfo { hasNextPage } totalCount } } } }`, nil, nil, "public, max-age=300"},
		{"Shop and Product entities", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Shop { name } ... on Product { sku shop { name } } } }`,
			map[string]any{"r": []any{map[string]any{"__typename": "Shop", "id": "1"}, map[string]any{"__typename": "Product", "id": "1"}}}, nil, "public, max-age=300"},
		{"a shop's owner inherits", `{ shop(id: "1") { owner { id } } }`, nil, nil, "public, max-age=300"},
		{"tweets' ids alone: no hint, the default of 0", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Tweet { id } } }`, map[string]any{"r": tweets}, nil, "no-store"},
		{"a root field without a hint", `{ _service { sdl } }`, nil, nil, "no-store"},
		{"an error", `{ shop(id: "1") { featuredProducts(first: 9) { sku } } }`, nil, nil, "no-store"},
		{"a mutation", `mutation { setShopStatus(shopId: "4", status: DRAFT) { shop { status } userErrors { code } } }`, nil, owner, "no-store"},
		{"a refused operation", `{ shops { nodes { name } } ... on Query @defer { __typename } }`, nil, nil, "no-store"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, s := range servers {
				_, _, h := s.PostRaw(t, tt.headers, tt.query, tt.vars)
				if got := h.Get("Cache-Control"); got != tt.want {
					t.Errorf("%s: Cache-Control %q, want %q", []string{"direct path", "executor"}[i], got, tt.want)
				}
			}
		})
	}
	t.Run("a traced request", func(t *testing.T) {
		_, _, h := servers[0].PostRaw(t, map[string]string{"Apollo-Federation-Include-Trace": "ftv1"}, timeline, map[string]any{"r": tweets})
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", got)
		}
	})
	t.Run("a request refused before GraphQL", func(t *testing.T) {
		res, err := http.Post(servers[0].URL, "text/plain", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Cache-Control"); res.StatusCode != http.StatusUnsupportedMediaType || got != "no-store" {
			t.Errorf("status %d, Cache-Control %q, want 415 and no-store", res.StatusCode, got)
		}
	})
}

// TestCacheVaryAuthorization: an anonymous answer that hides a shop its
// owner would see as a preview is public, and varies by Authorization.
func TestCacheVaryAuthorization(t *testing.T) {
	q := `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name } } } }`
	for i, s := range graphtest.BothPaths(t, graphtest.WithTokens(t), graphtest.WithCache(time.Hour)) {
		_, _, h := s.PostRaw(t, nil, q, map[string]any{"r": []any{graphtest.ProfileRep("2004")}})
		if got := h.Get("Cache-Control"); got != "public, max-age=300" || !slices.Contains(h.Values("Vary"), "Authorization") {
			t.Errorf("server %d: Cache-Control %q, Vary %q; want public and Vary: Authorization", i, got, h.Values("Vary"))
		}
		_, _, h = s.PostRaw(t, nil, q, map[string]any{"r": []any{graphtest.ProfileRep("2001")}})
		if slices.Contains(h.Values("Vary"), "Authorization") {
			t.Errorf("server %d: an active shop's answer varies by Authorization", i)
		}
	}
}

// TestCacheTagsAndInvalidation: an _entities response names each entity's
// cache tags; a mutation's response names what it changed.
func TestCacheTagsAndInvalidation(t *testing.T) {
	for i, s := range graphtest.BothPaths(t, graphtest.WithTokens(t), graphtest.WithCache(time.Hour)) {
		reps := []any{
			map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2001"}},
			graphtest.ProfileRep("2099"),
			map[string]any{"__typename": "Shop", "id": "1"},
			map[string]any{"__typename": "Product", "id": "2"},
		}
		r, _ := s.Post(t, `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Tweet { shop { name } } } }`, map[string]any{"r": reps})
		got := fmt.Sprint(r.Extensions["apolloEntityCacheTags"])
		if want := "[[shop-1] [profile-2099] [shop-1] [product-2 shop-1]]"; got != want {
			t.Errorf("server %d: apolloEntityCacheTags %s, want %s", i, got, want)
		}
	}
	s := graphtest.NewServer(t, graphtest.WithTokens(t), graphtest.WithCache(time.Hour))
	r := postWith(t, s.URL, "Bearer "+graphtest.Token(t, "2001"), `mutation { updateShop(input: {shopId: "1", name: "Acme Two"}) { userErrors { code } } }`, nil)
	inv, _ := json.Marshal(r.Extensions["invalidation"])
	if want := `[{"key":{"id":"1"},"kind":"entity","subgraph":"shop","type":"Shop"},{"key":{"id":"2001"},"kind":"entity","subgraph":"shop","type":"Profile"}]`; string(inv) != want {
		t.Errorf("invalidation %s, want %s", inv, want)
	}
	// upsertProducts names its products, their shop and its owner, whom
	// the mutation's transaction read: no statement after it, even for
	// the products' shop in the answer.
	r, stmts := s.PostHeaders(t, map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2001")},
		`mutation($p: [ProductInput!]!) { upsertProducts(shopId: "1", products: $p) { products { id shop { name } } userErrors { code } } }`,
		map[string]any{"p": []any{with(productVars("A1"), "title", "Tent, again")}})
	var up struct {
		UpsertProducts struct {
			Products []struct {
				ID   string
				Shop struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal(r.Data, &up); err != nil || len(up.UpsertProducts.Products) != 1 || up.UpsertProducts.Products[0].Shop.Name != "Acme Two" {
		t.Fatalf("upsertProducts: %s %+v", r.Data, r.Errors)
	}
	inv, _ = json.Marshal(r.Extensions["invalidation"])
	if want := `[{"key":{"id":"` + up.UpsertProducts.Products[0].ID + `"},"kind":"entity","subgraph":"shop","type":"Product"},` +
		`{"key":{"id":"1"},"kind":"entity","subgraph":"shop","type":"Shop"},{"key":{"id":"2001"},"kind":"entity","subgraph":"shop","type":"Profile"}]`; string(inv) != want {
		t.Errorf("upsertProducts: invalidation %s, want %s", inv, want)
	}
	if want := 4; stmts != want { // begin, the shop (locked), the upsert, commit
		t.Errorf("upsertProducts: %d statements, want %d", stmts, want)
	}
}
