package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
	"github.com/shop-subgraph/shop/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

const profileShopQuery = `query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Profile { id shop { name status featuredProducts { sku } } }
  }
}`

func TestProfileShop(t *testing.T) {
	s := graphtest.NewServer(t)
	tests := []struct {
		profile string
		want    string
	}{
		{"2001", `{"id":"2001","shop":{"name":"Acme Outdoor","status":"ACTIVE","featuredProducts":[{"sku":"A1"},{"sku":"A2"},{"sku":"A5"}]}}`},
		{"2002", `{"id":"2002","shop":{"name":"Tokyo Tea","status":"ACTIVE","featuredProducts":[{"sku":"J1"}]}}`},
		{"2004", `{"id":"2004","shop":null}`}, // DRAFT
		{"2005", `{"id":"2005","shop":{"name":"Plain Goods","status":"ACTIVE","featuredProducts":[]}}`},
		{"2099", `{"id":"2099","shop":null}`}, // no shop
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			r, _ := s.Post(t, profileShopQuery, map[string]any{"reps": []any{graphtest.ProfileRep(tt.profile)}})
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			want := `{"_entities":[` + tt.want + `]}`
			if got := string(r.Data); got != want {
				t.Errorf("got %s\nwant %s", got, want)
			}
		})
	}
}

func TestTweetShop(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { id shop { name } } } }`
	reps := []any{
		map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2002"}},
		map[string]any{"__typename": "Tweet", "id": "t2", "author": map[string]any{"id": "2099"}},
		map[string]any{"__typename": "Tweet", "id": "t3", "author": map[string]any{"id": "2004"}},
	}
	var got struct{ Entities []map[string]any }
	s.Data(t, strings.Replace(q, "_entities", "entities: _entities", 1), map[string]any{"reps": reps}, &got)
	want := []map[string]any{
		{"id": "t1", "shop": map[string]any{"name": "Tokyo Tea"}},
		{"id": "t2", "shop": nil},
		{"id": "t3", "shop": nil},
	}
	if diff := cmp.Diff(want, got.Entities); diff != "" {
		t.Errorf("tweets (-want +got):\n%s", diff)
	}
}

func TestFeaturedProductsFirst(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!, $first: Int) {
	  _entities(representations: $reps) { ... on Profile { shop { featuredProducts(first: $first) { sku } } } }
	}`
	reps := []any{graphtest.ProfileRep("2001")}
	for first, want := range map[int]string{1: `[{"sku":"A1"}]`, 2: `[{"sku":"A1"},{"sku":"A2"}]`, 5: `[{"sku":"A1"},{"sku":"A2"},{"sku":"A5"}]`} {
		var got struct {
			Entities []struct {
				Shop struct{ FeaturedProducts json.RawMessage }
			} `json:"_entities"`
		}
		s.Data(t, q, map[string]any{"reps": reps, "first": first}, &got)
		if string(got.Entities[0].Shop.FeaturedProducts) != want {
			t.Errorf("first %d: got %s, want %s", first, got.Entities[0].Shop.FeaturedProducts, want)
		}
	}
	for _, first := range []int{0, -1, 6} {
		e := s.WantError(t, q, map[string]any{"reps": reps, "first": first}, "BAD_USER_INPUT")
		if want := []any{"_entities", 0.0, "shop", "featuredProducts"}; !cmp.Equal(e.Path, want) {
			t.Errorf("first %d: error path %v, want %v", first, e.Path, want)
		}
	}
}

