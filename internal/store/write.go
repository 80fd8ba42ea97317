package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	// Imported for its error codes, to tell a unique violation from other
	// failures; the driver itself is still chosen (and blank-imported) by main.
	"github.com/mattn/go-sqlite3"
)

// ErrConflict is returned when a write lost a race with a concurrent write to
// the same rows (a unique violation that validation could not foresee). The
// whole transaction was rolled back; retrying it is safe.
var ErrConflict = errors.New("conflicting concurrent write")

// ShopWrite is what a write sets on a shop.
type ShopWrite struct {
	OwnerID     string
	Name        string
	Description *string
	StoreURL    string
	// Status is the new status, or empty to keep an existing shop's status
	// (a new shop is then ACTIVE): an import that omits it must not lift a
	// suspension that staff set.
	Status string
}

// ProductWrite is what a write sets on a product. Money is in integer minor
// units of Currency.
type ProductWrite struct {
	SKU            string
	Title          string
	Description    *string
	URL            string
	ImageURL       string
	ImageAltText   *string
	ImageWidth     *int
	ImageHeight    *int
	Currency       string
	PriceMinor     int64
	CompareAtMinor *int64
	Availability   string
	Condition      string
	Brand          *string
}

// ShopSKUs is a shop's id and the SKUs of all its products.
type ShopSKUs struct {
	ShopID int64
	SKUs   []string
}

// Tx is a write transaction on the write pool. On SQLite its statements
// are prepared once per transaction, so a bulk write pays for parsing its SQL
// once, not once a row. On PostgreSQL they are not: pgx's statement cache
// prepares each text once per connection and runs it in one round trip,
// where preparing it in the transaction would cost a round trip more to
// prepare it and one to deallocate it at the end, on every transaction,
// and PostgreSQL would plan it afresh each time (PERFORMANCE.md, writes).
// On PostgreSQL the transaction runs through pgx's own API (pgTx).
type Tx struct {
	s     *Store
	tx    *sqlx.Tx // SQLite
	pg    *pgTx    // PostgreSQL
	now   time.Time
	stmts map[string]*sqlx.Stmt
}

// txNow is a transaction's one timestamp, like PostgreSQL's now();
// microseconds, the precision both databases keep.
func txNow() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Write runs fn in one transaction on the write pool (the primary): it
// commits when fn returns nil and rolls back, returning fn's error
// unchanged, otherwise.
//
// Writers of one shop take turns; writers of different shops do not wait
// for each other. On SQLite the write transaction holds the database's
// write lock from its start (one write connection, BEGIN IMMEDIATE), so
// every writer takes its turn. On PostgreSQL a write that checks what is
// stored before it writes (catalogue size, featured products, SKUs) first
// reads its shop with ShopByID, ShopByOwnerID or ShopByProductID, which lock
// the shop's row (FOR NO KEY UPDATE) until the transaction ends: the checks
// hold at commit as they do on SQLite. Each merchant write locks one shop,
// and the import locks its shops in ascending id order (LockShopsForImport),
// so writers never wait for each other in a cycle. The lock does not block
// reads, nor the foreign-key checks of rows that only reference the shop
// (FOR KEY SHARE), such as engagement counters.
//
// The statements are reported to the observer, with the transaction's
// "begin" and "commit", on both databases (on PostgreSQL BEGIN is sent in
// the first statement's round trip, pgTx, and still reported: SPEC §2
// counts every statement).
func (s *Store) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if s.dialect == dialectPostgres {
		return s.writePostgres(ctx, fn)
	}
	start := time.Now()
	sqlTx, err := s.write.BeginTxx(ctx, nil)
	s.observe(ctx, "begin", start, err)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	// Rolling back a committed transaction is a no-op (sql.ErrTxDone); this
	// also covers a panic in fn.
	defer sqlTx.Rollback()
	tx := &Tx{s: s, tx: sqlTx, now: txNow(), stmts: map[string]*sqlx.Stmt{}}
	if err := fn(tx); err != nil {
		return err
	}
	start = time.Now()
	err = sqlTx.Commit()
	s.observe(ctx, "commit", start, err)
	if err != nil {
		return fmt.Errorf("commit write: %w", mapWriteErr(err))
	}
	return nil
}

// stmt returns q prepared in the transaction, preparing it on first use.
func (tx *Tx) stmt(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if st, ok := tx.stmts[q]; ok {
		return st, nil
	}
	st, err := tx.tx.PreparexContext(ctx, tx.s.write.Rebind(q))
	if err != nil {
		return nil, err
	}
	tx.stmts[q] = st
	return st, nil
}

// prepares reports whether the transaction prepares its statements itself
// (SQLite) rather than leaving it to the driver's cache (PostgreSQL; see Tx).
func (tx *Tx) prepares() bool { return tx.s.dialect != dialectPostgres }

