package graph

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/money"
	"github.com/shop-subgraph/shop/internal/store"
)

// IDs are the decimal database ids as strings. Clients treat them as opaque;
// parseID accepts exactly what formatID produces.

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || formatID(id) != s {
		return 0, false
	}
	return id, true
}

// Cursors are opaque: a kind letter and an id, base64url-encoded.
const (
	productCursor = "p"
	shopCursor    = "s"
)

func encodeCursor(kind string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + formatID(id)))
}

func decodeCursor(kind, cursor string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	k, id, ok := strings.Cut(string(b), ":")
	if !ok || k != kind {
		return 0, false
	}
	return parseID(id)
}

func shopModel(s *store.Shop) *model.Shop {
	return &model.Shop{
		ID:          formatID(s.ID),
		Owner:       &model.Profile{ID: s.OwnerID},
		Name:        s.Name,
		Description: s.Description,
		StoreURL:    model.URL(s.StoreURL),
		Status:      model.ShopStatus(s.Status),
		CreatedAt:   s.CreatedAt,
		UpdatedAt:   s.UpdatedAt,
		Key:         s.ID,
	}
}

func productModel(p *store.Product) *model.Product { return new(productParts).set(p) }

// productParts is a Product model with the Image and Money objects it
// points to, so that one allocation makes them all, or none when the direct
// path reuses one for every product it writes.
type productParts struct {
	product        model.Product
	image          model.Image
	price, compare model.Money
}

// set makes m the model of p and returns the product.
func (m *productParts) set(p *store.Product) *model.Product {
	m.image = model.Image{
		URL:     model.URL(p.ImageURL),
		AltText: p.ImageAltText,
		Width:   p.ImageWidth,
		Height:  p.ImageHeight,
	}
	m.price = moneyModel(p.PriceMinor, p.Currency)
	m.product = model.Product{
		ID:           formatID(p.ID),
		Sku:          p.SKU,
		Title:        p.Title,
		Description:  p.Description,
		URL:          model.URL(p.URL),
		Image:        &m.image,
		Price:        &m.price,
		Availability: model.ProductAvailability(p.Availability),
		Condition:    model.ProductCondition(p.Condition),
		Brand:        p.Brand,
		CreatedAt:    p.CreatedAt,
		UpdatedAt:    p.UpdatedAt,
		Key:          p.ID,
		ShopKey:      p.ShopID,
	}
	if p.CompareAtMinor != nil {
		m.compare = moneyModel(*p.CompareAtMinor, p.Currency)
		m.product.CompareAtPrice = &m.compare
	}
	return &m.product
}

func moneyModel(minor int64, currency string) model.Money {
	return model.Money{
		Amount:       model.Decimal(money.Format(minor, currency)),
		CurrencyCode: model.CurrencyCode(currency),
	}
}
