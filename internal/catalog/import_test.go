package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

func newStore(t testing.TB) *store.Store {
	t.Helper()
	return storetest.Open(t)
}

func TestMain(m *testing.M) { storetest.Main(m) }

// importText imports content as one file called name.
func importText(t testing.TB, st *store.Store, name, content string) (Stats, error) {
	t.Helper()
	return Import(context.Background(), st, []Source{{Name: name, R: strings.NewReader(content)}}, nil)
}

// mustImport imports lines, failing the test on any error.
func mustImport(t *testing.T, st *store.Store, lines ...string) Stats {
	t.Helper()
	stats, err := importText(t, st, "data.jsonl", strings.Join(lines, "\n"))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return stats
}

// reportLines imports content, which must fail validation, and returns the
// report's lines.
func reportLines(t *testing.T, st *store.Store, name, content string) []string {
	t.Helper()
	_, err := importText(t, st, name, content)
	var r *Report
	if !errors.As(err, &r) {
		t.Fatalf("Import error = %v, want a *Report", err)
	}
	return strings.Split(r.Error(), "\n")
}

// shopLineJSON is a line of the import format built in tests.
type shopLineJSON struct {
	ProfileID string        `json:"profileId"`
	Name      string        `json:"name"`
	StoreURL  string        `json:"storeUrl"`
	Status    string        `json:"status,omitempty"`
	Featured  *[]string     `json:"featured,omitempty"`
	Products  []productJSON `json:"products"`
}

type productJSON struct {
	SKU          string    `json:"sku"`
	Title        string    `json:"title"`
	URL          string    `json:"url"`
	Image        imageJSON `json:"image"`
	Price        string    `json:"price"`
	Currency     string    `json:"currency"`
	Availability string    `json:"availability,omitempty"`
}

type imageJSON struct {
	URL string `json:"url"`
}

