// Package metrics holds the Shop subgraph's Prometheus metrics: SQL statements
// by name, loader batch sizes, GraphQL operations and errors, and HTTP
// requests. Each server (and each test) has its own registry.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

// Metrics is a registry with the subgraph's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	dbQueries    *prometheus.CounterVec
	dbByDatabase *prometheus.CounterVec
	replicaIn    *prometheus.GaugeVec
	replicaLag   *prometheus.GaugeVec
	dbDuration   *prometheus.HistogramVec
	dbErrors     *prometheus.CounterVec
	loaderBatch  *prometheus.HistogramVec
	operations   *prometheus.CounterVec
	opDuration   *prometheus.HistogramVec
	gqlErrors    *prometheus.CounterVec
	entities     *prometheus.CounterVec
	directOps    prometheus.Counter
	httpRequests *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	opNames operationNames
}

// MaxOperationNames is how many distinct operation names get series of their
// own, and MaxOperationNameLen how long one may be; other operations count
// under OtherOperations. Operation names are the clients' to choose: without
// a bound each new one would add series, kept for as long as the process
// lives.
const (
	MaxOperationNames   = 200
	MaxOperationNameLen = 100
	OtherOperations     = "other"
)

// operationNames is the set of operation names given series so far.
type operationNames struct {
	mu    sync.RWMutex
	names map[string]bool
}

// label returns name while it is in the set or the set has room for it, and
// OtherOperations otherwise.
func (s *operationNames) label(name string) string {
	if len(name) > MaxOperationNameLen {
		return OtherOperations
	}
	s.mu.RLock()
	known := s.names[name]
	s.mu.RUnlock()
	if known {
		return name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names[name] {
		return name
	}
	if len(s.names) >= MaxOperationNames {
		return OtherOperations
	}
	if s.names == nil {
		s.names = map[string]bool{}
	}
	s.names[name] = true
	return name
}

// New returns metrics registered in a fresh registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		dbQueries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_db_queries_total",
			Help: "SQL statements run, by statement name.",
		}, []string{"query"}),
		dbByDatabase: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_db_database_queries_total",
			Help: "SQL statements run, by database (primary, replica1…) and statement name.",
		}, []string{"database", "query"}),
		replicaIn: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shop_db_replica_up",
			Help: "1 while the read replica serves reads (it answers and is within the maximum lag), else 0.",
		}, []string{"database"}),
		replicaLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "shop_db_replica_lag_seconds",
			Help: "How far behind the primary the read replica was at its last check, at most.",
		}, []string{"database"}),
		dbDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shop_db_query_duration_seconds",
			Help:    "SQL statement latency, by statement name.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"query"}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_db_query_errors_total",
			Help: "SQL statements that failed, by statement name.",
		}, []string{"query"}),
		loaderBatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shop_loader_batch_size",
			Help:    "Keys per dataloader batch, by loader.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}, []string{"loader"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_graphql_operations_total",
			Help: "GraphQL operations, by operation name and outcome (success or error).",
		}, []string{"operation", "outcome"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shop_graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency, by operation name: from the request's decoding to its response, parsing, validation and the prefetch included.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_graphql_errors_total",
			Help: "GraphQL errors returned, by extensions.code.",
		}, []string{"code"}),
		entities: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shop_entities_calls_total",
			Help: "_entities calls, by what answered them: the direct path for timelines (direct) or gqlgen's executor (executor).",
		}, []string{"path"}),
		directOps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shop_graphql_direct_operations_total",
			Help: "Operations answered whole without gqlgen's executor, by the direct entry (each of their _entities calls also counts as direct in shop_entities_calls_total).",
		}),
		httpRequests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shop_http_request_duration_seconds",
			Help:    "HTTP request latency, by route and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shop_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.dbQueries, m.dbByDatabase, m.replicaIn, m.replicaLag, m.dbDuration, m.dbErrors, m.loaderBatch,
		m.operations, m.opDuration, m.gqlErrors, m.entities, m.directOps, m.httpRequests, m.httpInFlight,
	)
	return m
}

// RegisterDBPools exports the statistics of the database connection pools
// (go_sql_* with a db_name label: open, in use and idle connections, waits).
func (m *Metrics) RegisterDBPools(pools map[string]*sql.DB) {
	for name, db := range pools {
		m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
}

// observe records v in h, with the trace and span of ctx as its exemplar
// when that span is sampled, so that a latency bucket links to a trace
// (served in the OpenMetrics format, which a scraper asks for).
func observe(ctx context.Context, h prometheus.Observer, v float64) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		if e, ok := h.(prometheus.ExemplarObserver); ok {
			e.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
			return
		}
	}
	h.Observe(v)
}

