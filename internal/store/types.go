package store

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shop statuses, as stored and as named in the GraphQL schema.
const (
	StatusDraft     = "DRAFT"
	StatusActive    = "ACTIVE"
	StatusSuspended = "SUSPENDED"
)

// Product availabilities that keep a product out of the carousel.
const (
	AvailabilityOutOfStock   = "OUT_OF_STOCK"
	AvailabilityDiscontinued = "DISCONTINUED"
)

// Shop is a row of shops.
type Shop struct {
	ID          int64     `db:"id"`
	OwnerID     string    `db:"owner_id"`
	Name        string    `db:"name"`
	Description *string   `db:"description"`
	StoreURL    string    `db:"store_url"`
	Status      string    `db:"status"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
	// Carousel is the carousel's keys as the shop's row keeps them, for a
	// row a read returned (ShopsByOwnerIDs, ShopsByIDs, ActiveShops); a row
	// a write returned leaves it unread.
	Carousel CarouselKeys `db:"-"`
}

// CarouselKeys are a shop's carousel as its row keeps it (shops.featured_keys,
// which the database's triggers keep: migrations/*/…_carousel_keys.sql): its
// purchasable featured products' ids and positions, as "id:position" pairs
// joined by commas in any order, "" for an empty carousel.
type CarouselKeys struct {
	Read bool // the row was read with its keys
	Text string
}

// Products returns the carousel as FeaturedProductsByShopIDs returns it
// with KeyColumns: ID, ShopID and Position filled, in position order. ok is
// false when the keys were not read; an error means the text is not what
// the triggers write.
func (k CarouselKeys) Products(shopID int64) (products []FeaturedProduct, ok bool, err error) {
	if !k.Read {
		return nil, false, nil
	}
	products = make([]FeaturedProduct, 0, 5)
	for rest := k.Text; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, ",")
		id, pos, found := strings.Cut(pair, ":")
		n, err1 := strconv.ParseInt(id, 10, 64)
		p, err2 := strconv.Atoi(pos)
		if !found || err1 != nil || err2 != nil {
			return nil, true, fmt.Errorf("shop %d: carousel keys %q: %q is not id:position", shopID, k.Text, pair)
		}
		products = append(products, FeaturedProduct{Product: Product{ID: n, ShopID: shopID}, Position: p})
	}
	slices.SortFunc(products, func(a, b FeaturedProduct) int { return cmp.Compare(a.Position, b.Position) })
	return products, true, nil
}

// Product is a row of products. Money is in integer minor units of Currency.
type Product struct {
	ID             int64     `db:"id"`
	ShopID         int64     `db:"shop_id"`
	SKU            string    `db:"sku"`
	Title          string    `db:"title"`
	Description    *string   `db:"description"`
	URL            string    `db:"url"`
	ImageURL       string    `db:"image_url"`
	ImageAltText   *string   `db:"image_alt_text"`
	ImageWidth     *int      `db:"image_width"`
	ImageHeight    *int      `db:"image_height"`
	Currency       string    `db:"currency"`
	PriceMinor     int64     `db:"price_minor"`
	CompareAtMinor *int64    `db:"compare_at_minor"`
	Availability   string    `db:"availability"`
	Condition      string    `db:"condition"`
	Brand          *string   `db:"brand"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
}

// FeaturedProduct is a product in a shop's carousel at Position (1..5).
type FeaturedProduct struct {
	Product
	Position int `db:"position"`
}

// ProductWithShop is a product with what deciding its visibility needs: its
// shop's status and owner.
type ProductWithShop struct {
	Product
	ShopStatus  string `db:"shop_status"`
	ShopOwnerID string `db:"shop_owner_id"`
}