func TestMoney(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile {
	  shop { featuredProducts(first: 1) { price { amount currencyCode } compareAtPrice { amount currencyCode } } } } } }`
	tests := []struct{ profile, want string }{
		{"2001", `{"price":{"amount":"199.00","currencyCode":"USD"},"compareAtPrice":{"amount":"249.00","currencyCode":"USD"}}`},
		{"2002", `{"price":{"amount":"1500","currencyCode":"JPY"},"compareAtPrice":null}`},
		{"2003", `{"price":{"amount":"1.250","currencyCode":"KWD"},"compareAtPrice":{"amount":"2.000","currencyCode":"KWD"}}`},
	}
	for _, tt := range tests {
		var got struct {
			Entities []struct {
				Shop struct{ FeaturedProducts []json.RawMessage }
			} `json:"_entities"`
		}
		s.Data(t, q, map[string]any{"reps": []any{graphtest.ProfileRep(tt.profile)}}, &got)
		if g := string(got.Entities[0].Shop.FeaturedProducts[0]); g != tt.want {
			t.Errorf("%s: got %s, want %s", tt.profile, g, tt.want)
		}
	}
}

type page struct {
	Edges    []struct{ Cursor string }
	Nodes    []struct{ Sku string }
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	TotalCount int
}

func TestProductsPagination(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!, $first: Int, $after: String) { _entities(representations: $reps) { ... on Profile { shop {
	  products(first: $first, after: $after) { edges { cursor } nodes { sku } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } } } } }`
	reps := []any{graphtest.ProfileRep("2001")}
	var skus []string
	var after any
	for i := 0; ; i++ {
		var got struct {
			Entities []struct{ Shop struct{ Products page } } `json:"_entities"`
		}
		s.Data(t, q, map[string]any{"reps": reps, "first": 3, "after": after}, &got)
		p := got.Entities[0].Shop.Products
		if p.TotalCount != 7 {
			t.Errorf("page %d: totalCount %d, want 7", i, p.TotalCount)
		}
		if p.PageInfo.HasPreviousPage != (i > 0) {
			t.Errorf("page %d: hasPreviousPage %v", i, p.PageInfo.HasPreviousPage)
		}
		for j, n := range p.Nodes {
			skus = append(skus, n.Sku)
			if p.Edges[j].Cursor == "" {
				t.Errorf("page %d: empty cursor", i)
			}
		}
		if len(p.Nodes) > 0 && *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor {
			t.Errorf("page %d: endCursor is not the last edge's cursor", i)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		after = *p.PageInfo.EndCursor
	}
	if want := []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7"}; !cmp.Equal(skus, want) {
		t.Errorf("catalogue order %v, want %v", skus, want)
	}

	for _, tt := range []struct {
		name  string
		first any
		after any
	}{
		{"first 0", 0, nil},
		{"first 101", 101, nil},
		{"garbage cursor", 3, "not-a-cursor"},
		{"shop cursor for products", 3, "czox"}, // "s:1": a cursor of another list
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.WantError(t, q, map[string]any{"reps": reps, "first": tt.first, "after": tt.after}, "BAD_USER_INPUT")
		})
	}
}

func TestQueryShops(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($first: Int, $after: String) { shops(first: $first, after: $after) {
	  nodes { name } edges { cursor } pageInfo { hasNextPage endCursor } totalCount } }`
	var got struct {
		Shops struct {
			Nodes    []struct{ Name string }
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
			TotalCount int
		}
	}
	s.Data(t, q, map[string]any{"first": 2}, &got)
	if got.Shops.TotalCount != 4 || !got.Shops.PageInfo.HasNextPage || len(got.Shops.Nodes) != 2 || got.Shops.Nodes[0].Name != "Acme Outdoor" {
		t.Fatalf("first page: %+v", got.Shops)
	}
	var names []string
	for _, n := range got.Shops.Nodes {
		names = append(names, n.Name)
	}
	s.Data(t, q, map[string]any{"first": 2, "after": got.Shops.PageInfo.EndCursor}, &got)
	for _, n := range got.Shops.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"Acme Outdoor", "Tokyo Tea", "Gulf Pearls", "Plain Goods"}; !cmp.Equal(names, want) || got.Shops.PageInfo.HasNextPage {
		t.Errorf("active shops %v (hasNextPage %v), want %v and no next page", names, got.Shops.PageInfo.HasNextPage, want)
	}
	s.WantError(t, q, map[string]any{"first": 0}, "BAD_USER_INPUT")
	s.WantError(t, q, map[string]any{"after": "bad"}, "BAD_USER_INPUT")
}

// shopAndProductIDs returns the ids of profile 2001's shop and its first product.
func shopAndProductIDs(t *testing.T, s *graphtest.Server) (shopID, productID string) {
	var got struct {
		Entities []struct {
			Shop struct {
				ID       string
				Products struct{ Nodes []struct{ ID string } }
			}
		} `json:"_entities"`
	}
	s.Data(t, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { id products(first: 1) { nodes { id } } } } } }`,
		map[string]any{"reps": []any{graphtest.ProfileRep("2001")}}, &got)
	return got.Entities[0].Shop.ID, got.Entities[0].Shop.Products.Nodes[0].ID
}

