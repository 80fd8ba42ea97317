// Command profserve serves the subgraph's routes as `shop serve` builds them
// (internal/server's Handler: the same GraphQL handler, loaders and metrics,
// request ids, the default limits) with net/http/pprof on /debug/pprof/, for
// profiling under the benchmark's load. It lives in bench/ so that the
// product never exposes pprof: `go run ./bench/cmd/bench -pprof DIR` runs it
// in place of shop serve. With SHOP_JWT_SECRET set it verifies bearer tokens
// with it, as shop serve does, so that the write scenarios' merchants can
// run against it.
//
//	profserve -db file:bench.db|postgres://… [-addr 127.0.0.1:0]
package main

import (
	"context"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/bench/internal/serve"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/server"
	"github.com/shop-subgraph/shop/internal/store"
)

func main() {
	// As shop serve does (main.go), so that the profile is of the same
	// garbage collection.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	serve.Main("profserve", run)
}

func run(ctx context.Context, db, addr string) error {
	logger := server.NewLogger(os.Stderr, false)
	m := metrics.New()
	st, err := store.Open(ctx, db, store.WithObserver(m))
	if err != nil {
		return err
	}
	defer st.Close()
	m.RegisterDBPools(st.Pools())
	cfg := server.Config{DB: db}
	if secret := os.Getenv("SHOP_JWT_SECRET"); secret != "" {
		if cfg.GraphQL.Auth, err = auth.NewVerifier(auth.Config{Secret: []byte(secret)}); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/", server.Handler(st, m, logger, cfg))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return serve.Run(ctx, addr, mux, logger, "pprof", "/debug/pprof/")
}
