package catalog

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// The product-feed CSV of `shop import-catalog` (SPEC §6): a header row, then
// one product a row, in the columns and vocabulary of the common product-feed
// specs (X, Meta, Google). Rows become ProductInputs and go through the same
// validation as every other write path.

// FeedColumns are the columns a catalogue CSV may have, in the SPEC's order.
var FeedColumns = []string{"id", "title", "description", "availability", "condition", "price", "sale_price", "link", "image_link", "brand"}

// requiredColumns are the columns a catalogue CSV must have; the others may
// be left out, or empty in a row.
var requiredColumns = []string{"id", "title", "price", "link", "image_link"}

// feedAvailability maps the feeds' availability values, with spaces as the
// SPEC writes them or underscores as some feeds do, to ours.
var feedAvailability = map[string]string{
	"in stock":            "IN_STOCK",
	"available for order": "AVAILABLE_FOR_ORDER",
	"preorder":            "PREORDER",
	"out of stock":        "OUT_OF_STOCK",
	"discontinued":        "DISCONTINUED",
}

var feedCondition = map[string]string{"new": "NEW", "refurbished": "REFURBISHED", "used": "USED"}

// FeedProduct is one row of a catalogue CSV.
type FeedProduct struct {
	Line    int // where the row starts, 1-based
	Product ProductInput
	// OnSale is true when the row had a sale_price, which became Price while
	// price became CompareAtPrice.
	OnSale bool
	// reported holds the columns ReadFeed found fault with, so that
	// validation does not report them again.
	reported map[string]bool
}

// ReadFeed reads a catalogue CSV named name (for messages). It returns its
// rows, and every problem found reading them (a missing or unknown column, a
// price without a currency, an availability not in the feed vocabulary) as
// LineErrors whose Field is a CSV column. Business rules are not checked
// here: see ImportFeed. Reading stops at the first line that is not CSV.
func ReadFeed(name string, r io.Reader) ([]FeedProduct, []LineError) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, to report it and read on
	var problems []LineError
	var row *FeedProduct // the row being read
	fail := func(line int, col, msg string) {
		var field []string
		if col != "" {
			field = []string{col}
			if row != nil {
				row.reported[col] = true
			}
		}
		problems = append(problems, LineError{File: name, Line: line, FieldError: FieldError{Field: field, Message: msg, Code: CodeInvalid}})
	}
	syntax := func(err error) {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			fail(pe.StartLine, "", "not valid CSV: "+pe.Err.Error()+"; nothing after it was read")
			return
		}
		fail(0, "", err.Error())
	}

	header, err := cr.Read()
	if err == io.EOF {
		fail(1, "", "the file is empty; it needs a header row: "+strings.Join(FeedColumns, ","))
		return nil, problems
	}
	if err != nil {
		syntax(err)
		return nil, problems
	}
	col := map[string]int{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(FeedColumns, h):
			fail(1, "", fmt.Sprintf("unknown column %q; the columns are %s", h, strings.Join(FeedColumns, ",")))
		case col[h] > 0:
			fail(1, "", fmt.Sprintf("column %q appears twice", h))
		default:
			col[h] = i + 1 // 0 is absent
		}
	}
	for _, c := range requiredColumns {
		if col[c] == 0 {
			fail(1, "", fmt.Sprintf("the header has no %q column; required are %s", c, strings.Join(requiredColumns, ",")))
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}

	var rows []FeedProduct
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, problems
		}
		if err != nil {
			syntax(err)
			return rows, problems
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			fail(line, "", fmt.Sprintf("has %d fields, the header %d", len(rec), len(header)))
			continue
		}
		get := func(c string) string {
			if i := col[c]; i > 0 {
				return rec[i-1]
			}
			return ""
		}
		optional := func(c string) *string {
			if v := get(c); v != "" {
				return &v
			}
			return nil
		}
		p := &FeedProduct{Line: line, reported: map[string]bool{}, Product: ProductInput{
			SKU:         get("id"),
			Title:       get("title"),
			Description: optional("description"),
			URL:         get("link"),
			Image:       ImageInput{URL: get("image_link")},
			Brand:       optional("brand"),
		}}
		row = p
		if v := strings.TrimSpace(get("availability")); v != "" {
			a, ok := feedAvailability[strings.ReplaceAll(strings.ToLower(v), "_", " ")]
			if !ok {
				fail(line, "availability", fmt.Sprintf("must be one of in stock, available for order, preorder, out of stock, discontinued; got %q", v))
			}
			p.Product.Availability = a
		}
		if v := strings.TrimSpace(get("condition")); v != "" {
			c, ok := feedCondition[strings.ToLower(v)]
			if !ok {
				fail(line, "condition", fmt.Sprintf("must be one of new, refurbished, used; got %q", v))
			}
			p.Product.Condition = c
		}
		price, currency, ok := feedPrice(get("price"))
		if !ok {
			fail(line, "price", fmt.Sprintf("must be an amount and a currency, such as 20.00 USD; got %q", get("price")))
		}
		p.Product.Price, p.Product.Currency = price, currency
		if v := get("sale_price"); strings.TrimSpace(v) != "" {
			sale, saleCurrency, ok := feedPrice(v)
			switch {
			case !ok:
				fail(line, "sale_price", fmt.Sprintf("must be an amount and a currency, such as 15.00 USD; got %q", v))
			case currency != "" && saleCurrency != currency:
				fail(line, "sale_price", fmt.Sprintf("must be in the price's currency, %s; got %s", currency, saleCurrency))
			default:
				// The feeds' sale_price is what the product costs now; its
				// price is then the price before the discount.
				p.OnSale = true
				p.Product.Price, p.Product.CompareAtPrice = sale, &price
			}
		}
		rows = append(rows, *p)
		row = nil
	}
}

