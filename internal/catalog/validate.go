// Package catalog holds the rules for merchants' shops and catalogues, in one
// place shared by every write path: the GraphQL mutations, the JSONL `import`
// and the CSV `import-catalog`. Validation turns input structs into the
// store's write structs and reports every problem at once, each with the path
// of the field it concerns, so a form or an import report can show them all.
package catalog

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shop-subgraph/shop/internal/money"
	"github.com/shop-subgraph/shop/internal/store"
)

// Limits. Lengths count characters (Unicode code points), not bytes.
const (
	MaxProfileIDLen   = 128 // an opaque id from the accounts subgraph; 128 is room to spare
	MaxNameLen        = 80
	MaxURLLen         = 2048
	MaxSKULen         = 100
	MaxTitleLen       = 150
	MaxDescriptionLen = 5000
	MaxBrandLen       = 150 // product feeds allow 70–100; 150 matches the title
	MaxAltTextLen     = 500 // alt text should be a sentence or two; 500 leaves room
	MaxProducts       = 10000
	MaxFeatured       = 5
	MaxUpsertProducts = 1000 // products in one upsertProducts call
	// MaxImageSide bounds image width and height: GraphQL's Int is 32-bit,
	// so a larger value could be stored but not served.
	MaxImageSide = math.MaxInt32
)

// Error codes of a FieldError: the GraphQL UserErrorCode values (SPEC §6).
const (
	CodeInvalid         = "INVALID"
	CodeTooLong         = "TOO_LONG"
	CodeTooMany         = "TOO_MANY"
	CodeTaken           = "TAKEN"
	CodeNotFound        = "NOT_FOUND"
	CodeForbiddenStatus = "FORBIDDEN_STATUS"
)

// Enum values, by their GraphQL names.
var (
	Statuses       = []string{store.StatusDraft, store.StatusActive, store.StatusSuspended}
	Availabilities = []string{"IN_STOCK", "AVAILABLE_FOR_ORDER", "PREORDER", store.AvailabilityOutOfStock, store.AvailabilityDiscontinued}
	Conditions     = []string{"NEW", "REFURBISHED", "USED"}
)

// Defaults for omitted enums.
const (
	DefaultAvailability = "IN_STOCK"
	DefaultCondition    = "NEW"
)

// FieldError is one problem with one input field. Field is the path to it:
// ["products", "3", "price"], with list indexes 0-based as in GraphQL error
// paths; it is empty for a problem with the input as a whole. Field names are
// the JSONL import's (SPEC §3), which are the GraphQL input's except that
// GraphQL calls currency currencyCode; callers with other names rename.
type FieldError struct {
	Field   []string
	Message string
	Code    string
}