func TestEntitiesOrderAndUnknowns(t *testing.T) {
	s := graphtest.NewServer(t)
	shopID, productID := shopAndProductIDs(t, s)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) {
	  __typename
	  ... on Product { id sku productShop: shop { name } }
	  ... on Shop { id name owner { id } }
	  ... on Profile { id shop { name } }
	  ... on Tweet { id shop { name } }
	} }`
	reps := []any{
		map[string]any{"__typename": "Tweet", "id": "t9", "author": map[string]any{"id": "2003"}},
		map[string]any{"__typename": "Product", "id": productID},
		map[string]any{"__typename": "Shop", "id": "999999"},       // unknown: null, no error
		map[string]any{"__typename": "Nope", "id": "1"},            // unknown type: error for this item
		map[string]any{"__typename": "Product", "id": "not-an-id"}, // unknown: null, no error
		map[string]any{"__typename": "Shop", "id": shopID},
		graphtest.ProfileRep("2099"),
	}
	r, _ := s.Post(t, q, map[string]any{"reps": reps})
	var got struct {
		Entities []json.RawMessage `json:"_entities"`
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"__typename":"Tweet","id":"t9","shop":{"name":"Gulf Pearls"}}`,
		`{"__typename":"Product","id":"` + productID + `","sku":"A1","productShop":{"name":"Acme Outdoor"}}`,
		`null`,
		`null`,
		`null`,
		`{"__typename":"Shop","id":"` + shopID + `","name":"Acme Outdoor","owner":{"id":"2001"}}`,
		`{"__typename":"Profile","id":"2099","shop":null}`,
	}
	var gotS []string
	for _, e := range got.Entities {
		gotS = append(gotS, string(e))
	}
	if diff := cmp.Diff(want, gotS); diff != "" {
		t.Errorf("_entities (-want +got):\n%s", diff)
	}
	if len(r.Errors) != 1 {
		t.Fatalf("errors %+v, want one for the unknown __typename", r.Errors)
	}
	e := r.Errors[0]
	if !cmp.Equal(e.Path, []any{"_entities", 3.0}) || e.Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(e.Message, `"Nope"`) {
		t.Errorf("error %+v, want BAD_USER_INPUT at [_entities 3] naming Nope", e)
	}
}

// A representation that is not an object cannot be read at all: the call is
// the caller's error, BAD_USER_INPUT naming the index, not an internal one.
func TestRepresentationNotAnObject(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { id } } }`
	for _, tc := range []struct {
		reps any
		msg  string
	}{
		{[]any{1}, "representations[0] must be an object (a representation with a __typename)"},
		{[]any{graphtest.ProfileRep("2001"), "x"}, "representations[1] must be an object (a representation with a __typename)"},
		{"notalist", "representations[0] must be an object (a representation with a __typename)"},
	} {
		e := s.WantError(t, q, map[string]any{"reps": tc.reps}, "BAD_USER_INPUT")
		if e.Message != tc.msg || !cmp.Equal(e.Path, []any{"_entities"}) {
			t.Errorf("%v: error %+v, want %q at [_entities]", tc.reps, e, tc.msg)
		}
	}
	// Inline, too.
	e := s.WantError(t, `{ _entities(representations: [1]) { ... on Profile { id } } }`, nil, "BAD_USER_INPUT")
	if e.Message != "representations[0] must be an object (a representation with a __typename)" {
		t.Errorf("inline: %+v", e)
	}
}

func TestRepresentationWithoutKey(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { id shop { name } } } }`
	reps := []any{
		graphtest.ProfileRep("2001"),
		map[string]any{"__typename": "Profile"},
		map[string]any{"__typename": "Product", "id": nil},
		map[string]any{"__typename": "Shop"},
	}
	r, _ := s.Post(t, q, map[string]any{"reps": reps})
	if want := `{"_entities":[{"id":"2001","shop":{"name":"Acme Outdoor"}},null,null,null]}`; string(r.Data) != want {
		t.Errorf("data %s, want %s", r.Data, want)
	}
	if len(r.Errors) != 3 {
		t.Fatalf("errors %+v, want one for each representation without its key", r.Errors)
	}
	for i, e := range r.Errors {
		if !cmp.Equal(e.Path, []any{"_entities", float64(i + 1)}) || e.Extensions["code"] != "BAD_USER_INPUT" || !strings.Contains(e.Message, `key field "id"`) {
			t.Errorf("error %d: %+v", i, e)
		}
	}
}

