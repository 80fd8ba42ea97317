// Package server serves the subgraph: the routes (GraphQL at /query and
// /graphql, the IDE at /, /healthz, /readyz, /metrics) behind request ids
// and tracing, the http.Server with its timeouts and graceful shutdown, the
// database opened and migrated, and the demo data. It reads no flag and no
// environment variable: internal/cli's settings fill its Config.
package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/ide"
	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/requestid"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// Config is what serving needs. Its zero value serves the GraphQL handler
// with its defaults, without tracing or development tokens.
type Config struct {
	// Addr is the listen address.
	Addr string
	// DB is the primary database: a SQLite file or a postgres:// URL. Its
	// system also names the statements' spans.
	DB string
	// Replicas are postgres:// URLs of streaming replicas of DB that serve
	// the read path; ReplicaMaxLag and ReplicaCheckInterval, both positive,
	// bound how far behind one may be and how often that is checked.
	Replicas                            []string
	ReplicaMaxLag, ReplicaCheckInterval time.Duration
	// Seed loads the demo data into an empty database.
	Seed bool
	// ShutdownTimeout is how long requests in flight may finish once the
	// context ends.
	ShutdownTimeout time.Duration
	// GraphQL configures the GraphQL handler: limits, caches, rollout,
	// token verification. Handler sets its Store, Logger, observers and
	// Tracing.
	GraphQL gqlhttp.Options
	// DevTokens are the development tokens the IDE offers; none when a
	// key is configured.
	DevTokens []ide.DevToken
	// Telemetry traces requests, operations and statements; nil traces
	// nothing.
	Telemetry *telemetry.Telemetry
}

// Run opens and migrates the database, seeds it when asked, and serves on
// c.Addr until ctx ends; then it lets the requests in flight finish, for up
// to c.ShutdownTimeout.
func Run(ctx context.Context, c Config, logger *slog.Logger) error {
	m := metrics.New()
	st, err := store.OpenMigrated(ctx, c.DB, store.WithObserver(c.Telemetry.Observe(m, store.System(c.DB))), store.WithReplicas(c.Replicas...),
		store.WithReplicaChecks(c.ReplicaMaxLag, c.ReplicaCheckInterval))
	if err != nil {
		return err
	}
	defer st.Close()
	m.RegisterDBPools(st.Pools())
	if c.Seed {
		if err := seedDemo(ctx, st, logger); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           Handler(st, m, logger, c),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if r := c.GraphQL.Rollout; !r.Open() {
		logger.Info("rollout: shops are shown only to these viewers and merchants", "countries", r.Countries,
			"languages", r.Languages, "platforms", r.Platforms, "merchants", r.Merchants)
	}
	logger.Info("serving", "addr", ln.Addr().String(), "ide", "http://"+browsable(ln.Addr())+"/", "db", RedactDSN(c.DB), "replicas", len(c.Replicas))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "timeout", c.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// Handler returns the subgraph's routes over st: GraphQL at /query and
// /graphql, the IDE at / and /ide/, /healthz, /readyz and /metrics, each
// request with an id and, when c.Telemetry is on, a span.
func Handler(st *store.Store, m *metrics.Metrics, logger *slog.Logger, c Config) http.Handler {
	obs := c.Telemetry.Observe(m, store.System(c.DB))
	o := c.GraphQL
	o.Store, o.Logger, o.Loaders, o.Operations, o.Tracing = st, logger, obs, obs, c.Telemetry.GraphQL()
	gql := gqlhttp.NewHandler(o)
	ideh := ide.Handler(ide.Options{Endpoint: "/query", ExampleQuery: exampleQuery, DevTokens: c.DevTokens,
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
	return requestid.Middleware(c.Telemetry.Handler(mux))
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

// NewLogger returns the server's logger, text or JSON, with each line
// carrying the request id and the trace of the context it is logged with.
func NewLogger(w io.Writer, json bool) *slog.Logger {
	var h slog.Handler = slog.NewTextHandler(w, nil)
	if json {
		h = slog.NewJSONHandler(w, nil)
	}
	return slog.New(requestid.NewLogHandler(telemetry.NewLogHandler(h)))
}

// RedactDSN hides the password of a database URL, for logs and help.
func RedactDSN(dsn string) string {
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
