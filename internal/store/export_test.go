package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// MigrateTo applies the migrations up to version only, as an earlier
// release of the service left the database.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate to %d: %w", version, err)
	}
	return nil
}

// SelectRead is selectRead, for tests of the read path with statements of
// their own.
func (s *Store) SelectRead(ctx context.Context, name string, dest any, q string, args ...any) error {
	return s.selectRead(ctx, name, dest, q, args...)
}

// HotStatements are the read path's statements as the store runs them on
// PostgreSQL, with arguments, for the plan test: name → text and arguments.
func (s *Store) HotStatements(shopIDs, productIDs []int64, owners []string) (map[string]struct {
	Query string
	Args  []any
}, error) {
	type stmt = struct {
		Query string
		Args  []any
	}
	out := map[string]stmt{}
	add := func(name, q string, args ...any) error {
		q, args, err := s.in(q, args...)
		if err != nil {
			return err
		}
		out[name] = stmt{s.read.Rebind(q), args}
		return nil
	}
	const featured = ` FROM featured_products f JOIN products p ON p.id = f.product_id
		WHERE f.shop_id IN (?) AND p.availability NOT IN (?, ?)
		ORDER BY f.shop_id, f.position`
	errs := []error{
		add("shops_by_owner_ids", `SELECT `+shopReadColumns+` FROM shops WHERE owner_id IN (?)`, owners),
		add("shops_by_ids", `SELECT `+shopReadColumns+` FROM shops WHERE id IN (?)`, shopIDs),
		add("featured_cards_by_shop_ids", `SELECT `+cardColumnsP+`, f.position`+featured, shopIDs, AvailabilityOutOfStock, AvailabilityDiscontinued),
		add("featured_products_by_shop_ids", `SELECT `+productColumnsP+`, f.position`+featured, shopIDs, AvailabilityOutOfStock, AvailabilityDiscontinued),
		add("featured_keys_by_shop_ids", `SELECT `+keyColumnsP+`, f.position`+featured, shopIDs, AvailabilityOutOfStock, AvailabilityDiscontinued),
		add("products_by_ids", `SELECT `+productColumnsP+`, s.status AS shop_status, s.owner_id AS shop_owner_id
		FROM products p JOIN shops s ON s.id = p.shop_id WHERE p.id IN (?)`, productIDs),
		add("product_page", `SELECT `+productColumns+` FROM products WHERE shop_id = ? AND id > ? ORDER BY id LIMIT ?`, shopIDs[0], int64(0), 21),
		add("product_pages_by_shop_ids", `SELECT `+productColumns+` FROM (
			SELECT `+productColumns+`, ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY id) AS rn
			FROM products WHERE shop_id IN (?) AND id > ?) AS paged
			WHERE rn <= ? ORDER BY shop_id, id`, shopIDs, int64(0), 21),
		add("product_counts_by_shop_ids", `SELECT shop_id, COUNT(*) AS n FROM products WHERE shop_id IN (?) GROUP BY shop_id`, shopIDs),
		add("active_shops", `SELECT `+shopReadColumns+` FROM shops WHERE status = ? AND id > ? ORDER BY id LIMIT ?`, StatusActive, int64(0), 21),
		add("product_shops", `SELECT id, shop_id FROM products WHERE id IN (?)`, productIDs),
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Primary returns the primary's pool, for tests that inspect plans.
func (s *Store) Primary() *sqlx.DB { return s.read }

// ReadShops runs q, a statement of the test's own, through the read path's
// scan of shops (queryRead and scanShopRead), for the test of the column guard.
func (s *Store) ReadShops(ctx context.Context, q string, args ...any) ([]Shop, error) {
	var shops []Shop
	err := s.queryRead(ctx, "test_shops", q, args, shopReadScanned, func(r *row) {
		shops = append(shops, Shop{})
		scanShopRead(r, &shops[len(shops)-1])
	})
	return shops, err
}
