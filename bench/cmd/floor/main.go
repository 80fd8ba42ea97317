// Command floor serves the benchmark's floor (package bench/internal/floor):
// the timeline answered by hand-written net/http code over the same store and
// SQL as the subgraph, with the same /metrics, so the load driver measures
// both alike. With -independent it serves the independent floor instead
// (package bench/internal/rawfloor): its own SQL, scanning and JSON, no code
// of the subgraph's.
//
//	floor -db file:bench.db [-addr 127.0.0.1:0] [-independent]
package main

import (
	"context"
	"database/sql"
	"flag"
	"log/slog"
	"net/http"
	"os"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/bench/internal/floor"
	"github.com/shop-subgraph/shop/bench/internal/rawfloor"
	"github.com/shop-subgraph/shop/bench/internal/serve"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
)

var independent = flag.Bool("independent", false, "serve the independent floor (bench/internal/rawfloor), which shares no code with the subgraph")

func main() { serve.Main("floor", run) }

func run(ctx context.Context, db, addr string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	mux := http.NewServeMux()
	if *independent {
		sqlDB, err := sql.Open("sqlite3", rawfloor.DSN(db))
		if err != nil {
			return err
		}
		defer sqlDB.Close()
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
		if err := sqlDB.PingContext(ctx); err != nil {
			return err
		}
		fl := rawfloor.New(sqlDB)
		mux.Handle("/query", fl)
		mux.HandleFunc("GET /metrics", fl.Metrics)
		return serve.Run(ctx, addr, mux, logger, "floor", "independent")
	}
	m := metrics.New()
	st, err := store.Open(ctx, db, store.WithObserver(m))
	if err != nil {
		return err
	}
	defer st.Close()
	mux.Handle("/query", floor.Handler(st))
	mux.Handle("GET /metrics", m.Handler())
	return serve.Run(ctx, addr, mux, logger)
}