// ObserveQuery counts one SQL statement on the primary (store.Observer).
func (m *Metrics) ObserveQuery(ctx context.Context, name string, d time.Duration, err error) {
	m.ObserveQueryOn(ctx, "primary", name, d, -1, err)
}

// ObserveQueryOn counts one SQL statement on the named database
// (store.DatabaseObserver).
func (m *Metrics) ObserveQueryOn(ctx context.Context, database, name string, d time.Duration, _ int, err error) {
	m.dbQueries.WithLabelValues(name).Inc()
	m.dbByDatabase.WithLabelValues(database, name).Inc()
	observe(ctx, m.dbDuration.WithLabelValues(name), d.Seconds())
	if err != nil {
		m.dbErrors.WithLabelValues(name).Inc()
	}
}

// ObserveReplica records a replica check's outcome (store.ReplicaObserver).
func (m *Metrics) ObserveReplica(database string, in bool, lag time.Duration) {
	up := 0.0
	if in {
		up = 1
	}
	m.replicaIn.WithLabelValues(database).Set(up)
	m.replicaLag.WithLabelValues(database).Set(lag.Seconds())
}

// ObserveBatch records a loader batch's size (loaders.Observer).
func (m *Metrics) ObserveBatch(loader string, size int) {
	m.loaderBatch.WithLabelValues(loader).Observe(float64(size))
}

// ObserveOperation records a GraphQL operation and the codes of its errors,
// under its name while the names are few enough (MaxOperationNames).
func (m *Metrics) ObserveOperation(ctx context.Context, name string, d time.Duration, errorCodes []string) {
	if name == "" {
		name = "anonymous" // the server's own label, outside the bound
	} else {
		name = m.opNames.label(name)
	}
	outcome := "success"
	if len(errorCodes) > 0 {
		outcome = "error"
	}
	m.operations.WithLabelValues(name, outcome).Inc()
	observe(ctx, m.opDuration.WithLabelValues(name), d.Seconds())
	for _, c := range errorCodes {
		m.gqlErrors.WithLabelValues(c).Inc()
	}
}

// ObserveEntities records an _entities call and whether the direct path
// answered it (graph.EntitiesObserver).
func (m *Metrics) ObserveEntities(_ context.Context, direct bool) {
	path := "executor"
	if direct {
		path = "direct"
	}
	m.entities.WithLabelValues(path).Inc()
}

// ObserveDirectOperation records an operation the direct entry answered
// whole (gqlhttp.DirectObserver).
func (m *Metrics) ObserveDirectOperation(context.Context) { m.directOps.Inc() }

// DirectOperations returns the number of operations the direct entry
// answered so far.
func (m *Metrics) DirectOperations() float64 {
	return m.sum("shop_graphql_direct_operations_total", nil)
}

// DBQueries returns the number of SQL statements run so far, all names
// together: tests and the load tool read statement counts from it.
func (m *Metrics) DBQueries() float64 { return m.sum("shop_db_queries_total", nil) }

// DBQueriesNamed returns the number of SQL statements named name run so far.
func (m *Metrics) DBQueriesNamed(name string) float64 {
	return m.sum("shop_db_queries_total", map[string]string{"query": name})
}

// EntitiesCalls returns the number of _entities calls answered so far by
// path, "direct" or "executor".
func (m *Metrics) EntitiesCalls(path string) float64 {
	return m.sum("shop_entities_calls_total", map[string]string{"path": path})
}

// sum adds up a counter's series whose labels include labels.
func (m *Metrics) sum(name string, labels map[string]string) float64 {
	families, err := m.Registry.Gather()
	if err != nil {
		return 0
	}
	var n float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, c := range f.GetMetric() {
			for _, l := range c.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue series
				}
			}
			n += c.GetCounter().GetValue()
		}
	}
	return n
}

// Handler serves the registry in the Prometheus text format, or in the
// OpenMetrics format, with the histograms' exemplars, to a scraper that asks
// for it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry, EnableOpenMetrics: true})
}

// Instrument records the latency and status of requests to route.
func (m *Metrics) Instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.httpInFlight.Inc()
		defer m.httpInFlight.Dec()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		observe(r.Context(), m.httpRequests.WithLabelValues(route, strconv.Itoa(sw.status)), time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