// exec runs the statement q, counted under name.
func (tx *Tx) exec(ctx context.Context, name, q string, args ...any) (sql.Result, error) {
	if tx.pg != nil {
		start := time.Now()
		tag, err := tx.pg.query(ctx, tx.s.write.Rebind(q), args, nil)
		tx.s.observe(ctx, name, start, err)
		return pgResult(tag), mapWriteErr(err)
	}
	var ex sqlx.ExecerContext = tx.tx
	if tx.prepares() {
		st, err := tx.stmt(ctx, q)
		if err != nil {
			return nil, err
		}
		ex = stmtExecer{st}
	} else {
		q = tx.s.write.Rebind(q)
	}
	start := time.Now()
	res, err := ex.ExecContext(ctx, q, args...)
	tx.s.observe(ctx, name, start, err)
	return res, mapWriteErr(err)
}

// get runs the single-row statement q into dest, counted under name.
func (tx *Tx) get(ctx context.Context, name string, dest any, q string, args ...any) error {
	start := time.Now()
	var err error
	if tx.pg != nil {
		_, err = tx.pg.query(ctx, tx.s.write.Rebind(q), args, getInto(dest))
	} else if tx.prepares() {
		var st *sqlx.Stmt
		if st, err = tx.stmt(ctx, q); err != nil {
			return err
		}
		start = time.Now()
		err = st.GetContext(ctx, dest, args...)
	} else {
		err = tx.tx.GetContext(ctx, dest, tx.s.write.Rebind(q), args...)
	}
	tx.s.observeOn(ctx, nil, name, start, returned(err, 1), err)
	return mapWriteErr(err)
}

// returned is how many rows a statement that read n returned: none when
// it failed.
func returned(err error, n int) int {
	if err != nil {
		return 0
	}
	return n
}

// stmtExecer runs a prepared statement as an ExecerContext; the query it is
// given is the statement's own.
type stmtExecer struct{ st *sqlx.Stmt }

func (e stmtExecer) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return e.st.ExecContext(ctx, args...)
}

// mapWriteErr turns a unique violation into ErrConflict, keeping the
// driver's error in the chain for the log.
func mapWriteErr(err error) error {
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique ||
			se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	// pgx's *pgconn.PgError, matched by method so the store needs no
	// PostgreSQL driver to build.
	var pe interface{ SQLState() string }
	return errors.As(err, &pe) && pe.SQLState() == "23505"
}

// inChunk bounds the values of one IN list in the writes' statements, well
// under SQLite's and PostgreSQL's limits on bound parameters.
const inChunk = 500

// LockShopsForImport makes the import's checks hold at commit on
// PostgreSQL; on SQLite the transaction holds the write lock already. It
// waits for other imports (a transaction-level advisory lock: imports are
// rare bulk writes, and two that create the same new shops in different
// orders would otherwise deadlock on the owners' unique index), then locks
// the rows of the given profiles' existing shops in ascending id order, the
// one order every writer follows, so merchants' writes to those shops wait
// for the import, or the import for them, never both.
func (tx *Tx) LockShopsForImport(ctx context.Context, ownerIDs []string) error {
	if tx.s.dialect != dialectPostgres {
		return nil
	}
	const imports = `SELECT pg_advisory_xact_lock(7461)`
	if _, err := tx.exec(ctx, "import_lock", imports); err != nil {
		return fmt.Errorf("lock shops for import: %w", err)
	}
	const rows = `SELECT id FROM shops WHERE owner_id = ANY(?) ORDER BY id FOR NO KEY UPDATE`
	var ids []int64
	if err := tx.selectAll(ctx, "lock_shops_for_import", &ids, rows, storableKeys(ownerIDs)); err != nil {
		return fmt.Errorf("lock shops for import: %w", err)
	}
	return nil
}

// ShopSKUsByOwnerIDs returns, for each given profile that has a shop, the
// shop's id and the SKUs of all its products, read inside the transaction so
// that checks against them (catalogue size, featured SKUs) hold at commit on
// SQLite, where the write transaction holds the write lock from its start.
// One statement for every 500 owners.
func (tx *Tx) ShopSKUsByOwnerIDs(ctx context.Context, ownerIDs []string) (map[string]ShopSKUs, error) {
	const q = `SELECT s.owner_id, s.id AS shop_id, p.sku
		FROM shops s LEFT JOIN products p ON p.shop_id = s.id
		WHERE s.owner_id IN (?)`
	out := make(map[string]ShopSKUs)
	for chunk := range slices.Chunk(storableKeys(ownerIDs), inChunk) {
		query, args, err := tx.s.in(q, chunk)
		if err != nil {
			return nil, fmt.Errorf("shop skus by owner ids: %w", err)
		}
		var rows []struct {
			OwnerID string         `db:"owner_id"`
			ShopID  int64          `db:"shop_id"`
			SKU     sql.NullString `db:"sku"`
		}
		if err := tx.selectAll(ctx, "shop_skus_by_owner_ids", &rows, query, args...); err != nil {
			return nil, fmt.Errorf("shop skus by owner ids: %w", err)
		}
		for _, r := range rows {
			c := out[r.OwnerID]
			c.ShopID = r.ShopID
			if r.SKU.Valid {
				c.SKUs = append(c.SKUs, r.SKU.String)
			}
			out[r.OwnerID] = c
		}
	}
	return out, nil
}

