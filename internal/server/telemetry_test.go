package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
	"github.com/shop-subgraph/shop/internal/telemetry"
	"github.com/shop-subgraph/shop/internal/telemetry/telemetrytest"
)

// timeline is a timeline's _entities call as a gateway sends it, with tweet
// ids that must never appear in a span: they are the operation's variables.
const timelineQuery = `query Timeline($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { shop { name featuredProducts { title } } } ... on Profile { shop { name } } } }`

func timelineBody(t *testing.T) []byte {
	t.Helper()
	reps := []any{
		map[string]any{"__typename": "Tweet", "id": "secret-tweet-1", "author": map[string]any{"id": "1001"}},
		map[string]any{"__typename": "Tweet", "id": "secret-tweet-2", "author": map[string]any{"id": "1002"}},
		map[string]any{"__typename": "Tweet", "id": "secret-tweet-3", "author": map[string]any{"id": "4242"}},
		map[string]any{"__typename": "Profile", "id": "1003"},
	}
	b, err := json.Marshal(map[string]any{"query": timelineQuery, "variables": map[string]any{"reps": reps}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tracedServer serves Handler with tracing on tel, over the demo data.
func tracedServer(t testing.TB, tel *telemetry.Telemetry, logs io.Writer) (*httptest.Server, *metrics.Metrics) {
	t.Helper()
	c := Config{Telemetry: tel}
	if storetest.Backend() == "postgres" {
		c.DB = "postgres://" // only what store.System reads
	}
	m := metrics.New()
	st := storetest.Open(t, store.WithObserver(tel.Observe(m, store.System(c.DB))))
	if err := seedDemo(context.Background(), st, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(st, m, NewLogger(logs, true), c))
	t.Cleanup(srv.Close)
	return srv, m
}

// postTraced sends body to /query with a traceparent of traceID and the
// given headers.
func postTraced(t *testing.T, url string, traceID trace.TraceID, parent trace.SpanID, body []byte, headers map[string]string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Traceparent", fmt.Sprintf("00-%s-%s-01", traceID, parent))
	req.Header.Set("Baggage", "tenant=e2e")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	return string(b)
}

// spanTree indexes one trace's spans.
type spanTree struct {
	spans  tracetest.SpanStubs
	byID   map[trace.SpanID]tracetest.SpanStub
	byName map[string][]tracetest.SpanStub
}

func treeOf(all tracetest.SpanStubs, id trace.TraceID) spanTree {
	tr := spanTree{byID: map[trace.SpanID]tracetest.SpanStub{}, byName: map[string][]tracetest.SpanStub{}}
	for _, s := range all {
		if s.SpanContext.TraceID() != id {
			continue
		}
		tr.spans = append(tr.spans, s)
		tr.byID[s.SpanContext.SpanID()] = s
		tr.byName[s.Name] = append(tr.byName[s.Name], s)
	}
	return tr
}

// one returns the only span named name.
func (tr spanTree) one(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	if got := tr.byName[name]; len(got) != 1 {
		t.Fatalf("%d spans named %q, want 1; the trace has %v", len(got), name, tr.names())
	}
	return tr.byName[name][0]
}

func (tr spanTree) names() []string {
	var names []string
	for _, s := range tr.spans {
		names = append(names, s.Name+" ← "+tr.byID[s.Parent.SpanID()].Name)
	}
	slices.Sort(names)
	return names
}

// parentName returns the name of s's parent in the trace ("" if none).
func (tr spanTree) parentName(s tracetest.SpanStub) string { return tr.byID[s.Parent.SpanID()].Name }

func attr(s tracetest.SpanStub, key attribute.Key) attribute.Value {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// TestTracesContinueTheGatewaysTrace sends a timeline with a traceparent, as
// a gateway does, on both execution paths (the direct path; gqlgen's
// executor, which traced ftv1 requests take), and checks the spans: all
// under the gateway's trace and span, each statement under its loader batch,
// the batches under the operation, the response write under the request, no
// variable in any of them; the trace id in the log and as an exemplar.
func TestTracesContinueTheGatewaysTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	var logs syncBuffer
	srv, _ := tracedServer(t, telemetry.New(tp), &logs)
	wantDB := "sqlite"
	if storetest.Backend() == "postgres" {
		wantDB = "postgresql"
	}

	for i, tt := range []struct {
		path    string
		headers map[string]string
	}{
		{"direct", nil},
		{"executor", map[string]string{"Apollo-Federation-Include-Trace": "ftv1"}},
	} {
		t.Run(tt.path, func(t *testing.T) {
			traceID := trace.TraceID{0x4b, 0xf9, byte(i + 1), 0xaa}
			gatewaySpan := trace.SpanID{0x00, 0xf0, 0x67, byte(i + 1)}
			body := postTraced(t, srv.URL, traceID, gatewaySpan, timelineBody(t), tt.headers)
			if !strings.Contains(body, `"name":`) {
				t.Fatalf("the timeline found no shop: %s", body)
			}
			tr := treeOf(exp.GetSpans(), traceID)

			server := tr.one(t, "POST /query")
			if server.Parent.SpanID() != gatewaySpan || !server.Parent.IsRemote() || server.SpanKind != trace.SpanKindServer {
				t.Errorf("server span: parent %s (remote %v), kind %v; want the gateway's %s, remote, server",
					server.Parent.SpanID(), server.Parent.IsRemote(), server.SpanKind, gatewaySpan)
			}
			op := tr.one(t, "query Timeline")
			if tr.parentName(op) != "POST /query" {
				t.Errorf("operation's parent is %q, want the server span", tr.parentName(op))
			}
			if got := attr(op, "graphql.operation.name").AsString(); got != "Timeline" {
				t.Errorf("graphql.operation.name = %q", got)
			}
			if got := attr(op, "graphql.operation.type").AsString(); got != "query" {
				t.Errorf("graphql.operation.type = %q", got)
			}
			if got := attr(op, telemetry.DocumentHashKey).AsString(); len(got) != 64 {
				t.Errorf("graphql.document.hash = %q, want a SHA-256 in hex", got)
			}
			ent := tr.one(t, "_entities")
			if tr.parentName(ent) != "query Timeline" {
				t.Errorf("_entities' parent is %q, want the operation", tr.parentName(ent))
			}
			if got := attr(ent, telemetry.EntitiesPathKey).AsString(); got != tt.path {
				t.Errorf("shop.entities.path = %q, want %q", got, tt.path)
			}
			if types, counts := attr(ent, telemetry.EntitiesTypesKey).AsStringSlice(), attr(ent, telemetry.EntitiesTypeCountsKey).AsInt64Slice(); !slices.Equal(types, []string{"Profile", "Tweet"}) || !slices.Equal(counts, []int64{1, 3}) {
				t.Errorf("counts by type: %v %v, want [Profile Tweet] [1 3]", types, counts)
			}

			// The timeline's two statements, each under its loader's batch,
			// under the operation: both paths load the operation's entities
			// at once before the root field runs (prefetchOperation).
			for stmt, loader := range map[string]string{"shops_by_owner_ids": "loader shop_by_owner", "featured_cards_by_shop_ids": "loader featured_products"} {
				s := tr.one(t, stmt)
				if tr.parentName(s) != loader {
					t.Errorf("%s's parent is %q, want %q", stmt, tr.parentName(s), loader)
				}
				if got := tr.parentName(tr.byID[s.Parent.SpanID()]); got != "query Timeline" {
					t.Errorf("%s's parent is %q, want the operation", loader, got)
				}
				if s.SpanKind != trace.SpanKindClient || attr(s, "db.system.name").AsString() != wantDB || attr(s, "db.system").AsString() != wantDB || attr(s, "db.query.summary").AsString() != stmt {
					t.Errorf("%s: kind %v, attributes %v", stmt, s.SpanKind, s.Attributes)
				}
				if rows := attr(s, telemetry.RowsKey); rows.Type() != attribute.INT64 || rows.AsInt64() <= 0 {
					t.Errorf("%s: rows %v, want the rows it returned", stmt, rows)
				}
				if stmt == "shops_by_owner_ids" && attr(s, telemetry.RowsKey).AsInt64() != 3 {
					t.Errorf("%s returned %d rows, want the 3 shops of 1001, 1002 and 1003", stmt, attr(s, telemetry.RowsKey).AsInt64())
				}
				if !s.StartTime.Before(s.EndTime) || s.StartTime.Before(server.StartTime) || s.EndTime.After(server.EndTime) {
					t.Errorf("%s ran from %v to %v, outside its request (%v to %v)", stmt, s.StartTime, s.EndTime, server.StartTime, server.EndTime)
				}
			}
			if n := len(tr.byName["shops_by_owner_ids"]) + len(tr.byName["featured_cards_by_shop_ids"]); n != 2 {
				t.Errorf("%d statement spans, want 2: %v", n, tr.names())
			}
			w := tr.one(t, "write response")
			if tr.parentName(w) != "POST /query" || attr(w, "http.response.body.size").AsInt64() != int64(len(body)) {
				t.Errorf("write response: parent %q, attributes %v; want the server span and %d bytes", tr.parentName(w), w.Attributes, len(body))
			}
			for _, s := range tr.spans {
				for _, a := range s.Attributes {
					if strings.Contains(a.Value.String(), "secret") {
						t.Errorf("span %q has a variable's value: %s", s.Name, a.Value.String())
					}
				}
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		traceID := trace.TraceID{0x4b, 0xf9, 0xee}
		body := postTraced(t, srv.URL, traceID, trace.SpanID{1}, []byte(`{"query":"{ _entities(representations: [{__typename: \"Nope\", id: \"1\"}]) { __typename } }"}`), nil)
		op := treeOf(exp.GetSpans(), traceID).one(t, "query")
		if op.Status.Code != codes.Error || attr(op, "error.type").AsString() != "BAD_USER_INPUT" {
			t.Errorf("operation span: status %v, attributes %v; want an error, BAD_USER_INPUT (response %s)", op.Status, op.Attributes, body)
		}
		var codesSeen []string
		for _, e := range op.Events {
			for _, a := range e.Attributes {
				if a.Key == telemetry.ErrorCodeKey {
					codesSeen = append(codesSeen, e.Name+":"+a.Value.AsString())
				}
			}
		}
		if !slices.Equal(codesSeen, []string{"exception:BAD_USER_INPUT"}) {
			t.Errorf("events %v, want one exception with code BAD_USER_INPUT", codesSeen)
		}
	})

	t.Run("logs and exemplars", func(t *testing.T) {
		traceID := trace.TraceID{0x4b, 0xf9, 0xef}
		postTraced(t, srv.URL, traceID, trace.SpanID{2}, timelineBody(t), nil)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
		req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, metric := range []string{"shop_http_request_duration_seconds_bucket", "shop_graphql_operation_duration_seconds_bucket", "shop_db_query_duration_seconds_bucket"} {
			found := false
			for line := range strings.Lines(string(b)) {
				found = found || strings.HasPrefix(line, metric) && strings.Contains(line, `trace_id="`+traceID.String()+`"`)
			}
			if !found {
				t.Errorf("/metrics (OpenMetrics) has no %s exemplar with trace_id %s", metric, traceID)
			}
		}

		// A line logged with a traced request's context carries its trace
		// beside its request id.
		logs.Reset()
		logger := NewLogger(&logs, true)
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: trace.SpanID{3}, TraceFlags: trace.FlagsSampled})
		logger.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "handled")
		if !strings.Contains(logs.String(), `"trace_id":"`+traceID.String()+`","span_id":"`+sc.SpanID().String()+`"`) {
			t.Errorf("log line lacks trace_id and span_id: %s", logs.String())
		}
	})
}

// TestTracesExportedOverOTLP configures tracing as an operator does, with
// OTEL_* variables only, and finds the request's spans in an OTLP/HTTP
// receiver under the trace its traceparent named.
func TestTracesExportedOverOTLP(t *testing.T) {
	recv := telemetrytest.NewReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "shop-under-test")
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	t.Setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
	tel, err := telemetry.Setup(context.Background(), os.Getenv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !tel.Enabled() {
		t.Fatal("tracing is off with an endpoint set")
	}
	srv, _ := tracedServer(t, tel, io.Discard)
	traceID := trace.TraceID{0x0a, 0xf7, 0x65, 0x19}
	postTraced(t, srv.URL, traceID, trace.SpanID{0xb7, 0xad}, timelineBody(t), nil)
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	names, service := recv.Spans(traceID)
	want := []string{"POST /query", "_entities", "featured_cards_by_shop_ids", "loader featured_products", "loader shop_by_owner", "query Timeline", "shops_by_owner_ids", "write response"}
	if !slices.Equal(names, want) || service != "shop-under-test" {
		t.Errorf("received spans %q of service %q, want %q of shop-under-test", names, service, want)
	}
}

// TestTracingOff: without an endpoint, or with the SDK disabled, nothing is
// installed and nothing is exported; a protocol the exporter lacks is an
// error at start.
func TestTracingOff(t *testing.T) {
	recv := telemetrytest.NewReceiver(t)
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"no endpoint", map[string]string{"OTEL_SERVICE_NAME": "shop"}},
		{"sdk disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL, "OTEL_SDK_DISABLED": "true"}},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": recv.URL + "/v1/traces", "OTEL_TRACES_EXPORTER": "none"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tel, err := telemetry.Setup(context.Background(), env(tt.env), nil)
			if err != nil {
				t.Fatal(err)
			}
			m := metrics.New()
			if tel.Enabled() || tel.GraphQL() != nil || tel.Observe(m, store.System("")) != telemetry.Observers(m) {
				t.Fatalf("tracing is on")
			}
			next := http.NotFoundHandler()
			if h := tel.Handler(next); fmt.Sprintf("%p", h) != fmt.Sprintf("%p", next) {
				t.Errorf("Handler wraps the routes")
			}
			srv, _ := tracedServer(t, tel, io.Discard)
			postTraced(t, srv.URL, trace.TraceID{1}, trace.SpanID{1}, timelineBody(t), nil)
			tel.Shutdown(context.Background())
			if n := recv.Count(); n != 0 {
				t.Errorf("%d export requests, want none", n)
			}
		})
	}
	for _, p := range []string{"http/json", "udp"} {
		_, err := telemetry.Setup(context.Background(), env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL, "OTEL_EXPORTER_OTLP_PROTOCOL": p}), nil)
		if err == nil || !strings.Contains(err.Error(), "http/protobuf or grpc") {
			t.Errorf("protocol %s: %v, want an error naming the protocols", p, err)
		}
	}
}

