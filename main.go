// Command shop is the Shop subgraph: an Apollo Federation 2 subgraph that adds
// a Shop Module to the platform's profiles and tweets.
//
//	shop [serve] [-addr :8080] [-db file:shop.db] [-seed demo|none] [-log-format text|json]
//	shop import [-db …] data.jsonl…
//	shop import-catalog -profile ID [-db …] catalog.csv
//	shop token -sub ID [-scope shop:admin] [-ttl 1h]
//
// The commands, their settings and their help are internal/cli's; serving
// is internal/server's.
package main

//go:generate go run ./internal/tools/gqlgen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	// The database drivers that store.Open opens by name are imported by
	// the command (and by tests, through internal/storetest), not by the
	// packages that use them.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/internal/cli"
)

func main() {
	// Serving a request allocates much for a short time (gqlgen's per-field
	// bookkeeping): collecting garbage less often saves 11 to 18 % of the
	// CPU of a timeline for about 50 MiB more memory (PERFORMANCE.md). A
	// GOGC in the environment still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, cli.ErrReported) {
			fmt.Fprintln(os.Stderr, "shop:", err)
		}
		os.Exit(1)
	}
}
