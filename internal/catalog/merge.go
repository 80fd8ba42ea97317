package catalog

import (
	"github.com/shop-subgraph/shop/internal/money"
	"github.com/shop-subgraph/shop/internal/store"
)

// Change is one field of a partial update: the zero Change keeps the current
// value, a Change with Set and a nil Value clears it (null), and otherwise
// Value replaces it.
type Change[T any] struct {
	Set   bool
	Value *T
}

// To returns a Change that sets v.
func To[T any](v T) Change[T] { return Change[T]{Set: true, Value: &v} }

// ShopChanges are the fields a merchant may change on a shop.
type ShopChanges struct {
	Name        Change[string]
	Description Change[string]
	StoreURL    Change[string]
}

// ProductChanges are the fields a merchant may change on a product; its SKU
// and shop never change. Image replaces the whole image.
type ProductChanges struct {
	Title          Change[string]
	Description    Change[string]
	URL            Change[string]
	Image          Change[ImageInput]
	Price          Change[string]
	CompareAtPrice Change[string]
	Currency       Change[string]
	Availability   Change[string]
	Condition      Change[string]
	Brand          Change[string]
}

const msgNotNull = "must not be null; leave the field out to keep its current value"

// required applies c to a field that cannot be empty: null is an error.
func required[T any](errs *errorList, cur *T, c Change[T], field ...string) {
	switch {
	case !c.Set:
	case c.Value == nil:
		errs.add(CodeInvalid, msgNotNull, field...)
	default:
		*cur = *c.Value
	}
}

// optional applies c to a field that may be empty: null clears it.
func optional(cur **string, c Change[string]) {
	if c.Set {
		*cur = c.Value
	}
}

// MergeShop applies changes to the shop as stored and validates the result
// as ValidateShop does: the shop after the change must be valid as a whole.
// Field paths are the changes' names. The write leaves the status as it is.
func MergeShop(cur store.Shop, c ShopChanges) (store.ShopWrite, []FieldError) {
	in := ShopInput{
		ProfileID:   cur.OwnerID,
		Name:        cur.Name,
		Description: cur.Description,
		StoreURL:    cur.StoreURL,
	}
	var errs errorList
	required(&errs, &in.Name, c.Name, "name")
	optional(&in.Description, c.Description)
	required(&errs, &in.StoreURL, c.StoreURL, "storeUrl")
	w, verrs := ValidateShop(in)
	return w, append(errs, verrs...)
}

// MergeProduct applies changes to the product as stored and validates the
// result as ValidateProduct does: the product after the change must be valid
// as a whole (a new currency must suit the current price's decimals, a new
// price must stay below compareAtPrice). Field paths are the changes' names,
// "currency" for Currency.
func MergeProduct(cur store.Product, c ProductChanges) (store.ProductWrite, []FieldError) {
	in := ProductInput{
		SKU:         cur.SKU,
		Title:       cur.Title,
		Description: cur.Description,
		URL:         cur.URL,
		Image: ImageInput{
			URL:     cur.ImageURL,
			AltText: cur.ImageAltText,
			Width:   cur.ImageWidth,
			Height:  cur.ImageHeight,
		},
		Price:        money.Format(cur.PriceMinor, cur.Currency),
		Currency:     cur.Currency,
		Availability: cur.Availability,
		Condition:    cur.Condition,
		Brand:        cur.Brand,
	}
	if cur.CompareAtMinor != nil {
		s := money.Format(*cur.CompareAtMinor, cur.Currency)
		in.CompareAtPrice = &s
	}
	var errs errorList
	required(&errs, &in.Title, c.Title, "title")
	optional(&in.Description, c.Description)
	required(&errs, &in.URL, c.URL, "url")
	required(&errs, &in.Image, c.Image, "image")
	required(&errs, &in.Price, c.Price, "price")
	optional(&in.CompareAtPrice, c.CompareAtPrice)
	required(&errs, &in.Currency, c.Currency, "currency")
	required(&errs, &in.Availability, c.Availability, "availability")
	required(&errs, &in.Condition, c.Condition, "condition")
	optional(&in.Brand, c.Brand)
	w, verrs := ValidateProduct(in)
	return w, append(errs, verrs...)
}
