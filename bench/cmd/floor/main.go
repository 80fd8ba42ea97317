// Command floor serves the benchmark's floor (package bench/internal/floor):
// the timeline answered by hand-written net/http code over the same store and
// SQL as the subgraph, with the same /metrics, so the load driver measures
// both alike.
//
//	floor -db file:bench.db [-addr 127.0.0.1:0]
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/bench/internal/floor"
	"github.com/shop-subgraph/shop/bench/internal/serve"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
)

func main() { serve.Main("floor", run) }

func run(ctx context.Context, db, addr string) error {
	m := metrics.New()
	st, err := store.Open(ctx, db, store.WithObserver(m))
	if err != nil {
		return err
	}
	defer st.Close()
	mux := http.NewServeMux()
	mux.Handle("/query", floor.Handler(st))
	mux.Handle("GET /metrics", m.Handler())
	return serve.Run(ctx, addr, mux, slog.New(slog.NewTextHandler(os.Stderr, nil)))
}
