package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// attempts records each statement observed: its name and whether it failed.
type attempts struct {
	mu  sync.Mutex
	obs []attempt
}

type attempt struct {
	name   string
	failed bool
}

func (a *attempts) ObserveQuery(_ context.Context, name string, _ time.Duration, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.obs = append(a.obs, attempt{name, err != nil})
}

func (a *attempts) take() []attempt {
	a.mu.Lock()
	defer a.mu.Unlock()
	o := a.obs
	a.obs = nil
	return o
}

// TestReadsSurviveKilledConnections: PostgreSQL ends every pooled
// connection (as pg_terminate_backend, a restart or a failover do); the
// reads that follow at once all succeed, each failed attempt being retried
// once on a live connection.
func TestReadsSurviveKilledConnections(t *testing.T) {
	if storetest.Backend() != "postgres" {
		t.Skip("needs PostgreSQL, whose server can end pooled connections: set " + storetest.EnvDSN)
	}
	ctx := context.Background()
	// An application_name of this test's own, so that only its pool's
	// connections are ended, never another session's.
	b := make([]byte, 6)
	rand.Read(b)
	app := "shop_retry_test_" + hex.EncodeToString(b)
	u, err := url.Parse(storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	rec := &attempts{}
	st, err := store.Open(ctx, u.String(), store.WithObserver(rec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	shopID, _ := addProduct(t, st, "1001", "A")

	// One read of each path: queryRead, selectRead, getRead.
	reads := []func() error{
		func() error {
			shops, err := st.ShopsByOwnerIDs(ctx, []string{"1001"})
			if err == nil && len(shops) != 1 {
				t.Errorf("ShopsByOwnerIDs: %d shops, want 1", len(shops))
			}
			return err
		},
		func() error {
			counts, err := st.ProductCountsByShopIDs(ctx, []int64{shopID})
			if err == nil && counts[shopID] != 1 {
				t.Errorf("ProductCountsByShopIDs: %v, want 1 product", counts)
			}
			return err
		},
		func() error {
			n, err := st.CountActiveShops(ctx)
			if err == nil && n != 1 {
				t.Errorf("CountActiveShops: %d, want 1", n)
			}
			return err
		},
	}
	// Several connections in the pool, each reused just now: pgx pings a
	// pooled connection before using it again when it has not been for
	// over a second (or never), which would find it dead without any
	// retry; a busy server's connections are not idle that long.
	for range 3 {
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				if err := reads[i%len(reads)](); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	if t.Failed() {
		t.FailNow()
	}

	admin, err := sql.Open("pgx", os.Getenv(storetest.EnvDSN))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	const kill = `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`
	var killed int
	if err := admin.QueryRowContext(ctx, kill, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatalf("no connection of %s to end", app)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var left int
		if err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections of %s still there 5s after pg_terminate_backend", left, app)
		}
	}
	rec.take()

	for i := range 3 * len(reads) {
		if err := reads[i%len(reads)](); err != nil {
			t.Errorf("read %d after %d connections were ended: %v", i, killed, err)
		}
	}
	// Every failed attempt is followed by its retry, which succeeded.
	obs := rec.take()
	failed := 0
	for i, o := range obs {
		if !o.failed {
			continue
		}
		failed++
		if i+1 == len(obs) || obs[i+1].name != o.name || obs[i+1].failed {
			t.Errorf("attempt %d (%s) failed and was not retried successfully: %+v", i, o.name, obs)
		}
	}
	if failed == 0 {
		t.Errorf("no read met an ended connection: the test did not exercise the retry")
	}
	t.Logf("%d connections ended, %d reads met one and were retried", killed, failed)
}

// TestBadStatementNotRetried: a statement's own error is not a broken
// connection: it is run, and counted, once.
func TestBadStatementNotRetried(t *testing.T) {
	rec := &attempts{}
	st := openStore(t, store.WithObserver(rec))
	rec.take()
	var n []int
	if err := st.SelectRead(context.Background(), "bad", &n, `SELECT no_such_column FROM shops`); err == nil {
		t.Fatal("a bad statement succeeded")
	}
	if got := rec.take(); len(got) != 1 || got[0] != (attempt{"bad", true}) {
		t.Errorf("observed %+v, want the one failed attempt", got)
	}
}