// TestMalformedRepresentations: a key or an @external field of the wrong
// shape fails its own item, not its type's whole group.
func TestMalformedRepresentations(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { name } } ... on Tweet { shop { name } } } }`
	for _, bad := range []map[string]any{
		{"__typename": "Tweet", "id": "t1", "author": "2001"},
		{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": []any{"2001"}}},
		{"__typename": "Tweet", "id": map[string]any{"a": 1}, "author": map[string]any{"id": "2001"}},
		{"__typename": "Profile", "id": map[string]any{"a": 1}},
		{"__typename": "Profile", "id": true},
	} {
		reps := []any{
			map[string]any{"__typename": "Tweet", "id": "t0", "author": map[string]any{"id": "2001"}},
			bad,
			graphtest.ProfileRep("2002"),
		}
		r, _ := s.Post(t, q, map[string]any{"reps": reps})
		if want := `{"_entities":[{"shop":{"name":"Acme Outdoor"}},null,{"shop":{"name":"Tokyo Tea"}}]}`; string(r.Data) != want {
			t.Errorf("%v: data %s, want %s", bad, r.Data, want)
		}
		if len(r.Errors) != 1 || !cmp.Equal(r.Errors[0].Path, []any{"_entities", 1.0}) || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%v: errors %+v, want one BAD_USER_INPUT at [_entities 1]", bad, r.Errors)
		}
	}
	// Numbers are ids too, as gqlgen reads them.
	r, _ := s.Post(t, q, map[string]any{"reps": []any{map[string]any{"__typename": "Profile", "id": 2001}}})
	if want := `{"_entities":[{"shop":{"name":"Acme Outdoor"}}]}`; string(r.Data) != want || len(r.Errors) > 0 {
		t.Errorf("numeric id: %s %+v", r.Data, r.Errors)
	}
}

func TestTweetWithoutAuthor(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { id shop { name } } } }`
	reps := []any{
		map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2001"}},
		map[string]any{"__typename": "Tweet", "id": "t2"},
	}
	r, _ := s.Post(t, q, map[string]any{"reps": reps})
	if want := `{"_entities":[{"id":"t1","shop":{"name":"Acme Outdoor"}},null]}`; string(r.Data) != want {
		t.Errorf("data %s, want %s", r.Data, want)
	}
	if len(r.Errors) != 1 || !cmp.Equal(r.Errors[0].Path, []any{"_entities", 1.0}) || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("errors %+v, want one BAD_USER_INPUT at [_entities 1]", r.Errors)
	}
}

