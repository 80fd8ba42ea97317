package telemetry

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Observers is what the server's metrics observe: the store's statements
// (store.Observer), the loaders' batches (loaders.Observer) and graph's
// operations and _entities calls (gqlhttp.OperationObserver,
// graph.EntitiesObserver, gqlhttp.DirectObserver).
type Observers interface {
	ObserveQuery(ctx context.Context, name string, d time.Duration, err error)
	ObserveBatch(loader string, size int)
	ObserveOperation(ctx context.Context, name string, d time.Duration, errorCodes []string)
	ObserveEntities(ctx context.Context, direct bool)
	ObserveDirectOperation(ctx context.Context)
}

// dbSystemKey is the attribute the issue and many backends still read;
// semconv's current name is db.system.name, which is set beside it.
const dbSystemKey = attribute.Key("db.system")

// Observe returns observers that record spans and then tell next: a span
// for each statement, under the span of the request that ran it, with the
// statement's stable name (shop_db_queries_total's); a span around each
// loader batch; the path on the _entities span. Off, it returns next.
// dbSystem is the database's db.system.name (store.System).
func (t *Telemetry) Observe(next Observers, dbSystem string) Observers {
	if !t.Enabled() {
		return next
	}
	return &tee{next: next, tracer: t.tracer, db: []attribute.KeyValue{semconv.DBSystemNameKey.String(dbSystem), dbSystemKey.String(dbSystem)}}
}

type tee struct {
	next   Observers
	tracer trace.Tracer
	db     []attribute.KeyValue
}

// ObserveQuery records a statement that has just ended, after d, as a span
// with its own timestamps. Its parameters are never recorded. The metrics
// then see the statement's span, which their exemplar names.
func (o *tee) ObserveQuery(ctx context.Context, name string, d time.Duration, err error) {
	o.ObserveQueryOn(ctx, "primary", name, d, -1, err)
}

// ObserveQueryOn is ObserveQuery for a statement on the named database (the
// primary or a replica: store.DatabaseObserver), which its span names, with
// the rows it returned (negative: not counted, as for writes).
func (o *tee) ObserveQueryOn(ctx context.Context, database, name string, d time.Duration, rows int, err error) {
	ctx = o.statementSpan(ctx, database, name, d, rows, err)
	if next, ok := o.next.(interface {
		ObserveQueryOn(ctx context.Context, database, name string, d time.Duration, rows int, err error)
	}); ok {
		next.ObserveQueryOn(ctx, database, name, d, rows, err)
		return
	}
	o.next.ObserveQuery(ctx, name, d, err)
}

// RowsKey is how many rows a read statement returned (semantic
// conventions' db.response.returned_rows).
const RowsKey = attribute.Key("db.response.returned_rows")

// DatabaseKey names the database a statement ran on: primary, or a
// replica's name.
const DatabaseKey = attribute.Key("shop.db.database")

// statementSpan records the span of a statement that ended just now, and
// returns ctx with it, for the metrics' exemplars.
func (o *tee) statementSpan(ctx context.Context, database, name string, d time.Duration, rows int, err error) context.Context {
	if trace.SpanFromContext(ctx).IsRecording() {
		end := time.Now()
		var span trace.Span
		ctx, span = o.tracer.Start(ctx, name, trace.WithTimestamp(end.Add(-d)), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(o.db...), trace.WithAttributes(semconv.DBQuerySummary(name), DatabaseKey.String(database)))
		if rows >= 0 {
			span.SetAttributes(RowsKey.Int(rows))
		}
		if err != nil {
			fail(span, err)
			span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
		}
		span.End(trace.WithTimestamp(end))
	}
	return ctx
}

func errorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "_OTHER"
}

func (o *tee) ObserveBatch(loader string, size int) { o.next.ObserveBatch(loader, size) }

// Attributes of a loader batch's span.
const (
	LoaderKey    = attribute.Key("shop.loader.name")
	BatchSizeKey = attribute.Key("shop.loader.batch_size")
)

// StartBatch starts the span of a loader batch (loaders.BatchTracer): the
// batch's statements are its children.
func (o *tee) StartBatch(ctx context.Context, loader string, size int) (context.Context, func()) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, func() {}
	}
	ctx, span := o.tracer.Start(ctx, "loader "+loader, trace.WithAttributes(LoaderKey.String(loader), BatchSizeKey.Int(size)))
	return ctx, func() { span.End() }
}

func (o *tee) ObserveOperation(ctx context.Context, name string, d time.Duration, errorCodes []string) {
	o.next.ObserveOperation(ctx, name, d, errorCodes)
}

// ObserveEntities sets, on the _entities span in ctx, what answered it.
func (o *tee) ObserveEntities(ctx context.Context, direct bool) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		path := "executor"
		if direct {
			path = "direct"
		}
		span.SetAttributes(EntitiesPathKey.String(path))
	}
	o.next.ObserveEntities(ctx, direct)
}

func (o *tee) ObserveDirectOperation(ctx context.Context) { o.next.ObserveDirectOperation(ctx) }