// feedPrice splits a feed price such as "20.00 USD" into its amount and its
// currency, upper-cased as the GraphQL API takes it. Whether the amount and
// the currency are valid is validation's concern.
func feedPrice(s string) (amount, currency string, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return "", "", false
	}
	return f[0], strings.ToUpper(f[1]), true
}

// feedField names the CSV column of a product field that validation
// reported: the column the value came from.
func feedField(field []string, onSale bool) string {
	switch strings.Join(field, ".") {
	case "sku":
		return "id"
	case "url":
		return "link"
	case "image.url":
		return "image_link"
	case "price":
		if onSale {
			return "sale_price"
		}
		return "price"
	case "compareAtPrice", "currency":
		return "price"
	}
	return strings.Join(field, ".")
}

// feedErrors turns validation's FieldErrors on ["products", i, …] into
// LineErrors on the rows' lines and columns.
func feedErrors(name string, rows []FeedProduct, errs []FieldError) []LineError {
	firstLine := map[string]int{}
	for _, r := range rows {
		if _, ok := firstLine[r.Product.SKU]; !ok {
			firstLine[r.Product.SKU] = r.Line
		}
	}
	out := make([]LineError, 0, len(errs))
	for _, e := range errs {
		le := LineError{File: name, FieldError: e}
		if len(e.Field) >= 2 && e.Field[0] == "products" {
			i, _ := strconv.Atoi(e.Field[1])
			row := rows[i]
			le.Line = row.Line
			field := e.Field[2:]
			le.Field = []string{feedField(field, row.OnSale)}
			if row.reported[le.Field[0]] {
				continue
			}
			switch {
			case e.Code == CodeTaken && field[0] == "sku":
				le.Message = fmt.Sprintf("%q is already the id of line %d; an id may appear once", row.Product.SKU, firstLine[row.Product.SKU])
			case field[0] == "currency":
				le.Message = "the currency " + e.Message
			case field[0] == "compareAtPrice" && row.OnSale && strings.HasPrefix(e.Message, "must be greater than price"):
				// Validation speaks of the product's price, which is the
				// feed's sale_price.
				le.Field = []string{"sale_price"}
				le.Message = "must be less than price, being the price after a discount"
			}
		}
		out = append(out, le)
	}
	return out
}