// UpsertShop creates the profile's shop or updates it in place, and returns
// its id. updated_at moves only when something changed, so re-importing the
// same file is a no-op for clients that cache on it.
func (tx *Tx) UpsertShop(ctx context.Context, w ShopWrite) (int64, error) {
	// SET expressions see the row as it was, so shops.x is the old value.
	const q = `INSERT INTO shops (owner_id, name, description, store_url, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, COALESCE(?, 'ACTIVE'), ?, ?)
		ON CONFLICT (owner_id) DO UPDATE SET
			name = excluded.name,
			description = excluded.description,
			store_url = excluded.store_url,
			status = CASE WHEN ? THEN excluded.status ELSE shops.status END,
			updated_at = CASE
				WHEN shops.name IS DISTINCT FROM excluded.name
					OR shops.description IS DISTINCT FROM excluded.description
					OR shops.store_url IS DISTINCT FROM excluded.store_url
					OR (? AND shops.status <> excluded.status)
				THEN excluded.updated_at ELSE shops.updated_at END
		RETURNING id`
	var status *string
	if w.Status != "" {
		status = &w.Status
	}
	setStatus := w.Status != ""
	var id int64
	err := tx.get(ctx, "upsert_shop", &id, q,
		w.OwnerID, w.Name, w.Description, w.StoreURL, status, tx.now, tx.now, setStatus, setStatus)
	if err != nil {
		return 0, fmt.Errorf("upsert shop: %w", err)
	}
	return id, nil
}

// The product upsert, UpsertProducts' and UpsertProductsReturning's: the
// insert's columns, one row of values, and what a conflict on (shop, SKU)
// does. An update that changes nothing writes nothing and keeps updated_at.
const (
	productInsert = `INSERT INTO products (shop_id, sku, title, description, url, image_url,
			image_alt_text, image_width, image_height, currency, price_minor, compare_at_minor,
			availability, condition, brand, created_at, updated_at)
		VALUES `
	productValues   = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	productConflict = `
		ON CONFLICT (shop_id, sku) DO UPDATE SET
			title = excluded.title,
			description = excluded.description,
			url = excluded.url,
			image_url = excluded.image_url,
			image_alt_text = excluded.image_alt_text,
			image_width = excluded.image_width,
			image_height = excluded.image_height,
			currency = excluded.currency,
			price_minor = excluded.price_minor,
			compare_at_minor = excluded.compare_at_minor,
			availability = excluded.availability,
			condition = excluded.condition,
			brand = excluded.brand,
			updated_at = excluded.updated_at
		WHERE products.title IS DISTINCT FROM excluded.title
			OR products.description IS DISTINCT FROM excluded.description
			OR products.url IS DISTINCT FROM excluded.url
			OR products.image_url IS DISTINCT FROM excluded.image_url
			OR products.image_alt_text IS DISTINCT FROM excluded.image_alt_text
			OR products.image_width IS DISTINCT FROM excluded.image_width
			OR products.image_height IS DISTINCT FROM excluded.image_height
			OR products.currency IS DISTINCT FROM excluded.currency
			OR products.price_minor IS DISTINCT FROM excluded.price_minor
			OR products.compare_at_minor IS DISTINCT FROM excluded.compare_at_minor
			OR products.availability IS DISTINCT FROM excluded.availability
			OR products.condition IS DISTINCT FROM excluded.condition
			OR products.brand IS DISTINCT FROM excluded.brand`
)

func (tx *Tx) productArgs(args []any, shopID int64, p ProductWrite) []any {
	return append(args, shopID, p.SKU, p.Title, p.Description, p.URL, p.ImageURL,
		p.ImageAltText, p.ImageWidth, p.ImageHeight, p.Currency, p.PriceMinor, p.CompareAtMinor,
		p.Availability, p.Condition, p.Brand, tx.now, tx.now)
}

// upsertChunk is how many products one UpsertProducts statement writes:
// 17 parameters each stay well under both databases' limits.
const upsertChunk = 100