// Path renders Field the way an import report prints it:
// "products[3].price".
func (e FieldError) Path() string {
	var b strings.Builder
	for _, f := range e.Field {
		if _, err := strconv.Atoi(f); err == nil {
			b.WriteString("[" + f + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f)
	}
	return b.String()
}

// Error implements error, so that a single FieldError can travel as one:
// "products[3].price: must be …".
func (e FieldError) Error() string {
	if len(e.Field) == 0 {
		return e.Message
	}
	return e.Path() + ": " + e.Message
}

// Prefix returns errs with path put in front of each Field, e.g. to place a
// product's errors under ["products", "3"].
func Prefix(errs []FieldError, path ...string) []FieldError {
	for i := range errs {
		errs[i].Field = append(append([]string(nil), path...), errs[i].Field...)
	}
	return errs
}

// ShopInput is a shop as a merchant or an import file gives it. JSON names
// are the import format's.
type ShopInput struct {
	ProfileID   string  `json:"profileId"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	StoreURL    string  `json:"storeUrl"`
	// Status is a ShopStatus name; empty keeps an existing shop's status and
	// makes a new shop ACTIVE.
	Status string `json:"status"`
}

// ImageInput is a product's image.
type ImageInput struct {
	URL     string  `json:"url"`
	AltText *string `json:"altText"`
	Width   *int    `json:"width"`
	Height  *int    `json:"height"`
}

// ProductInput is a product as a merchant or an import file gives it, with
// money as decimal strings. Empty Availability and Condition take their
// defaults.
type ProductInput struct {
	SKU            string     `json:"sku"`
	Title          string     `json:"title"`
	Description    *string    `json:"description"`
	URL            string     `json:"url"`
	Image          ImageInput `json:"image"`
	Price          string     `json:"price"`
	CompareAtPrice *string    `json:"compareAtPrice"`
	Currency       string     `json:"currency"`
	Availability   string     `json:"availability"`
	Condition      string     `json:"condition"`
	Brand          *string    `json:"brand"`
}

// errorList collects FieldErrors.
type errorList []FieldError

func (l *errorList) add(code, msg string, field ...string) {
	*l = append(*l, FieldError{Field: field, Message: msg, Code: code})
}

// ValidateShop checks a shop and returns it ready to write; the result is
// meaningful only when there are no errors.
func ValidateShop(in ShopInput) (store.ShopWrite, []FieldError) {
	var errs errorList
	checkText(&errs, in.ProfileID, true, MaxProfileIDLen, true, "profileId")
	checkText(&errs, in.Name, true, MaxNameLen, true, "name")
	checkOptionalText(&errs, in.Description, MaxDescriptionLen, false, "description")
	checkURL(&errs, in.StoreURL, "storeUrl")
	if in.Status != "" {
		checkEnum(&errs, in.Status, Statuses, "status")
	}
	return store.ShopWrite{
		OwnerID:     in.ProfileID,
		Name:        in.Name,
		Description: emptyToNil(in.Description),
		StoreURL:    in.StoreURL,
		Status:      in.Status,
	}, errs
}

// ValidateProduct checks one product and returns it ready to write, money in
// minor units and defaults applied. Field paths are relative to the product.
func ValidateProduct(in ProductInput) (store.ProductWrite, []FieldError) {
	var errs errorList
	checkText(&errs, in.SKU, true, MaxSKULen, true, "sku")
	checkText(&errs, in.Title, true, MaxTitleLen, true, "title")
	checkOptionalText(&errs, in.Description, MaxDescriptionLen, false, "description")
	checkURL(&errs, in.URL, "url")
	checkURL(&errs, in.Image.URL, "image", "url")
	checkOptionalText(&errs, in.Image.AltText, MaxAltTextLen, true, "image", "altText")
	checkSide(&errs, in.Image.Width, "image", "width")
	checkSide(&errs, in.Image.Height, "image", "height")
	checkOptionalText(&errs, in.Brand, MaxBrandLen, true, "brand")

	_, currencyOK := money.Digits(in.Currency)
	if !currencyOK {
		msg := "must be the ISO 4217 code of a circulating currency, such as USD, EUR or JPY"
		if up := strings.ToUpper(in.Currency); up != in.Currency && currencyIf(up) != "" {
			msg = "must be upper case: " + up
		} else if in.Currency == "" {
			msg = "is required: " + msg
		}
		errs.add(CodeInvalid, msg, "currency")
	}
	price, priceOK := checkPrice(&errs, in.Price, in.Currency, "price")
	var compareAt *int64
	if in.CompareAtPrice != nil && *in.CompareAtPrice != "" { // "" is absent, as for other optional fields
		c, ok := checkPrice(&errs, *in.CompareAtPrice, in.Currency, "compareAtPrice")
		if ok {
			compareAt = &c
			if priceOK && c <= price {
				errs.add(CodeInvalid, fmt.Sprintf("must be greater than price (%s %s), being the price before a discount",
					money.Format(price, in.Currency), in.Currency), "compareAtPrice")
			}
		}
	}

	availability := orDefault(in.Availability, DefaultAvailability)
	checkEnum(&errs, availability, Availabilities, "availability")
	condition := orDefault(in.Condition, DefaultCondition)
	checkEnum(&errs, condition, Conditions, "condition")

	return store.ProductWrite{
		SKU:            in.SKU,
		Title:          in.Title,
		Description:    emptyToNil(in.Description),
		URL:            in.URL,
		ImageURL:       in.Image.URL,
		ImageAltText:   emptyToNil(in.Image.AltText),
		ImageWidth:     in.Image.Width,
		ImageHeight:    in.Image.Height,
		Currency:       in.Currency,
		PriceMinor:     price,
		CompareAtMinor: compareAt,
		Availability:   availability,
		Condition:      condition,
		Brand:          emptyToNil(in.Brand),
	}, errs
}

// ValidateProducts checks a list of products, as ValidateProduct does each,
// and that no SKU appears twice; field paths start ["products", i].
func ValidateProducts(ins []ProductInput) ([]store.ProductWrite, []FieldError) {
	out := make([]store.ProductWrite, len(ins))
	var errs []FieldError
	first := make(map[string]int, len(ins))
	for i, in := range ins {
		idx := strconv.Itoa(i)
		p, perrs := ValidateProduct(in)
		out[i] = p
		errs = append(errs, Prefix(perrs, "products", idx)...)
		if in.SKU == "" {
			continue
		}
		if j, dup := first[in.SKU]; dup {
			errs = append(errs, FieldError{
				Field:   []string{"products", idx, "sku"},
				Message: fmt.Sprintf("%q is already used by products[%d]; a SKU may appear once", in.SKU, j),
				Code:    CodeTaken,
			})
			continue
		}
		first[in.SKU] = i
	}
	return out, errs
}

// ValidateFeatured checks a featured list under field (e.g. "featured" for
// SKUs in an import, "productIds" for the mutation): at most MaxFeatured
// entries, distinct, and each one the shop has according to exists.
func ValidateFeatured(field string, keys []string, exists func(key string) bool) []FieldError {
	var errs errorList
	if len(keys) > MaxFeatured {
		errs.add(CodeTooMany, fmt.Sprintf("at most %d products can be featured, got %d", MaxFeatured, len(keys)), field)
	}
	seen := make(map[string]int, len(keys))
	for i, k := range keys {
		idx := strconv.Itoa(i)
		if j, dup := seen[k]; dup {
			errs.add(CodeInvalid, fmt.Sprintf("%q is already featured at %s[%d]; each product may be featured once", k, field, j), field, idx)
			continue
		}
		seen[k] = i
		if !exists(k) {
			errs.add(CodeNotFound, fmt.Sprintf("the shop has no product %q", k), field, idx)
		}
	}
	return errs
}

// ValidateProductCount checks that a shop would hold at most MaxProducts
// products after a write, counting those it already has. The problem is at
// field: "products" for a list of products, none for one product.
func ValidateProductCount(total int, field ...string) []FieldError {
	if total <= MaxProducts {
		return nil
	}
	return []FieldError{{
		Field:   field,
		Message: fmt.Sprintf("the shop would have %d products; a shop may have at most %d", total, MaxProducts),
		Code:    CodeTooMany,
	}}
}

// checkText checks a text field: valid UTF-8, no control characters (a
// multi-line field may hold tabs and line breaks), not blank when required,
// and at most max characters.
func checkText(errs *errorList, s string, required bool, max int, singleLine bool, field ...string) {
	if !utf8.ValidString(s) {
		errs.add(CodeInvalid, "is not valid UTF-8", field...)
		return
	}
	if i := strings.IndexFunc(s, forbidden(singleLine)); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		what := "control characters"
		if singleLine {
			what = "line breaks, tabs or other control characters"
		}
		errs.add(CodeInvalid, fmt.Sprintf("must not contain %s (found %U at character %d)", what, r, utf8.RuneCountInString(s[:i])+1), field...)
		return
	}
	if required && strings.TrimSpace(s) == "" {
		if s == "" {
			errs.add(CodeInvalid, "is required", field...)
		} else {
			errs.add(CodeInvalid, "must not be blank", field...)
		}
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		errs.add(CodeTooLong, fmt.Sprintf("must be at most %d characters, is %d", max, n), field...)
	}
}

// forbidden returns the rune test for characters a field may not hold.
func forbidden(singleLine bool) func(rune) bool {
	if singleLine {
		return func(r rune) bool {
			return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
		}
	}
	return func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}
}

// checkOptionalText checks an optional text field; nil and "" are absent.
func checkOptionalText(errs *errorList, s *string, max int, singleLine bool, field ...string) {
	if s != nil {
		checkText(errs, *s, false, max, singleLine, field...)
	}
}

// checkURL checks a required absolute https URL of at most MaxURLLen
// characters.
func checkURL(errs *errorList, s string, field ...string) {
	n := len(*errs)
	checkText(errs, s, true, MaxURLLen, true, field...)
	if len(*errs) > n {
		return
	}
	const want = "must be an absolute https URL, such as https://shop.example/item"
	if strings.ContainsFunc(s, unicode.IsSpace) {
		errs.add(CodeInvalid, "must not contain spaces (percent-encode them as %20)", field...)
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Opaque != "" || u.Hostname() == "":
		errs.add(CodeInvalid, want, field...)
	case u.Scheme != "https":
		errs.add(CodeInvalid, want+"; "+u.Scheme+" is not allowed", field...)
	case u.User != nil:
		errs.add(CodeInvalid, "must not contain a user name or password", field...)
	}
}

// checkSide checks an optional image width or height.
func checkSide(errs *errorList, v *int, field ...string) {
	if v != nil && (*v <= 0 || *v > MaxImageSide) {
		errs.add(CodeInvalid, fmt.Sprintf("must be a positive number of pixels, at most %d", MaxImageSide), field...)
	}
}

// checkPrice parses a decimal amount in the currency. An unknown currency is
// reported on its own field; the amount's syntax is still checked.
func checkPrice(errs *errorList, s, currency string, field ...string) (int64, bool) {
	minor, err := money.Parse(s, currency)
	if err == nil {
		return minor, true
	}
	d, _ := money.Digits(currency)
	var msg string
	switch {
	case s == "":
		msg = "is required"
	case errors.Is(err, money.ErrCurrency):
		return 0, false // reported on currency
	case errors.Is(err, money.ErrNegative):
		msg = "must not be negative"
	case errors.Is(err, money.ErrPrecision):
		msg = fmt.Sprintf("must have at most %d decimal places for %s", d, currency)
		if d == 0 {
			msg = fmt.Sprintf("must be a whole number for %s, which has no minor unit", currency)
		}
	case errors.Is(err, money.ErrRange):
		msg = "is too large"
	default:
		msg = "must be a decimal number such as " + money.Format(1990, orDefault(currencyIf(currency), "USD"))
	}
	errs.add(CodeInvalid, msg, field...)
	return 0, false
}

// currencyIf returns code if it is a circulating currency, else "".
func currencyIf(code string) string {
	if _, ok := money.Digits(code); ok {
		return code
	}
	return ""
}

// checkEnum checks that s is one of values.
func checkEnum(errs *errorList, s string, values []string, field ...string) {
	for _, v := range values {
		if s == v {
			return
		}
	}
	errs.add(CodeInvalid, fmt.Sprintf("must be one of %s", strings.Join(values, ", ")), field...)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func emptyToNil(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// ValidateStatusChange checks a change of a shop's status from one status to
// another: owners move their shop between DRAFT and ACTIVE; only staff set or
// lift SUSPENDED.
func ValidateStatusChange(from, to string, staff bool) []FieldError {
	var errs errorList
	checkEnum(&errs, to, Statuses, "status")
	if len(errs) > 0 || staff {
		return errs
	}
	switch {
	case to == store.StatusSuspended:
		errs.add(CodeForbiddenStatus, "only platform staff can suspend a shop", "status")
	case from == store.StatusSuspended:
		errs.add(CodeForbiddenStatus, "the shop is suspended by platform staff; only they can lift the suspension", "status")
	}
	return errs
}