func TestQueryShopAndProduct(t *testing.T) {
	s := graphtest.NewServer(t)
	shopID, productID := shopAndProductIDs(t, s)
	var got struct {
		Shop    *struct{ Name string }
		Product *struct {
			Title string
			Image struct {
				URL           string
				AltText       string
				Width, Height int
			}
			Availability, Condition, Brand string
		}
		NoShop    *struct{ Name string }
		NoProduct *struct{ Title string }
	}
	s.Data(t, `query($s: ID!, $p: ID!) { shop(id: $s) { name } product(id: $p) { title image { url altText width height } availability condition brand }
	  noShop: shop(id: "424242") { name } noProduct: product(id: "x") { title } }`, map[string]any{"s": shopID, "p": productID}, &got)
	if got.Shop == nil || got.Shop.Name != "Acme Outdoor" || got.NoShop != nil || got.NoProduct != nil {
		t.Fatalf("got %+v", got)
	}
	p := got.Product
	if p.Title != "Two-person tent" || p.Image.URL != "https://img.acme.example/a1.jpg" || p.Image.AltText != "A green tent" ||
		p.Image.Width != 800 || p.Availability != "IN_STOCK" || p.Condition != "NEW" || p.Brand != "Acme" {
		t.Errorf("product %+v", p)
	}
}

// TestStatementBudget checks SPEC §2's cost contract: an _entities call asking
// shop { featuredProducts } runs at most 2 statements, whatever its size, and
// one more per further list level.
func TestStatementBudget(t *testing.T) {
	s := graphtest.NewServer(t)
	authors := []string{"2001", "2002", "2003", "2004", "2005", "2099"}
	reps := func(n int, tweets bool) []any {
		out := make([]any, n)
		for i := range out {
			a := authors[i%len(authors)]
			if tweets {
				out[i] = map[string]any{"__typename": "Tweet", "id": fmt.Sprint("t", i), "author": map[string]any{"id": a}}
			} else {
				out[i] = graphtest.ProfileRep(fmt.Sprint(a, "-", i/len(authors))) // mostly unknown profiles
				if i < len(authors) {
					out[i] = graphtest.ProfileRep(a)
				}
			}
		}
		return out
	}
	featured := `shop { id name storeUrl featuredProducts { id title url image { url } price { amount currencyCode } } }`
	deep := `shop { name featuredProducts { sku } products(first: 2) { nodes { sku } totalCount } }`
	for _, tt := range []struct {
		name      string
		selection string
		max       int
	}{
		{"featured", featured, 2},
		{"featured and products page and count", deep, 4},
		{"shop only", `shop { name }`, 1},
		{"featured with their shop", `shop { featuredProducts { title shop { name } } products(first: 2) { nodes { shop { id } } } }`, 3},
	} {
		for _, n := range []int{1, 50, 500} {
			for _, tweets := range []bool{true, false} {
				typ := "Profile"
				if tweets {
					typ = "Tweet"
				}
				t.Run(fmt.Sprintf("%s/%d %s", tt.name, n, typ), func(t *testing.T) {
					q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on ` + typ + ` { ` + tt.selection + ` } } }`
					s.WithinBudget(t, q, map[string]any{"reps": reps(n, tweets)}, tt.max, "")
				})
			}
		}
	}
	t.Run("profiles and tweets in one batch", func(t *testing.T) {
		var mixed []any
		for i, r := range reps(250, true) {
			mixed = append(mixed, r, graphtest.ProfileRep(authors[i%len(authors)]))
		}
		q := `query($reps: [_Any!]!) { _entities(representations: $reps) {
		  ... on Profile { ` + featured + ` } ... on Tweet { ` + featured + ` } } }`
		s.WithinBudget(t, q, map[string]any{"reps": mixed}, 2, "")
	})
	t.Run("products with their shops", func(t *testing.T) {
		var reps []any
		for i := range 70 {
			reps = append(reps, map[string]any{"__typename": "Product", "id": fmt.Sprint(1 + i%11)})
		}
		s.WithinBudget(t, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { sku shop { name } } } }`, map[string]any{"reps": reps}, 2, " (products by ids, shops by ids)")
	})
	t.Run("through an _Entity fragment", func(t *testing.T) {
		// gqlgen executes fields under `... on _Entity`; the prefetch must
		// find them too, or each carousel loads alone.
		q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on _Entity { ...E } } }
		  fragment E on _Entity { ... on Tweet { ` + featured + ` } }`
		s.WithinBudget(t, q, map[string]any{"reps": reps(500, true)}, 2, "")
	})
	t.Run("two aliases of one page, one counted", func(t *testing.T) {
		q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop {
		  a: products(first: 2) { nodes { sku } } b: products(first: 2) { totalCount } } } } }`
		s.WithinBudget(t, q, map[string]any{"reps": reps(500, false)}, 3, " (shops, products page, counts)")
	})
	// Hive Gateway plans a timeline as two requests: the tweets' shops with
	// a bare carousel, then, in one operation, the authors' shops beside
	// Shop representations carrying the carousel. Counted per operation,
	// both together cost what Apollo Gateway's one request costs, plus the
	// owners' shops read once more.
	t.Run("Hive Gateway's plan", func(t *testing.T) {
		const first = `query($representations:[_Any!]!){_entities(representations:$representations){__typename ...on Tweet{shop{__typename name id featuredProducts{__typename}}id}}}`
		const second = `query($_v0_representations:[_Any!]!$_v1_representations:[_Any!]!){_v0__entities:_entities(representations:$_v0_representations){__typename ...on Profile{shop{name}}}_v1__entities:_entities(representations:$_v1_representations){__typename ...on Shop{featuredProducts{sku title price{amount currencyCode}url}}}}`
		var perTimeline []int
		for _, n := range []int{5, 500} {
			tweets := reps(n, true)
			r1, stmts1 := s.Post(t, first, map[string]any{"representations": tweets})
			if len(r1.Errors) > 0 {
				t.Fatalf("%+v", r1.Errors)
			}
			var got struct {
				Entities []struct{ Shop *struct{ ID string } } `json:"_entities"`
			}
			if err := json.Unmarshal(r1.Data, &got); err != nil {
				t.Fatal(err)
			}
			var profiles, shops []any
			seen := map[string]bool{}
			for i, e := range got.Entities {
				author := tweets[i].(map[string]any)["author"].(map[string]any)["id"].(string)
				if !seen[author] {
					seen[author] = true
					profiles = append(profiles, graphtest.ProfileRep(author))
				}
				if e.Shop != nil && !seen[e.Shop.ID] {
					seen[e.Shop.ID] = true
					shops = append(shops, map[string]any{"__typename": "Shop", "id": e.Shop.ID})
				}
			}
			r2, stmts2 := s.Post(t, second, map[string]any{"_v0_representations": profiles, "_v1_representations": shops})
			if len(r2.Errors) > 0 {
				t.Fatalf("%+v", r2.Errors)
			}
			perTimeline = append(perTimeline, stmts1+stmts2)
		}
		// Apollo Gateway's plan of the same timeline costs 3 (docs/gateway.md).
		// The first request's bare carousels come with their shops' rows.
		if perTimeline[0] != perTimeline[1] || perTimeline[1] > 3 {
			t.Errorf("statements a timeline for 5 and 500 tweets: %v, want the same and at most 3", perTimeline)
		}
	})
	t.Run("shops list with carousels", func(t *testing.T) {
		s.WithinBudget(t, `{ shops(first: 100) { nodes { name featuredProducts { sku } } edges { node { products(first: 1) { nodes { sku } } } } } }`, nil, 3, " (shops, featured, products page)")
	})
}

