package catalog

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
)

const feedHeader = "id,title,description,availability,condition,price,sale_price,link,image_link,brand\n"

func TestReadFeedSample(t *testing.T) {
	f, err := os.Open("testdata/catalog.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, problems := ReadFeed("catalog.csv", f)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	var got []string
	for _, r := range rows {
		p := r.Product
		before := "-"
		if p.CompareAtPrice != nil {
			before = *p.CompareAtPrice
		}
		got = append(got, strings.Join([]string{p.SKU, p.Price, before, p.Currency, p.Availability, p.Condition}, " "))
	}
	want := []string{
		"LAMP-NUAGE 119.00 - EUR IN_STOCK NEW",
		"BULB-E27 9.90 12.90 EUR IN_STOCK NEW",
		"SHADE-LIN-S 89.00 - EUR AVAILABLE_FOR_ORDER NEW",
		"LAMP-ARC 399.00 459.00 EUR PREORDER NEW",
		"LAMP-BAUHAUS 390.00 - EUR OUT_OF_STOCK USED",
		"CANDLE-3 18.00 - EUR DISCONTINUED NEW",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// A quoted description runs over two lines; the next row's line counts them.
	if lines := []int{rows[0].Line, rows[1].Line}; !slices.Equal(lines, []int{2, 4}) {
		t.Errorf("lines %v, want [2 4]", lines)
	}
	if d := rows[0].Product.Description; d == nil || *d != "Cloud-shaped paper shade.\nTakes an E27 bulb." {
		t.Errorf("multi-line description %v", d)
	}
	if b := rows[1].Product.Brand; b == nil || *b != "Lumen&Co, Paris" || rows[4].Product.Brand != nil {
		t.Errorf("brands %v %v", b, rows[4].Product.Brand)
	}
}

func TestReadFeedHeader(t *testing.T) {
	for _, tt := range []struct {
		name, content string
		want          []string
	}{
		{"empty", "", []string{"f.csv:1: the file is empty; it needs a header row: " + strings.Join(FeedColumns, ",")}},
		{"missing and unknown", "id,title,price,link,colour\n", []string{
			`f.csv:1: unknown column "colour"; the columns are ` + strings.Join(FeedColumns, ","),
			`f.csv:1: the header has no "image_link" column; required are id,title,price,link,image_link`,
		}},
		{"twice", "id,title,price,link,image_link,ID\n", []string{`f.csv:1: column "id" appears twice`}},
		{"any order, BOM, case", "\uFEFFImage_Link, Price ,ID,title,link\nhttps://i.example/a,1.00 USD,A,T,https://i.example/\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := ReadFeed("f.csv", strings.NewReader(tt.content))
			var got []string
			for _, p := range problems {
				got = append(got, p.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportFeed(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	mustImport(t, st, `{"profileId":"7","name":"Lumière","storeUrl":"https://lumiere.example","featured":["BULB-E27"],"products":[`+
		`{"sku":"BULB-E27","title":"Old title","url":"https://lumiere.example/b","image":{"url":"https://img.lumiere.example/b.jpg"},"price":"15.00","currency":"EUR"},`+
		`{"sku":"KEEP","title":"Not in the file","url":"https://lumiere.example/k","image":{"url":"https://img.lumiere.example/k.jpg"},"price":"1.00","currency":"EUR"}]}`)
	f, err := os.Open("testdata/catalog.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stats, err := ImportFeed(ctx, st, "7", Source{Name: "catalog.csv", R: f})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Products != 6 || stats.ProductsCreated != 5 {
		t.Errorf("stats %+v, want 6 products, 5 new", stats)
	}
	rows, err := st.ProductPagesByShopIDs(ctx, []int64{stats.ShopID}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rows {
		got = append(got, p.SKU+" "+p.Title)
	}
	want := []string{"BULB-E27 LED filament bulb E27", "KEEP Not in the file", "LAMP-NUAGE Lampe Nuage", "SHADE-LIN-S Linen shade, small",
		"LAMP-ARC Arc floor lamp", "LAMP-BAUHAUS 1930s Bauhaus desk lamp", "CANDLE-3 Beeswax candles (3)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalogue (-want +got):\n%s", diff)
	}
	if rows[0].PriceMinor != 990 || rows[0].CompareAtMinor == nil || *rows[0].CompareAtMinor != 1290 {
		t.Errorf("sale: price %d compareAt %v, want 990 and 1290", rows[0].PriceMinor, rows[0].CompareAtMinor)
	}
	featured, err := st.FeaturedProductsByShopIDs(ctx, []int64{stats.ShopID}, store.AllColumns)
	if err != nil || len(featured) != 1 || featured[0].SKU != "BULB-E27" {
		t.Errorf("featured list changed: %+v %v", featured, err)
	}

	if _, err := ImportFeed(ctx, st, "8", Source{Name: "catalog.csv", R: strings.NewReader(feedHeader)}); !errors.Is(err, ErrNoShop) {
		t.Errorf("a profile without a shop: %v, want ErrNoShop", err)
	}
	// A profile id no row can hold (PostgreSQL's text refuses NUL) is a
	// profile without a shop too, not a database error.
	for _, profile := range []string{"7\x00", "\xff"} {
		if _, err := ImportFeed(ctx, st, profile, Source{Name: "catalog.csv", R: strings.NewReader(feedHeader)}); !errors.Is(err, ErrNoShop) {
			t.Errorf("profile %q: %v, want ErrNoShop", profile, err)
		}
	}
}

// TestImportFeedReport: every problem of every row, on its line and column,
// and nothing written.
func TestImportFeedReport(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	mustImport(t, st, `{"profileId":"7","name":"Lumière","storeUrl":"https://lumiere.example","products":[]}`)
	content := feedHeader +
		"A,Good,,in stock,new,1.00 EUR,,https://l.example/a,https://l.example/a.jpg,\n" +
		"B,Bad,,in stock,new,119.001 EUR,,https://l.example/b,http://l.example/b.jpg,\n" +
		"C,,,sold out,new,12.90 EUR,14.90 EUR,https://l.example/c,https://l.example/c.jpg,\n" +
		"A,Again,,in stock,new,10 XYZ,,https://l.example/a,https://l.example/a.jpg,\n" +
		"D,No currency,,in stock,new,10,,https://l.example/d,https://l.example/d.jpg,\n" +
		"E,Short row\n" +
		"F,Mixed,,in stock,shiny,10.00 EUR,5.00 USD,https://l.example/f,https://l.example/f.jpg," + strings.Repeat("b", 151) + "\n"
	_, err := ImportFeed(ctx, st, "7", Source{Name: "catalog.csv", R: strings.NewReader(content)})
	var r *Report
	if !errors.As(err, &r) {
		t.Fatalf("error %v, want a *Report", err)
	}
	want := []string{
		"catalog.csv:3: image_link: must be an absolute https URL, such as https://shop.example/item; http is not allowed",
		"catalog.csv:3: price: must have at most 2 decimal places for EUR",
		`catalog.csv:4: availability: must be one of in stock, available for order, preorder, out of stock, discontinued; got "sold out"`,
		"catalog.csv:4: title: is required",
		"catalog.csv:4: sale_price: must be less than price, being the price after a discount",
		"catalog.csv:5: price: the currency must be the ISO 4217 code of a circulating currency, such as USD, EUR or JPY",
		`catalog.csv:5: id: "A" is already the id of line 2; an id may appear once`,
		`catalog.csv:6: price: must be an amount and a currency, such as 20.00 USD; got "10"`,
		"catalog.csv:7: has 2 fields, the header 10",
		`catalog.csv:8: condition: must be one of new, refurbished, used; got "shiny"`,
		"catalog.csv:8: sale_price: must be in the price's currency, EUR; got USD",
		"catalog.csv:8: brand: must be at most 150 characters, is 151",
	}
	if diff := cmp.Diff(want, strings.Split(r.Error(), "\n")); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	n, err := st.ProductCountsByShopIDs(ctx, []int64{1})
	if err != nil || n[1] != 0 {
		t.Errorf("products written: %v %v", n, err)
	}
}

// FuzzReadFeed: whatever the bytes, ReadFeed does not panic, and what it
// returns is consistent: rows in line order after the header, problems on
// lines of the file, a sale only with the price before it.
func FuzzReadFeed(f *testing.F) {
	sample, err := os.ReadFile("testdata/catalog.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(sample))
	f.Add(feedHeader)
	f.Add(feedHeader + `A,"unterminated,,in stock,new,1.00 USD,,https://a.example/,https://a.example/i,` + "\n")
	f.Fuzz(func(t *testing.T, content string) {
		rows, problems := ReadFeed("f.csv", strings.NewReader(content))
		lines := strings.Count(content, "\n") + 1
		last := 1
		for _, r := range rows {
			if r.Line <= last || r.Line > lines {
				t.Fatalf("row on line %d after line %d, in a file of %d lines", r.Line, last, lines)
			}
			last = r.Line
			if r.OnSale && r.Product.CompareAtPrice == nil {
				t.Fatalf("line %d: on sale without a price before the sale", r.Line)
			}
			if a := r.Product.Availability; a != "" && !slices.Contains(Availabilities, a) {
				t.Fatalf("line %d: availability %q", r.Line, a)
			}
		}
		for _, p := range problems {
			if p.File != "f.csv" || p.Line < 0 || p.Line > lines || p.Message == "" {
				t.Fatalf("problem %+v in a file of %d lines", p, lines)
			}
		}
	})
}

func TestValidateStatusChange(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		staff    bool
		want     string // the code, or ""
	}{
		{store.StatusDraft, store.StatusActive, false, ""},
		{store.StatusActive, store.StatusDraft, false, ""},
		{store.StatusActive, store.StatusActive, false, ""},
		{store.StatusActive, store.StatusSuspended, false, CodeForbiddenStatus},
		{store.StatusSuspended, store.StatusActive, false, CodeForbiddenStatus},
		{store.StatusSuspended, store.StatusDraft, false, CodeForbiddenStatus},
		{store.StatusActive, store.StatusSuspended, true, ""},
		{store.StatusSuspended, store.StatusActive, true, ""},
		{store.StatusActive, "CLOSED", true, CodeInvalid},
	} {
		errs := ValidateStatusChange(tt.from, tt.to, tt.staff)
		var got string
		if len(errs) > 0 {
			got = errs[0].Code
		}
		if got != tt.want {
			t.Errorf("%s → %s (staff %v): %v, want %q", tt.from, tt.to, tt.staff, errs, tt.want)
		}
	}
}

func TestMergeProduct(t *testing.T) {
	cur := store.Product{SKU: "A", Title: "T", URL: "https://a.example/", ImageURL: "https://a.example/i", ImageAltText: ptr("alt"),
		Currency: "USD", PriceMinor: 1990, CompareAtMinor: ptr(int64(2500)), Availability: "IN_STOCK", Condition: "NEW", Brand: ptr("B")}
	w, errs := MergeProduct(cur, ProductChanges{})
	if len(errs) > 0 || w.PriceMinor != 1990 || *w.CompareAtMinor != 2500 || *w.ImageAltText != "alt" || *w.Brand != "B" {
		t.Errorf("no change: %+v %v", w, errs)
	}
	w, errs = MergeProduct(cur, ProductChanges{Brand: Change[string]{Set: true}, CompareAtPrice: Change[string]{Set: true}, Price: To("30.00")})
	if len(errs) > 0 || w.Brand != nil || w.CompareAtMinor != nil || w.PriceMinor != 3000 {
		t.Errorf("clears and price: %+v %v", w, errs)
	}
	_, errs = MergeProduct(cur, ProductChanges{Price: To("30.00")})
	if len(errs) != 1 || !cmp.Equal(errs[0].Field, []string{"compareAtPrice"}) {
		t.Errorf("price above compareAtPrice: %v", errs)
	}
	_, errs = MergeProduct(cur, ProductChanges{Image: Change[ImageInput]{Set: true}, Currency: To("KWD")})
	if len(errs) != 1 || !cmp.Equal(errs[0].Field, []string{"image"}) {
		t.Errorf("null image, KWD (3 digits, so 19.90 fits): %v", errs)
	}
}

// TestImportFeedProductLimit: a feed that would take the shop beyond
// MaxProducts is refused whole, and the catalogue is as it was; a feed of
// products the shop has already adds nothing, so it passes at the limit.
func TestImportFeedProductLimit(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	mustImport(t, st, line("7", nil, skuList("P", MaxProducts-1)...))
	feed := func(skus ...string) Source {
		text := feedHeader
		for _, sku := range skus {
			text += sku + ",Lamp,,in_stock,new,15.00 EUR,,https://lumiere.example/" + sku + ",https://img.lumiere.example/" + sku + ".jpg,\n"
		}
		return Source{Name: "feed.csv", R: strings.NewReader(text)}
	}
	_, err := ImportFeed(ctx, st, "7", feed("NEW1", "NEW2"))
	var report *Report
	if !errors.As(err, &report) || len(report.Errors) != 1 || report.Errors[0].Code != CodeTooMany {
		t.Fatalf("two new products on a shop one short of the limit: %v, want a TOO_MANY report", err)
	}
	if _, products := catalogue(t, st, "7"); len(products) != MaxProducts-1 {
		t.Errorf("after the refused feed: %d products, want %d", len(products), MaxProducts-1)
	}
	stats, err := ImportFeed(ctx, st, "7", feed("NEW1"))
	if err != nil || stats.ProductsCreated != 1 {
		t.Fatalf("one new product, reaching the limit: %+v, %v", stats, err)
	}
	stats, err = ImportFeed(ctx, st, "7", feed("P0", "NEW1"))
	if err != nil || stats.ProductsCreated != 0 || stats.Products != 2 {
		t.Errorf("updating two products of a full shop: %+v, %v", stats, err)
	}
}
