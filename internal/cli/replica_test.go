package cli

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/storetest"
)

// The replica suite runs the server against a real primary and a streaming
// replica of it (.ci/pg-replica.sh starts both in CI):
//
//	TEST_POSTGRES_PRIMARY_DSN  the primary
//	TEST_POSTGRES_REPLICA_DSN  a streaming replica of it
//	TEST_POSTGRES_REPLICA_STOP a shell command that stops the replica
//
// It stops the replica in its last step. Without the variables it skips,
// unless SHOP_E2E_REQUIRED or CI is set.
func replicaEnv(t *testing.T) (primary, replica, stop string) {
	t.Helper()
	primary, replica, stop = os.Getenv("TEST_POSTGRES_PRIMARY_DSN"), os.Getenv("TEST_POSTGRES_REPLICA_DSN"), os.Getenv("TEST_POSTGRES_REPLICA_STOP")
	if primary == "" || replica == "" || stop == "" {
		msg := "TEST_POSTGRES_PRIMARY_DSN, TEST_POSTGRES_REPLICA_DSN and TEST_POSTGRES_REPLICA_STOP are not all set: " +
			"the replica suite is skipped (eval \"$(bash .ci/pg-replica.sh start)\" provides them)"
		if os.Getenv("SHOP_E2E_REQUIRED") != "" || os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return primary, replica, stop
}

var dbStatements = regexp.MustCompile(`(?m)^shop_db_database_queries_total\{database="([^"]+)",query="([^"]+)"\} (\S+)$`)

// statementsOn sums the server's statements on each database whose name
// matches onlyQueries (all when nil).
func statementsOn(t *testing.T, base string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, m := range dbStatements.FindAllStringSubmatch(getMetrics(t, base), -1) {
		n, _ := strconv.ParseFloat(m[3], 64)
		out[m[1]] += n
	}
	return out
}

func getReadyz(t *testing.T, base string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

const timeline = `{ _entities(representations: [
	{ __typename: "Tweet", id: "t1", author: { id: "1001" } },
	{ __typename: "Profile", id: "1002" },
	{ __typename: "Profile", id: "1003" }
  ]) { ... on Tweet { shop { name featuredProducts { title } } } ... on Profile { shop { name featuredProducts { title } } } } }`

func TestReplicas(t *testing.T) {
	if storetest.Backend() == "postgres" {
		t.Skip("the replica suite has databases of its own; it runs in the first pass")
	}
	primary, replica, stop := replicaEnv(t)
	admin, err := sql.Open("pgx", primary)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "replica_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })

	base, lines := startServe(t, map[string]string{
		"DATABASE_URL":                   storetest.InSchema(t, primary, schema),
		"DATABASE_REPLICA_URL":           storetest.InSchema(t, replica, schema),
		"SHOP_DB_REPLICA_CHECK_INTERVAL": "100ms",
		"SHOP_DB_REPLICA_MAX_LAG":        "2s",
	})
	tokens := map[string]string{}
	for _, l := range lines {
		if l["msg"] == "development token" {
			tokens[l["sub"].(string)] = l["token"].(string)
		}
	}
	// The demo data reaches the replica within a check or two. Until it
	// has, the replica, within its allowed lag, answers with what it has
	// replayed: wait until the replica itself holds the carousels, then
	// until the server counts it in.
	onReplica, err := sql.Open("pgx", storetest.InSchema(t, replica, schema))
	if err != nil {
		t.Fatal(err)
	}
	defer onReplica.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var replayed bool
		err := onReplica.QueryRow(`SELECT EXISTS (SELECT 1 FROM featured_products)`).Scan(&replayed)
		code, body := getReadyz(t, base)
		if err == nil && replayed && code == 200 && strings.Contains(body, "replica1: ok") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("reads hit the replica", func(t *testing.T) {
		if code, body := getReadyz(t, base); code != 200 || !strings.Contains(body, "primary: ok") || !strings.Contains(body, "replica1: ok") {
			t.Fatalf("/readyz: %d %q, want 200 with primary and replica1 ok", code, body)
		}
		before := statementsOn(t, base)
		want := graphQL(t, base, "", timeline)
		for range 20 {
			if got := graphQL(t, base, "", timeline); got != want || strings.Contains(got, `"errors"`) {
				t.Fatalf("timeline: %s", got)
			}
		}
		after := statementsOn(t, base)
		if got := after["replica1"] - before["replica1"]; got < 40 {
			t.Errorf("statements on replica1 for 20 timelines: %v, want at least 40", got)
		}
		if got := after["primary"] - before["primary"]; got > 0 {
			t.Errorf("statements on the primary for 20 anonymous timelines: %v, want 0", got)
		}
	})

	t.Run("a merchant sees their own write at once", func(t *testing.T) {
		before := statementsOn(t, base)
		for i := range 20 {
			name := fmt.Sprintf("Renamed %d", i)
			got := graphQL(t, base, tokens["1001"], `mutation { updateShop(input: {shopId: "1", name: "`+name+`"}) { shop { name } userErrors { code } } }`)
			if !strings.Contains(got, `"name":"`+name+`"`) {
				t.Fatalf("updateShop: %s", got)
			}
			if got := graphQL(t, base, tokens["1001"], `{ myShop { name } }`); got != `{"data":{"myShop":{"name":"`+name+`"}}}` {
				t.Fatalf("myShop right after updateShop: %s, want %q", got, name)
			}
			if got := graphQL(t, base, tokens["1001"], `{ _entities(representations: [{ __typename: "Profile", id: "1001" }]) { ... on Profile { shop { name } } } }`); !strings.Contains(got, `"name":"`+name+`"`) {
				t.Fatalf("the owner's timeline right after updateShop: %s, want %q", got, name)
			}
		}
		after := statementsOn(t, base)
		if got := after["replica1"] - before["replica1"]; got > 0 {
			t.Errorf("statements on replica1 for a merchant's requests: %v, want 0", got)
		}
	})

	t.Run("stopping the replica loses no request", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		var ok, failed atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		client := &http.Client{Timeout: 10 * time.Second}
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					req, _ := http.NewRequest(http.MethodPost, base+"/query", strings.NewReader(`{"query":`+strconv.Quote(timeline)+`}`))
					req.Header.Set("Content-Type", "application/json")
					res, err := client.Do(req)
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
						continue
					}
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != 200 || strings.Contains(string(body), `"errors"`) || !strings.Contains(string(body), "featuredProducts") {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", res.StatusCode, body))
						continue
					}
					ok.Add(1)
				}
			}()
		}
		time.Sleep(time.Second)
		before := statementsOn(t, base)
		if out, err := exec.Command("sh", "-c", stop).CombinedOutput(); err != nil {
			t.Errorf("stopping the replica: %v\n%s", err, out)
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.Errorf("%d of %d requests failed while the replica stopped; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
		}
		after := statementsOn(t, base)
		if after["primary"] <= before["primary"] {
			t.Errorf("no statement on the primary after the replica stopped")
		}
		code, body := getReadyz(t, base)
		if code != 200 || !strings.Contains(body, "replica1: out") {
			t.Errorf("/readyz with the replica stopped: %d %q, want 200 with replica1 out", code, body)
		}
		if m := getMetrics(t, base); !strings.Contains(m, `shop_db_replica_up{database="replica1"} 0`) {
			t.Errorf("metrics: shop_db_replica_up of replica1 is not 0")
		}
		t.Logf("%d requests while the replica stopped, none failed", ok.Load())
	})
}
