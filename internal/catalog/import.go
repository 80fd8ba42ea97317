package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// Source is one import file: Name is how reports refer to it (the path as
// given), R its content.
type Source struct {
	Name string
	R    io.Reader
}

// Stats tells what an import did.
type Stats struct {
	Lines           int // shop lines read (blank lines are not counted)
	Shops           int // distinct shops written
	ShopsCreated    int // of which new
	Products        int // product entries written
	ProductsCreated int // of which new products
}

func (s Stats) String() string {
	return fmt.Sprintf("%d lines: %d shops (%d new), %d products (%d new)",
		s.Lines, s.Shops, s.ShopsCreated, s.Products, s.ProductsCreated)
}

// LineError is one problem on one line of an import file. Field is empty for
// a line that is not a valid shop object at all (bad JSON, unknown field).
type LineError struct {
	File string
	Line int // 1-based
	FieldError
}

// Error renders the problem as "data.jsonl:17: products[3].price: message",
// or without a line (0) for a problem of the whole file.
func (e LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.FieldError.Error())
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.FieldError.Error())
}

// Report is the error Import returns when any line is invalid: every problem
// of every bad line, in file and line order. Nothing was imported.
type Report struct {
	Errors []LineError
}

// Error prints one problem a line.
func (r *Report) Error() string {
	var b strings.Builder
	for i, e := range r.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// ImportFiles imports the JSONL files at paths, as Import does, naming them in
// reports by the path as given.
func ImportFiles(ctx context.Context, st *store.Store, paths []string, progress io.Writer) (Stats, error) {
	sources := make([]Source, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return Stats{}, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		sources = append(sources, Source{Name: p, R: f})
	}
	return Import(ctx, st, sources, progress)
}

// Import loads shops and their catalogues from JSONL sources, one shop a line
// (SPEC §3): it upserts each shop by profileId and each product by (shop,
// sku), keeping products not listed and a product's place in the catalogue
// when it is updated; featured, when present, replaces the shop's featured
// list and may name products already in the database.
//
// It is all or nothing. Every line is parsed and validated first, against the
// database as well (catalogue size, featured SKUs); if any line is invalid,
// nothing is written and the error is a *Report listing every problem.
// Otherwise all sources are written in one transaction on the store's write
// pool. Other errors (I/O, database) are returned wrapped.
//
// When progress is a terminal, a progress line is kept up to date on it;
// otherwise nothing is written to it.
func Import(ctx context.Context, st *store.Store, sources []Source, progress io.Writer) (Stats, error) {
	pr := newProgress(progress)
	defer pr.finish()

	var lines []*shopLine
	for _, src := range sources {
		ls, err := readSource(ctx, src, pr)
		if err != nil {
			return Stats{}, fmt.Errorf("import %s: %w", src.Name, err)
		}
		lines = append(lines, ls...)
	}
	if len(lines) == 0 {
		return Stats{}, nil
	}

	var stats Stats
	ctx, end := telemetry.Start(ctx, "import transaction")
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.LockShopsForImport(ctx, owners(lines)); err != nil {
			return err
		}
		existing, err := tx.ShopSKUsByOwnerIDs(ctx, owners(lines))
		if err != nil {
			return err
		}
		stats = checkAgainst(existing, lines)
		if r := report(lines); r != nil {
			return r
		}
		return write(ctx, tx, lines, pr)
	})
	end(err)
	if err != nil {
		var r *Report
		if errors.As(err, &r) {
			return Stats{}, r
		}
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	// The planner needs the new rows' statistics at once (store.Analyze).
	if err := st.Analyze(ctx); err != nil {
		return Stats{}, fmt.Errorf("import: %w", err)
	}
	return stats, nil
}

// shopLine is one non-blank line: the shop as validated and every problem
// found with it.
type shopLine struct {
	file     string
	line     int
	ok       bool // decoded as a shop object, so the fields below mean something
	shop     store.ShopWrite
	products []store.ProductWrite
	featured *[]string
	errs     []FieldError
}

// lineInput is the JSON of one line.
type lineInput struct {
	ShopInput
	// Featured is a pointer so an absent list (keep the current one) differs
	// from an empty one (feature nothing).
	Featured *[]string      `json:"featured"`
	Products []ProductInput `json:"products"`
}

// rawLine is lineInput with its products left as JSON, to decode them one
// by one and name the index of the one at fault (productError).
type rawLine struct {
	ShopInput
	Featured *[]string         `json:"featured"`
	Products []json.RawMessage `json:"products"`
}

var bom = []byte("\uFEFF")

// readSource reads and validates every line of src on its own; checks that
// need the database come later, in checkAgainst.
func readSource(ctx context.Context, src Source, pr *progress) ([]*shopLine, error) {
	r := bufio.NewReaderSize(src.R, 1<<16)
	var lines []*shopLine
	for n := 1; ; n++ {
		b, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		if n == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			l := parseLine(b)
			l.file, l.line = src.Name, n
			lines = append(lines, l)
			pr.add(1, len(l.products))
		}
		if err == io.EOF {
			return lines, nil
		}
		if n%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}