// BenchmarkTracing is a timeline of 100 Tweet representations (a fifth by
// merchants) through the server's routes: with tracing off (nothing
// installed), and on with every request sampled (a sampled traceparent,
// parentbased_always_on) and its spans exported over OTLP/HTTP by the batch
// span processor to a receiver that discards them.
func BenchmarkTracing(b *testing.B) {
	reps := make([]any, 100)
	for i := range reps {
		a := fmt.Sprint(3000 + i)
		if i%5 == 0 {
			a = fmt.Sprint(1001 + i/5%4)
		}
		reps[i] = map[string]any{"__typename": "Tweet", "id": fmt.Sprint(i), "author": map[string]any{"id": a}}
	}
	body, _ := json.Marshal(map[string]any{
		"query":     `query Timeline($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { shop { id name storeUrl featuredProducts { id title url image { url } price { amount currencyCode } } } } } }`,
		"variables": map[string]any{"reps": reps},
	})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer recv.Close()
	for _, on := range []bool{false, true} {
		name := "off"
		var tel *telemetry.Telemetry
		if on {
			name = "on"
			b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
			var err error
			if tel, err = telemetry.Setup(context.Background(), os.Getenv, slog.New(slog.DiscardHandler)); err != nil {
				b.Fatal(err)
			}
		}
		srv, _ := tracedServer(b, tel, io.Discard)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				out, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
					b.Fatalf("%s %s", res.Status, out)
				}
			}
		})
		tel.Shutdown(context.Background())
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
