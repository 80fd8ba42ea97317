package telemetry

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

// A client chooses __typenames: however many and however long, the
// _entities span's counts stay bounded.
func TestCountTypesBounded(t *testing.T) {
	var reps []any
	for i := range 20 {
		reps = append(reps, map[string]any{"__typename": fmt.Sprintf("T%02d", i)}, map[string]any{"__typename": "Tweet"})
	}
	reps = append(reps, map[string]any{"__typename": strings.Repeat("x", 1000)}, "not an object")
	types, counts := countTypes(reps)
	if len(types) != maxTypeNames+1 || len(counts) != len(types) {
		t.Fatalf("%d names, %d counts, want %d names (the rest as other)", len(types), len(counts), maxTypeNames+1)
	}
	var total int64
	for i, name := range types {
		total += counts[i]
		if len(name) > maxNameLen {
			t.Errorf("a name of %d bytes", len(name))
		}
	}
	if total != int64(len(reps)) || !slices.Contains(types, "other") {
		t.Errorf("counts %v of %v add up to %d, want %d with other", counts, types, total, len(reps))
	}
}

func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("k", "v")
	logger.InfoContext(context.Background(), "untraced")
	if strings.Contains(buf.String(), "trace_id") {
		t.Errorf("a line without a span has a trace_id: %s", buf.String())
	}
	buf.Reset()
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}})
	logger.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "traced")
	if want := `"trace_id":"` + sc.TraceID().String() + `","span_id":"` + sc.SpanID().String() + `"`; !strings.Contains(buf.String(), want) {
		t.Errorf("got %s, want %s in it", buf.String(), want)
	}
}
