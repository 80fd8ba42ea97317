package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// importFiles is `shop import`: JSONL files of shops and catalogues.
func importFiles(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet(importCmd, "import", &c)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: shop import [-db …] FILE…\n\nLoads shops and catalogues from JSONL files, all or nothing.")
		fs.printDefaults()
	}
	if err := fs.parse(args, getenv, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ErrReported
	}
	return runImport(ctx, "import", c.srv.DB, getenv, stdout, stderr, func(ctx context.Context, st *store.Store) (string, error) {
		stats, err := catalog.ImportFiles(ctx, st, fs.Args(), stderr)
		return stats.String(), err
	})
}

// importCatalog is `shop import-catalog`: a product-feed CSV into a
// profile's shop.
func importCatalog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet(importCmd, "import-catalog", &c)
	profile := fs.String("profile", "", "the profile whose shop gets the products (required); the shop must exist")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shop import-catalog -profile ID [-db …] catalog.csv\n\n"+
			"Upserts the products of a product-feed CSV (columns %s) into the profile's shop, all or nothing.\n",
			strings.Join(catalog.FeedColumns, ","))
		fs.printDefaults()
	}
	if err := fs.parse(args, getenv, stderr); err != nil {
		return err
	}
	if *profile == "" || fs.NArg() != 1 {
		fs.Usage()
		return ErrReported
	}
	return runImport(ctx, "import-catalog", c.srv.DB, getenv, stdout, stderr, func(ctx context.Context, st *store.Store) (string, error) {
		stats, err := catalog.ImportFeedFile(ctx, st, *profile, fs.Arg(0))
		if errors.Is(err, catalog.ErrNoShop) {
			return "", fmt.Errorf("profile %q has no shop: create it first (the createShop mutation, or shop import)", *profile)
		}
		return fmt.Sprintf("%s into the shop of profile %s", stats, *profile), err
	})
}

// runImport opens the database at dsn and runs imp on it, for the import
// commands: a report of the input's problems goes to stderr, line by line;
// otherwise what imp says it imported, and how long it took, to stdout.
func runImport(ctx context.Context, command, dsn string, getenv func(string) string, stdout, stderr io.Writer, imp func(context.Context, *store.Store) (string, error)) (err error) {
	// Traced as serve is, by the OTEL_* variables: the command's span, its
	// transaction and statements.
	tel, err := telemetry.Setup(ctx, getenv, nil)
	if err != nil {
		return err
	}
	defer func() {
		if serr := tel.Shutdown(context.WithoutCancel(ctx)); serr != nil && err == nil {
			err = fmt.Errorf("export traces: %w", serr)
		}
	}()
	ctx, end := tel.StartCommand(ctx, "shop "+command)
	defer func() { end(err) }()
	st, err := store.OpenMigrated(ctx, dsn, store.WithObserver(tel.Observe(metrics.New(), store.System(dsn))))
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	imported, err := imp(ctx, st)
	var report *catalog.Report
	if errors.As(err, &report) {
		fmt.Fprintln(stderr, report.Error())
		fmt.Fprintf(stderr, "nothing imported: %d problem(s)\n", len(report.Errors))
		return ErrReported
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s in %s\n", imported, time.Since(start).Round(time.Millisecond))
	return nil
}
