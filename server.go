// Command shop is the Shop subgraph: an Apollo Federation 2 subgraph that adds
// a Shop Module to the platform's profiles and tweets.
//
//	shop [serve] [-addr :8080] [-db file:shop.db] [-seed demo|none] [-log-format text|json]
//	shop import [-db …] data.jsonl…
//	shop import-catalog -profile ID [-db …] catalog.csv
//	shop token -sub ID [-scope shop:admin] [-ttl 1h]
package main

//go:generate go run ./internal/tools/gqlgen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/ide"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/requestid"
	"github.com/shop-subgraph/shop/internal/rollout"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
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
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(os.Stderr, "shop:", err)
		}
		os.Exit(1)
	}
}

// errReported means the command already told the user what went wrong.
var errReported = errors.New("reported")

const usage = `Usage:
  shop [serve] [flags]          serve the subgraph (the default)
  shop import [-db …] FILE…     load shops and catalogues from JSONL files
  shop import-catalog -profile ID [-db …] FILE.csv
                                load a product-feed CSV into a profile's shop
  shop token -sub ID [-scope shop:admin] [-ttl 1h]
                                print a bearer token signed with SHOP_JWT_SECRET

Run 'shop COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil // -h printed the flags
	}
	return err
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr)
	case "import-catalog":
		return importCatalog(ctx, args, getenv, stdout, stderr)
	case "token":
		return mintToken(args, getenv, stdout, stderr)
	case "import":
		return importFiles(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "shop: unknown command %q\n\n%s", cmd, usage)
		return errReported
	}
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func dbFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("db", envOr(getenv, "DATABASE_URL", "file:shop.db"),
		"SQLite file (file:shop.db) or postgres:// URL (env DATABASE_URL)")
}

// parseFlags parses args; -h prints the flags and ends the command quietly.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errReported
	}
	return nil
}

var errHelp = errors.New("help")

type serveConfig struct {
	addr, db, seed, logFormat string
	shutdownTimeout           time.Duration
	introspection             bool
	apqCacheSize              int
	apqCacheBytes             int64
	queryCacheSize            int
	queryCacheBytes           int64
	memoryLimit               string
	cache                     gqlhttp.CacheOptions
	replicas                  replicaList
	replicaMaxLag             time.Duration
	replicaCheckEvery         time.Duration
	limits                    gqlhttp.Limits
	auth                      authConfig
	rollout                   struct{ countries, languages, platforms, merchants string }
	rules                     rollout.Rules
	telemetry                 *telemetry.Telemetry // nil: no tracing
}

// setFromEnv sets each flag's value from its environment variable, when set,
// before the command line is parsed: a flag given on the command line wins.
func setFromEnv(fs *flag.FlagSet, getenv func(string) string, envs map[string]string) error {
	for name, env := range envs {
		if v := getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", env, v, err)
			}
		}
	}
	return nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	defAddr := ":8080"
	if p := getenv("PORT"); p != "" {
		defAddr = ":" + p
	}
	var c serveConfig
	fs.StringVar(&c.addr, "addr", envOr(getenv, "SHOP_ADDR", defAddr), "listen address (env SHOP_ADDR, or PORT → :$PORT)")
	db := dbFlag(fs, getenv)
	fs.Var(&c.replicas, "db-replica", "a postgres:// URL of a streaming replica of -db that serves the read path; repeat for several (env DATABASE_REPLICA_URL, space-separated)")
	fs.DurationVar(&c.replicaMaxLag, "db-replica-max-lag", store.DefaultReplicaMaxLag, "how far behind the primary a replica may be and still serve reads (env SHOP_DB_REPLICA_MAX_LAG)")
	fs.DurationVar(&c.replicaCheckEvery, "db-replica-check-interval", store.DefaultReplicaCheckInterval, "how often each replica's health and lag are checked (env SHOP_DB_REPLICA_CHECK_INTERVAL)")
	fs.StringVar(&c.seed, "seed", envOr(getenv, "SHOP_SEED", "demo"), "demo: load the demo data into an empty database; none (env SHOP_SEED)")
	fs.StringVar(&c.logFormat, "log-format", envOr(getenv, "SHOP_LOG_FORMAT", "text"), "text or json (env SHOP_LOG_FORMAT)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long requests in flight may finish after SIGTERM (env SHOP_SHUTDOWN_TIMEOUT)")
	fs.IntVar(&c.limits.MaxDepth, "max-depth", gqlhttp.DefaultMaxDepth, "deepest selection an operation may have (env SHOP_MAX_DEPTH)")
	fs.IntVar(&c.limits.MaxComplexity, "max-complexity", gqlhttp.DefaultMaxComplexity, "highest operation complexity; lists cost their selection times first (env SHOP_MAX_COMPLEXITY)")
	fs.IntVar(&c.limits.MaxRepresentations, "max-representations", gqlhttp.DefaultMaxRepresentations, "most representations in one _entities call (env SHOP_MAX_REPRESENTATIONS)")
	fs.IntVar(&c.limits.MaxFields, "max-fields", gqlhttp.DefaultMaxFields, "most fields an operation may expand to, a fragment counted at every place it is spread (env SHOP_MAX_FIELDS)")
	fs.IntVar(&c.limits.MaxQueryBytes, "max-query-bytes", gqlhttp.DefaultMaxQueryBytes, "longest query document, in bytes; variables are bounded by -max-body-bytes (env SHOP_MAX_QUERY_BYTES)")
	fs.IntVar(&c.limits.MaxTokens, "max-tokens", gqlhttp.DefaultMaxTokens, "most tokens a query document may have (env SHOP_MAX_TOKENS)")
	fs.Int64Var(&c.limits.MaxBodyBytes, "max-body-bytes", gqlhttp.DefaultMaxBodyBytes, "largest request body; larger is refused with 413 (env SHOP_MAX_BODY_BYTES)")
	fs.DurationVar(&c.limits.Timeout, "request-timeout", gqlhttp.DefaultTimeout, "longest a GraphQL request may take (env SHOP_REQUEST_TIMEOUT)")
	fs.BoolVar(&c.introspection, "introspection", true, "answer __schema and __type; _service answers either way (env SHOP_INTROSPECTION)")
	fs.IntVar(&c.apqCacheSize, "apq-cache-size", gqlhttp.DefaultAPQCacheSize, "automatic persisted queries kept, at most; 0 turns APQ off (env SHOP_APQ_CACHE_SIZE)")
	fs.Int64Var(&c.apqCacheBytes, "apq-cache-bytes", gqlhttp.DefaultAPQCacheBytes, "bytes of query text the persisted queries may hold (env SHOP_APQ_CACHE_BYTES)")
	fs.IntVar(&c.queryCacheSize, "query-cache-size", gqlhttp.DefaultQueryCacheSize, "parsed query documents kept, at most (env SHOP_QUERY_CACHE_SIZE)")
	fs.Int64Var(&c.queryCacheBytes, "query-cache-bytes", gqlhttp.DefaultQueryCacheBytes, "bytes the parsed query documents may hold, estimated (env SHOP_QUERY_CACHE_BYTES)")
	fs.DurationVar(&c.cache.MaxAge, "cache-max-age", gqlhttp.DefaultCacheMaxAge, "the longest max-age a response's Cache-Control may give, whatever the schema's hints; 0 caches nothing (env SHOP_CACHE_MAX_AGE)")
	fs.DurationVar(&c.cache.DefaultMaxAge, "cache-default-max-age", 0, "the max-age of root fields and fields of object type without a @cacheControl hint (env SHOP_CACHE_DEFAULT_MAX_AGE)")
	fs.StringVar(&c.cache.Subgraph, "subgraph-name", gqlhttp.DefaultSubgraph, "the name the gateway knows this subgraph by, in mutations' cache invalidations (env SHOP_SUBGRAPH_NAME)")
	fs.StringVar(&c.memoryLimit, "memory-limit", "auto", "the Go runtime's soft memory limit: auto (90 % of the cgroup's limit, else of the machine's memory), off, or bytes such as 512MiB; GOMEMLIMIT wins when set (env SHOP_MEMORY_LIMIT)")
	fs.StringVar(&c.rollout.countries, "rollout-countries", "", "comma list of ISO 3166 countries whose viewers see shops; empty = all (env SHOP_ROLLOUT_COUNTRIES)")
	fs.StringVar(&c.rollout.languages, "rollout-languages", "", "comma list of languages (Accept-Language) whose viewers see shops; empty = all (env SHOP_ROLLOUT_LANGUAGES)")
	fs.StringVar(&c.rollout.platforms, "rollout-platforms", "", "comma list of ios, android, web whose viewers see shops; empty = all (env SHOP_ROLLOUT_PLATFORMS)")
	fs.StringVar(&c.rollout.merchants, "rollout-merchants", "", "comma list of profile ids allowed to show a shop; empty = all (env SHOP_ROLLOUT_MERCHANTS)")
	authFlags(fs, getenv, &c.auth)
	err := setFromEnv(fs, getenv, map[string]string{
		"rollout-countries":         "SHOP_ROLLOUT_COUNTRIES",
		"rollout-languages":         "SHOP_ROLLOUT_LANGUAGES",
		"rollout-platforms":         "SHOP_ROLLOUT_PLATFORMS",
		"rollout-merchants":         "SHOP_ROLLOUT_MERCHANTS",
		"shutdown-timeout":          "SHOP_SHUTDOWN_TIMEOUT",
		"max-depth":                 "SHOP_MAX_DEPTH",
		"max-complexity":            "SHOP_MAX_COMPLEXITY",
		"max-representations":       "SHOP_MAX_REPRESENTATIONS",
		"max-body-bytes":            "SHOP_MAX_BODY_BYTES",
		"request-timeout":           "SHOP_REQUEST_TIMEOUT",
		"introspection":             "SHOP_INTROSPECTION",
		"apq-cache-size":            "SHOP_APQ_CACHE_SIZE",
		"apq-cache-bytes":           "SHOP_APQ_CACHE_BYTES",
		"query-cache-size":          "SHOP_QUERY_CACHE_SIZE",
		"query-cache-bytes":         "SHOP_QUERY_CACHE_BYTES",
		"max-fields":                "SHOP_MAX_FIELDS",
		"max-query-bytes":           "SHOP_MAX_QUERY_BYTES",
		"max-tokens":                "SHOP_MAX_TOKENS",
		"memory-limit":              "SHOP_MEMORY_LIMIT",
		"cache-max-age":             "SHOP_CACHE_MAX_AGE",
		"cache-default-max-age":     "SHOP_CACHE_DEFAULT_MAX_AGE",
		"subgraph-name":             "SHOP_SUBGRAPH_NAME",
		"db-replica-max-lag":        "SHOP_DB_REPLICA_MAX_LAG",
		"db-replica-check-interval": "SHOP_DB_REPLICA_CHECK_INTERVAL",
	})
	if err != nil {
		return err
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	c.db = *db
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if len(c.replicas) == 0 { // the flag wins over the environment
		for _, r := range strings.Fields(getenv("DATABASE_REPLICA_URL")) {
			if err := c.replicas.Set(r); err != nil {
				return fmt.Errorf("DATABASE_REPLICA_URL: %w", err)
			}
		}
	}
	if c.replicaMaxLag <= 0 || c.replicaCheckEvery <= 0 {
		return errors.New("-db-replica-max-lag and -db-replica-check-interval must be positive")
	}
	if len(c.replicas) > 0 && !store.IsPostgres(c.db) {
		return errors.New("-db-replica needs a postgres:// -db: replicas are PostgreSQL streaming replicas")
	}
	if c.seed != "demo" && c.seed != "none" {
		return fmt.Errorf("-seed must be demo or none, got %q", c.seed)
	}
	l := c.limits
	if c.cache.MaxAge < 0 || c.cache.DefaultMaxAge < 0 {
		return errors.New("-cache-max-age and -cache-default-max-age must be zero or more")
	}
	if l.MaxDepth < 1 || l.MaxComplexity < 1 || l.MaxRepresentations < 1 || l.MaxFields < 1 || l.MaxQueryBytes < 1 || l.MaxTokens < 1 ||
		l.MaxBodyBytes < 1 || l.Timeout <= 0 || c.queryCacheSize < 1 || c.queryCacheBytes < 1 || c.apqCacheBytes < 1 || c.apqCacheSize < 0 {
		return errors.New("-max-depth, -max-complexity, -max-representations, -max-fields, -max-query-bytes, -max-tokens, -max-body-bytes, -request-timeout, " +
			"-query-cache-size, -query-cache-bytes and -apq-cache-bytes must be positive, -apq-cache-size zero or more")
	}
	c.limits.NoIntrospection = !c.introspection
	if c.rules, err = rollout.ParseRules(c.rollout.countries, c.rollout.languages, c.rollout.platforms, c.rollout.merchants); err != nil {
		return err
	}
	logger, err := newLogger(c.logFormat, stderr)
	if err != nil {
		return err
	}
	if err := setMemoryLimit(c.memoryLimit, getenv, logger); err != nil {
		return err
	}
	if c.auth.verifier, c.auth.devTokens, err = setupAuth(c.auth, getenv, logger); err != nil {
		return err
	}

	// OpenTelemetry, from the OTEL_* variables: off without an endpoint.
	if c.telemetry, err = telemetry.Setup(ctx, getenv, logger); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.telemetry.Shutdown(ctx); err != nil {
			logger.Warn("opentelemetry: spans not exported at shutdown", "err", err)
		}
	}()

	m := metrics.New()
	st, err := openDB(ctx, c.db, store.WithObserver(c.telemetry.Observe(m, dbSystem(c.db))), store.WithReplicas(c.replicas...),
		store.WithReplicaChecks(c.replicaMaxLag, c.replicaCheckEvery))
	if err != nil {
		return err
	}
	defer st.Close()
	m.RegisterDBPools(st.Pools())
	if c.seed == "demo" {
		if err := seedDemo(ctx, st, logger); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           routes(st, m, logger, c),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if !c.rules.Open() {
		logger.Info("rollout: shops are shown only to these viewers and merchants", "countries", c.rules.Countries,
			"languages", c.rules.Languages, "platforms", c.rules.Platforms, "merchants", c.rules.Merchants)
	}
	logger.Info("serving", "addr", ln.Addr().String(), "ide", "http://"+browsable(ln.Addr())+"/", "db", redactDSN(c.db), "replicas", len(c.replicas))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "timeout", c.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// setMemoryLimit sets the Go runtime's soft memory limit, so that the
// garbage collector works harder before the process runs out of memory
// rather than after: auto is 90 % of the cgroup's memory limit, else of the
// machine's memory (automemlimit); off sets none; anything else is a size
// such as 512MiB. GOMEMLIMIT, which the runtime reads itself, wins.
func setMemoryLimit(v string, getenv func(string) string, logger *slog.Logger) error {
	if getenv("GOMEMLIMIT") != "" {
		logger.Info("memory limit from GOMEMLIMIT", "bytes", debug.SetMemoryLimit(-1))
		return nil
	}
	switch v {
	case "off":
		return nil
	case "auto":
		n, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)))
		if err != nil {
			return fmt.Errorf("-memory-limit auto: %w", err)
		}
		logger.Info("memory limit", "bytes", n)
		return nil
	}
	n, err := parseBytes(v)
	if err != nil {
		return fmt.Errorf("-memory-limit must be auto, off or a size such as 512MiB: %w", err)
	}
	debug.SetMemoryLimit(n)
	logger.Info("memory limit", "bytes", n)
	return nil
}

// parseBytes reads a size: a whole number of bytes, or one with a unit of
// KiB, MiB or GiB.
func parseBytes(v string) (int64, error) {
	mult := int64(1)
	for unit, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if num, ok := strings.CutSuffix(v, unit); ok {
			v, mult = num, m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a positive size", v)
	}
	return n * mult, nil
}

// printReport prints every bad line of a failed import.
func printReport(stderr io.Writer, report *catalog.Report) error {
	fmt.Fprintln(stderr, report.Error())
	fmt.Fprintf(stderr, "nothing imported: %d problem(s)\n", len(report.Errors))
	return errReported
}

// openDB opens the database and brings its schema up to date.
func openDB(ctx context.Context, dsn string, opts ...store.Option) (*store.Store, error) {
	st, err := store.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(requestid.NewLogHandler(telemetry.NewLogHandler(slog.NewTextHandler(w, nil)))), nil
	case "json":
		return slog.New(requestid.NewLogHandler(telemetry.NewLogHandler(slog.NewJSONHandler(w, nil)))), nil
	}
	return nil, fmt.Errorf("-log-format must be text or json, got %q", format)
}

// seedDemo loads the built-in demo data into an empty database.
func seedDemo(ctx context.Context, st *store.Store, logger *slog.Logger) error {
	empty, err := st.Empty(ctx)
	if err != nil || !empty {
		return err
	}
	stats, err := catalog.Import(ctx, st, []catalog.Source{catalog.Demo()}, nil)
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	logger.Info("loaded demo data", "shops", stats.Shops, "products", stats.Products)
	return nil
}

// exampleQuery is what the IDE opens with: a profile's carousel, asked the way
// the gateway asks, then the same shop through Query.shops.
const exampleQuery = `# A merchant's Shop Module, asked the way the gateway asks for it.
# Demo merchants: profiles 1001-1005 (1005's shop is a DRAFT, so null); 1099 has no shop.
query ProfileCarousel {
  _entities(representations: [
    { __typename: "Profile", id: "1001" }
    { __typename: "Tweet", id: "t1", author: { id: "1002" } }
  ]) {
    ... on Profile { id shop { ...Carousel } }
    ... on Tweet { id shop { ...Carousel } }
  }
}

