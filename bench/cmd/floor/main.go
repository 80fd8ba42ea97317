// Command floor serves the benchmark's floor (package bench/internal/floor):
// the timeline answered by hand-written net/http code over the same store and
// SQL as the subgraph, with the same /metrics, so the load driver measures
// both alike.
//
//	floor -db file:bench.db [-addr 127.0.0.1:0]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/bench/internal/floor"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
)

func main() {
	db := flag.String("db", "file:shop.db", "SQLite file, already migrated and loaded")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *db, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

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
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info("serving", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