// line renders one shop line with products named by their SKUs; a SKU
// written "SKU=title" gets that title, "SKU:price" that price.
func line(profile string, featured []string, skus ...string) string {
	l := shopLineJSON{ProfileID: profile, Name: "Shop " + profile, StoreURL: "https://s" + profile + ".example", Products: []productJSON{}}
	if featured != nil {
		l.Featured = &featured
	}
	for _, s := range skus {
		sku, title, _ := strings.Cut(s, "=")
		sku, price, ok := strings.Cut(sku, ":")
		if !ok {
			price = "10.00"
		}
		if title == "" {
			title = "Product " + sku
		}
		l.Products = append(l.Products, productJSON{
			SKU: sku, Title: title, URL: "https://s" + profile + ".example/" + sku,
			Image: imageJSON{URL: "https://img.s" + profile + ".example/" + sku + ".jpg"},
			Price: price, Currency: "USD",
		})
	}
	b, err := json.Marshal(l)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// catalogue is a shop's products in catalogue order.
func catalogue(t *testing.T, st *store.Store, profile string) (store.Shop, []store.Product) {
	t.Helper()
	ctx := context.Background()
	shop, ok := storetest.ShopByOwner(t, st, profile)
	if !ok {
		t.Fatalf("no shop for %s", profile)
	}
	products, err := st.ProductPagesByShopIDs(ctx, []int64{shop.ID}, 0, MaxProducts+1)
	if err != nil {
		t.Fatal(err)
	}
	return shop, products
}

func skusOf(products []store.Product) []string {
	out := []string{}
	for _, p := range products {
		out = append(out, p.SKU)
	}
	return out
}

// featuredSKUs is the shop's carousel (purchasable featured products).
func featuredSKUs(t *testing.T, st *store.Store, profile string) []string {
	t.Helper()
	shop, _ := catalogue(t, st, profile)
	rows, err := st.FeaturedProductsByShopIDs(context.Background(), []int64{shop.ID}, store.AllColumns)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, r := range rows {
		out = append(out, r.SKU)
	}
	return out
}

func assertEmpty(t *testing.T, st *store.Store) {
	t.Helper()
	empty, err := st.Empty(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !empty {
		t.Errorf("database has shops, want none written")
	}
}

func TestImportWritesEverything(t *testing.T) {
	st := newStore(t)
	content := `{"profileId":"1001","name":"Acme Outdoor","description":"Gear for weekends.","storeUrl":"https://acme.example",
 "status":"ACTIVE","featured":["TENT-2P","MUG-01"],
 "products":[{"sku":"TENT-2P","title":"Two-person tent","description":"Light.","url":"https://acme.example/tent-2p",
   "image":{"url":"https://img.acme.example/tent.jpg","altText":"A green tent","width":800,"height":800},
   "price":"199.00","compareAtPrice":"249.00","currency":"USD","availability":"IN_STOCK","condition":"NEW","brand":"Acme"},
  {"sku":"MUG-01","title":"Mug","url":"https://acme.example/mug","image":{"url":"https://img.acme.example/mug.jpg"},"price":"1.5","currency":"KWD"}]}`
	// The SPEC's example spans lines for reading; a file has it on one.
	content = strings.ReplaceAll(content, "\n", "")
	stats, err := importText(t, st, "data.jsonl", content)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if want := (Stats{Lines: 1, Shops: 1, ShopsCreated: 1, Products: 2, ProductsCreated: 2}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	shop, products := catalogue(t, st, "1001")
	if shop.Name != "Acme Outdoor" || *shop.Description != "Gear for weekends." || shop.StoreURL != "https://acme.example" || shop.Status != "ACTIVE" {
		t.Errorf("shop = %+v", shop)
	}
	if shop.CreatedAt.IsZero() || !shop.CreatedAt.Equal(shop.UpdatedAt) {
		t.Errorf("shop created %v, updated %v; want equal, non-zero", shop.CreatedAt, shop.UpdatedAt)
	}
	if len(products) != 2 {
		t.Fatalf("got %d products, want 2", len(products))
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".ID", ".CreatedAt", ".UpdatedAt":
			return true
		}
		return false
	}, cmp.Ignore())
	want := []store.Product{
		{
			ShopID: shop.ID, SKU: "TENT-2P", Title: "Two-person tent", Description: ptr("Light."),
			URL: "https://acme.example/tent-2p", ImageURL: "https://img.acme.example/tent.jpg",
			ImageAltText: ptr("A green tent"), ImageWidth: ptr(800), ImageHeight: ptr(800),
			Currency: "USD", PriceMinor: 19900, CompareAtMinor: ptr[int64](24900),
			Availability: "IN_STOCK", Condition: "NEW", Brand: ptr("Acme"),
		},
		{
			ShopID: shop.ID, SKU: "MUG-01", Title: "Mug", URL: "https://acme.example/mug",
			ImageURL: "https://img.acme.example/mug.jpg", Currency: "KWD", PriceMinor: 1500,
			Availability: "IN_STOCK", Condition: "NEW",
		},
	}
	if diff := cmp.Diff(want, products, ignore); diff != "" {
		t.Errorf("products (-want +got):\n%s", diff)
	}
	if got, want := featuredSKUs(t, st, "1001"), []string{"TENT-2P", "MUG-01"}; !cmp.Equal(got, want) {
		t.Errorf("featured = %q, want %q", got, want)
	}
}

func TestImportAllOrNothing(t *testing.T) {
	st := newStore(t)
	content := strings.Join([]string{
		line("1001", nil, "A", "B"),
		line("1002", nil, "A", "B:-1", "C:1.999"), // line 2: two bad prices
		"", // line 3: blank, skipped
		line("1003", nil, "A"),
		`{"profileId":"1004","colour":"red"}`, // line 5: unknown field
		"   ",                                 // line 6: blank
		line("1005", []string{"Z"}, "A"),      // line 7: featured SKU unknown
		line("1006", nil, "A"),
	}, "\n") + "\n"
	got := reportLines(t, st, "data.jsonl", content)
	want := []string{
		"data.jsonl:2: products[1].price: must not be negative",
		"data.jsonl:2: products[2].price: must have at most 2 decimal places for USD",
		`data.jsonl:5: unknown field "colour"; see the import format for the allowed fields`,
		`data.jsonl:7: featured[0]: the shop has no product "Z"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	assertEmpty(t, st)
}

func TestImportMalformedLines(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"not JSON", `profileId=1001`, "f.jsonl:2: invalid JSON at byte 1: invalid character 'p' looking for beginning of value"},
		{"truncated", `{"profileId":"1001"`, "f.jsonl:2: invalid JSON: the line ends inside the object"},
		{"two objects", line("1009", nil) + line("1010", nil), "f.jsonl:2: unexpected data after the shop's JSON object; put one shop on each line"},
		{"array", `["1001"]`, "f.jsonl:2: must be a JSON object: one shop on each line, not array"},
		{"string", `"1001"`, "f.jsonl:2: must be a JSON object: one shop on each line, not string"},
		{"number for a string", `{"profileId":1001}`, "f.jsonl:2: profileId: must be a string (amounts too: \"19.90\"), not number"},
		{"number for a price", `{"profileId":"1001","products":[{"price":19.9}]}`, "f.jsonl:2: products[0].price: must be a string (amounts too: \"19.90\"), not number"},
		{"number for the second price", `{"profileId":"1001","products":[{"sku":"A"},{"price":19.9}]}`, "f.jsonl:2: products[1].price: must be a string (amounts too: \"19.90\"), not number"},
		{"string for a product", `{"profileId":"1001","products":[{"sku":"A"},"B"]}`, "f.jsonl:2: products[1]: must be an object, not string"},
		{"object for products", `{"profileId":"1001","products":{"sku":"A"}}`, "f.jsonl:2: products: must be a list, not object"},
		{"fraction for a width", `{"profileId":"1001","products":[{"image":{"width":1.5}}]}`, "f.jsonl:2: products[0].image.width: must be a whole number, not number 1.5"},
		{"object for featured", `{"profileId":"1001","featured":{"a":1}}`, "f.jsonl:2: featured: must be a list, not object"},
		{"unknown product field", `{"profileId":"1001","products":[{"gtin":"123"}]}`, `f.jsonl:2: products[0]: unknown field "gtin"; see the import format for the allowed fields`},
		{"unknown image field", `{"profileId":"1001","products":[{"sku":"A"},{"image":{"colour":"red"}}]}`, `f.jsonl:2: products[1]: unknown field "colour"; see the import format for the allowed fields`},
		{"invalid UTF-8", "{\"profileId\":\"1001\",\"name\":\"Caf\xe9\"}", "f.jsonl:2: the line is not valid UTF-8; files must be UTF-8 encoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			got := reportLines(t, st, "f.jsonl", line("1001", nil, "A")+"\n"+tt.line+"\n")
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("report = %q, want %q", got, tt.want)
			}
			assertEmpty(t, st)
		})
	}
}

func TestImportLineEndingsAndBOM(t *testing.T) {
	st := newStore(t)
	content := "\uFEFF" + line("1001", nil, "A") + "\r\n\r\n" + line("1002", nil, "B") + "\r\n"
	stats, err := importText(t, st, "win.jsonl", content)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if stats.Lines != 2 || stats.Products != 2 {
		t.Errorf("stats = %+v, want 2 lines, 2 products", stats)
	}
	// Line numbers count the blank line too.
	got := reportLines(t, newStore(t), "win.jsonl", "\r\n"+line("1001", nil, "A:x")+"\r\n")
	if want := "win.jsonl:2: products[0].price: must be a decimal number such as 19.90"; len(got) != 1 || got[0] != want {
		t.Errorf("report = %q, want %q", got, want)
	}
}

func TestImportEmpty(t *testing.T) {
	st := newStore(t)
	stats, err := importText(t, st, "empty.jsonl", "\n\n  \n")
	if err != nil || stats != (Stats{}) {
		t.Errorf("Import = %+v, %v; want zero stats, no error", stats, err)
	}
}

func TestImportSeveralFilesOneTransaction(t *testing.T) {
	st := newStore(t)
	sources := []Source{
		{Name: "a.jsonl", R: strings.NewReader(line("1001", nil, "A") + "\n")},
		{Name: "dir/b.jsonl", R: strings.NewReader(line("1002", nil, "B") + "\n" + line("1003", nil, "C:abc") + "\n")},
	}
	_, err := Import(context.Background(), st, sources, nil)
	var r *Report
	if !errors.As(err, &r) {
		t.Fatalf("Import error = %v, want a *Report", err)
	}
	want := []LineError{{File: "dir/b.jsonl", Line: 2, FieldError: FieldError{
		Field: []string{"products", "0", "price"}, Message: "must be a decimal number such as 19.90", Code: CodeInvalid,
	}}}
	if diff := cmp.Diff(want, r.Errors); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	assertEmpty(t, st)

	sources = []Source{
		{Name: "a.jsonl", R: strings.NewReader(line("1001", nil, "A") + "\n")},
		{Name: "b.jsonl", R: strings.NewReader(line("1002", nil, "B") + "\n")},
	}
	stats, err := Import(context.Background(), st, sources, nil)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if stats.Shops != 2 {
		t.Errorf("stats = %+v, want 2 shops", stats)
	}
}

func TestImportFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.jsonl")
	if err := os.WriteFile(path, []byte(line("1001", nil, "A")+"\n"+line("1002", nil, "B:-5")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	_, err := ImportFiles(context.Background(), st, []string{path}, nil)
	if want := path + ":2: products[0].price: must not be negative"; err == nil || err.Error() != want {
		t.Errorf("ImportFiles error = %v, want %q", err, want)
	}
	if _, err := ImportFiles(context.Background(), st, []string{filepath.Join(dir, "missing.jsonl")}, nil); err == nil || errors.As(err, new(*Report)) {
		t.Errorf("ImportFiles(missing) error = %v, want an I/O error", err)
	}
}

func TestImportUpsert(t *testing.T) {
	st := newStore(t)
	mustImport(t, st, line("1001", []string{"B", "A"}, "A", "B", "C"))
	_, before := catalogue(t, st, "1001")

	// Update B, add D; A and C are not listed and stay; no featured key
	// keeps the featured list.
	stats := mustImport(t, st, line("1001", nil, "D", "B=Better B"))
	if want := (Stats{Lines: 1, Shops: 1, Products: 2, ProductsCreated: 1}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	_, after := catalogue(t, st, "1001")
	if got, want := skusOf(after), []string{"A", "B", "C", "D"}; !cmp.Equal(got, want) {
		t.Errorf("catalogue = %q, want %q", got, want)
	}
	if after[1].ID != before[1].ID || after[1].Title != "Better B" {
		t.Errorf("B = id %d %q, want id %d \"Better B\"", after[1].ID, after[1].Title, before[1].ID)
	}
	if got, want := featuredSKUs(t, st, "1001"), []string{"B", "A"}; !cmp.Equal(got, want) {
		t.Errorf("featured = %q, want %q (kept)", got, want)
	}

	// Featured may name products from earlier imports only.
	mustImport(t, st, line("1001", []string{"D", "C"}))
	if got, want := featuredSKUs(t, st, "1001"), []string{"D", "C"}; !cmp.Equal(got, want) {
		t.Errorf("featured = %q, want %q (replaced)", got, want)
	}

	// An empty list clears it.
	mustImport(t, st, line("1001", []string{}))
	if got := featuredSKUs(t, st, "1001"); len(got) != 0 {
		t.Errorf("featured = %q, want none", got)
	}
	if _, products := catalogue(t, st, "1001"); len(products) != 4 {
		t.Errorf("got %d products, want 4 kept", len(products))
	}
}

func TestImportSameShopOnSeveralLines(t *testing.T) {
	st := newStore(t)
	stats := mustImport(t, st,
		line("1001", nil, "A", "B"),
		line("1002", nil, "X"),
		line("1001", []string{"C", "A"}, "B=New B", "C"),
	)
	if want := (Stats{Lines: 3, Shops: 2, ShopsCreated: 2, Products: 5, ProductsCreated: 4}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	_, products := catalogue(t, st, "1001")
	if got, want := skusOf(products), []string{"A", "B", "C"}; !cmp.Equal(got, want) {
		t.Errorf("catalogue = %q, want %q", got, want)
	}
	if products[1].Title != "New B" {
		t.Errorf("B title = %q, want the later line's", products[1].Title)
	}
	if got, want := featuredSKUs(t, st, "1001"), []string{"C", "A"}; !cmp.Equal(got, want) {
		t.Errorf("featured = %q, want %q", got, want)
	}
}

func TestImportFeaturedRules(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
	}{
		{"unknown sku", line("1001", []string{"A", "NOPE"}, "A"), []string{`d.jsonl:2: featured[1]: the shop has no product "NOPE"`}},
		{"another shop's sku", line("1002", []string{"OLD"}, "A"), []string{`d.jsonl:2: featured[0]: the shop has no product "OLD"`}},
		{"more than five", line("1001", []string{"A", "B", "C", "D", "E", "OLD"}, "A", "B", "C", "D", "E"), []string{
			"d.jsonl:2: featured: at most 5 products can be featured, got 6",
		}},
		{"duplicate", line("1001", []string{"A", "OLD", "A"}, "A"), []string{
			`d.jsonl:2: featured[2]: "A" is already featured at featured[0]; each product may be featured once`,
		}},
		{"duplicate sku in a line", line("1001", nil, "A", "B", "A"), []string{
			`d.jsonl:2: products[2].sku: "A" is already used by products[0]; a SKU may appear once`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			mustImport(t, st, line("1001", []string{"OLD"}, "OLD"))
			_, before := catalogue(t, st, "1001")
			got := reportLines(t, st, "d.jsonl", "\n"+tt.line)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			if _, after := catalogue(t, st, "1001"); !cmp.Equal(skusOf(after), skusOf(before)) {
				t.Errorf("catalogue = %q, want %q unchanged", skusOf(after), skusOf(before))
			}
			if got := featuredSKUs(t, st, "1001"); !cmp.Equal(got, []string{"OLD"}) {
				t.Errorf("featured = %q, want unchanged", got)
			}
		})
	}
}

func TestImportFeaturedNotPurchasable(t *testing.T) {
	// Featuring an out-of-stock product is allowed; the carousel skips it.
	st := newStore(t)
	l := strings.Replace(line("1001", []string{"B", "A"}, "A", "B"), `"sku":"B"`, `"availability":"OUT_OF_STOCK","sku":"B"`, 1)
	mustImport(t, st, l)
	if got, want := featuredSKUs(t, st, "1001"), []string{"A"}; !cmp.Equal(got, want) {
		t.Errorf("carousel = %q, want %q", got, want)
	}
}

func TestImportStatus(t *testing.T) {
	st := newStore(t)
	mustImport(t, st, line("1001", nil, "A"))
	if shop, _ := catalogue(t, st, "1001"); shop.Status != store.StatusActive {
		t.Errorf("new shop without status = %s, want ACTIVE", shop.Status)
	}
	suspended := strings.Replace(line("1001", nil), `"storeUrl"`, `"status":"SUSPENDED","storeUrl"`, 1)
	mustImport(t, st, suspended)
	if shop, _ := catalogue(t, st, "1001"); shop.Status != store.StatusSuspended {
		t.Errorf("status = %s, want SUSPENDED", shop.Status)
	}
	// A line without status does not lift the suspension.
	mustImport(t, st, line("1001", nil, "B"))
	if shop, _ := catalogue(t, st, "1001"); shop.Status != store.StatusSuspended {
		t.Errorf("status after an import without status = %s, want SUSPENDED kept", shop.Status)
	}
	draft := strings.Replace(line("1001", nil), `"storeUrl"`, `"status":"DRAFT","storeUrl"`, 1)
	mustImport(t, st, draft)
	if shop, _ := catalogue(t, st, "1001"); shop.Status != store.StatusDraft {
		t.Errorf("status = %s, want DRAFT", shop.Status)
	}
}

func TestImportSameFileTwiceKeepsUpdatedAt(t *testing.T) {
	st := newStore(t)
	l := line("1001", []string{"A"}, "A", "B")
	mustImport(t, st, l)
	shop1, products1 := catalogue(t, st, "1001")
	time.Sleep(5 * time.Millisecond)
	stats := mustImport(t, st, l)
	if stats.ShopsCreated != 0 || stats.ProductsCreated != 0 {
		t.Errorf("stats = %+v, want nothing created", stats)
	}
	shop2, products2 := catalogue(t, st, "1001")
	if !shop2.UpdatedAt.Equal(shop1.UpdatedAt) {
		t.Errorf("shop updatedAt moved from %v to %v on an identical import", shop1.UpdatedAt, shop2.UpdatedAt)
	}
	if diff := cmp.Diff(products1, products2); diff != "" {
		t.Errorf("products changed on an identical import (-first +second):\n%s", diff)
	}

	time.Sleep(5 * time.Millisecond)
	mustImport(t, st, line("1001", nil, "A:11.00"))
	shop3, products3 := catalogue(t, st, "1001")
	if !products3[0].UpdatedAt.After(products1[0].UpdatedAt) || !products3[0].CreatedAt.Equal(products1[0].CreatedAt) {
		t.Errorf("changed product: created %v → %v, updated %v → %v; want created kept, updated later",
			products1[0].CreatedAt, products3[0].CreatedAt, products1[0].UpdatedAt, products3[0].UpdatedAt)
	}
	if !products3[1].UpdatedAt.Equal(products1[1].UpdatedAt) {
		t.Errorf("unlisted product's updatedAt moved")
	}
	if !shop3.UpdatedAt.Equal(shop1.UpdatedAt) {
		t.Errorf("unchanged shop's updatedAt moved")
	}
}

// skuList is n SKUs named prefix0, prefix1, ….
func skuList(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func TestImportProductLimit(t *testing.T) {
	st := newStore(t)
	mustImport(t, st, line("1001", nil, skuList("P", MaxProducts-1)...))

	// Two new products would make 10,001, counting those in the database.
	got := reportLines(t, st, "more.jsonl", line("1001", nil, "P0", "NEW1", "NEW2"))
	want := []string{"more.jsonl:1: products: the shop would have 10001 products; a shop may have at most 10000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	// The same across two lines of one file: the second line crosses it.
	got = reportLines(t, st, "more.jsonl", line("1001", nil, "NEW1")+"\n"+line("1001", nil, "NEW2"))
	want = []string{"more.jsonl:2: products: the shop would have 10001 products; a shop may have at most 10000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}

	// One more is exactly the limit; updating existing products stays fine.
	mustImport(t, st, line("1001", nil, "NEW1"))
	mustImport(t, st, line("1001", nil, "P0=Renamed", "NEW1=Renamed"))
	if _, products := catalogue(t, st, "1001"); len(products) != MaxProducts {
		t.Errorf("got %d products, want %d", len(products), MaxProducts)
	}

	// Another shop has its own limit; one line of 10,001 fails by itself.
	got = reportLines(t, st, "big.jsonl", line("1002", nil, skuList("Q", MaxProducts+1)...))
	want = []string{"big.jsonl:1: products: the shop would have 10001 products; a shop may have at most 10000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestImportProgressSilentOffTerminal(t *testing.T) {
	st := newStore(t)
	var buf bytes.Buffer
	if _, err := Import(context.Background(), st, []Source{{Name: "a", R: strings.NewReader(line("1001", nil, "A"))}}, &buf); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Import(context.Background(), st, []Source{{Name: "a", R: strings.NewReader(line("1002", nil, "A"))}}, f); err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	if buf.Len() != 0 || info.Size() != 0 {
		t.Errorf("progress wrote %q to a buffer and %d bytes to a file; want nothing off a terminal", buf.String(), info.Size())
	}
}

func TestImportCanceled(t *testing.T) {
	st := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Import(ctx, st, []Source{{Name: "a", R: strings.NewReader(line("1001", nil, "A"))}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Import error = %v, want context.Canceled", err)
	}
	assertEmpty(t, st)
}

// TestImportNULProfileID: a line whose profileId has NUL in it (which
// PostgreSQL's text cannot hold) is reported as invalid, beside a good line,
// and is never sent to the database.
func TestImportNULProfileID(t *testing.T) {
	st := newStore(t)
	lines := reportLines(t, st, "data.jsonl",
		`{"profileId":"7","name":"Good","storeUrl":"https://good.example","products":[]}`+"\n"+
			`{"profileId":"8\u0000","name":"Nul","storeUrl":"https://nul.example","products":[]}`)
	if len(lines) != 1 || !strings.Contains(lines[0], "data.jsonl:2") || !strings.Contains(lines[0], "profileId") {
		t.Errorf("report %q, want one problem with line 2's profileId", lines)
	}
}
