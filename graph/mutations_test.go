package graph_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
	"github.com/shop-subgraph/shop/internal/store"
)

// merchantServer is a graphtest.Server's data (shops.jsonl) behind a
// handler that verifies bearer tokens as newMerchantServer's auth.Config
// says.
type merchantServer struct {
	*httptest.Server
	store *store.Store
}

func newMerchantServer(t testing.TB, cfg auth.Config) *merchantServer {
	t.Helper()
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := graphtest.NewServer(t, func(o *gqlhttp.Options) { o.Auth = v })
	return &merchantServer{Server: s.Server, store: s.Store}
}

func newHS256Server(t testing.TB) *merchantServer {
	return newMerchantServer(t, auth.Config{Secret: graphtest.Secret})
}

// post sends a GraphQL request with the given bearer token ("" for none).
func (s *merchantServer) post(t testing.TB, tok, query string, vars map[string]any) graphtest.Response {
	t.Helper()
	return postWith(t, s.URL, "Bearer "+tok, query, vars)
}

func postWith(t testing.TB, url, authorization, query string, vars map[string]any) graphtest.Response {
	t.Helper()
	r, err := graphtest.PostTo(url, authHeader(authorization), query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// authHeader is the Authorization header to send: none for "Bearer " or "".
func authHeader(authorization string) map[string]string {
	if authorization == "Bearer " || authorization == "" {
		return nil
	}
	return map[string]string{"Authorization": authorization}
}

// data posts a request that must succeed without errors and decodes its
// data into out.
func (s *merchantServer) data(t testing.TB, tok, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.post(t, tok, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}

type userError struct {
	Field   []string
	Message string
	Code    string
}

// payload is any mutation payload.
type payload struct {
	Shop             *shopJSON
	Product          *productJSON
	Products         []productJSON
	DeletedProductID *string
	UserErrors       []userError
}

type shopJSON struct {
	ID               string
	Name             string
	Description      *string
	StoreURL         string
	Status           string
	Owner            struct{ ID string }
	FeaturedProducts []struct{ ID, Sku string }
	Products         struct {
		Nodes      []struct{ ID, Sku string }
		TotalCount int
	}
	UpdatedAt string
}

type productJSON struct {
	ID          string
	Sku         string
	Title       string
	Description *string
	URL         string
	Image       struct {
		URL           string
		AltText       *string
		Width, Height *int
	}
	Price          struct{ Amount, CurrencyCode string }
	CompareAtPrice *struct{ Amount, CurrencyCode string }
	Availability   string
	Condition      string
	Brand          *string
	Shop           struct{ ID string }
}

const shopFields = `id name description storeUrl status owner { id } featuredProducts { id sku } products(first: 100) { nodes { id sku } totalCount } updatedAt`
const productFields = `id sku title description url image { url altText width height } price { amount currencyCode } compareAtPrice { amount currencyCode } availability condition brand shop { id }`

// mutate runs one mutation that must not fail at the top level and returns
// its payload.
func (s *merchantServer) mutate(t testing.TB, tok, query string, vars map[string]any) payload {
	t.Helper()
	var got map[string]payload
	s.data(t, tok, query, vars, &got)
	for _, p := range got {
		return p
	}
	t.Fatal("no payload")
	return payload{}
}

// ok runs a mutation that must succeed without user errors.
func (s *merchantServer) ok(t testing.TB, tok, query string, vars map[string]any) payload {
	t.Helper()
	p := s.mutate(t, tok, query, vars)
	if len(p.UserErrors) > 0 {
		t.Fatalf("user errors: %+v", p.UserErrors)
	}
	return p
}

// myShop returns the shop of the token's profile, or nil.
func (s *merchantServer) myShop(t testing.TB, tok string) *shopJSON {
	t.Helper()
	var got struct{ MyShop *shopJSON }
	s.data(t, tok, `{ myShop { `+shopFields+` } }`, nil, &got)
	return got.MyShop
}

// snapshot is everything a shop shows its owner: what the tests compare to
// prove nothing was written.
func (s *merchantServer) snapshot(t testing.TB, tok string) string {
	t.Helper()
	r := s.post(t, tok, `{ myShop { `+shopFields+` products(first: 100) { nodes { `+productFields+` updatedAt } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	return string(r.Data)
}

const (
	createShop          = `mutation($input: CreateShopInput!) { createShop(input: $input) { shop { ` + shopFields + ` } userErrors { field message code } } }`
	updateShop          = `mutation($input: UpdateShopInput!) { updateShop(input: $input) { shop { ` + shopFields + ` } userErrors { field message code } } }`
	setShopStatus       = `mutation($shopId: ID!, $status: ShopStatus!) { setShopStatus(shopId: $shopId, status: $status) { shop { ` + shopFields + ` } userErrors { field message code } } }`
	createProduct       = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { ` + productFields + ` } userErrors { field message code } } }`
	updateProduct       = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { ` + productFields + ` } userErrors { field message code } } }`
	deleteProduct       = `mutation($id: ID!) { deleteProduct(id: $id) { deletedProductId userErrors { field message code } } }`
	upsertProducts      = `mutation($shopId: ID!, $products: [ProductInput!]!) { upsertProducts(shopId: $shopId, products: $products) { products { ` + productFields + ` } userErrors { field message code } } }`
	setFeaturedProducts = `mutation($shopId: ID!, $ids: [ID!]!) { setFeaturedProducts(shopId: $shopId, productIds: $ids) { shop { ` + shopFields + ` } userErrors { field message code } } }`
)

// productVars is a valid ProductInput.
func productVars(sku string) map[string]any {
	return map[string]any{
		"sku": sku, "title": "Product " + sku, "url": "https://acme.example/" + sku,
		"image": map[string]any{"url": "https://img.acme.example/" + sku + ".jpg"}, "price": "10.00", "currencyCode": "USD",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func skus(nodes []struct{ ID, Sku string }) []string {
	out := []string{}
	for _, n := range nodes {
		out = append(out, n.Sku)
	}
	return out
}

// ids returns the id of each SKU in the shop's catalogue.
func ids(shop *shopJSON) map[string]string {
	out := map[string]string{}
	for _, n := range shop.Products.Nodes {
		out[n.Sku] = n.ID
	}
	return out
}

func TestCreateShop(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2099")
	if got := s.myShop(t, tok); got != nil {
		t.Fatalf("myShop before createShop: %+v, want null", got)
	}
	p := s.ok(t, tok, createShop, map[string]any{"input": map[string]any{"name": "New Shop", "description": "Fresh.", "storeUrl": "https://new.example"}})
	sh := p.Shop
	if sh == nil || sh.Name != "New Shop" || *sh.Description != "Fresh." || sh.StoreURL != "https://new.example" || sh.Status != "DRAFT" ||
		sh.Owner.ID != "2099" || len(sh.FeaturedProducts) != 0 || sh.Products.TotalCount != 0 {
		t.Fatalf("createShop: %+v", sh)
	}
	if got := s.myShop(t, tok); got == nil || got.ID != sh.ID {
		t.Errorf("myShop after createShop: %+v, want %s", got, sh.ID)
	}
	// A draft is not public yet.
	var pub struct{ Shop *struct{ Name string } }
	s.data(t, "", `query($id: ID!) { shop(id: $id) { name } }`, map[string]any{"id": sh.ID}, &pub)
	if pub.Shop != nil {
		t.Errorf("Query.shop of a new DRAFT shop: %+v, want null", pub.Shop)
	}

	// One shop per profile.
	p = s.mutate(t, tok, createShop, map[string]any{"input": map[string]any{"name": "Second", "storeUrl": "https://second.example"}})
	if want := []userError{{Field: nil, Message: "this profile already has a shop; change it with updateShop", Code: "TAKEN"}}; !cmp.Equal(p.UserErrors, want) || p.Shop != nil {
		t.Errorf("second createShop: %+v, want %+v", p, want)
	}
	if got := s.myShop(t, tok); got.Name != "New Shop" {
		t.Errorf("after the refused second shop, myShop is %q", got.Name)
	}
}

func TestUpdateShop(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	before := s.myShop(t, tok)
	p := s.ok(t, tok, updateShop, map[string]any{"input": map[string]any{"shopId": before.ID, "name": "Acme Outdoors"}})
	if p.Shop.Name != "Acme Outdoors" || p.Shop.Description == nil || *p.Shop.Description != *before.Description || p.Shop.StoreURL != before.StoreURL {
		t.Errorf("name only: %+v", p.Shop)
	}
	if p.Shop.UpdatedAt == before.UpdatedAt {
		t.Errorf("updatedAt did not move")
	}
	// null clears the description; the other fields stay.
	p = s.ok(t, tok, updateShop, map[string]any{"input": map[string]any{"shopId": before.ID, "description": nil, "storeUrl": "https://acme.example/shop"}})
	if p.Shop.Name != "Acme Outdoors" || p.Shop.Description != nil || p.Shop.StoreURL != "https://acme.example/shop" {
		t.Errorf("description null, storeUrl: %+v", p.Shop)
	}
	// A read in a later request sees the write.
	if got := s.myShop(t, tok); got.Name != "Acme Outdoors" || got.Description != nil {
		t.Errorf("read after write: %+v", got)
	}
}

func TestSetShopStatus(t *testing.T) {
	s := newHS256Server(t)
	owner := graphtest.Token(t, "2004") // a DRAFT shop
	staff := graphtest.Token(t, "staff-1", auth.ScopeAdmin)
	id := s.myShop(t, owner).ID
	status := func(tok, to string) payload {
		t.Helper()
		return s.mutate(t, tok, setShopStatus, map[string]any{"shopId": id, "status": to})
	}
	visible := func() bool {
		t.Helper()
		var got struct {
			Entities []struct{ Shop *struct{ ID string } }
		}
		s.data(t, "", `query($r: [_Any!]!) { entities: _entities(representations: $r) { ... on Profile { shop { id } } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2004")}}, &got)
		return got.Entities[0].Shop != nil
	}
	forbidden := []userError{{Field: []string{"status"}, Code: "FORBIDDEN_STATUS"}}
	codes := func(p payload) []userError {
		out := []userError{}
		for _, e := range p.UserErrors {
			out = append(out, userError{Field: e.Field, Code: e.Code})
		}
		return out
	}

	if p := status(owner, "ACTIVE"); p.Shop == nil || p.Shop.Status != "ACTIVE" || !visible() {
		t.Fatalf("owner DRAFT → ACTIVE: %+v", p)
	}
	if p := status(owner, "DRAFT"); p.Shop == nil || p.Shop.Status != "DRAFT" || visible() {
		t.Fatalf("owner ACTIVE → DRAFT: %+v", p)
	}
	if p := status(owner, "SUSPENDED"); !cmp.Equal(codes(p), forbidden) || p.Shop != nil {
		t.Errorf("owner → SUSPENDED: %+v, want FORBIDDEN_STATUS", p)
	}
	if p := status(staff, "SUSPENDED"); p.Shop == nil || p.Shop.Status != "SUSPENDED" {
		t.Fatalf("staff → SUSPENDED: %+v", p)
	}
	for _, to := range []string{"ACTIVE", "DRAFT"} {
		if p := status(owner, to); !cmp.Equal(codes(p), forbidden) {
			t.Errorf("owner lifting SUSPENDED to %s: %+v, want FORBIDDEN_STATUS", to, p)
		}
	}
	if got := s.myShop(t, owner); got.Status != "SUSPENDED" {
		t.Errorf("after the owner's refused attempts: %s, want SUSPENDED", got.Status)
	}
	if p := status(staff, "ACTIVE"); p.Shop == nil || p.Shop.Status != "ACTIVE" || !visible() {
		t.Errorf("staff lifts SUSPENDED: %+v", p)
	}
	// Staff may change any shop's status; another merchant may not.
	r := s.post(t, graphtest.Token(t, "2001"), setShopStatus, map[string]any{"shopId": id, "status": "DRAFT"})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Errorf("another merchant: %+v, want FORBIDDEN", r.Errors)
	}
	if p := status(owner, "ACTIVE"); p.Shop.Status != "ACTIVE" {
		t.Errorf("unchanged status: %+v", p)
	}
	p := s.mutate(t, owner, setShopStatus, map[string]any{"shopId": "999", "status": "ACTIVE"})
	if !cmp.Equal(codes(p), []userError{{Field: []string{"shopId"}, Code: "NOT_FOUND"}}) {
		t.Errorf("unknown shop: %+v", p)
	}
}

func TestCreateProduct(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	in := with(productVars("NEW-1"), "description", "Warm.", "compareAtPrice", "12.50", "availability", "PREORDER", "condition", "USED", "brand", "Acme",
		"image", map[string]any{"url": "https://img.acme.example/n.jpg", "altText": "A hat", "width": 640, "height": 480})
	p := s.ok(t, tok, createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": in}})
	got := p.Product
	if got == nil || got.Sku != "NEW-1" || got.Title != "Product NEW-1" || *got.Description != "Warm." || got.URL != "https://acme.example/NEW-1" ||
		got.Image.URL != "https://img.acme.example/n.jpg" || *got.Image.AltText != "A hat" || *got.Image.Width != 640 || *got.Image.Height != 480 ||
		got.Price.Amount != "10.00" || got.Price.CurrencyCode != "USD" || got.CompareAtPrice.Amount != "12.50" ||
		got.Availability != "PREORDER" || got.Condition != "USED" || *got.Brand != "Acme" || got.Shop.ID != shop.ID {
		t.Fatalf("createProduct: %+v", got)
	}
	after := s.myShop(t, tok)
	if n := len(after.Products.Nodes); after.Products.TotalCount != shop.Products.TotalCount+1 || after.Products.Nodes[n-1].Sku != "NEW-1" {
		t.Errorf("the new product is not last in the catalogue: %v", skus(after.Products.Nodes))
	}
	// Defaults.
	p = s.ok(t, tok, createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": productVars("NEW-2")}})
	if p.Product.Availability != "IN_STOCK" || p.Product.Condition != "NEW" || p.Product.CompareAtPrice != nil {
		t.Errorf("defaults: %+v", p.Product)
	}
	// The SKU is taken.
	p = s.mutate(t, tok, createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": productVars("A1")}})
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "TAKEN" || !cmp.Equal(p.UserErrors[0].Field, []string{"input", "product", "sku"}) || p.Product != nil {
		t.Errorf("taken SKU: %+v", p)
	}
}

func TestUpdateProduct(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	a1 := ids(s.myShop(t, tok))["A1"]
	upd := func(fields map[string]any) payload {
		t.Helper()
		return s.mutate(t, tok, updateProduct, map[string]any{"input": with(fields, "id", a1)})
	}
	p := upd(map[string]any{"title": "Two-person tent, green"})
	if len(p.UserErrors) > 0 || p.Product.Title != "Two-person tent, green" || p.Product.Price.Amount != "199.00" || p.Product.CompareAtPrice.Amount != "249.00" ||
		p.Product.Image.URL != "https://img.acme.example/a1.jpg" || p.Product.Brand == nil || p.Product.Sku != "A1" {
		t.Fatalf("title only: %+v", p)
	}
	p = upd(map[string]any{"price": "179.00", "compareAtPrice": nil, "brand": nil, "availability": "OUT_OF_STOCK",
		"image": map[string]any{"url": "https://img.acme.example/a1-v2.jpg"}})
	if len(p.UserErrors) > 0 || p.Product.Price.Amount != "179.00" || p.Product.CompareAtPrice != nil || p.Product.Brand != nil ||
		p.Product.Availability != "OUT_OF_STOCK" || p.Product.Image.URL != "https://img.acme.example/a1-v2.jpg" || p.Product.Image.AltText != nil {
		t.Fatalf("price, clears, availability, image: %+v", p)
	}
	// The product as changed must be valid: 179.00 has cents, JPY has none.
	before := s.snapshot(t, tok)
	p = upd(map[string]any{"currencyCode": "JPY", "title": nil})
	want := []userError{
		{Field: []string{"input", "title"}, Message: "must not be null; leave the field out to keep its current value", Code: "INVALID"},
		{Field: []string{"input", "price"}, Message: "must be a whole number for JPY, which has no minor unit", Code: "INVALID"},
	}
	if !cmp.Equal(p.UserErrors, want) || p.Product != nil {
		t.Errorf("invalid merge: %+v\nwant %+v", p.UserErrors, want)
	}
	if after := s.snapshot(t, tok); after != before {
		t.Errorf("a refused updateProduct wrote:\n%s\nwas\n%s", after, before)
	}
	p = upd(map[string]any{"currencyCode": "JPY", "price": "18000"})
	if len(p.UserErrors) > 0 || p.Product.Price.Amount != "18000" || p.Product.Price.CurrencyCode != "JPY" {
		t.Errorf("currency and price together: %+v", p)
	}
	p = s.mutate(t, tok, updateProduct, map[string]any{"input": map[string]any{"id": "424242", "title": "x"}})
	if want := []userError{{Field: []string{"input", "id"}, Message: "there is no product with this id", Code: "NOT_FOUND"}}; !cmp.Equal(p.UserErrors, want) {
		t.Errorf("unknown product: %+v", p.UserErrors)
	}
}

func TestDeleteProduct(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	id := ids(shop)
	// A2 is featured second of A3 A1 A2 A4 A5 (A3, A4 are not purchasable).
	p := s.ok(t, tok, deleteProduct, map[string]any{"id": id["A2"]})
	if p.DeletedProductID == nil || *p.DeletedProductID != id["A2"] {
		t.Fatalf("deleteProduct: %+v", p)
	}
	after := s.myShop(t, tok)
	if got, want := skus(after.FeaturedProducts), []string{"A1", "A5"}; !cmp.Equal(got, want) {
		t.Errorf("carousel after deleting A2: %v, want %v", got, want)
	}
	if after.Products.TotalCount != shop.Products.TotalCount-1 {
		t.Errorf("totalCount %d, want %d", after.Products.TotalCount, shop.Products.TotalCount-1)
	}
	// The featured positions close up: four remain, and a fifth fits.
	p = s.ok(t, tok, setFeaturedProducts, map[string]any{"shopId": shop.ID, "ids": []string{id["A1"], id["A5"], id["A6"], id["A7"], id["A3"]}})
	if got := skus(p.Shop.FeaturedProducts); !cmp.Equal(got, []string{"A1", "A5", "A6", "A7"}) {
		t.Errorf("carousel: %v", got)
	}
	var prod struct{ Product *struct{ ID string } }
	s.data(t, "", `query($id: ID!) { product(id: $id) { id } }`, map[string]any{"id": id["A2"]}, &prod)
	if prod.Product != nil {
		t.Errorf("deleted product still readable")
	}
	p = s.mutate(t, tok, deleteProduct, map[string]any{"id": id["A2"]})
	if want := []userError{{Field: []string{"id"}, Message: "there is no product with this id", Code: "NOT_FOUND"}}; !cmp.Equal(p.UserErrors, want) || p.DeletedProductID != nil {
		t.Errorf("deleting again: %+v", p)
	}
}

func TestUpsertProducts(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	a1 := ids(shop)["A1"]
	p := s.ok(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": []any{
		productVars("U1"),
		with(productVars("A1"), "title", "Tent, updated", "price", "150.00"),
		productVars("U2"),
	}})
	var got []string
	for _, pr := range p.Products {
		got = append(got, pr.Sku+":"+pr.Title+":"+pr.Price.Amount)
	}
	if want := []string{"U1:Product U1:10.00", "A1:Tent, updated:150.00", "U2:Product U2:10.00"}; !cmp.Equal(got, want) {
		t.Errorf("products %v, want %v", got, want)
	}
	if p.Products[1].ID != a1 {
		t.Errorf("A1 changed id: %s, was %s", p.Products[1].ID, a1)
	}
	after := s.myShop(t, tok)
	if got, want := skus(after.Products.Nodes), []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "U1", "U2"}; !cmp.Equal(got, want) {
		t.Errorf("catalogue order %v, want %v", got, want)
	}
	// An empty list is a no-op.
	if p := s.ok(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": []any{}}); len(p.Products) != 0 {
		t.Errorf("empty upsert: %+v", p)
	}
}

// TestUpsertProductsAtomic: one bad product in a batch writes nothing, and
// every problem of the batch is reported at once.
func TestUpsertProductsAtomic(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	before := s.snapshot(t, tok)
	products := []any{productVars("V1"), with(productVars("A1"), "title", "Changed")}
	for i := 2; i < 50; i++ {
		products = append(products, productVars(fmt.Sprint("V", i)))
	}
	products[3] = with(productVars("V3"), "price", "1.999", "url", "http://acme.example/v3")
	products[7] = with(productVars("V7"), "currencyCode", "XTS")
	products = append(products, productVars("V1"))
	p := s.mutate(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": products})
	want := []userError{
		{Field: []string{"products", "3", "url"}, Code: "INVALID"},
		{Field: []string{"products", "3", "price"}, Code: "INVALID"},
		{Field: []string{"products", "7", "currencyCode"}, Code: "INVALID"},
		{Field: []string{"products", "50", "sku"}, Code: "TAKEN"},
	}
	var got []userError
	for _, e := range p.UserErrors {
		got = append(got, userError{Field: e.Field, Code: e.Code})
	}
	if !cmp.Equal(got, want) || len(p.Products) != 0 {
		t.Errorf("user errors %+v\nwant %+v", p.UserErrors, want)
	}
	if after := s.snapshot(t, tok); after != before {
		t.Errorf("a refused batch wrote:\n%s\nwas\n%s", after, before)
	}
}

func TestUpsertProductsLimits(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2005")
	shop := s.myShop(t, tok)
	// Small products, so that 1,001 of them fit the request size limit.
	small := func(i int) map[string]any {
		return map[string]any{"sku": fmt.Sprint(i), "title": "t", "url": "https://p.example/", "image": map[string]any{"url": "https://p.example/i"}, "price": "1", "currencyCode": "GBP"}
	}
	var batch []any
	for i := range catalog.MaxUpsertProducts + 1 {
		batch = append(batch, small(i))
	}
	p := s.mutate(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": batch})
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "TOO_MANY" || !cmp.Equal(p.UserErrors[0].Field, []string{"products"}) {
		t.Errorf("1,001 products: %+v", p.UserErrors)
	}
	p = s.ok(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": batch[:catalog.MaxUpsertProducts]})
	if len(p.Products) != catalog.MaxUpsertProducts {
		t.Errorf("1,000 products: %d returned", len(p.Products))
	}
}

// TestCatalogueLimit: a shop holds at most 10,000 products.
func TestCatalogueLimit(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2005") // has P1
	shop := s.myShop(t, tok)
	ctx := context.Background()
	var shopKey int64
	fmt.Sscan(shop.ID, &shopKey)
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		for i := 1; i < catalog.MaxProducts; i++ {
			w := store.ProductWrite{SKU: fmt.Sprint("F", i), Title: "t", URL: "https://p.example/", ImageURL: "https://p.example/i", Currency: "GBP", Availability: "IN_STOCK", Condition: "NEW"}
			if err := tx.UpsertProducts(ctx, shopKey, []store.ProductWrite{w}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := s.mutate(t, tok, createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": with(productVars("ONE-MORE"), "currencyCode", "GBP")}})
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "TOO_MANY" || p.UserErrors[0].Field != nil {
		t.Errorf("createProduct on a full shop: %+v", p.UserErrors)
	}
	p = s.mutate(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": []any{with(productVars("P1"), "currencyCode", "GBP"), with(productVars("ONE-MORE"), "currencyCode", "GBP")}})
	if len(p.UserErrors) != 1 || p.UserErrors[0].Code != "TOO_MANY" || !cmp.Equal(p.UserErrors[0].Field, []string{"products"}) {
		t.Errorf("upsert adding one to a full shop: %+v", p.UserErrors)
	}
	if n, err := s.store.ProductCountsByShopIDs(ctx, []int64{shopKey}); err != nil || n[shopKey] != catalog.MaxProducts {
		t.Errorf("after the refused upsert the shop has %v products (%v), want %d", n[shopKey], err, catalog.MaxProducts)
	}
	// Updating what is there adds nothing, so it is fine.
	s.ok(t, tok, upsertProducts, map[string]any{"shopId": shop.ID, "products": []any{with(productVars("P1"), "currencyCode", "GBP")}})
}

func TestSetFeaturedProducts(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	id := ids(shop)
	other := ids(s.myShop(t, graphtest.Token(t, "2002")))["J1"]
	set := func(list ...string) payload {
		t.Helper()
		if list == nil {
			list = []string{}
		}
		return s.mutate(t, tok, setFeaturedProducts, map[string]any{"shopId": shop.ID, "ids": list})
	}
	p := set(id["A7"], id["A6"], id["A1"])
	if len(p.UserErrors) > 0 || !cmp.Equal(skus(p.Shop.FeaturedProducts), []string{"A7", "A6", "A1"}) {
		t.Fatalf("set: %+v", p)
	}
	if p.Shop.UpdatedAt == shop.UpdatedAt {
		t.Errorf("updatedAt did not move")
	}
	before := s.snapshot(t, tok)
	for _, tt := range []struct {
		name string
		list []string
		want []userError
	}{
		{"six", []string{id["A1"], id["A2"], id["A3"], id["A4"], id["A5"], id["A6"]}, []userError{{Field: []string{"productIds"}, Code: "TOO_MANY"}}},
		{"duplicate", []string{id["A1"], id["A2"], id["A1"]}, []userError{{Field: []string{"productIds", "2"}, Code: "INVALID"}}},
		{"another shop's product", []string{id["A1"], other}, []userError{{Field: []string{"productIds", "1"}, Code: "NOT_FOUND"}}},
		{"unknown ids", []string{"424242", id["A1"], "not-an-id"}, []userError{{Field: []string{"productIds", "0"}, Code: "NOT_FOUND"}, {Field: []string{"productIds", "2"}, Code: "NOT_FOUND"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := set(tt.list...)
			var got []userError
			for _, e := range p.UserErrors {
				got = append(got, userError{Field: e.Field, Code: e.Code})
			}
			if !cmp.Equal(got, tt.want) || p.Shop != nil {
				t.Errorf("user errors %+v, want %+v", p.UserErrors, tt.want)
			}
		})
	}
	if after := s.snapshot(t, tok); after != before {
		t.Errorf("refused setFeaturedProducts wrote")
	}
	if p := set(); len(p.UserErrors) > 0 || len(p.Shop.FeaturedProducts) != 0 {
		t.Errorf("empty list: %+v", p)
	}
}

// TestValidationPaths checks user errors' paths and codes end to end for a
// representative set of rules (internal/catalog tests each rule).
func TestValidationPaths(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	a1 := ids(shop)["A1"]
	long := strings.Repeat("é", 151) // 151 characters, 302 bytes
	for _, tt := range []struct {
		name  string
		query string
		vars  map[string]any
		want  []userError
	}{
		{"createShop", createShop, map[string]any{"input": map[string]any{"name": " ", "storeUrl": "http://x.example", "description": "a\x00b"}},
			[]userError{{[]string{"input", "name"}, "", "INVALID"}, {[]string{"input", "description"}, "", "INVALID"}, {[]string{"input", "storeUrl"}, "", "INVALID"}}},
		{"updateShop", updateShop, map[string]any{"input": map[string]any{"shopId": shop.ID, "name": strings.Repeat("n", 81), "storeUrl": nil}},
			[]userError{{[]string{"input", "storeUrl"}, "", "INVALID"}, {[]string{"input", "name"}, "", "TOO_LONG"}}},
		{"updateShop unknown", updateShop, map[string]any{"input": map[string]any{"shopId": "999", "name": "x"}},
			[]userError{{[]string{"input", "shopId"}, "", "NOT_FOUND"}}},
		{"createProduct", createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": with(productVars(""),
			"title", long, "currencyCode", "usd", "price", "-1", "compareAtPrice", "5", "image", map[string]any{"url": "ftp://img.example/x", "width": 0})}},
			[]userError{{[]string{"input", "product", "sku"}, "", "INVALID"}, {[]string{"input", "product", "title"}, "", "TOO_LONG"},
				{[]string{"input", "product", "image", "url"}, "", "INVALID"}, {[]string{"input", "product", "image", "width"}, "", "INVALID"},
				{[]string{"input", "product", "price"}, "", "INVALID"}}},
		{"createProduct compareAtPrice", createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": with(productVars("C1"), "compareAtPrice", "9.99")}},
			[]userError{{[]string{"input", "product", "compareAtPrice"}, "", "INVALID"}}},
		{"createProduct unknown shop", createProduct, map[string]any{"input": map[string]any{"shopId": "x", "product": productVars("C1")}},
			[]userError{{[]string{"input", "shopId"}, "", "NOT_FOUND"}}},
		{"createProduct currency", createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": with(productVars("C1"), "currencyCode", "XAU")}},
			[]userError{{[]string{"input", "product", "currencyCode"}, "", "INVALID"}}},
		{"updateProduct", updateProduct, map[string]any{"input": map[string]any{"id": a1, "url": "https://acme.example/" + strings.Repeat("u", 2048), "price": "300.00"}},
			[]userError{{[]string{"input", "url"}, "", "TOO_LONG"}, {[]string{"input", "compareAtPrice"}, "", "INVALID"}}},
		{"upsertProducts unknown shop", upsertProducts, map[string]any{"shopId": "999", "products": []any{productVars("Z")}},
			[]userError{{[]string{"shopId"}, "", "NOT_FOUND"}}},
		{"deleteProduct unknown", deleteProduct, map[string]any{"id": "nope"}, []userError{{[]string{"id"}, "", "NOT_FOUND"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := s.snapshot(t, tok)
			p := s.mutate(t, tok, tt.query, tt.vars)
			var got []userError
			for _, e := range p.UserErrors {
				if e.Message == "" {
					t.Errorf("%v: empty message", e.Field)
				}
				got = append(got, userError{Field: e.Field, Code: e.Code})
			}
			if !cmp.Equal(got, tt.want) {
				t.Errorf("user errors %+v\nwant %+v", p.UserErrors, tt.want)
			}
			if p.Shop != nil || p.Product != nil || p.DeletedProductID != nil {
				t.Errorf("a refused mutation returned a result: %+v", p)
			}
			if after := s.snapshot(t, tok); after != before {
				t.Errorf("a refused mutation wrote")
			}
		})
	}
	// Input scalars take any well-formed value; they fail coercion, with
	// BAD_USER_INPUT, only when malformed.
	r := s.post(t, tok, createProduct, map[string]any{"input": map[string]any{"shopId": shop.ID, "product": with(productVars("C2"), "price", "abc")}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
		t.Errorf("malformed Decimal: %+v", r.Errors)
	}
}

// mutations is one call of every mutation and of myShop, on profile 2001's
// shop (id 1) and its product A1 (id 1), for the authorization tests.
var mutations = map[string]struct {
	query string
	vars  map[string]any
}{
	"createShop":          {createShop, map[string]any{"input": map[string]any{"name": "N", "storeUrl": "https://n.example"}}},
	"updateShop":          {updateShop, map[string]any{"input": map[string]any{"shopId": "1", "name": "N"}}},
	"setShopStatus":       {setShopStatus, map[string]any{"shopId": "1", "status": "DRAFT"}},
	"createProduct":       {createProduct, map[string]any{"input": map[string]any{"shopId": "1", "product": productVars("N1")}}},
	"updateProduct":       {updateProduct, map[string]any{"input": map[string]any{"id": "1", "title": "N"}}},
	"deleteProduct":       {deleteProduct, map[string]any{"id": "1"}},
	"upsertProducts":      {upsertProducts, map[string]any{"shopId": "1", "products": []any{productVars("N1")}}},
	"setFeaturedProducts": {setFeaturedProducts, map[string]any{"shopId": "1", "ids": []string{"1"}}},
	"myShop":              {`{ myShop { id } }`, nil},
}

// signed returns a token for claims signed with method and key.
func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func claims(sub string, exp time.Duration, kv ...any) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "exp": time.Now().Add(exp).Unix(), "iat": time.Now().Unix()}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

// TestUnauthenticated: a missing or bad token makes every mutation and
// myShop fail with UNAUTHENTICATED at the top level and write nothing,
// while public reads keep working.
func TestUnauthenticated(t *testing.T) {
	s := newMerchantServer(t, auth.Config{Secret: graphtest.Secret, Issuer: "https://id.example", Audience: "shop-subgraph"})
	good := func(kv ...any) jwt.MapClaims {
		return claims("2001", time.Hour, append([]any{"iss", "https://id.example", "aud", "shop-subgraph"}, kv...)...)
	}
	hs := func(c jwt.MapClaims) string { return signed(t, jwt.SigningMethodHS256, graphtest.Secret, c) }
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	tokens := map[string]string{
		"no token":       "",
		"not bearer":     "Basic dXNlcjpwYXNz",
		"malformed":      "Bearer not.a.jwt",
		"expired":        "Bearer " + hs(good("exp", time.Now().Add(-time.Hour).Unix())),
		"no exp":         "Bearer " + hs(good("exp", nil)),
		"no sub":         "Bearer " + hs(good("sub", nil)),
		"bad signature":  "Bearer " + signed(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another"), good()),
		"alg none":       "Bearer " + signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good()),
		"HS512":          "Bearer " + signed(t, jwt.SigningMethodHS512, graphtest.Secret, good()),
		"RS256":          "Bearer " + signed(t, jwt.SigningMethodRS256, rsaKey, good()),
		"wrong issuer":   "Bearer " + hs(good("iss", "https://evil.example")),
		"no issuer":      "Bearer " + hs(good("iss", nil)),
		"wrong audience": "Bearer " + hs(good("aud", "another-api")),
		"not yet valid":  "Bearer " + hs(good("nbf", time.Now().Add(time.Hour).Unix())),
	}
	// The valid token works, so the failures below are the token's.
	if r := postWith(t, s.URL, "Bearer "+hs(good()), `{ myShop { name } }`, nil); len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Acme") {
		t.Fatalf("valid token: %s %+v", r.Data, r.Errors)
	}
	tok := hs(good())
	before := s.snapshot(t, tok)
	for name, authz := range tokens {
		for op, m := range mutations {
			t.Run(name+"/"+op, func(t *testing.T) {
				r := postWith(t, s.URL, authz, m.query, m.vars)
				wantData := "null" // the payloads are non-null
				if op == "myShop" {
					wantData = `{"myShop":null}`
				}
				if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || string(r.Data) != wantData {
					t.Fatalf("got data %s errors %+v, want one UNAUTHENTICATED", r.Data, r.Errors)
				}
				if r.Errors[0].Message == "" || !cmp.Equal(r.Errors[0].Path, []any{op}) {
					t.Errorf("error %+v", r.Errors[0])
				}
			})
		}
		// Reads are public, whatever the token.
		r := postWith(t, s.URL, authz, `{ shops(first: 1) { nodes { name } } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Acme Outdoor") {
			t.Errorf("%s: public read failed: %s %+v", name, r.Data, r.Errors)
		}
	}
	if after := s.snapshot(t, tok); after != before {
		t.Errorf("unauthenticated mutations wrote")
	}
	var shops struct{ Shops struct{ TotalCount int } }
	s.data(t, "", `{ shops { totalCount } }`, nil, &shops)
	if shops.Shops.TotalCount != 4 {
		t.Errorf("active shops %d, want 4", shops.Shops.TotalCount)
	}
}

// TestForbidden: every mutation on another profile's shop or product is
// FORBIDDEN at the top level, and writes nothing; staff is no exception but
// for setShopStatus.
func TestForbidden(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	before := s.snapshot(t, tok)
	for _, who := range []struct {
		name string
		tok  string
	}{{"another merchant", graphtest.Token(t, "2002")}, {"staff", graphtest.Token(t, "2002", auth.ScopeAdmin)}} {
		for op, m := range mutations {
			if op == "createShop" || op == "myShop" || (op == "setShopStatus" && who.name == "staff") {
				continue
			}
			t.Run(who.name+"/"+op, func(t *testing.T) {
				r := s.post(t, who.tok, m.query, m.vars)
				if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || string(r.Data) != "null" {
					t.Fatalf("got data %s errors %+v, want one FORBIDDEN", r.Data, r.Errors)
				}
			})
		}
	}
	if after := s.snapshot(t, tok); after != before {
		t.Errorf("forbidden mutations wrote")
	}
}

// TestPublicKeys verifies RS256 and ES256 tokens against PEM public keys,
// and refuses a token of another algorithm signed with the key's bytes as
// an HMAC secret (the classic algorithm-confusion attack).
func TestPublicKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		method jwt.SigningMethod
		priv   any
		pub    any
		other  jwt.SigningMethod // a wrong algorithm with a key of its own
		okey   any
	}{
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey, jwt.SigningMethodES256, ecKey},
		{"ES256", jwt.SigningMethodES256, ecKey, &ecKey.PublicKey, jwt.SigningMethodRS256, rsaKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			der, err := x509.MarshalPKIXPublicKey(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			s := newMerchantServer(t, auth.Config{PublicKeyPEM: pemKey})
			good := signed(t, tt.method, tt.priv, claims("2001", time.Hour))
			var got struct{ MyShop struct{ Name string } }
			if r := postWith(t, s.URL, "Bearer "+good, `{ myShop { name } }`, nil); len(r.Errors) > 0 {
				t.Fatalf("valid %s token: %+v", tt.name, r.Errors)
			} else if json.Unmarshal(r.Data, &got); got.MyShop.Name != "Acme Outdoor" {
				t.Fatalf("myShop %s", r.Data)
			}
			for name, tok := range map[string]string{
				"HS256 with the public key as secret": signed(t, jwt.SigningMethodHS256, pemKey, claims("2001", time.Hour)),
				"another algorithm":                   signed(t, tt.other, tt.okey, claims("2001", time.Hour)),
				"expired":                             signed(t, tt.method, tt.priv, claims("2001", -time.Hour)),
				"alg none":                            signed(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims("2001", time.Hour)),
			} {
				r := postWith(t, s.URL, "Bearer "+tok, mutations["updateShop"].query, mutations["updateShop"].vars)
				if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
					t.Errorf("%s: %+v, want UNAUTHENTICATED", name, r.Errors)
				}
			}
		})
	}
}

// TestMutationPayloadReadsFresh: fields selected on a payload, and later
// fields of the same request, see what the mutation wrote.
func TestMutationPayloadReadsFresh(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	id := ids(shop)
	q := `mutation($shopId: ID!, $a: [ID!]!, $b: [ID!]!) {
	  a: setFeaturedProducts(shopId: $shopId, productIds: $a) { shop { featuredProducts { sku } } }
	  b: setFeaturedProducts(shopId: $shopId, productIds: $b) { shop { featuredProducts { sku } } }
	}`
	r := s.post(t, tok, q, map[string]any{"shopId": shop.ID, "a": []string{id["A1"]}, "b": []string{id["A6"], id["A7"]}})
	want := `{"a":{"shop":{"featuredProducts":[{"sku":"A1"}]}},"b":{"shop":{"featuredProducts":[{"sku":"A6"},{"sku":"A7"}]}}}`
	if len(r.Errors) > 0 || string(r.Data) != want {
		t.Errorf("got %s %+v\nwant %s", r.Data, r.Errors, want)
	}
}

// TestCarouselKeysAfterWrites: a carousel asked only for its products' ids
// is served from the keys its shop's row keeps; after a mutation changed
// the carousel, the payload and every later request show the change. The
// payload's shop is the row the write returned, which does not carry the
// keys, so the carousel is read by its statement.
func TestCarouselKeysAfterWrites(t *testing.T) {
	s := newHS256Server(t)
	tok := graphtest.Token(t, "2001")
	shop := s.myShop(t, tok)
	id := ids(shop)
	keysOf := func(nodes []struct{ ID, Sku string }) []string {
		out := []string{}
		for _, n := range nodes {
			out = append(out, n.ID)
		}
		return out
	}
	entityKeys := func() []string {
		t.Helper()
		var got struct {
			Entities []struct {
				Shop struct{ FeaturedProducts []struct{ ID, Sku string } }
			} `json:"_entities"`
		}
		s.data(t, "", `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Profile { shop { featuredProducts { id } } } } }`,
			map[string]any{"reps": []any{graphtest.ProfileRep("2001")}}, &got)
		return keysOf(got.Entities[0].Shop.FeaturedProducts)
	}
	const setKeys = `mutation($shopId: ID!, $ids: [ID!]!) { setFeaturedProducts(shopId: $shopId, productIds: $ids) { shop { featuredProducts { id } } userErrors { field message code } } }`
	p := s.ok(t, tok, setKeys, map[string]any{"shopId": shop.ID, "ids": []string{id["A6"], id["A1"], id["A7"]}})
	want := []string{id["A6"], id["A1"], id["A7"]}
	if got := keysOf(p.Shop.FeaturedProducts); !cmp.Equal(got, want) {
		t.Errorf("setFeaturedProducts' payload: %v, want %v", got, want)
	}
	if got := entityKeys(); !cmp.Equal(got, want) {
		t.Errorf("after setFeaturedProducts: %v, want %v", got, want)
	}
	var upd map[string]struct {
		Product struct {
			Shop struct{ FeaturedProducts []struct{ ID, Sku string } }
		}
	}
	s.data(t, tok, `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { shop { featuredProducts { id } } } } }`,
		map[string]any{"input": map[string]any{"id": id["A1"], "availability": "OUT_OF_STOCK"}}, &upd)
	want = []string{id["A6"], id["A7"]}
	if got := keysOf(upd["updateProduct"].Product.Shop.FeaturedProducts); !cmp.Equal(got, want) {
		t.Errorf("updateProduct's payload, A1 out of stock: %v, want %v", got, want)
	}
	if got := entityKeys(); !cmp.Equal(got, want) {
		t.Errorf("after A1 went out of stock: %v, want %v", got, want)
	}
	if p := s.ok(t, tok, deleteProduct, map[string]any{"id": id["A6"]}); p.DeletedProductID == nil {
		t.Fatal("A6 not deleted")
	}
	if got, want := entityKeys(), []string{id["A7"]}; !cmp.Equal(got, want) {
		t.Errorf("after deleting A6: %v, want %v", got, want)
	}
}