// UpsertProducts creates each product (shop, SKU) or updates it in place,
// keeping its id and so its place in the catalogue order, in order,
// upsertChunk products a statement: a bulk import pays one round trip per
// hundred products, not per product. New products get ids in the order
// given. The SKUs must be distinct (PostgreSQL refuses to update one row
// twice in a statement).
func (tx *Tx) UpsertProducts(ctx context.Context, shopID int64, ps []ProductWrite) error {
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), upsertChunk)]
		ps = ps[len(chunk):]
		q, args := tx.upsertProducts(shopID, chunk)
		if _, err := tx.exec(ctx, "upsert_products", q, args...); err != nil {
			return fmt.Errorf("upsert %d products from %q: %w", len(chunk), chunk[0].SKU, err)
		}
	}
	return nil
}

// UpsertProductsReturning is UpsertProducts returning the products it
// created or changed, in no particular order, and how many of them it
// created: a product the upsert left as it was is absent (both databases
// return only the rows an upsert wrote). A product it created has the
// transaction's time as its created_at; one written by an earlier
// transaction could have it too only if that transaction began in the same
// microsecond, so created may over-count, never under-count.
func (tx *Tx) UpsertProductsReturning(ctx context.Context, shopID int64, ps []ProductWrite) (written []Product, created int, err error) {
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), upsertChunk)]
		ps = ps[len(chunk):]
		q, args := tx.upsertProducts(shopID, chunk)
		var rows []Product
		if err := tx.selectAll(ctx, "upsert_products", &rows, q+` RETURNING `+productColumns, args...); err != nil {
			return nil, 0, fmt.Errorf("upsert %d products from %q: %w", len(chunk), chunk[0].SKU, mapWriteErr(err))
		}
		for _, r := range rows {
			if r.CreatedAt.Equal(tx.now) {
				created++
			}
		}
		written = append(written, rows...)
	}
	return written, created, nil
}

// upsertProducts returns the statement upserting ps, at most upsertChunk,
// and its arguments.
func (tx *Tx) upsertProducts(shopID int64, ps []ProductWrite) (string, []any) {
	q := productInsert + productValues + strings.Repeat(", "+productValues, len(ps)-1) + productConflict
	args := make([]any, 0, 17*len(ps))
	for _, p := range ps {
		args = tx.productArgs(args, shopID, p)
	}
	return q, args
}

// clearFeatured empties the shop's featured list, the first step of
// replacing it.
func (tx *Tx) clearFeatured(ctx context.Context, shopID int64) error {
	const q = `DELETE FROM featured_products WHERE shop_id = ?`
	if _, err := tx.exec(ctx, "delete_featured_products", q, shopID); err != nil {
		return fmt.Errorf("replace featured products: %w", err)
	}
	return nil
}

// ReplaceFeaturedBySKU makes skus, in order, the shop's featured list
// (positions 1..n); an empty list clears it. A SKU the shop does not have is
// ErrNotFound. Callers validate the list first (at most 5, distinct).
func (tx *Tx) ReplaceFeaturedBySKU(ctx context.Context, shopID int64, skus []string) error {
	if err := tx.clearFeatured(ctx, shopID); err != nil {
		return err
	}
	// The product's id comes from the same statement: no round trip to look
	// it up, and the composite foreign key checks it is this shop's. The
	// casts give PostgreSQL the parameters' types, which a select list does
	// not imply.
	const ins = `INSERT INTO featured_products (shop_id, position, product_id)
		SELECT CAST(? AS INTEGER), CAST(? AS INTEGER), id FROM products WHERE shop_id = ? AND sku = ?`
	for i, sku := range skus {
		if !storable(sku) {
			return fmt.Errorf("replace featured products: sku %q: %w", sku, ErrNotFound)
		}
		res, err := tx.exec(ctx, "insert_featured_product", ins, shopID, i+1, shopID, sku)
		if err != nil {
			return fmt.Errorf("replace featured products: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("replace featured products: %w", err)
		} else if n == 0 {
			return fmt.Errorf("replace featured products: sku %q: %w", sku, ErrNotFound)
		}
	}
	return nil
}

// Analyze refreshes PostgreSQL's statistics of the catalogue's tables, for a
// bulk import to call when it has committed. Until autovacuum gets to them,
// the planner would otherwise plan the read path with the statistics of the
// tables before the import: with none, a sequential scan of every product
// and a hash join for a carousel, 20 times the cost of the index lookup it
// is once they are known (PERFORMANCE.md). On SQLite it does nothing: its
// planner uses the indexes without statistics.
func (s *Store) Analyze(ctx context.Context) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	const q = `ANALYZE shops, products, featured_products`
	start := time.Now()
	_, err := s.write.ExecContext(ctx, q)
	s.observe(ctx, "analyze", start, err)
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
