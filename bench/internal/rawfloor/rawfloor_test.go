package rawfloor_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
	"github.com/shop-subgraph/shop/bench/internal/rawfloor"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/store"
)

// The independent floor is only a floor if it does the subgraph's work: the
// same answer to every timeline, of any length, in two statements, and to
// the two requests of issue 14's timeline as Apollo Gateway plans it.
func TestAnswersAsTheSubgraph(t *testing.T) {
	if rawfloor.MaxBody != gqlhttp.DefaultMaxBodyBytes {
		t.Errorf("rawfloor.MaxBody = %d, gqlhttp.DefaultMaxBodyBytes = %d", rawfloor.MaxBody, gqlhttp.DefaultMaxBodyBytes)
	}
	ctx := context.Background()
	cfg := dataset.Default
	cfg.Profiles = 300
	path := filepath.Join(t.TempDir(), "bench.db")
	st, err := store.Open(ctx, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var shops bytes.Buffer
	if _, _, err := dataset.WriteShops(&shops, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Import(ctx, st, []catalog.Source{{Name: "shops.jsonl", R: &shops}}, nil); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", rawfloor.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fl := rawfloor.New(db)
	mux := http.NewServeMux()
	mux.Handle("/query", fl)
	mux.HandleFunc("/metrics", fl.Metrics)
	floorSrv := httptest.NewServer(mux)
	defer floorSrv.Close()
	subgraph := httptest.NewServer(gqlhttp.NewHandler(gqlhttp.Options{Store: st}))
	defer subgraph.Close()

	for _, sc := range dataset.Scenarios {
		for _, n := range []int{1, 10, 40} {
			for i, body := range dataset.Timelines(cfg, sc, 5, n) {
				want, got := post(t, subgraph.URL, body), post(t, floorSrv.URL+"/query", body)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s, %d tweets, timeline %d: answer differs from the subgraph's (-subgraph +floor):\n%s", sc.Name, n, i, diff)
				}
			}
			// Issue 14's timeline as Apollo Gateway plans it.
			for i, body := range dataset.ApolloTimelines(cfg, sc, 5, n) {
				want, got := post(t, subgraph.URL, body), post(t, floorSrv.URL+"/query", body)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s, %d tweets, Apollo-planned request %d: answer differs from the subgraph's (-subgraph +floor):\n%s", sc.Name, n, i, diff)
				}
			}
		}
	}
	res, err := http.Get(floorSrv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var metrics bytes.Buffer
	metrics.ReadFrom(res.Body)
	if !bytes.Contains(metrics.Bytes(), []byte("rawfloor_failed_requests_total 0\n")) {
		t.Errorf("metrics:\n%s", metrics.Bytes())
	}
}

// The floor knows one request: anything else is refused, not answered wrongly.
func TestRefusesOtherRepresentations(t *testing.T) {
	fl := rawfloor.New(nil)
	rec := httptest.NewRecorder()
	fl.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader([]byte(`{"variables":{"representations":[{"__typename":"Profile","id":"1"}]}}`))))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("a Profile representation: status %d, want %d", rec.Code, http.StatusBadRequest)
	}
}

func post(t *testing.T, url string, body []byte) any {
	t.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", url, res.StatusCode)
	}
	var v map[string]any
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	// The floor answers the data; the subgraph's extensions (cache tags for
	// gateways) are its own.
	delete(v, "extensions")
	return v
}