// parseLine decodes and validates one line.
func parseLine(b []byte) *shopLine {
	l := &shopLine{}
	if !utf8.Valid(b) {
		l.errs = []FieldError{{Message: "the line is not valid UTF-8; files must be UTF-8 encoded", Code: CodeInvalid}}
		return l
	}
	var in lineInput
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		l.errs = []FieldError{productError(b)}
		if l.errs[0].Message == "" {
			l.errs[0] = jsonError(err, "must be a JSON object: one shop on each line")
		}
		return l
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		l.errs = []FieldError{{Message: "unexpected data after the shop's JSON object; put one shop on each line", Code: CodeInvalid}}
		return l
	}
	l.ok = true
	var errs []FieldError
	l.shop, errs = ValidateShop(in.ShopInput)
	l.errs = append(l.errs, errs...)
	l.products, errs = ValidateProducts(in.Products)
	l.errs = append(l.errs, errs...)
	l.featured = in.Featured
	return l
}

// productError finds, in a line that did not decode, the first product that
// does not, and explains it under products[i]: encoding/json's errors name
// no list index. It returns a zero FieldError when the fault is elsewhere.
func productError(b []byte) FieldError {
	var in rawLine
	if json.Unmarshal(b, &in) != nil {
		return FieldError{}
	}
	for i, raw := range in.Products {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var p ProductInput
		if err := dec.Decode(&p); err != nil {
			return Prefix([]FieldError{jsonError(err, "must be an object")}, "products", strconv.Itoa(i))[0]
		}
	}
	return FieldError{}
}

// jsonError explains why a line did not decode as a shop object, or a
// product as one; notObject is what to say when the value is of another kind.
func jsonError(err error, notObject string) FieldError {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return FieldError{Message: fmt.Sprintf("invalid JSON at byte %d: %v", syntax.Offset, err), Code: CodeInvalid}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Message: "invalid JSON: the line ends inside the object", Code: CodeInvalid}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return FieldError{Message: fmt.Sprintf("%s, not %s", notObject, typ.Value), Code: CodeInvalid}
		}
		// The path names the embedded struct of a shop's own fields.
		field := strings.TrimPrefix(typ.Field, "ShopInput.")
		return FieldError{
			Field:   strings.Split(field, "."),
			Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type), typ.Value),
			Code:    CodeInvalid,
		}
	}
	// The only other decoding error, DisallowUnknownFields's, has no type of
	// its own: `json: unknown field "colour"`.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field") {
		msg += "; see the import format for the allowed fields"
	}
	return FieldError{Message: msg, Code: CodeInvalid}
}

// jsonKind names a Go type the way the JSON format does.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return `a string (amounts too: "19.90")`
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// owners returns the distinct valid profile ids of the lines.
func owners(lines []*shopLine) []string {
	seen := map[string]bool{}
	var ids []string
	for _, l := range lines {
		if id := l.shop.OwnerID; l.ok && validOwner(l) && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

// validOwner reports whether the line's profileId passed validation, so the
// line can be checked against that shop's catalogue.
func validOwner(l *shopLine) bool {
	return !slices.ContainsFunc(l.errs, func(e FieldError) bool {
		return len(e.Field) > 0 && e.Field[0] == "profileId"
	})
}

// checkAgainst runs the checks that depend on what each shop already holds:
// the catalogue size and the featured SKUs. Lines are taken in order, each
// seeing the products of the lines before it, as the import will write them;
// a bad line's products count too, so later lines are judged as if it were
// fixed. It returns what the import will do if every line is valid.
func checkAgainst(existing map[string]store.ShopSKUs, lines []*shopLine) Stats {
	type shop struct {
		skus map[string]bool
	}
	shops := map[string]*shop{}
	var stats Stats
	for _, l := range lines {
		stats.Lines++
		if !l.ok || !validOwner(l) {
			continue
		}
		s := shops[l.shop.OwnerID]
		if s == nil {
			s = &shop{skus: map[string]bool{}}
			if e, ok := existing[l.shop.OwnerID]; ok {
				for _, sku := range e.SKUs {
					s.skus[sku] = true
				}
			} else {
				stats.ShopsCreated++
			}
			shops[l.shop.OwnerID] = s
		}
		added := 0
		for _, p := range l.products {
			if p.SKU != "" && !s.skus[p.SKU] {
				s.skus[p.SKU] = true
				added++
			}
		}
		stats.Products += len(l.products)
		stats.ProductsCreated += added
		if added > 0 {
			l.errs = append(l.errs, ValidateProductCount(len(s.skus), "products")...)
		}
		if l.featured != nil {
			l.errs = append(l.errs, ValidateFeatured("featured", *l.featured, func(sku string) bool { return s.skus[sku] })...)
		}
	}
	stats.Shops = len(shops)
	return stats
}

// report returns every problem of every line, or nil when there is none.
func report(lines []*shopLine) *Report {
	var r Report
	for _, l := range lines {
		for _, e := range l.errs {
			r.Errors = append(r.Errors, LineError{File: l.file, Line: l.line, FieldError: e})
		}
	}
	if len(r.Errors) == 0 {
		return nil
	}
	return &r
}

// write writes valid lines in order.
func write(ctx context.Context, tx *store.Tx, lines []*shopLine, pr *progress) error {
	pr.phase("writing")
	for _, l := range lines {
		id, err := tx.UpsertShop(ctx, l.shop)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", l.file, l.line, err)
		}
		if err := tx.UpsertProducts(ctx, id, l.products); err != nil {
			return fmt.Errorf("%s:%d: %w", l.file, l.line, err)
		}
		if l.featured != nil {
			if err := tx.ReplaceFeaturedBySKU(ctx, id, *l.featured); err != nil {
				return fmt.Errorf("%s:%d: %w", l.file, l.line, err)
			}
		}
		pr.add(1, len(l.products))
	}
	return nil
}
