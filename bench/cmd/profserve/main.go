// Command profserve serves the subgraph's GraphQL handler as `shop serve`
// wires it (the same graph.NewHandler, loaders and metrics, request ids, the
// default limits) with net/http/pprof on /debug/pprof/, for profiling under
// the benchmark's load. It lives in bench/ so that the product never exposes
// pprof: `go run ./bench/cmd/bench -pprof DIR` runs it in place of shop serve.
//
//	profserve -db file:bench.db [-addr 127.0.0.1:0]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/graph"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/requestid"
	"github.com/shop-subgraph/shop/internal/store"
)

func main() {
	db := flag.String("db", "file:shop.db", "SQLite file, already migrated and loaded")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *db, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "profserve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, db, addr string) error {
	logger := slog.New(requestid.NewLogHandler(slog.NewTextHandler(os.Stderr, nil)))
	m := metrics.New()
	st, err := store.Open(ctx, db, store.WithObserver(m))
	if err != nil {
		return err
	}
	defer st.Close()
	m.RegisterDBPools(st.Pools())
	gql := graph.NewHandler(graph.Options{Store: st, Logger: logger, Loaders: m, Operations: m})
	mux := http.NewServeMux()
	mux.Handle("/query", m.Instrument("/query", gql))
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: requestid.Middleware(mux)}
	logger.Info("serving", "addr", ln.Addr().String(), "pprof", "/debug/pprof/")
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
