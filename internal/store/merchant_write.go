package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// The merchant write API's statements (SPEC §6). Each runs inside a Tx, so
// what a mutation reads to decide (the shop's owner, which SKUs exist, the
// catalogue's size) still holds when it commits: a mutation reads its shop
// first, which makes the shop's other writers wait (see Write).

// selectAll runs a read statement inside the transaction into dest, counted
// under name. It is not prepared: statements with IN lists differ by length.
func (tx *Tx) selectAll(ctx context.Context, name string, dest any, q string, args ...any) error {
	start := time.Now()
	var err error
	if tx.pg != nil {
		_, err = tx.pg.query(ctx, tx.s.write.Rebind(q), args, selectInto(dest))
	} else {
		err = tx.tx.SelectContext(ctx, dest, tx.s.write.Rebind(q), args...)
	}
	tx.s.observeOn(ctx, nil, name, start, returned(err, reflect.ValueOf(dest).Elem().Len()), err)
	return err
}

// getRow runs the single-row statement q into dest, mapping sql.ErrNoRows to
// ErrNotFound.
func (tx *Tx) getRow(ctx context.Context, name string, dest any, q string, args ...any) error {
	err := tx.get(ctx, name, dest, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// lockShop is what the transaction's reads of a shop add so that they lock
// its row until the transaction ends, on PostgreSQL: the shop's writers take
// turns (see Write). NO KEY UPDATE, the lock an UPDATE of other columns than
// the key takes, leaves foreign-key checks of rows referencing the shop free.
func (tx *Tx) lockShop() string {
	if tx.s.dialect == dialectPostgres {
		return ` FOR NO KEY UPDATE`
	}
	return ""
}

// ShopByID returns the shop with the given id, in any status, or
// ErrNotFound, and makes the shop's other writers wait until the
// transaction ends.
func (tx *Tx) ShopByID(ctx context.Context, id int64) (Shop, error) {
	q := `SELECT ` + shopColumns + ` FROM shops WHERE id = ?` + tx.lockShop()
	var s Shop
	if err := tx.getRow(ctx, "tx_shop_by_id", &s, q, id); err != nil {
		return Shop{}, fmt.Errorf("shop by id: %w", err)
	}
	return s, nil
}

// ShopByOwnerID returns the profile's shop, in any status, or ErrNotFound,
// and makes the shop's other writers wait until the transaction ends.
func (tx *Tx) ShopByOwnerID(ctx context.Context, ownerID string) (Shop, error) {
	if !storable(ownerID) {
		return Shop{}, fmt.Errorf("shop by owner id: %w", ErrNotFound)
	}
	q := `SELECT ` + shopColumns + ` FROM shops WHERE owner_id = ?` + tx.lockShop()
	var s Shop
	if err := tx.getRow(ctx, "tx_shop_by_owner_id", &s, q, ownerID); err != nil {
		return Shop{}, fmt.Errorf("shop by owner id: %w", err)
	}
	return s, nil
}

// ShopByProductID returns the shop of the product with the given id, or
// ErrNotFound when there is no such product, and makes the shop's other
// writers wait until the transaction ends. Read the product after it: a
// writer that held the shop may have changed or deleted it.
func (tx *Tx) ShopByProductID(ctx context.Context, productID int64) (Shop, error) {
	q := `SELECT ` + shopColumns + ` FROM shops
		WHERE id = (SELECT shop_id FROM products WHERE id = ?)` + tx.lockShop()
	var s Shop
	if err := tx.getRow(ctx, "tx_shop_by_product_id", &s, q, productID); err != nil {
		return Shop{}, fmt.Errorf("shop by product id: %w", err)
	}
	return s, nil
}

// CreateShop inserts a shop and returns it. A profile that already has a
// shop is ErrConflict. An empty Status makes the shop ACTIVE.
func (tx *Tx) CreateShop(ctx context.Context, w ShopWrite) (Shop, error) {
	const q = `INSERT INTO shops (owner_id, name, description, store_url, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING ` + shopColumns
	status := w.Status
	if status == "" {
		status = StatusActive
	}
	var s Shop
	if err := tx.get(ctx, "create_shop", &s, q, w.OwnerID, w.Name, w.Description, w.StoreURL, status, tx.now, tx.now); err != nil {
		return Shop{}, fmt.Errorf("create shop: %w", err)
	}
	return s, nil
}

// UpdateShop sets the shop's name, description, store URL and, when
// w.Status is not empty, status; the owner never changes. updated_at moves
// only when something changed. It returns the shop as updated.
func (tx *Tx) UpdateShop(ctx context.Context, id int64, w ShopWrite) (Shop, error) {
	// SET expressions see the row as it was.
	const q = `UPDATE shops SET
			name = ?,
			description = ?,
			store_url = ?,
			status = COALESCE(?, status),
			updated_at = CASE
				WHEN name IS DISTINCT FROM ?
					OR description IS DISTINCT FROM ?
					OR store_url IS DISTINCT FROM ?
					OR status IS DISTINCT FROM COALESCE(?, status)
				THEN ? ELSE updated_at END
		WHERE id = ?
		RETURNING ` + shopColumns
	var status *string
	if w.Status != "" {
		status = &w.Status
	}
	var s Shop
	err := tx.getRow(ctx, "update_shop", &s, q,
		w.Name, w.Description, w.StoreURL, status,
		w.Name, w.Description, w.StoreURL, status, tx.now, id)
	if err != nil {
		return Shop{}, fmt.Errorf("update shop: %w", err)
	}
	return s, nil
}

// ProductByID returns the product with the given id, or ErrNotFound.
func (tx *Tx) ProductByID(ctx context.Context, id int64) (Product, error) {
	const q = `SELECT ` + productColumns + ` FROM products WHERE id = ?`
	var p Product
	if err := tx.getRow(ctx, "tx_product_by_id", &p, q, id); err != nil {
		return Product{}, fmt.Errorf("product by id: %w", err)
	}
	return p, nil
}

// CountProducts returns the number of products of the shop.
func (tx *Tx) CountProducts(ctx context.Context, shopID int64) (int, error) {
	const q = `SELECT COUNT(*) FROM products WHERE shop_id = ?`
	var n int
	if err := tx.get(ctx, "tx_count_products", &n, q, shopID); err != nil {
		return 0, fmt.Errorf("count products: %w", err)
	}
	return n, nil
}

// ProductsBySKU returns the shop's products with the given SKUs, in no
// particular order; SKUs the shop does not have are absent. One statement
// for every 500 SKUs.
func (tx *Tx) ProductsBySKU(ctx context.Context, shopID int64, skus []string) ([]Product, error) {
	const q = `SELECT ` + productColumns + ` FROM products WHERE shop_id = ? AND sku IN (?)`
	var out []Product
	for chunk := range slices.Chunk(storableKeys(skus), inChunk) {
		query, args, err := tx.s.in(q, shopID, chunk)
		if err != nil {
			return nil, fmt.Errorf("products by sku: %w", err)
		}
		var rows []Product
		if err := tx.selectAll(ctx, "tx_products_by_sku", &rows, query, args...); err != nil {
			return nil, fmt.Errorf("products by sku: %w", err)
		}
		out = append(out, rows...)
	}
	return out, nil
}

// ProductShopIDs is Store.ProductShops inside the transaction.
func (tx *Tx) ProductShopIDs(ctx context.Context, ids []int64) (map[int64]int64, error) {
	return tx.s.productShops(ctx, ids, func(dest any, q string, args []any) error {
		return tx.selectAll(ctx, "tx_product_shop_ids", dest, q, args...)
	})
}

// CreateProduct inserts a product at the end of the shop's catalogue and
// returns it. A SKU the shop already has is ErrConflict.
func (tx *Tx) CreateProduct(ctx context.Context, shopID int64, p ProductWrite) (Product, error) {
	const q = productInsert + productValues + ` RETURNING ` + productColumns
	var out Product
	if err := tx.get(ctx, "create_product", &out, q, tx.productArgs(nil, shopID, p)...); err != nil {
		return Product{}, fmt.Errorf("create product %q: %w", p.SKU, err)
	}
	return out, nil
}

// UpdateProduct sets every field of the product but its SKU and shop, and
// returns it as updated. updated_at moves only when something changed.
func (tx *Tx) UpdateProduct(ctx context.Context, id int64, p ProductWrite) (Product, error) {
	// SET expressions see the row as it was, so the CASE compares the old
	// values with the new ones.
	const q = `UPDATE products SET
			updated_at = CASE
				WHEN title IS DISTINCT FROM ?
					OR description IS DISTINCT FROM ?
					OR url IS DISTINCT FROM ?
					OR image_url IS DISTINCT FROM ?
					OR image_alt_text IS DISTINCT FROM ?
					OR image_width IS DISTINCT FROM ?
					OR image_height IS DISTINCT FROM ?
					OR currency IS DISTINCT FROM ?
					OR price_minor IS DISTINCT FROM ?
					OR compare_at_minor IS DISTINCT FROM ?
					OR availability IS DISTINCT FROM ?
					OR condition IS DISTINCT FROM ?
					OR brand IS DISTINCT FROM ?
				THEN ? ELSE updated_at END,
			title = ?, description = ?, url = ?, image_url = ?, image_alt_text = ?,
			image_width = ?, image_height = ?, currency = ?, price_minor = ?,
			compare_at_minor = ?, availability = ?, condition = ?, brand = ?
		WHERE id = ?
		RETURNING ` + productColumns
	fields := []any{p.Title, p.Description, p.URL, p.ImageURL, p.ImageAltText,
		p.ImageWidth, p.ImageHeight, p.Currency, p.PriceMinor,
		p.CompareAtMinor, p.Availability, p.Condition, p.Brand}
	args := append(append(append(append([]any{}, fields...), tx.now), fields...), id)
	var out Product
	if err := tx.getRow(ctx, "update_product", &out, q, args...); err != nil {
		return Product{}, fmt.Errorf("update product: %w", err)
	}
	return out, nil
}

// DeleteProduct deletes the product, or returns ErrNotFound. Its featured
// entry, if any, goes with it (the foreign key cascades); callers that keep
// positions contiguous rewrite the list first.
func (tx *Tx) DeleteProduct(ctx context.Context, id int64) error {
	const q = `DELETE FROM products WHERE id = ?`
	res, err := tx.exec(ctx, "delete_product", q, id)
	if err != nil {
		return fmt.Errorf("delete product: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete product: %w", err)
	} else if n == 0 {
		return fmt.Errorf("delete product: %w", ErrNotFound)
	}
	return nil
}

// FeaturedProductIDs returns the ids of the shop's featured products in
// position order, whatever their availability.
func (tx *Tx) FeaturedProductIDs(ctx context.Context, shopID int64) ([]int64, error) {
	const q = `SELECT product_id FROM featured_products WHERE shop_id = ? ORDER BY position`
	var ids []int64
	if err := tx.selectAll(ctx, "tx_featured_product_ids", &ids, q, shopID); err != nil {
		return nil, fmt.Errorf("featured product ids: %w", err)
	}
	return ids, nil
}

// ReplaceFeatured makes the products ids, in order, the shop's featured list
// (positions 1..n); an empty list clears it. Callers validate the list first
// (at most 5, distinct, the shop's own); the table's keys refuse anything
// else.
func (tx *Tx) ReplaceFeatured(ctx context.Context, shopID int64, ids []int64) error {
	if err := tx.clearFeatured(ctx, shopID); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	// One statement for the whole list: each is a round trip the shop's
	// other writers wait through.
	q := `INSERT INTO featured_products (shop_id, position, product_id) VALUES (?, ?, ?)` +
		strings.Repeat(`, (?, ?, ?)`, len(ids)-1)
	args := make([]any, 0, 3*len(ids))
	for i, id := range ids {
		args = append(args, shopID, i+1, id)
	}
	if _, err := tx.exec(ctx, "insert_featured_product_ids", q, args...); err != nil {
		return fmt.Errorf("replace featured products: %w", err)
	}
	return nil
}

// TakeFeatured empties the shop's featured list and returns the ids it
// held, in position order: the first step of replacing the list, and what
// the caller compares the new list with, in one statement.
func (tx *Tx) TakeFeatured(ctx context.Context, shopID int64) ([]int64, error) {
	const q = `DELETE FROM featured_products WHERE shop_id = ? RETURNING position, product_id`
	var rows []struct {
		Position  int   `db:"position"`
		ProductID int64 `db:"product_id"`
	}
	if err := tx.selectAll(ctx, "take_featured_products", &rows, q, shopID); err != nil {
		return nil, fmt.Errorf("take featured products: %w", err)
	}
	slices.SortFunc(rows, func(a, b struct {
		Position  int   `db:"position"`
		ProductID int64 `db:"product_id"`
	}) int {
		return a.Position - b.Position
	})
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ProductID
	}
	return ids, nil
}

// FeatureOwnProducts makes the products ids, in order, the shop's featured
// list (positions 1..n), leaving out any id that is not one of the shop's
// products, and returns how many it featured: fewer than len(ids) tells the
// caller to roll back. The list must be empty (TakeFeatured), the ids
// distinct and at most 5 (callers validate them).
func (tx *Tx) FeatureOwnProducts(ctx context.Context, shopID int64, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	// Which ids are the shop's comes from the same statement as the write:
	// no round trip to look them up first. The casts give PostgreSQL the
	// parameters' types, which a select list does not imply.
	const one = `SELECT CAST(? AS INTEGER) AS position, CAST(? AS BIGINT) AS id`
	q := `INSERT INTO featured_products (shop_id, position, product_id)
		SELECT p.shop_id, v.position, p.id
		FROM (` + one + strings.Repeat(` UNION ALL `+one, len(ids)-1) + `) v
		JOIN products p ON p.id = v.id AND p.shop_id = ?`
	args := make([]any, 0, 2*len(ids)+1)
	for i, id := range ids {
		args = append(args, i+1, id)
	}
	res, err := tx.exec(ctx, "feature_own_products", q, append(args, shopID)...)
	if err != nil {
		return 0, fmt.Errorf("feature own products: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("feature own products: %w", err)
	}
	return int(n), nil
}

// TouchShop moves the shop's updated_at to the transaction's time: its
// featured list changed.
func (tx *Tx) TouchShop(ctx context.Context, id int64) (Shop, error) {
	const q = `UPDATE shops SET updated_at = ? WHERE id = ? RETURNING ` + shopColumns
	var s Shop
	if err := tx.getRow(ctx, "touch_shop", &s, q, tx.now, id); err != nil {
		return Shop{}, fmt.Errorf("touch shop: %w", err)
	}
	return s, nil
}
