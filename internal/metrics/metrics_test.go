package metrics

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// Clients choose operation names: past MaxOperationNames distinct ones, or
// past MaxOperationNameLen bytes, operations count under "other", so the
// series stay bounded.
func TestOperationNamesBounded(t *testing.T) {
	m := New()
	for i := range MaxOperationNames + 50 {
		m.ObserveOperation(context.Background(), fmt.Sprintf("Op%d", i), time.Millisecond, nil)
	}
	m.ObserveOperation(context.Background(), "Op0", time.Millisecond, []string{"BAD_USER_INPUT"}) // known: its own series
	m.ObserveOperation(context.Background(), strings.Repeat("x", MaxOperationNameLen+1), time.Millisecond, nil)
	m.ObserveOperation(context.Background(), "", time.Millisecond, nil) // anonymous: its own series, whatever the bound

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string][]*dto.Metric{}
	for _, f := range families {
		series[f.GetName()] = f.GetMetric()
	}
	// One success series a name kept, one for "other", one for anonymous,
	// one error series.
	if n, want := len(series["shop_graphql_operations_total"]), MaxOperationNames+3; n != want {
		t.Errorf("%d operation series, want %d", n, want)
	}
	if n, want := len(series["shop_graphql_operation_duration_seconds"]), MaxOperationNames+2; n != want {
		t.Errorf("%d duration series, want %d", n, want)
	}
	count := func(name, outcome string) float64 {
		for _, s := range series["shop_graphql_operations_total"] {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["operation"] == name && labels["outcome"] == outcome {
				return s.GetCounter().GetValue()
			}
		}
		return 0
	}
	if got := count(OtherOperations, "success"); got != 51 {
		t.Errorf("other: %v operations, want 51", got)
	}
	if got := count("anonymous", "success"); got != 1 {
		t.Errorf("anonymous: %v operations, want 1", got)
	}
	if got := count("Op0", "error"); got != 1 {
		t.Errorf("Op0 errors: %v, want 1", got)
	}
	if got := count(fmt.Sprintf("Op%d", MaxOperationNames-1), "success"); got != 1 {
		t.Errorf("the last name with room: %v, want 1", got)
	}
}
