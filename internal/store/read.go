package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

const shopColumns = `id, owner_id, name, description, store_url, status, created_at, updated_at`

// shopReadColumns are what reads of shops select: shopColumns and the
// carousel's keys (Shop.Carousel), which writes do not return.
const shopReadColumns = shopColumns + `, featured_keys`

const productColumns = `id, shop_id, sku, title, description, url, image_url, image_alt_text,
	image_width, image_height, currency, price_minor, compare_at_minor, availability,
	condition, brand, created_at, updated_at`

// productColumnsP is productColumns qualified by the alias p, for joins.
const productColumnsP = `p.id, p.shop_id, p.sku, p.title, p.description, p.url,
	p.image_url, p.image_alt_text, p.image_width, p.image_height, p.currency,
	p.price_minor, p.compare_at_minor, p.availability, p.condition, p.brand,
	p.created_at, p.updated_at`

// ShopsByOwnerIDs returns the shops, in any status, owned by the given profiles,
// in no particular order; profiles without a shop are simply absent, and so
// are ids no row can hold (storable).
func (s *Store) ShopsByOwnerIDs(ctx context.Context, ownerIDs []string) ([]Shop, error) {
	ownerIDs = storableKeys(ownerIDs)
	if len(ownerIDs) == 0 {
		return nil, nil
	}
	const q = `SELECT ` + shopReadColumns + ` FROM shops WHERE owner_id IN (?)`
	query, args, err := s.in(q, ownerIDs)
	if err != nil {
		return nil, fmt.Errorf("shops by owner ids: %w", err)
	}
	shops := make([]Shop, 0, len(ownerIDs))
	err = s.queryRead(ctx, "shops_by_owner_ids", query, args, shopReadScanned, func(r *row) {
		shops = append(shops, Shop{})
		scanShopRead(r, &shops[len(shops)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("shops by owner ids: %w", err)
	}
	return shops, nil
}

// ShopsByIDs returns the shops with the given ids, in no particular order;
// unknown ids are absent.
func (s *Store) ShopsByIDs(ctx context.Context, ids []int64) ([]Shop, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const q = `SELECT ` + shopReadColumns + ` FROM shops WHERE id IN (?)`
	query, args, err := s.in(q, ids)
	if err != nil {
		return nil, fmt.Errorf("shops by ids: %w", err)
	}
	shops := make([]Shop, 0, len(ids))
	err = s.queryRead(ctx, "shops_by_ids", query, args, shopReadScanned, func(r *row) {
		shops = append(shops, Shop{})
		scanShopRead(r, &shops[len(shops)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("shops by ids: %w", err)
	}
	return shops, nil
}

// ProductColumns says which of a product's columns a read fills.
type ProductColumns int

const (
	// AllColumns fill every field of Product.
	AllColumns ProductColumns = iota
	// CardColumns fill what a carousel card shows: ID, ShopID, SKU, Title,
	// URL, the image's four fields, Currency, PriceMinor and CompareAtMinor.
	// The other fields are left zero. A timeline reads 12 columns a product
	// instead of 18, and parses no timestamps: the statement costs about
	// 40 % less (PERFORMANCE.md).
	CardColumns
	// KeyColumns fill only ID and ShopID: what a carousel needs when it is
	// asked only for its products' ids or __typename (Hive Gateway's first
	// request of a timeline asks featuredProducts { __typename }, and reads
	// the cards through Shop representations in its second).
	KeyColumns
)

// keyColumnsP are the columns of KeyColumns, qualified by the alias p.
const keyColumnsP = `p.id, p.shop_id`

// cardColumnsP are the columns of CardColumns, qualified by the alias p.
const cardColumnsP = `p.id, p.shop_id, p.sku, p.title, p.url, p.image_url, p.image_alt_text,
	p.image_width, p.image_height, p.currency, p.price_minor, p.compare_at_minor`

// FeaturedProductsByShopIDs returns the carousels of the given shops: their
// featured products that can be bought, ordered by shop and position, with
// the columns cols. The statement is named featured_products_by_shop_ids,
// featured_cards_by_shop_ids with CardColumns, featured_keys_by_shop_ids
// with KeyColumns.
func (s *Store) FeaturedProductsByShopIDs(ctx context.Context, shopIDs []int64, cols ProductColumns) ([]FeaturedProduct, error) {
	if len(shopIDs) == 0 {
		return nil, nil
	}
	const from = ` FROM featured_products f JOIN products p ON p.id = f.product_id
		WHERE f.shop_id IN (?) AND p.availability NOT IN (?, ?)
		ORDER BY f.shop_id, f.position`
	name, q, scan, scanned := "featured_products_by_shop_ids", `SELECT `+productColumnsP+`, f.position`+from, scanProduct, featuredScanned
	switch cols {
	case CardColumns:
		name, q, scan, scanned = "featured_cards_by_shop_ids", `SELECT `+cardColumnsP+`, f.position`+from, scanCard, featuredCardScanned
	case KeyColumns:
		name, q, scan, scanned = "featured_keys_by_shop_ids", `SELECT `+keyColumnsP+`, f.position`+from, scanKey, featuredKeyScanned
	}
	query, args, err := s.in(q, shopIDs, AvailabilityOutOfStock, AvailabilityDiscontinued)
	if err != nil {
		return nil, fmt.Errorf("featured products by shop ids: %w", err)
	}
	rows := make([]FeaturedProduct, 0, len(shopIDs)*5)
	err = s.queryRead(ctx, name, query, args, scanned, func(r *row) {
		rows = append(rows, FeaturedProduct{})
		f := &rows[len(rows)-1]
		f.Position = r.int(scan(r, &f.Product))
	})
	if err != nil {
		return nil, fmt.Errorf("featured products by shop ids: %w", err)
	}
	return rows, nil
}

// ProductsByIDs returns the products with the given ids with their shop's
// status and owner, in no particular order; unknown ids are absent.
func (s *Store) ProductsByIDs(ctx context.Context, ids []int64) ([]ProductWithShop, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	const q = `SELECT ` + productColumnsP + `, s.status AS shop_status, s.owner_id AS shop_owner_id
		FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id IN (?)`
	query, args, err := s.in(q, ids)
	if err != nil {
		return nil, fmt.Errorf("products by ids: %w", err)
	}
	rows := make([]ProductWithShop, 0, len(ids))
	err = s.queryRead(ctx, "products_by_ids", query, args, productWithShopScanned, func(r *row) {
		rows = append(rows, ProductWithShop{})
		p := &rows[len(rows)-1]
		next := scanProduct(r, &p.Product)
		p.ShopStatus, p.ShopOwnerID = r.str(next), r.str(next+1)
	})
	if err != nil {
		return nil, fmt.Errorf("products by ids: %w", err)
	}
	return rows, nil
}

// ProductPagesByShopIDs returns, for each given shop, up to limit products
// with an id greater than afterID, in catalogue order (the order added),
// ordered by shop then id. One statement serves any number of shops.
func (s *Store) ProductPagesByShopIDs(ctx context.Context, shopIDs []int64, afterID int64, limit int) ([]Product, error) {
	if len(shopIDs) == 0 {
		return nil, nil
	}
	var (
		query string
		args  []any
		err   error
	)
	if len(shopIDs) == 1 {
		// One shop (the common case of paging a catalogue) is a plain range
		// scan of the (shop_id, id) index.
		const q = `SELECT ` + productColumns + ` FROM products
			WHERE shop_id = ? AND id > ? ORDER BY id LIMIT ?`
		query, args = q, []any{shopIDs[0], afterID, limit}
	} else {
		const q = `SELECT ` + productColumns + ` FROM (
			SELECT ` + productColumns + `,
				ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY id) AS rn
			FROM products WHERE shop_id IN (?) AND id > ?) AS paged
			WHERE rn <= ? ORDER BY shop_id, id`
		query, args, err = s.in(q, shopIDs, afterID, limit)
		if err != nil {
			return nil, fmt.Errorf("product pages by shop ids: %w", err)
		}
	}
	var rows []Product
	err = s.queryRead(ctx, "product_pages_by_shop_ids", query, args, productScanned, func(r *row) {
		rows = append(rows, Product{})
		scanProduct(r, &rows[len(rows)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("product pages by shop ids: %w", err)
	}
	return rows, nil
}

// ProductCountsByShopIDs returns the number of products of each given shop;
// shops without products are absent.
func (s *Store) ProductCountsByShopIDs(ctx context.Context, shopIDs []int64) (map[int64]int, error) {
	if len(shopIDs) == 0 {
		return nil, nil
	}
	const q = `SELECT shop_id, COUNT(*) AS n FROM products WHERE shop_id IN (?) GROUP BY shop_id`
	query, args, err := s.in(q, shopIDs)
	if err != nil {
		return nil, fmt.Errorf("product counts by shop ids: %w", err)
	}
	var rows []struct {
		ShopID int64 `db:"shop_id"`
		N      int   `db:"n"`
	}
	if err := s.selectRead(ctx, "product_counts_by_shop_ids", &rows, query, args...); err != nil {
		return nil, fmt.Errorf("product counts by shop ids: %w", err)
	}
	counts := make(map[int64]int, len(rows))
	for _, r := range rows {
		counts[r.ShopID] = r.N
	}
	return counts, nil
}

// ActiveShops returns up to limit active shops with an id greater than
// afterID, oldest first.
func (s *Store) ActiveShops(ctx context.Context, afterID int64, limit int) ([]Shop, error) {
	const q = `SELECT ` + shopReadColumns + ` FROM shops WHERE status = ? AND id > ? ORDER BY id LIMIT ?`
	shops := make([]Shop, 0, limit)
	err := s.queryRead(ctx, "active_shops", q, []any{StatusActive, afterID, limit}, shopReadScanned, func(r *row) {
		shops = append(shops, Shop{})
		scanShopRead(r, &shops[len(shops)-1])
	})
	if err != nil {
		return nil, fmt.Errorf("active shops: %w", err)
	}
	return shops, nil
}

// CountActiveShops returns the number of active shops.
func (s *Store) CountActiveShops(ctx context.Context) (int, error) {
	const q = `SELECT COUNT(*) FROM shops WHERE status = ?`
	var n int
	if err := s.getRead(ctx, "count_active_shops", &n, q, StatusActive); err != nil {
		return 0, fmt.Errorf("count active shops: %w", err)
	}
	return n, nil
}

// Empty reports whether the database holds no shop yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM shops)`
	var exists bool
	if err := s.getRead(ctx, "any_shop", &exists, q); err != nil {
		return false, fmt.Errorf("any shop: %w", err)
	}
	return !exists, nil
}

// Shops and products are read by hand: sqlx's reflection (field lookup by
// column name, reflect.New and Append for every row) cost more than the
// timeline's two statements' own work in SQLite, and database/sql's Scan
// (conversions by reflection, holders for the nullable columns) a third of
// the featured statement (PERFORMANCE.md). The column lists above and the
// scan functions below go together: each scan function reads columns by
// position, and the list beside it names them, in order. queryRead checks
// the statement's result columns, as the driver names them, against that
// list, so a column added to (or moved in) a SELECT without its scan fails
// the read instead of shifting the columns after it into the wrong fields.

// queryRead runs a read statement whose result columns are scanned, in
// order, and hands each row to each, counted under name. On SQLite the rows
// come straight from the driver's connection (queryDriver); on PostgreSQL
// through database/sql, retried once on a live connection when the pooled
// one was broken before any row arrived (retryRead).
func (s *Store) queryRead(ctx context.Context, name, q string, args []any, scanned []string, each func(*row)) error {
	q = s.read.Rebind(q)
	if s.dialect == dialectSQLite {
		start := time.Now()
		n := 0
		err := s.queryDriver(ctx, q, args, scanned, func(r *row) { n++; each(r) })
		s.observeOn(ctx, nil, name, start, n, err)
		return err
	}
	return s.retryRead(ctx, name, func(db sqlx.QueryerContext, _ bool) (delivered int, err error) {
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return 0, err
		}
		if err := sameColumns(cols, scanned); err != nil {
			return 0, err
		}
		r := row{vals: make([]driver.Value, len(cols))}
		dest := make([]any, len(cols))
		for i := range dest {
			dest[i] = (*any)(&r.vals[i]) // database/sql stores into *any as it is
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return delivered, err
			}
			delivered++
			if each(&r); r.err != nil {
				return delivered, r.err
			}
		}
		return delivered, rows.Err()
	})
}

// queryDriver runs a statement on one of the pool's connections through the
// driver's own interface, reading each row's values as the driver returns
// them; its result columns must be scanned's.
func (s *Store) queryDriver(ctx context.Context, q string, args []any, scanned []string, each func(*row)) error {
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return fmt.Errorf("argument %d: %w", i+1, err)
		}
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		queryer, ok := dc.(driver.QueryerContext)
		if !ok {
			return fmt.Errorf("the driver's connection (%T) cannot run queries", dc)
		}
		rows, err := queryer.QueryContext(ctx, q, named)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols := rows.Columns()
		if err := sameColumns(cols, scanned); err != nil {
			return err
		}
		r := row{vals: make([]driver.Value, len(cols))}
		for {
			if err := rows.Next(r.vals); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
			if each(&r); r.err != nil {
				return r.err
			}
		}
	})
}

// sameColumns says how a statement's result columns differ from the ones
// its scan reads, if they do.
func sameColumns(got, scanned []string) error {
	if !slices.Equal(got, scanned) {
		return fmt.Errorf("the statement returns the columns %q, its scan reads %q", got, scanned)
	}
	return nil
}

// row is a result row's values as the driver returns them (int64, string,
// time.Time, nil; []byte is taken for a string), read by column. A value of
// another type, or NULL where the column is read as not null, sets err, and
// the statement fails with it.
type row struct {
	vals []driver.Value
	err  error
}

func (r *row) fail(i int, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("column %d: %T where %s was expected", i+1, r.vals[i], want)
	}
}

func (r *row) int64(i int) int64 {
	n, ok := r.vals[i].(int64)
	if !ok {
		r.fail(i, "an integer")
	}
	return n
}

func (r *row) int(i int) int { return int(r.int64(i)) }

func (r *row) str(i int) string {
	switch v := r.vals[i].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	r.fail(i, "a string")
	return ""
}

func (r *row) time(i int) time.Time {
	t, ok := r.vals[i].(time.Time)
	if !ok {
		r.fail(i, "a time")
	}
	return t
}

func (r *row) optInt64(i int) *int64 {
	if r.vals[i] == nil {
		return nil
	}
	n := r.int64(i)
	return &n
}

func (r *row) optInt(i int) *int {
	if r.vals[i] == nil {
		return nil
	}
	n := r.int(i)
	return &n
}

func (r *row) optStr(i int) *string {
	if r.vals[i] == nil {
		return nil
	}
	s := r.str(i)
	return &s
}

// shopReadScanned is what scanShopRead reads: shopReadColumns.
var shopReadScanned = []string{"id", "owner_id", "name", "description", "store_url", "status", "created_at", "updated_at", "featured_keys"}

// scanShopRead reads shopReadColumns.
func scanShopRead(r *row, s *Shop) {
	*s = Shop{
		ID: r.int64(0), OwnerID: r.str(1), Name: r.str(2), Description: r.optStr(3),
		StoreURL: r.str(4), Status: r.str(5), CreatedAt: r.time(6), UpdatedAt: r.time(7),
		Carousel: CarouselKeys{Read: true, Text: r.str(8)},
	}
}

// productScanned is what scanProduct reads: productColumns.
var productScanned = []string{"id", "shop_id", "sku", "title", "description", "url", "image_url", "image_alt_text",
	"image_width", "image_height", "currency", "price_minor", "compare_at_minor", "availability",
	"condition", "brand", "created_at", "updated_at"}

// The reads that add columns after a product's or a card's: a featured
// product's position, a product's shop's status and owner.
var (
	featuredScanned        = append(slices.Clip(productScanned), "position")
	featuredCardScanned    = append(slices.Clip(cardScanned), "position")
	featuredKeyScanned     = []string{"id", "shop_id", "position"}
	productWithShopScanned = append(slices.Clip(productScanned), "shop_status", "shop_owner_id")
)

// scanProduct reads productColumns (or productColumnsP) and returns the
// index of the next column.
func scanProduct(r *row, p *Product) int {
	*p = Product{
		ID: r.int64(0), ShopID: r.int64(1), SKU: r.str(2), Title: r.str(3), Description: r.optStr(4),
		URL: r.str(5), ImageURL: r.str(6), ImageAltText: r.optStr(7), ImageWidth: r.optInt(8),
		ImageHeight: r.optInt(9), Currency: r.str(10), PriceMinor: r.int64(11), CompareAtMinor: r.optInt64(12),
		Availability: r.str(13), Condition: r.str(14), Brand: r.optStr(15), CreatedAt: r.time(16), UpdatedAt: r.time(17),
	}
	return 18
}

// cardScanned is what scanCard reads: cardColumnsP.
var cardScanned = []string{"id", "shop_id", "sku", "title", "url", "image_url", "image_alt_text",
	"image_width", "image_height", "currency", "price_minor", "compare_at_minor"}

// scanCard reads cardColumnsP and returns the index of the next column.
func scanCard(r *row, p *Product) int {
	*p = Product{
		ID: r.int64(0), ShopID: r.int64(1), SKU: r.str(2), Title: r.str(3), URL: r.str(4), ImageURL: r.str(5),
		ImageAltText: r.optStr(6), ImageWidth: r.optInt(7), ImageHeight: r.optInt(8),
		Currency: r.str(9), PriceMinor: r.int64(10), CompareAtMinor: r.optInt64(11),
	}
	return 12
}

// scanKey reads keyColumnsP and returns the index of the next column.
func scanKey(r *row, p *Product) int {
	*p = Product{ID: r.int64(0), ShopID: r.int64(1)}
	return 2
}