// TestCarouselColumns: a carousel whose selection needs only a card's fields
// is read with store.CardColumns, one that needs only its products' ids
// with store.KeyColumns, from its shop's row; each product field, asked for
// alone, has the value it has with every field asked for, so no field is
// read from a column a card leaves out.
func TestCarouselColumns(t *testing.T) {
	s := graphtest.NewServer(t)
	fields := []string{"id", "sku", "title", "description", "url", "image { url altText width height }",
		"price { amount currencyCode }", "compareAtPrice { amount currencyCode }", "availability", "condition",
		"brand", "createdAt", "updatedAt", "shop { id }", "__typename"}
	reps := map[string]any{"reps": []any{graphtest.ProfileRep("2001"), graphtest.ProfileRep("2002"), graphtest.ProfileRep("2003")}}
	carousels := func(selection string) []map[string]json.RawMessage {
		t.Helper()
		var got struct {
			Entities []struct {
				Shop struct{ FeaturedProducts []map[string]json.RawMessage }
			} `json:"_entities"`
		}
		s.Data(t, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { featuredProducts { `+selection+` } } } } }`, reps, &got)
		var out []map[string]json.RawMessage
		for _, e := range got.Entities {
			out = append(out, e.Shop.FeaturedProducts...)
		}
		return out
	}
	all := carousels(strings.Join(fields, " "))
	if len(all) != 5 {
		t.Fatalf("%d featured products, want 5", len(all))
	}
	for _, f := range fields {
		name, _, _ := strings.Cut(f, " ")
		for i, p := range carousels(f) {
			if string(p[name]) != string(all[i][name]) {
				t.Errorf("%s of product %d asked alone: %s, with every field: %s", name, i, p[name], all[i][name])
			}
		}
	}
	t.Run("keys for a carousel asked only its products' __typename or id", func(t *testing.T) {
		// The shops' rows keep their carousels' keys: read with the shops,
		// such a carousel costs no statement of its own.
		var before [3]float64
		statements := []string{"featured_keys_by_shop_ids", "featured_cards_by_shop_ids", "featured_products_by_shop_ids"}
		for i, name := range statements {
			before[i] = s.Metrics.DBQueriesNamed(name)
		}
		carousels("__typename id")
		for i, name := range statements {
			if n := s.Metrics.DBQueriesNamed(name) - before[i]; n != 0 {
				t.Errorf("%v statements %s, want none", n, name)
			}
		}
	})
	t.Run("cards for the timeline", func(t *testing.T) {
		before := s.Metrics.DBQueriesNamed("featured_cards_by_shop_ids")
		carousels("id title url image { url } price { amount currencyCode }")
		if n := s.Metrics.DBQueriesNamed("featured_cards_by_shop_ids") - before; n != 1 {
			t.Errorf("%v card statements, want 1", n)
		}
	})
	// One choice of columns for the whole request: a carousel needing more
	// columns anywhere in the operation makes every carousel use them, so
	// no shop's carousel is loaded twice, whichever field asks first.
	for _, tt := range []struct{ name, query, statement string }{
		{"a card and a full carousel of one shop", `{ shops(first: 10) { nodes { a: featuredProducts { title } b: featuredProducts { description } } } }`, "featured_products_by_shop_ids"},
		{"a full carousel nested under a card one", `{ shops(first: 10) { nodes { featuredProducts { title }
		  products(first: 2) { nodes { shop { featuredProducts { description } } } } } } }`, "featured_products_by_shop_ids"},
		{"two carousels of a shop nothing prefetched", `{ product(id: "1") { shop { a: featuredProducts { title } b: featuredProducts { description } } } }`, "featured_products_by_shop_ids"},
		{"keys and a full carousel", `{ shops(first: 10) { nodes { a: featuredProducts { id } b: featuredProducts { ... on Product { brand } } } } }`, "featured_products_by_shop_ids"},
		{"keys and cards", `{ shops(first: 10) { nodes { a: featuredProducts { id } b: featuredProducts { title sku } } } }`, "featured_cards_by_shop_ids"},
		{"keys nested under a full carousel's fragment", `{ shops(first: 10) { nodes { featuredProducts { id } ...F } } } fragment F on Shop { b: featuredProducts { createdAt } }`, "featured_products_by_shop_ids"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Metrics.DBQueriesNamed(tt.statement)
			if r, _ := s.Post(t, tt.query, nil); len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			if s.Metrics.DBQueriesNamed(tt.statement) == before {
				t.Errorf("no %s: the carousels were not read with the columns the one that needs most asks", tt.statement)
			}
			var counts []int
			for range 20 {
				r, stmts := s.Post(t, tt.query, nil)
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				counts = append(counts, stmts)
			}
			for _, n := range counts[1:] {
				if n != counts[0] || n > 3 {
					t.Fatalf("statements over 20 runs: %v, want the same each time, at most 3", counts)
				}
			}
		})
	}
}

// TestFailedLoadRunsOnce: a batch that fails is not run again by each field
// that needed it; each reports the error at its own path.
func TestFailedLoadRunsOnce(t *testing.T) {
	s := graphtest.NewServer(t)
	pools := s.Store.Pools()
	db := pools["write"] // SQLite
	if db == nil {
		db = pools["main"] // PostgreSQL
	}
	if _, err := db.Exec(`ALTER TABLE featured_products RENAME TO featured_products_gone`); err != nil {
		t.Fatal(err)
	}
	var reps []any
	for i := range 60 {
		reps = append(reps, map[string]any{"__typename": "Tweet", "id": fmt.Sprint("t", i), "author": map[string]any{"id": "2001"}},
			map[string]any{"__typename": "Tweet", "id": fmt.Sprint("u", i), "author": map[string]any{"id": "2002"}})
	}
	r, stmts := s.Post(t, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { shop { name featuredProducts { sku } } } } }`, map[string]any{"reps": reps})
	if len(r.Errors) != len(reps) {
		t.Fatalf("%d errors, want one per tweet: %+v", len(r.Errors), r.Errors)
	}
	for i, e := range r.Errors {
		if len(e.Path) != 4 || e.Path[0] != "_entities" || e.Path[2] != "shop" || e.Path[3] != "featuredProducts" {
			t.Errorf("error %d at %v", i, e.Path)
		}
	}
	if stmts != 2 {
		t.Errorf("%d statements, want 2: the shops, and the carousels' failed one once", stmts)
	}
}

