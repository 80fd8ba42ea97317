// Package telemetry continues the gateway's distributed trace in the
// subgraph with OpenTelemetry: it configures the SDK from the standard
// OTEL_* environment variables, and records spans for the HTTP request, the
// GraphQL operation, each _entities call, each loader batch, each SQL
// statement, the write transactions and the response write. It also puts
// the trace id on log lines.
//
// Tracing is off unless an OTLP endpoint is configured. Off, nothing of it
// is installed: no SDK, no middleware, no hooks, so the hot path pays
// nothing. On, spans below the HTTP request are only recorded under a
// recording (sampled) parent, so an unsampled request pays for little more
// than the HTTP span's no-op.
package telemetry

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the subgraph's own spans.
const ScopeName = "github.com/shop-subgraph/shop"

// ServiceName is service.name unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES says otherwise.
const ServiceName = "shop"

// Telemetry is the subgraph's tracing: on with a tracer provider, or off.
// The zero value and nil are off; every method is safe on both.
type Telemetry struct {
	tp       trace.TracerProvider
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	shutdown func(context.Context) error
}

// Propagator is what the subgraph reads from incoming requests: W3C
// traceparent and tracestate, and W3C baggage.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// New returns tracing on tp, for tests (an SDK provider with the in-memory
// exporter) and for Setup.
func New(tp trace.TracerProvider) *Telemetry {
	return &Telemetry{tp: tp, tracer: tp.Tracer(ScopeName), prop: Propagator()}
}

// Setup configures tracing from the OTEL_* variables that getenv reads, as
// the OpenTelemetry specification defines them. It is off when
// OTEL_SDK_DISABLED is true, when OTEL_TRACES_EXPORTER is none, or when
// neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// is set. On, spans are exported over OTLP, by OTEL_EXPORTER_OTLP_PROTOCOL
// (or its _TRACES_ form): http/protobuf (the default) or grpc. The exporter,
// the batch span processor and the sampler read their own variables
// (endpoint, headers, timeout, compression, OTEL_BSP_*,
// OTEL_TRACES_SAMPLER and _ARG) from the process's environment; the resource
// reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. Export errors are
// logged to logger as warnings.
func Setup(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Telemetry, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return &Telemetry{}, nil
	}
	switch e := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); e {
	case "", "otlp":
	case "none":
		return &Telemetry{}, nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: this server exports traces with otlp, or none", e)
	}
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return &Telemetry{}, nil
	}
	var exp sdktrace.SpanExporter
	var err error
	switch p := cmp.Or(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), getenv("OTEL_EXPORTER_OTLP_PROTOCOL"), "http/protobuf"); p {
	case "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		// The Go exporter has no http/json.
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: this server exports traces over http/protobuf or grpc", p)
	}
	if err != nil {
		return nil, fmt.Errorf("opentelemetry exporter: %w", err)
	}
	fromEnv, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("opentelemetry resource: %w", err)
	}
	// The environment's service.name, when it gives one, wins.
	res, err := resource.Merge(resource.NewSchemaless(semconv.ServiceName(ServiceName)), fromEnv)
	if err != nil {
		return nil, fmt.Errorf("opentelemetry resource: %w", err)
	}
	if logger != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			logger.Warn("opentelemetry", "err", err)
		}))
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := New(tp)
	t.shutdown = tp.Shutdown
	return t, nil
}

// StartCommand starts the root span of a command run from the command line
// (shop import, shop import-catalog), for its transaction and statements to
// sit under; end ends it, recording err. Off, it does nothing.
func (t *Telemetry) StartCommand(ctx context.Context, name string) (_ context.Context, end func(err error)) {
	if !t.Enabled() {
		return ctx, func(error) {}
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, func(err error) {
		if err != nil {
			fail(span, err)
		}
		span.End()
	}
}

// Enabled reports whether tracing is on.
func (t *Telemetry) Enabled() bool { return t != nil && t.tp != nil }

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil || t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// untraced are the routes of probes and scrapes, which would otherwise make
// a trace every few seconds.
var untraced = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// Handler returns next with a server span for every request (otelhttp),
// continuing the trace of its traceparent, and a span for the writing of
// the response. Off, it returns next itself.
func (t *Telemetry) Handler(next http.Handler) http.Handler {
	if !t.Enabled() {
		return next
	}
	return otelhttp.NewHandler(t.writeSpan(next), "shop",
		otelhttp.WithTracerProvider(t.tp),
		otelhttp.WithPropagators(t.prop),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untraced[r.URL.Path] }))
}

// writeSpan records, under the request's span, a "write response" span
// from the first write of the response's body to the end of the last: the
// time the response took to reach the connection (what net/http still
// buffers is sent when the handler returns, after it). It passes r on as it
// is, so that otelhttp sees the route the mux sets on it.
func (t *Telemetry) writeSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !trace.SpanFromContext(r.Context()).IsRecording() {
			next.ServeHTTP(w, r)
			return
		}
		tw := &timedWriter{ResponseWriter: w}
		next.ServeHTTP(tw, r)
		if tw.first.IsZero() {
			return
		}
		_, span := t.tracer.Start(r.Context(), "write response", trace.WithTimestamp(tw.first),
			trace.WithAttributes(semconv.HTTPResponseBodySize(int(tw.bytes))))
		if tw.err != nil {
			fail(span, tw.err)
		}
		span.End(trace.WithTimestamp(tw.last))
	})
}

// timedWriter times the writes of a response's body.
type timedWriter struct {
	http.ResponseWriter
	first, last time.Time
	bytes       int64
	err         error
}

func (w *timedWriter) Write(b []byte) (int, error) {
	start := time.Now()
	if w.first.IsZero() {
		w.first = start
	}
	n, err := w.ResponseWriter.Write(b)
	w.last = time.Now()
	w.bytes += int64(n)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// Flush lets a handler that asserts http.Flusher flush through the timer.
func (w *timedWriter) Flush() { http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the server's writer.
func (w *timedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Start starts a span named name under the span in ctx, on that span's
// provider, when that span is recording; end ends it, recording err. With no
// recording span in ctx (tracing off, the request not sampled, a command
// that traces nothing) it does nothing. The catalog's write transactions use
// it.
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (_ context.Context, end func(err error)) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, func(error) {}
	}
	ctx, span := parent.TracerProvider().Tracer(ScopeName).Start(ctx, name, trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			fail(span, err)
		}
		span.End()
	}
}

// fail records err on span and marks it failed.
func fail(span trace.Span, err error, attrs ...attribute.KeyValue) {
	span.RecordError(err, trace.WithAttributes(attrs...))
	span.SetStatus(codes.Error, err.Error())
}
