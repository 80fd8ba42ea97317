// Package storetest gives tests a migrated store of their own, on SQLite or
// on PostgreSQL. A package whose TestMain calls Main runs all its tests on
// SQLite and then, when TEST_POSTGRES_DSN is set, all of them again on
// PostgreSQL, each test in a fresh schema.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	// The two drivers the store supports.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/internal/store"
)

// EnvDSN names the environment variable with the PostgreSQL database the
// tests may use, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDSN = "TEST_POSTGRES_DSN"

// postgresDSN is set during the PostgreSQL pass.
var postgresDSN string

// Main runs the package's tests on SQLite, then on PostgreSQL when
// TEST_POSTGRES_DSN is set, and exits.
func Main(m *testing.M) {
	code := m.Run()
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		fmt.Printf("storetest: running the tests again on PostgreSQL (%s)\n", redact(dsn))
		postgresDSN = dsn
		if c := m.Run(); c != 0 {
			code = c
		}
	} else {
		fmt.Printf("storetest: %s is not set: the PostgreSQL pass is skipped\n", EnvDSN)
	}
	os.Exit(code)
}

// Backend names the database the tests run on now: "sqlite" or "postgres".
func Backend() string {
	if postgresDSN != "" {
		return "postgres"
	}
	return "sqlite"
}

// DSN returns a database for t alone: a SQLite file in t.TempDir(), or during
// the PostgreSQL pass a new schema, dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	if postgresDSN == "" {
		return filepath.Join(t.TempDir(), "shop.db")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", postgresDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema on %s: %v", redact(postgresDSN), err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return InSchema(t, postgresDSN, schema)
}

// InSchema returns the PostgreSQL dsn reading and writing schema.
func InSchema(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// pgx passes unknown parameters to the server as run-time settings.
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated, empty store for t, closed when t ends.
func Open(t testing.TB, opts ...store.Option) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, DSN(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// ShopByOwner returns the profile's shop, in any status, and whether it has
// one, read as the read path reads shops by owner (ShopsByOwnerIDs).
func ShopByOwner(t testing.TB, st *store.Store, ownerID string) (store.Shop, bool) {
	t.Helper()
	shops, err := st.ShopsByOwnerIDs(context.Background(), []string{ownerID})
	switch {
	case err != nil:
		t.Fatalf("shop of %s: %v", ownerID, err)
	case len(shops) > 1:
		t.Fatalf("shop of %s: %d shops", ownerID, len(shops))
	case len(shops) == 0:
		return store.Shop{}, false
	}
	return shops[0], true
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "an unparsable DSN"
	}
	return u.Redacted()
}
