package catalog

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// TestImportTransactionSpan: the import's write transaction is a span,
// with its statements under it, when the import runs under a recording span.
func TestImportTransactionSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tel := telemetry.New(tp)
	st := storetest.Open(t, store.WithObserver(tel.Observe(metrics.New(), store.System(""))))
	ctx, root := tp.Tracer("test").Start(context.Background(), "import command")
	if _, err := Import(ctx, st, []Source{Demo()}, nil); err != nil {
		t.Fatal(err)
	}
	root.End()

	// parentOf returns the name of the parent of the one span named name.
	spans := exp.GetSpans()
	parentOf := func(name string) string {
		t.Helper()
		var found []tracetest.SpanStub
		for _, s := range spans {
			if s.Name == name && s.SpanContext.TraceID() == root.SpanContext().TraceID() {
				found = append(found, s)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d spans named %q, want 1", len(found), name)
		}
		for _, s := range spans {
			if s.SpanContext.SpanID() == found[0].Parent.SpanID() {
				return s.Name
			}
		}
		return ""
	}
	if got := parentOf("import transaction"); got != "import command" {
		t.Errorf("transaction's parent is %q", got)
	}
	// On PostgreSQL BEGIN is sent with the first statement, and has a span
	// all the same.
	for _, name := range []string{"begin", "commit"} {
		if got := parentOf(name); got != "import transaction" {
			t.Errorf("%s's parent is %q, want the transaction", name, got)
		}
	}
}
