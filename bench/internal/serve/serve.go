// Package serve runs the benchmark's own servers (bench/cmd/floor,
// bench/cmd/profserve) as the driver expects a target to run: flags -db and
// -addr, the log line "msg=serving addr=HOST:PORT" once listening (the
// driver waits for it), and on SIGINT or SIGTERM a shutdown that lets the
// requests in flight finish before the caller closes its store.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// Main parses -db and -addr and calls run with them and a context that
// SIGINT and SIGTERM end. An error is printed under name, with exit status 1.
func Main(name string, run func(ctx context.Context, db, addr string) error) {
	db := flag.String("db", "file:shop.db", "SQLite file, already migrated and loaded")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *db, *addr); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Run serves h on addr until ctx ends, logging "serving" with the address
// and attrs once it listens, and returns when the requests in flight have
// finished.
func Run(ctx context.Context, addr string, h http.Handler, logger *slog.Logger, attrs ...any) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h}
	logger.Info("serving", append([]any{"addr", ln.Addr().String()}, attrs...)...)
	shutdown := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown <- srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-shutdown
}
