package graph

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestDirectPathPanicFallsBack: a panic in the direct path is logged and
// leaves the call to gqlgen's executor instead of ending the process (with
// two root fields it runs in a goroutine of its own, where nothing else
// would recover it).
func TestDirectPathPanicFallsBack(t *testing.T) {
	var log bytes.Buffer
	d := directEntities{logger: slog.New(slog.NewTextHandler(&log, nil)), maxReps: 10}
	// No operation context: graphql.GetOperationContext panics.
	out, ok := d.serve(context.Background(), graphql.CollectedField{})
	if ok || out != nil {
		t.Errorf("serve = %v, %v; want nil, false", out, ok)
	}
	if !strings.Contains(log.String(), "direct path panicked") {
		t.Errorf("log: %s", log.String())
	}
}
