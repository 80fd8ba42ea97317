package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shop-subgraph/shop/internal/store"
)

// problem is a FieldError without its free-form message: what the tables
// assert.
type problem struct {
	Path string
	Code string
}

func problems(t *testing.T, errs []FieldError) []problem {
	t.Helper()
	var out []problem
	for _, e := range errs {
		if e.Message == "" {
			t.Errorf("%s %s has no message", e.Path(), e.Code)
		}
		out = append(out, problem{e.Path(), e.Code})
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func validShop() ShopInput {
	return ShopInput{
		ProfileID:   "1001",
		Name:        "Acme Outdoor",
		Description: ptr("Gear for weekends."),
		StoreURL:    "https://acme.example",
		Status:      "ACTIVE",
	}
}

func validProduct() ProductInput {
	return ProductInput{
		SKU:            "TENT-2P",
		Title:          "Two-person tent",
		Description:    ptr("Light."),
		URL:            "https://acme.example/tent-2p",
		Image:          ImageInput{URL: "https://img.acme.example/tent.jpg", AltText: ptr("A green tent"), Width: ptr(800), Height: ptr(800)},
		Price:          "199.00",
		CompareAtPrice: ptr("249.00"),
		Currency:       "USD",
		Availability:   "IN_STOCK",
		Condition:      "NEW",
		Brand:          ptr("Acme"),
	}
}

func TestValidateShop(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ShopInput)
		want   []problem
	}{
		{"valid", func(*ShopInput) {}, nil},
		{"status omitted", func(s *ShopInput) { s.Status = "" }, nil},
		{"status DRAFT", func(s *ShopInput) { s.Status = "DRAFT" }, nil},
		{"status SUSPENDED", func(s *ShopInput) { s.Status = "SUSPENDED" }, nil},
		{"status unknown", func(s *ShopInput) { s.Status = "OPEN" }, []problem{{"status", CodeInvalid}}},
		{"status lower case", func(s *ShopInput) { s.Status = "active" }, []problem{{"status", CodeInvalid}}},
		{"profileId empty", func(s *ShopInput) { s.ProfileID = "" }, []problem{{"profileId", CodeInvalid}}},
		{"profileId too long", func(s *ShopInput) { s.ProfileID = strings.Repeat("1", MaxProfileIDLen+1) }, []problem{{"profileId", CodeTooLong}}},
		{"profileId control", func(s *ShopInput) { s.ProfileID = "10\x0001" }, []problem{{"profileId", CodeInvalid}}},
		{"name empty", func(s *ShopInput) { s.Name = "" }, []problem{{"name", CodeInvalid}}},
		{"name blank", func(s *ShopInput) { s.Name = "   " }, []problem{{"name", CodeInvalid}}},
		{"name 80 chars", func(s *ShopInput) { s.Name = strings.Repeat("a", 80) }, nil},
		{"name 81 chars", func(s *ShopInput) { s.Name = strings.Repeat("a", 81) }, []problem{{"name", CodeTooLong}}},
		{"name 80 code points, 240 bytes", func(s *ShopInput) { s.Name = strings.Repeat("日", 80) }, nil},
		{"name 81 code points", func(s *ShopInput) { s.Name = strings.Repeat("日", 81) }, []problem{{"name", CodeTooLong}}},
		{"name line break", func(s *ShopInput) { s.Name = "Acme\nOutdoor" }, []problem{{"name", CodeInvalid}}},
		{"name tab", func(s *ShopInput) { s.Name = "Acme\tOutdoor" }, []problem{{"name", CodeInvalid}}},
		{"name line separator", func(s *ShopInput) { s.Name = "Acme\u2028Outdoor" }, []problem{{"name", CodeInvalid}}},
		{"name invalid UTF-8", func(s *ShopInput) { s.Name = "Acme \xff" }, []problem{{"name", CodeInvalid}}},
		{"description omitted", func(s *ShopInput) { s.Description = nil }, nil},
		{"description multi-line", func(s *ShopInput) { s.Description = ptr("Gear.\r\n\tFor weekends.") }, nil},
		{"description 5000", func(s *ShopInput) { s.Description = ptr(strings.Repeat("é", 5000)) }, nil},
		{"description 5001", func(s *ShopInput) { s.Description = ptr(strings.Repeat("é", 5001)) }, []problem{{"description", CodeTooLong}}},
		{"description NUL", func(s *ShopInput) { s.Description = ptr("a\x00b") }, []problem{{"description", CodeInvalid}}},
		{"description escape", func(s *ShopInput) { s.Description = ptr("a\x1b[31mb") }, []problem{{"description", CodeInvalid}}},
		{"storeUrl empty", func(s *ShopInput) { s.StoreURL = "" }, []problem{{"storeUrl", CodeInvalid}}},
		{"storeUrl http", func(s *ShopInput) { s.StoreURL = "http://acme.example" }, []problem{{"storeUrl", CodeInvalid}}},
		{"everything wrong", func(s *ShopInput) { *s = ShopInput{Status: "x", Description: ptr("\x00")} }, []problem{
			{"profileId", CodeInvalid}, {"name", CodeInvalid}, {"description", CodeInvalid}, {"storeUrl", CodeInvalid}, {"status", CodeInvalid},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validShop()
			tt.change(&in)
			_, errs := ValidateShop(in)
			if diff := cmp.Diff(tt.want, problems(t, errs)); diff != "" {
				t.Errorf("ValidateShop problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateShopResult(t *testing.T) {
	in := validShop()
	in.Status = ""
	in.Description = ptr("")
	got, errs := ValidateShop(in)
	if len(errs) > 0 {
		t.Fatalf("ValidateShop: %v", errs)
	}
	want := store.ShopWrite{OwnerID: "1001", Name: "Acme Outdoor", StoreURL: "https://acme.example"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ValidateShop result (-want +got):\n%s", diff)
	}
}

func TestValidateProduct(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ProductInput)
		want   []problem
	}{
		{"valid", func(*ProductInput) {}, nil},
		{"optional fields omitted", func(p *ProductInput) {
			*p = ProductInput{SKU: "A", Title: "T", URL: "https://a.example/a", Image: ImageInput{URL: "https://a.example/a.jpg"}, Price: "1", Currency: "USD"}
		}, nil},

		{"sku empty", func(p *ProductInput) { p.SKU = "" }, []problem{{"sku", CodeInvalid}}},
		{"sku blank", func(p *ProductInput) { p.SKU = " " }, []problem{{"sku", CodeInvalid}}},
		{"sku 100", func(p *ProductInput) { p.SKU = strings.Repeat("ß", 100) }, nil},
		{"sku 101", func(p *ProductInput) { p.SKU = strings.Repeat("s", 101) }, []problem{{"sku", CodeTooLong}}},
		{"sku line break", func(p *ProductInput) { p.SKU = "A\nB" }, []problem{{"sku", CodeInvalid}}},
		{"sku DEL", func(p *ProductInput) { p.SKU = "A\x7fB" }, []problem{{"sku", CodeInvalid}}},
		{"sku C1 control", func(p *ProductInput) { p.SKU = "A\u0085B" }, []problem{{"sku", CodeInvalid}}},
		{"sku invalid UTF-8", func(p *ProductInput) { p.SKU = "\xc3\x28" }, []problem{{"sku", CodeInvalid}}},

		{"title empty", func(p *ProductInput) { p.Title = "" }, []problem{{"title", CodeInvalid}}},
		{"title 150", func(p *ProductInput) { p.Title = strings.Repeat("🏕", 150) }, nil},
		{"title 151", func(p *ProductInput) { p.Title = strings.Repeat("t", 151) }, []problem{{"title", CodeTooLong}}},
		{"title tab", func(p *ProductInput) { p.Title = "a\tb" }, []problem{{"title", CodeInvalid}}},

		{"description 5000", func(p *ProductInput) { p.Description = ptr(strings.Repeat("d", 5000)) }, nil},
		{"description 5001", func(p *ProductInput) { p.Description = ptr(strings.Repeat("d", 5001)) }, []problem{{"description", CodeTooLong}}},
		{"description line breaks", func(p *ProductInput) { p.Description = ptr("one\ntwo\r\nthree\tfour") }, nil},
		{"description control", func(p *ProductInput) { p.Description = ptr("bell\a") }, []problem{{"description", CodeInvalid}}},
		{"description invalid UTF-8", func(p *ProductInput) { p.Description = ptr("\xed\xa0\x80") }, []problem{{"description", CodeInvalid}}},

		{"url empty", func(p *ProductInput) { p.URL = "" }, []problem{{"url", CodeInvalid}}},
		{"url http", func(p *ProductInput) { p.URL = "http://acme.example/x" }, []problem{{"url", CodeInvalid}}},
		{"url relative", func(p *ProductInput) { p.URL = "/products/x" }, []problem{{"url", CodeInvalid}}},
		{"url scheme-relative", func(p *ProductInput) { p.URL = "//acme.example/x" }, []problem{{"url", CodeInvalid}}},
		{"url no host", func(p *ProductInput) { p.URL = "https:///x" }, []problem{{"url", CodeInvalid}}},
		{"url port only", func(p *ProductInput) { p.URL = "https://:443/x" }, []problem{{"url", CodeInvalid}}},
		{"url opaque", func(p *ProductInput) { p.URL = "https:acme.example" }, []problem{{"url", CodeInvalid}}},
		{"url mailto", func(p *ProductInput) { p.URL = "mailto:a@acme.example" }, []problem{{"url", CodeInvalid}}},
		{"url javascript", func(p *ProductInput) { p.URL = "javascript:alert(1)" }, []problem{{"url", CodeInvalid}}},
		{"url credentials", func(p *ProductInput) { p.URL = "https://user:pw@acme.example/x" }, []problem{{"url", CodeInvalid}}},
		{"url space", func(p *ProductInput) { p.URL = "https://acme.example/a b" }, []problem{{"url", CodeInvalid}}},
		{"url line break", func(p *ProductInput) { p.URL = "https://acme.example/a\nb" }, []problem{{"url", CodeInvalid}}},
		{"url not a URL", func(p *ProductInput) { p.URL = "https://acme.example/%zz" }, []problem{{"url", CodeInvalid}}},
		{"url upper-case scheme", func(p *ProductInput) { p.URL = "HTTPS://acme.example/x" }, nil},
		{"url with port, query, fragment", func(p *ProductInput) { p.URL = "https://acme.example:8443/x?a=1#b" }, nil},
		{"url international", func(p *ProductInput) { p.URL = "https://bücher.example/straße" }, nil},
		{"url 2048", func(p *ProductInput) { p.URL = longURL(2048) }, nil},
		{"url 2049", func(p *ProductInput) { p.URL = longURL(2049) }, []problem{{"url", CodeTooLong}}},

		{"image.url empty", func(p *ProductInput) { p.Image.URL = "" }, []problem{{"image.url", CodeInvalid}}},
		{"image.url http", func(p *ProductInput) { p.Image.URL = "http://img.acme.example/t.jpg" }, []problem{{"image.url", CodeInvalid}}},
		{"image.url data", func(p *ProductInput) { p.Image.URL = "data:image/png;base64,AAAA" }, []problem{{"image.url", CodeInvalid}}},
		{"image.url 2049", func(p *ProductInput) { p.Image.URL = longURL(2049) }, []problem{{"image.url", CodeTooLong}}},
		{"image.altText 500", func(p *ProductInput) { p.Image.AltText = ptr(strings.Repeat("a", 500)) }, nil},
		{"image.altText 501", func(p *ProductInput) { p.Image.AltText = ptr(strings.Repeat("a", 501)) }, []problem{{"image.altText", CodeTooLong}}},
		{"image.altText line break", func(p *ProductInput) { p.Image.AltText = ptr("a\nb") }, []problem{{"image.altText", CodeInvalid}}},
		{"image.width 1", func(p *ProductInput) { p.Image.Width = ptr(1) }, nil},
		{"image.width 0", func(p *ProductInput) { p.Image.Width = ptr(0) }, []problem{{"image.width", CodeInvalid}}},
		{"image.width negative", func(p *ProductInput) { p.Image.Width = ptr(-800) }, []problem{{"image.width", CodeInvalid}}},
		{"image.width beyond Int", func(p *ProductInput) { p.Image.Width = ptr(MaxImageSide + 1) }, []problem{{"image.width", CodeInvalid}}},
		{"image.height 0", func(p *ProductInput) { p.Image.Height = ptr(0) }, []problem{{"image.height", CodeInvalid}}},
		{"image size omitted", func(p *ProductInput) { p.Image.Width, p.Image.Height = nil, nil }, nil},

		{"brand 150", func(p *ProductInput) { p.Brand = ptr(strings.Repeat("b", 150)) }, nil},
		{"brand 151", func(p *ProductInput) { p.Brand = ptr(strings.Repeat("b", 151)) }, []problem{{"brand", CodeTooLong}}},
		{"brand control", func(p *ProductInput) { p.Brand = ptr("Ac\x01me") }, []problem{{"brand", CodeInvalid}}},

		{"price empty", func(p *ProductInput) { p.Price, p.CompareAtPrice = "", nil }, []problem{{"price", CodeInvalid}}},
		{"price zero", func(p *ProductInput) { p.Price = "0" }, nil},
		{"price one decimal", func(p *ProductInput) { p.Price = "19.9" }, nil},
		{"price negative", func(p *ProductInput) { p.Price = "-1" }, []problem{{"price", CodeInvalid}}},
		{"price exponent", func(p *ProductInput) { p.Price = "1e3" }, []problem{{"price", CodeInvalid}}},
		{"price trailing point", func(p *ProductInput) { p.Price = "1." }, []problem{{"price", CodeInvalid}}},
		{"price leading point", func(p *ProductInput) { p.Price = ".5" }, []problem{{"price", CodeInvalid}}},
		{"price comma", func(p *ProductInput) { p.Price = "199,00" }, []problem{{"price", CodeInvalid}}},
		{"price with currency", func(p *ProductInput) { p.Price = "199.00 USD" }, []problem{{"price", CodeInvalid}}},
		{"price too many digits USD", func(p *ProductInput) { p.Price = "19.999" }, []problem{{"price", CodeInvalid}}},
		{"price trailing zero beyond USD", func(p *ProductInput) { p.Price = "19.900" }, []problem{{"price", CodeInvalid}}},
		{"price JPY whole", func(p *ProductInput) { p.Currency, p.Price, p.CompareAtPrice = "JPY", "1500", nil }, nil},
		{"price JPY decimals", func(p *ProductInput) { p.Currency, p.Price, p.CompareAtPrice = "JPY", "1500.5", nil }, []problem{{"price", CodeInvalid}}},
		{"price KWD 3 decimals", func(p *ProductInput) { p.Currency, p.Price, p.CompareAtPrice = "KWD", "1.250", nil }, nil},
		{"price KWD 4 decimals", func(p *ProductInput) { p.Currency, p.Price, p.CompareAtPrice = "KWD", "1.2500", nil }, []problem{{"price", CodeInvalid}}},
		{"price overflow", func(p *ProductInput) { p.Price, p.CompareAtPrice = "92233720368547758.08", nil }, []problem{{"price", CodeInvalid}}},

		{"compareAtPrice omitted", func(p *ProductInput) { p.CompareAtPrice = nil }, nil},
		{"compareAtPrice empty", func(p *ProductInput) { p.CompareAtPrice = ptr("") }, nil},
		{"compareAtPrice equal", func(p *ProductInput) { p.CompareAtPrice = ptr("199.00") }, []problem{{"compareAtPrice", CodeInvalid}}},
		{"compareAtPrice equal, other spelling", func(p *ProductInput) { p.CompareAtPrice = ptr("199") }, []problem{{"compareAtPrice", CodeInvalid}}},
		{"compareAtPrice lower", func(p *ProductInput) { p.CompareAtPrice = ptr("99.00") }, []problem{{"compareAtPrice", CodeInvalid}}},
		{"compareAtPrice one cent higher", func(p *ProductInput) { p.CompareAtPrice = ptr("199.01") }, nil},
		{"compareAtPrice malformed", func(p *ProductInput) { p.CompareAtPrice = ptr("abc") }, []problem{{"compareAtPrice", CodeInvalid}}},
		{"compareAtPrice too many digits", func(p *ProductInput) { p.CompareAtPrice = ptr("249.001") }, []problem{{"compareAtPrice", CodeInvalid}}},
		{"compareAtPrice with bad price", func(p *ProductInput) { p.Price = "x" }, []problem{{"price", CodeInvalid}}},

		{"currency empty", func(p *ProductInput) { p.Currency = "" }, []problem{{"currency", CodeInvalid}}},
		{"currency lower case", func(p *ProductInput) { p.Currency = "usd" }, []problem{{"currency", CodeInvalid}}},
		{"currency unknown", func(p *ProductInput) { p.Currency = "ABC" }, []problem{{"currency", CodeInvalid}}},
		{"currency XXX", func(p *ProductInput) { p.Currency = "XXX" }, []problem{{"currency", CodeInvalid}}},
		{"currency XTS", func(p *ProductInput) { p.Currency = "XTS" }, []problem{{"currency", CodeInvalid}}},
		{"currency gold", func(p *ProductInput) { p.Currency = "XAU" }, []problem{{"currency", CodeInvalid}}},
		{"currency fund", func(p *ProductInput) { p.Currency = "CLF" }, []problem{{"currency", CodeInvalid}}},
		{"currency EUR", func(p *ProductInput) { p.Currency = "EUR" }, nil},
		{"currency unknown, price malformed", func(p *ProductInput) { p.Currency, p.Price = "ABC", "1e3" }, []problem{{"currency", CodeInvalid}, {"price", CodeInvalid}}},

		{"availability omitted", func(p *ProductInput) { p.Availability = "" }, nil},
		{"availability AVAILABLE_FOR_ORDER", func(p *ProductInput) { p.Availability = "AVAILABLE_FOR_ORDER" }, nil},
		{"availability PREORDER", func(p *ProductInput) { p.Availability = "PREORDER" }, nil},
		{"availability OUT_OF_STOCK", func(p *ProductInput) { p.Availability = "OUT_OF_STOCK" }, nil},
		{"availability DISCONTINUED", func(p *ProductInput) { p.Availability = "DISCONTINUED" }, nil},
		{"availability feed spelling", func(p *ProductInput) { p.Availability = "in stock" }, []problem{{"availability", CodeInvalid}}},
		{"availability lower case", func(p *ProductInput) { p.Availability = "in_stock" }, []problem{{"availability", CodeInvalid}}},
		{"condition omitted", func(p *ProductInput) { p.Condition = "" }, nil},
		{"condition REFURBISHED", func(p *ProductInput) { p.Condition = "REFURBISHED" }, nil},
		{"condition USED", func(p *ProductInput) { p.Condition = "USED" }, nil},
		{"condition unknown", func(p *ProductInput) { p.Condition = "BROKEN" }, []problem{{"condition", CodeInvalid}}},

		{"everything missing", func(p *ProductInput) { *p = ProductInput{} }, []problem{
			{"sku", CodeInvalid}, {"title", CodeInvalid}, {"url", CodeInvalid}, {"image.url", CodeInvalid},
			{"currency", CodeInvalid}, {"price", CodeInvalid},
		}},
		{"every problem reported", func(p *ProductInput) {
			p.Title = strings.Repeat("t", 151)
			p.URL = "http://x.example"
			p.Image.Width = ptr(0)
			p.Price = "19.999"
			p.Availability = "SOLD"
			p.Condition = "MINT"
		}, []problem{
			{"title", CodeTooLong}, {"url", CodeInvalid}, {"image.width", CodeInvalid},
			{"price", CodeInvalid}, {"availability", CodeInvalid}, {"condition", CodeInvalid},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validProduct()
			tt.change(&in)
			_, errs := ValidateProduct(in)
			if diff := cmp.Diff(tt.want, problems(t, errs)); diff != "" {
				t.Errorf("ValidateProduct problems (-want +got):\n%s", diff)
			}
		})
	}
}

// longURL is an https URL of exactly n characters.
func longURL(n int) string {
	const prefix = "https://acme.example/"
	return prefix + strings.Repeat("x", n-len(prefix))
}

func TestValidateProductResult(t *testing.T) {
	in := ProductInput{
		SKU: "MUG-01", Title: "Mug", Description: ptr(""), URL: "https://acme.example/mug",
		Image: ImageInput{URL: "https://img.acme.example/mug.jpg", AltText: ptr("")},
		Price: "1.25", CompareAtPrice: ptr("2"), Currency: "KWD", Brand: ptr(""),
	}
	got, errs := ValidateProduct(in)
	if len(errs) > 0 {
		t.Fatalf("ValidateProduct: %v", errs)
	}
	want := store.ProductWrite{
		SKU: "MUG-01", Title: "Mug", URL: "https://acme.example/mug", ImageURL: "https://img.acme.example/mug.jpg",
		Currency: "KWD", PriceMinor: 1250, CompareAtMinor: ptr[int64](2000),
		Availability: "IN_STOCK", Condition: "NEW",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ValidateProduct result (-want +got):\n%s", diff)
	}
}

func TestValidateProducts(t *testing.T) {
	product := func(sku, price string) ProductInput {
		p := validProduct()
		p.SKU, p.Price, p.CompareAtPrice = sku, price, nil
		return p
	}
	tests := []struct {
		name string
		in   []ProductInput
		want []problem
	}{
		{"none", nil, nil},
		{"distinct", []ProductInput{product("A", "1"), product("B", "2")}, nil},
		{"index in path", []ProductInput{product("A", "1"), product("B", "-2")}, []problem{{"products[1].price", CodeInvalid}}},
		{"same sku twice", []ProductInput{product("A", "1"), product("B", "2"), product("A", "3")}, []problem{{"products[2].sku", CodeTaken}}},
		{"same sku thrice", []ProductInput{product("A", "1"), product("A", "2"), product("A", "3")}, []problem{
			{"products[1].sku", CodeTaken}, {"products[2].sku", CodeTaken},
		}},
		{"skus differing in case are distinct", []ProductInput{product("a", "1"), product("A", "2")}, nil},
		{"empty skus are not duplicates", []ProductInput{product("", "1"), product("", "2")}, []problem{
			{"products[0].sku", CodeInvalid}, {"products[1].sku", CodeInvalid},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs := ValidateProducts(tt.in)
			if diff := cmp.Diff(tt.want, problems(t, errs)); diff != "" {
				t.Errorf("ValidateProducts problems (-want +got):\n%s", diff)
			}
			if len(out) != len(tt.in) {
				t.Errorf("ValidateProducts returned %d products, want %d", len(out), len(tt.in))
			}
		})
	}
}

func TestValidateFeatured(t *testing.T) {
	shop := map[string]bool{"A": true, "B": true, "C": true, "D": true, "E": true, "F": true}
	exists := func(sku string) bool { return shop[sku] }
	tests := []struct {
		name string
		in   []string
		want []problem
	}{
		{"none", []string{}, nil},
		{"five", []string{"E", "D", "C", "B", "A"}, nil},
		{"six", []string{"A", "B", "C", "D", "E", "F"}, []problem{{"featured", CodeTooMany}}},
		{"duplicate", []string{"A", "B", "A"}, []problem{{"featured[2]", CodeInvalid}}},
		{"unknown", []string{"A", "Z"}, []problem{{"featured[1]", CodeNotFound}}},
		{"every problem", []string{"Z", "A", "A", "B", "C", "D", "Y"}, []problem{
			{"featured", CodeTooMany}, {"featured[0]", CodeNotFound}, {"featured[2]", CodeInvalid}, {"featured[6]", CodeNotFound},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateFeatured("featured", tt.in, exists)
			if diff := cmp.Diff(tt.want, problems(t, errs)); diff != "" {
				t.Errorf("ValidateFeatured problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateProductCount(t *testing.T) {
	for _, tt := range []struct {
		total int
		want  []problem
	}{
		{0, nil},
		{MaxProducts, nil},
		{MaxProducts + 1, []problem{{"products", CodeTooMany}}},
	} {
		if diff := cmp.Diff(tt.want, problems(t, ValidateProductCount(tt.total, "products"))); diff != "" {
			t.Errorf("ValidateProductCount(%d) problems (-want +got):\n%s", tt.total, diff)
		}
	}
	if errs := ValidateProductCount(MaxProducts + 1); len(errs) != 1 || errs[0].Field != nil {
		t.Errorf("one product too many, no field given: %+v, want one problem at no field", errs)
	}
}

func TestFieldErrorPath(t *testing.T) {
	for _, tt := range []struct {
		field []string
		want  string
	}{
		{nil, ""},
		{[]string{"name"}, "name"},
		{[]string{"image", "url"}, "image.url"},
		{[]string{"products", "3", "price"}, "products[3].price"},
		{[]string{"products", "3", "image", "width"}, "products[3].image.width"},
		{[]string{"featured", "0"}, "featured[0]"},
	} {
		if got := (FieldError{Field: tt.field}).Path(); got != tt.want {
			t.Errorf("Path of %q = %q, want %q", tt.field, got, tt.want)
		}
	}
}

func TestPrefix(t *testing.T) {
	errs := []FieldError{{Field: []string{"price"}, Message: "m", Code: CodeInvalid}, {Message: "whole", Code: CodeInvalid}}
	got := Prefix(errs, "product")
	want := []FieldError{{Field: []string{"product", "price"}, Message: "m", Code: CodeInvalid}, {Field: []string{"product"}, Message: "whole", Code: CodeInvalid}}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Prefix (-want +got):\n%s", diff)
	}
}
