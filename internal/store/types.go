package store

import "time"

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