fragment Carousel on Shop {
  name
  storeUrl
  featuredProducts {
    title
    url
    image { url altText }
    price { amount currencyCode }
    compareAtPrice { amount currencyCode }
  }
}
`

func routes(st *store.Store, m *metrics.Metrics, logger *slog.Logger, c serveConfig) http.Handler {
	obs := c.telemetry.Observe(m, dbSystem(c.db))
	gql := gqlhttp.NewHandler(gqlhttp.Options{
		Store: st, Logger: logger, Loaders: obs, Operations: obs, Tracing: c.telemetry.GraphQL(),
		Limits: c.limits, Rollout: c.rules, Auth: c.auth.verifier,
		QueryCacheSize: c.queryCacheSize, QueryCacheBytes: c.queryCacheBytes,
		APQCacheSize: c.apqCacheSize, APQCacheBytes: c.apqCacheBytes, APQOff: c.apqCacheSize == 0,
		Cache: c.cache,
	})
	ideh := ide.Handler(ide.Options{Endpoint: "/query", ExampleQuery: exampleQuery, DevTokens: c.auth.devTokens,
		DemoProfiles: append(slices.Clone(catalog.DemoProfileIDs), catalog.DemoProfileWithoutShop)})
	mux := http.NewServeMux()
	mux.Handle("/query", m.Instrument("/query", gql))
	mux.Handle("/graphql", m.Instrument("/graphql", gql))
	mux.Handle("GET /{$}", m.Instrument("/", ideh)) // the page; without a query string, a redirect to the example
	mux.Handle("GET /ide/", m.Instrument("/ide/", ideh))
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	mux.Handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		readyz(ctx, w, st.Health(ctx), logger)
	}))
	mux.Handle("GET /metrics", m.Handler())
	return requestid.Middleware(c.telemetry.Handler(mux))
}

// dbSystem names the database of dsn for the statements' spans.
func dbSystem(dsn string) string {
	if store.IsPostgres(dsn) {
		return telemetry.PostgreSQL
	}
	return telemetry.SQLite
}

// readyz answers /readyz: 200 while the primary answers, else 503, with a
// line for each database. A replica that is out does not make the server
// unready: its reads go to the primary.
func readyz(ctx context.Context, w http.ResponseWriter, dbs []store.DBStatus, logger *slog.Logger) {
	var b strings.Builder
	for _, d := range dbs {
		state := "ok"
		if !d.Up {
			state = "down"
			if d.Name != "primary" {
				state = "out"
			}
		}
		fmt.Fprintf(&b, "%s: %s", d.Name, state)
		if d.Name != "primary" {
			fmt.Fprintf(&b, ", lag %s", d.Lag.Round(time.Millisecond))
		}
		if d.Err != "" && !d.Up {
			fmt.Fprintf(&b, " (%s)", d.Err)
		}
		b.WriteString("\n")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !dbs[0].Up {
		logger.WarnContext(ctx, "not ready", "err", dbs[0].Err)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "database unavailable\n"+b.String())
		return
	}
	io.WriteString(w, "ready\n"+b.String())
}

// replicaList is -db-replica: a flag that may be repeated.
type replicaList []string

func (l *replicaList) String() string {
	if l == nil {
		return ""
	}
	out := make([]string, len(*l))
	for i, d := range *l {
		out[i] = redactDSN(d)
	}
	return strings.Join(out, " ")
}

func (l *replicaList) Set(v string) error {
	if !store.IsPostgres(v) {
		return errors.New("a replica is a postgres:// URL")
	}
	*l = append(*l, v)
	return nil
}

func importFiles(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	db := dbFlag(fs, getenv)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: shop import [-db …] FILE…\n\nLoads shops and catalogues from JSONL files, all or nothing.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errReported
	}
	return runImport(ctx, "import", *db, getenv, stdout, stderr, func(ctx context.Context, st *store.Store) (string, error) {
		stats, err := catalog.ImportFiles(ctx, st, fs.Args(), stderr)
		return stats.String(), err
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
	st, err := openDB(ctx, dsn, store.WithObserver(tel.Observe(metrics.New(), dbSystem(dsn))))
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	imported, err := imp(ctx, st)
	var report *catalog.Report
	if errors.As(err, &report) {
		return printReport(stderr, report)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s in %s\n", imported, time.Since(start).Round(time.Millisecond))
	return nil
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}

// browsable turns a listen address such as [::]:8080 into localhost:8080.
func browsable(a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return "localhost:" + port
}
