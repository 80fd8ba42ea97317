package model

import "time"

// Profile is the accounts subgraph's entity; this subgraph only knows its id.
type Profile struct {
	ID string `json:"id"`
}

func (Profile) IsEntity() {}

// Tweet is the tweets subgraph's entity; Author comes from @requires.
type Tweet struct {
	ID     string   `json:"id"`
	Author *Profile `json:"author"`
}

func (Tweet) IsEntity() {}

// Shop is a merchant's Shop Module.
type Shop struct {
	ID          string     `json:"id"`
	Owner       *Profile   `json:"owner"`
	Name        string     `json:"name"`
	Description *string    `json:"description,omitempty"`
	StoreURL    URL        `json:"storeUrl"`
	Status      ShopStatus `json:"status"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`

	// Key is the database id behind ID, for loaders.
	Key int64 `json:"-"`
}

func (Shop) IsEntity() {}

// Product is a product of a shop's catalogue.
type Product struct {
	ID             string              `json:"id"`
	Sku            string              `json:"sku"`
	Title          string              `json:"title"`
	Description    *string             `json:"description,omitempty"`
	URL            URL                 `json:"url"`
	Image          *Image              `json:"image"`
	Price          *Money              `json:"price"`
	CompareAtPrice *Money              `json:"compareAtPrice,omitempty"`
	Availability   ProductAvailability `json:"availability"`
	Condition      ProductCondition    `json:"condition"`
	Brand          *string             `json:"brand,omitempty"`
	CreatedAt      time.Time           `json:"createdAt"`
	UpdatedAt      time.Time           `json:"updatedAt"`

	// Key and ShopKey are the database ids behind ID and the product's shop.
	Key     int64 `json:"-"`
	ShopKey int64 `json:"-"`
}

func (Product) IsEntity() {}

// ProductConnection is a page of a shop's catalogue.
type ProductConnection struct {
	Edges    []*ProductEdge `json:"edges"`
	Nodes    []*Product     `json:"nodes"`
	PageInfo *PageInfo      `json:"pageInfo"`

	// ShopKey identifies the shop whose products are counted by totalCount.
	ShopKey int64 `json:"-"`
}

// ShopConnection is a page of active shops; totalCount is resolved on demand.
type ShopConnection struct {
	Edges    []*ShopEdge `json:"edges"`
	Nodes    []*Shop     `json:"nodes"`
	PageInfo *PageInfo   `json:"pageInfo"`
}
