package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// TestPlansUseIndexes checks the plan of every statement of the read path
// on PostgreSQL, on a catalogue large enough (4,000 shops, 80,000 products)
// that a sequential scan would be chosen if the statistics or the
// statement's form called for one: no plan may scan all products, all
// shops or all featured products. Each statement is planned with its
// values (a custom plan) and without (the generic plan a prepared statement
// switches to after five runs). The statistics are those Analyze leaves,
// as after an import. The statements are kept beside the store's own
// (HotStatements, export_test.go).
func TestPlansUseIndexes(t *testing.T) {
	if storetest.Backend() != "postgres" {
		t.Skip("plans are PostgreSQL's; this runs in the PostgreSQL pass (TEST_POSTGRES_DSN)")
	}
	st := openStore(t)
	ctx := context.Background()
	db := st.Primary()
	const fill = `
		INSERT INTO shops (owner_id, name, store_url, status, created_at, updated_at)
			SELECT 'p' || g, 'Shop ' || g, 'https://s.example/' || g,
				CASE WHEN g % 20 = 0 THEN 'DRAFT' ELSE 'ACTIVE' END, now(), now()
			FROM generate_series(1, 4000) g;
		INSERT INTO products (shop_id, sku, title, url, image_url, currency, price_minor,
				availability, condition, created_at, updated_at)
			SELECT s.id, 'SKU-' || g, 'Product ' || g, 'https://s.example/p', 'https://s.example/i.jpg',
				'USD', 990, CASE WHEN g % 7 = 0 THEN 'OUT_OF_STOCK' ELSE 'IN_STOCK' END, 'NEW', now(), now()
			FROM shops s, generate_series(1, 20) g;
		INSERT INTO featured_products (shop_id, position, product_id)
			SELECT shop_id, rn, id FROM (
				SELECT shop_id, id, ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY id) AS rn FROM products) x
			WHERE rn <= 5;`
	if _, err := db.ExecContext(ctx, fill); err != nil {
		t.Fatal(err)
	}
	if err := st.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	var shopIDs, productIDs []int64
	var owners []string
	if err := db.SelectContext(ctx, &shopIDs, `SELECT id FROM shops WHERE id % 200 = 7 ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if err := db.SelectContext(ctx, &productIDs, `SELECT id FROM products WHERE id % 4000 = 11 ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if err := db.SelectContext(ctx, &owners, `SELECT owner_id FROM shops WHERE id % 200 = 7`); err != nil {
		t.Fatal(err)
	}
	stmts, err := st.HotStatements(shopIDs, productIDs, owners)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for name, s := range stmts {
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = "+mode); err != nil {
					t.Fatal(err)
				}
				// EXPLAIN of a statement with parameters: PostgreSQL plans
				// it as it would the prepared statement, with plan_cache_mode.
				if _, err := conn.ExecContext(ctx, "PREPARE hot AS "+s.Query); err != nil {
					t.Fatal(err)
				}
				defer conn.ExecContext(ctx, "DEALLOCATE hot")
				// The values go in as literals: EXPLAIN EXECUTE takes no
				// parameters of its own.
				params := make([]string, len(s.Args))
				for i, a := range s.Args {
					params[i] = literal(t, a)
				}
				var lines []string
				q := "EXPLAIN EXECUTE hot(" + strings.Join(params, ", ") + ")"
				if err := conn.SelectContext(ctx, &lines, q); err != nil {
					t.Fatal(err)
				}
				plan := strings.Join(lines, "\n")
				for _, table := range []string{"shops", "products", "featured_products"} {
					if strings.Contains(plan, "Seq Scan on "+table+" ") || strings.HasSuffix(plan, "Seq Scan on "+table) {
						t.Errorf("%s scans all of %s:\n%s", name, table, plan)
					}
				}
			})
		}
	}
}

// literal writes a statement's argument as an SQL literal.
func literal(t *testing.T, a any) string {
	switch v := a.(type) {
	case []int64:
		return "'{" + strings.Trim(strings.Join(strings.Fields(fmt.Sprint(v)), ","), "[]") + "}'"
	case []string:
		return "'{" + strings.Join(v, ",") + "}'"
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case int, int64:
		return fmt.Sprint(v)
	}
	t.Fatalf("no literal for %T", a)
	return ""
}

var _ = store.ErrNotFound
