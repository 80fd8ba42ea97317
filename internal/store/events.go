package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// Event types.
const (
	EventImpression = "IMPRESSION"
	EventClick      = "CLICK"
)

// DayLayout is how days are stored: UTC dates as text.
const DayLayout = "2006-01-02"

// EventCount is a number of events of one type on one product on one UTC
// day. AddEventCounts takes the shop from the product; reads fill ShopID.
type EventCount struct {
	ShopID    int64  `db:"shop_id"`
	ProductID int64  `db:"product_id"`
	Day       string `db:"day"` // DayLayout
	Type      string `db:"type"`
	Count     int64  `db:"count"`
}

// ProductShops returns the shop of each given product that exists; unknown
// ids are absent.
func (s *Store) ProductShops(ctx context.Context, productIDs []int64) (map[int64]int64, error) {
	return s.productShops(ctx, productIDs, func(dest any, q string, args []any) error {
		return s.selectRead(ctx, "product_shops", dest, q, args...)
	})
}

// productShops reads the products' shops through sel, 500 ids a statement.
func (s *Store) productShops(ctx context.Context, ids []int64, sel func(dest any, q string, args []any) error) (map[int64]int64, error) {
	const q = `SELECT id, shop_id FROM products WHERE id IN (?)`
	out := make(map[int64]int64, len(ids))
	for chunk := range slices.Chunk(ids, inChunk) {
		query, args, err := s.in(q, chunk)
		if err != nil {
			return nil, fmt.Errorf("product shops: %w", err)
		}
		var rows []struct {
			ID     int64 `db:"id"`
			ShopID int64 `db:"shop_id"`
		}
		if err := sel(&rows, query, args); err != nil {
			return nil, fmt.Errorf("product shops: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = r.ShopID
		}
	}
	return out, nil
}

// eventCountChunk is how many counters one statement adds (4 parameters
// each).
const eventCountChunk = 500

// AddEventCounts adds the counts to the stored counters in one transaction,
// a statement for up to 500 counters. Each counter is upserted to add to
// what is stored, so concurrent writers on any number of replicas never
// lose an event. It does not take the merchants' turn (Write): counters
// need no check against other rows.
func (s *Store) AddEventCounts(ctx context.Context, counts []EventCount) error {
	if len(counts) == 0 {
		return nil
	}
	// Every writer upserts its rows in the same order, so two transactions
	// adding to the same counters wait for each other instead of
	// deadlocking (PostgreSQL locks each row it upserts until commit). A
	// statement may touch a counter once: equal counters are summed.
	counts = slices.Clone(counts)
	key := func(a, b EventCount) int {
		return cmp.Or(cmp.Compare(a.ProductID, b.ProductID), strings.Compare(a.Day, b.Day), strings.Compare(a.Type, b.Type))
	}
	slices.SortFunc(counts, key)
	merged := counts[:1]
	for _, c := range counts[1:] {
		if last := &merged[len(merged)-1]; key(*last, c) == 0 {
			last.Count += c.Count
		} else {
			merged = append(merged, c)
		}
	}
	err := s.Write(ctx, func(tx *Tx) error {
		for chunk := range slices.Chunk(merged, eventCountChunk) {
			q, args := addEventCounts(chunk)
			if _, err := tx.exec(ctx, "add_event_counts", q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add event counts: %w", err)
	}
	return nil
}

// addEventCounts is the statement that adds counts, in their order. The
// shop comes from the product's row, joined in the same statement: a
// product deleted since the caller looked it up adds nothing, instead of
// failing the call on the foreign key. VALUES' columns are column1… on
// SQLite and PostgreSQL alike; the casts give PostgreSQL their types;
// WHERE true keeps SQLite from reading ON CONFLICT as the join's ON.
func addEventCounts(counts []EventCount) (string, []any) {
	var b strings.Builder
	b.WriteString(`INSERT INTO shop_event_counts (shop_id, product_id, day, type, count)
		SELECT p.shop_id, p.id, v.column2, v.column3, v.column4 FROM (VALUES `)
	args := make([]any, 0, 4*len(counts))
	for i, c := range counts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT))`)
		args = append(args, c.ProductID, c.Day, c.Type, c.Count)
	}
	b.WriteString(`) AS v JOIN products p ON p.id = v.column1
		WHERE true ORDER BY v.column1, v.column2, v.column3
		ON CONFLICT (product_id, day, type) DO UPDATE SET count = shop_event_counts.count + excluded.count`)
	return b.String(), args
}

// EventCountsByShops returns the given shops' counters from day from to day
// to (DayLayout, inclusive), summed per product and type, ordered by shop,
// product id and type: one statement for up to 500 shops.
func (s *Store) EventCountsByShops(ctx context.Context, shopIDs []int64, from, to string) ([]EventCount, error) {
	const q = `SELECT shop_id, product_id, '' AS day, type, SUM(count) AS count
		FROM shop_event_counts
		WHERE shop_id IN (?) AND day >= ? AND day <= ?
		GROUP BY shop_id, product_id, type
		ORDER BY shop_id, product_id, type`
	var out []EventCount
	// Sorted, so that the chunks' rows follow each other in shop order.
	for chunk := range slices.Chunk(slices.Sorted(slices.Values(shopIDs)), inChunk) {
		query, args, err := s.in(q, chunk, from, to)
		if err != nil {
			return nil, fmt.Errorf("event counts by shops: %w", err)
		}
		var rows []EventCount
		if err := s.selectRead(ctx, "event_counts_by_shops", &rows, query, args...); err != nil {
			return nil, fmt.Errorf("event counts by shops: %w", err)
		}
		out = append(out, rows...)
	}
	return out, nil
}