// ErrNoShop is returned by ImportFeed when the profile has no shop: a
// catalogue file has no shop fields to create one with.
var ErrNoShop = errors.New("the profile has no shop")

// FeedStats tells what ImportFeed did.
type FeedStats struct {
	ShopID          int64
	Products        int // rows written
	ProductsCreated int // of which new products
}

func (s FeedStats) String() string {
	return fmt.Sprintf("%d products (%d new)", s.Products, s.ProductsCreated)
}

// ImportFeedFile imports the catalogue CSV at path, as ImportFeed does,
// naming it in reports by the path as given.
func ImportFeedFile(ctx context.Context, st *store.Store, profileID, path string) (FeedStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return FeedStats{}, fmt.Errorf("import-catalog: %w", err)
	}
	defer f.Close()
	return ImportFeed(ctx, st, profileID, Source{Name: path, R: f})
}

// ImportFeed upserts the products of a catalogue CSV into the shop of the
// profile, as `import` does a line's products: by SKU (the feed's id), an
// updated product keeping its place in the catalogue, new ones appended in
// file order; products not in the file are kept, and the featured list is
// left as it is. The profile must have a shop (ErrNoShop otherwise).
//
// It is all or nothing: when any row is invalid, nothing is written and the
// error is a *Report with every problem, "catalog.csv:17: price: …". A good
// file is one transaction.
func ImportFeed(ctx context.Context, st *store.Store, profileID string, src Source) (FeedStats, error) {
	rows, problems := ReadFeed(src.Name, src.R)
	inputs := make([]ProductInput, len(rows))
	for i, r := range rows {
		inputs[i] = r.Product
	}
	writes, errs := ValidateProducts(inputs)
	problems = append(problems, feedErrors(src.Name, rows, errs)...)
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b LineError) int { return a.Line - b.Line })
		return FeedStats{}, &Report{Errors: problems}
	}

	var stats FeedStats
	ctx, end := telemetry.Start(ctx, "import-catalog transaction")
	err := st.Write(ctx, func(tx *store.Tx) error {
		shop, err := tx.ShopByOwnerID(ctx, profileID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("profile %q: %w", profileID, ErrNoShop)
		}
		if err != nil {
			return err
		}
		stats.ShopID, stats.Products = shop.ID, len(writes)
		created, errs, err := upsertInShop(ctx, tx, shop.ID, writes)
		if err != nil {
			return err
		}
		if errs != nil {
			return &Report{Errors: []LineError{{File: src.Name, FieldError: errs[0]}}}
		}
		stats.ProductsCreated = created
		return nil
	})
	end(err)
	if err != nil {
		var r *Report
		if errors.As(err, &r) || errors.Is(err, ErrNoShop) {
			return FeedStats{}, err
		}
		return FeedStats{}, fmt.Errorf("import-catalog: %w", err)
	}
	// The planner needs the new rows' statistics at once (store.Analyze).
	if err := st.Analyze(ctx); err != nil {
		return FeedStats{}, fmt.Errorf("import-catalog: %w", err)
	}
	return stats, nil
}

// upsertInShop upserts ws into the shop and returns how many of them are
// new, or the TOO_MANY problem when the catalogue would then hold more than
// MaxProducts, for the caller to roll back. It counts the catalogue before
// and after rather than reading which SKUs exist: two statements for any
// number of products.
func upsertInShop(ctx context.Context, tx *store.Tx, shopID int64, ws []store.ProductWrite) (created int, errs []FieldError, err error) {
	before, err := tx.CountProducts(ctx, shopID)
	if err != nil {
		return 0, nil, err
	}
	if err := tx.UpsertProducts(ctx, shopID, ws); err != nil {
		return 0, nil, err
	}
	after, err := tx.CountProducts(ctx, shopID)
	if err != nil {
		return 0, nil, err
	}
	if errs := ValidateProductCount(after, "products"); len(errs) > 0 {
		return 0, errs, nil
	}
	return after - before, nil, nil
}