func TestGETAndService(t *testing.T) {
	s := graphtest.NewServer(t)
	res, err := http.Get(s.URL + "?query=" + url.QueryEscape(`{ _service { sdl } }`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		Data struct {
			Service struct{ SDL string } `json:"_service"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	sdl := r.Data.Service.SDL
	for _, want := range []string{`@link(url: "https://specs.apollo.dev/federation/v2.9"`, `@composeDirective(name: "@cacheControl")`, `type Tweet @key(fields: "id")`, `@requires(fields: "author { id }")`, `type PageInfo @shareable`} {
		if !strings.Contains(sdl, want) {
			t.Errorf("_service.sdl lacks %s", want)
		}
	}
	if strings.Contains(sdl, "entityResolver") || strings.Contains(sdl, "goField") {
		t.Errorf("_service.sdl leaks gqlgen directives")
	}
}

// benchTimeline is the body of a timeline request of n Tweet
// representations, a fifth by merchants, asking for their carousels.
func benchTimeline(n int) []byte {
	authors := []string{"2001", "2002", "2003", "2005"}
	reps := make([]any, n)
	for i := range reps {
		a := fmt.Sprint(3000 + i)
		if i%5 == 0 {
			a = authors[i/5%len(authors)]
		}
		reps[i] = map[string]any{"__typename": "Tweet", "id": fmt.Sprint(i), "author": map[string]any{"id": a}}
	}
	body, _ := json.Marshal(map[string]any{
		"query":     `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { shop { id name storeUrl featuredProducts { id title url image { url } price { amount currencyCode } } } } } }`,
		"variables": map[string]any{"reps": reps},
	})
	return body
}

// BenchmarkTimeline100 is the hot path: one _entities request with 100 Tweet
// representations (about 20% by merchants) asking for their authors' carousels.
func BenchmarkTimeline100(b *testing.B) {
	s := graphtest.NewServer(b)
	body := benchTimeline(100)
	before := s.Metrics.DBQueries()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := http.Post(s.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var r graphtest.Response
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
			b.Fatalf("%v %+v", err, r.Errors)
		}
		res.Body.Close()
	}
	b.ReportMetric((s.Metrics.DBQueries()-before)/float64(b.N), "statements/op")
}

// BenchmarkEntities measures the subgraph's own cost of an _entities
// request of 1, 10, 100 and 1,000 Tweet representations (a fifth by
// merchants, asking for their carousels), through the handler without a
// network: the fixed cost of a request dominates the small ones.
func BenchmarkEntities(b *testing.B) {
	s := graphtest.NewServer(b)
	h := gqlhttp.NewHandler(gqlhttp.Options{Store: s.Store, Loaders: s.Metrics, Operations: s.Metrics})
	for _, n := range []int{1, 10, 100, 1000} {
		body := benchTimeline(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}
