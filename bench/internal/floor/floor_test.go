package floor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
	"github.com/shop-subgraph/shop/bench/internal/floor"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// The floor is only a floor if it does the subgraph's work: the same answer
// to every timeline, with the same statements.
// TestFloorBodyLimit: the floor reads bodies up to the subgraph's limit.
func TestFloorBodyLimit(t *testing.T) {
	if floor.MaxBody != gqlhttp.DefaultMaxBodyBytes {
		t.Errorf("floor.MaxBody = %d, gqlhttp.DefaultMaxBodyBytes = %d", floor.MaxBody, gqlhttp.DefaultMaxBodyBytes)
	}
}

func TestFloorAnswersAsTheSubgraph(t *testing.T) {
	cfg := dataset.Default
	cfg.Profiles = 300
	m := metrics.New()
	st := loadedStore(t, cfg, store.WithObserver(m))
	subgraph := httptest.NewServer(gqlhttp.NewHandler(gqlhttp.Options{Store: st}))
	defer subgraph.Close()
	fl := httptest.NewServer(floor.Handler(st))
	defer fl.Close()

	for _, sc := range dataset.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			for i, body := range dataset.Timelines(cfg, sc, 5, 40) {
				want, wantStmts := post(t, m, subgraph.URL, body)
				got, gotStmts := post(t, m, fl.URL, body)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("timeline %d: floor answer differs from the subgraph's (-subgraph +floor):\n%s", i, diff)
				}
				if gotStmts != wantStmts || gotStmts != 2 {
					t.Errorf("timeline %d: floor ran %v statements, subgraph %v, want 2 each", i, gotStmts, wantStmts)
				}
				var r struct {
					Data struct {
						Entities []struct {
							Shop *struct{ FeaturedProducts []any } `json:"shop"`
						} `json:"_entities"`
					} `json:"data"`
				}
				remarshal(t, want, &r)
				shops := 0
				for _, e := range r.Data.Entities {
					if e.Shop != nil {
						shops++
					}
				}
				if len(r.Data.Entities) != 40 || shops == 0 {
					t.Errorf("timeline %d: %d entities, %d shops; want 40 entities and some shops", i, len(r.Data.Entities), shops)
				}
			}
			// Issue 14's timeline as Apollo Gateway plans it: the carousels
			// (2 statements), then the authors' shops' names (1).
			for i, body := range dataset.ApolloTimelines(cfg, sc, 5, 40) {
				want, wantStmts := post(t, m, subgraph.URL, body)
				got, gotStmts := post(t, m, fl.URL, body)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Apollo-planned request %d: floor answer differs from the subgraph's (-subgraph +floor):\n%s", i, diff)
				}
				if stmts := float64(2 - i%2); gotStmts != wantStmts || gotStmts != stmts {
					t.Errorf("Apollo-planned request %d: floor ran %v statements, subgraph %v, want %v each", i, gotStmts, wantStmts, stmts)
				}
			}
		})
	}
}

func post(t *testing.T, m *metrics.Metrics, url string, body []byte) (any, float64) {
	t.Helper()
	before := m.DBQueries()
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
	return v, m.DBQueries() - before
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}

// The benchmarks serve timelines of the full dataset straight through each
// handler (no network, no client): the subgraph's GraphQL handler as the
// server wires it, and the floor, over the same store.
//
//	go test ./bench/internal/floor -run '^$' -bench . -benchmem
func BenchmarkTimeline(b *testing.B) {
	m := metrics.New()
	st := benchStore(b, store.WithObserver(m))
	cfg := dataset.Default
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"subgraph", gqlhttp.NewHandler(gqlhttp.Options{Store: st, Loaders: m, Operations: m})},
		{"floor", floor.Handler(st)},
	}
	for _, sc := range dataset.Scenarios {
		bodies := dataset.Timelines(cfg, sc, 200, 100)
		for _, h := range handlers {
			b.Run(sc.Name+"/"+h.name, func(b *testing.B) {
				before := m.DBQueries()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(bodies[i%len(bodies)]))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					h.h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors":`)) {
						b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
					}
					i++
				}
				b.ReportMetric((m.DBQueries()-before)/float64(b.N), "statements/op")
			})
		}
	}
}

// benchStore returns a store loaded with the benchmark's full dataset.
//
// With SHOP_BENCH_DB set to a database already loaded with it (the bench
// command's -keep leaves one), it opens that instead, which saves the import
// when the benchmark runs under valgrind --tool=callgrind to count
// instructions.
func benchStore(b *testing.B, opts ...store.Option) *store.Store {
	b.Helper()
	if dsn := os.Getenv("SHOP_BENCH_DB"); dsn != "" {
		st, err := store.Open(context.Background(), dsn, opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	return loadedStore(b, dataset.Default, opts...)
}

// loadedStore returns a test store loaded with the dataset cfg writes, by
// the import a user runs.
func loadedStore(tb testing.TB, cfg dataset.Config, opts ...store.Option) *store.Store {
	tb.Helper()
	var shops bytes.Buffer
	if _, _, err := dataset.WriteShops(&shops, cfg); err != nil {
		tb.Fatal(err)
	}
	st := storetest.Open(tb, opts...)
	if _, err := catalog.Import(context.Background(), st, []catalog.Source{{Name: "shops.jsonl", R: &shops}}, nil); err != nil {
		tb.Fatal(err)
	}
	return st
}

// BenchmarkStatements runs the timeline's two statements alone, with the
// keys of a mix timeline (100 authors, about 20 shops) and of the worst case
// (100 shops).
//
//	go test ./bench/internal/floor -run '^$' -bench Statements -benchmem
func BenchmarkStatements(b *testing.B) {
	ctx := context.Background()
	st := benchStore(b)
	for _, sc := range dataset.Scenarios {
		var owners [][]string
		var shopIDs [][]int64
		for _, body := range dataset.Timelines(dataset.Default, sc, 50, 100) {
			var req dataset.Request
			if err := json.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
			// The distinct authors, as the subgraph's loader and the floor
			// key them.
			var o []string
			seen := map[string]bool{}
			for _, r := range req.Variables.Representations {
				if !seen[r.Author.ID] {
					seen[r.Author.ID] = true
					o = append(o, r.Author.ID)
				}
			}
			shops, err := st.ShopsByOwnerIDs(ctx, o)
			if err != nil {
				b.Fatal(err)
			}
			var ids []int64
			for _, s := range shops {
				if s.Status == store.StatusActive {
					ids = append(ids, s.ID)
				}
			}
			owners, shopIDs = append(owners, o), append(shopIDs, ids)
		}
		b.Run(sc.Name+"/shops_by_owner_ids", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := st.ShopsByOwnerIDs(ctx, owners[i%len(owners)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		for _, cols := range []struct {
			name string
			cols store.ProductColumns
		}{{"featured_products_by_shop_ids", store.AllColumns}, {"featured_cards_by_shop_ids", store.CardColumns}, {"featured_keys_by_shop_ids", store.KeyColumns}} {
			b.Run(sc.Name+"/"+cols.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := st.FeaturedProductsByShopIDs(ctx, shopIDs[i%len(shopIDs)], cols.cols); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
