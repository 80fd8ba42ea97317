package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMedians(t *testing.T) {
	ms := time.Millisecond
	round := func(rps float64, cpu, p99 time.Duration, stmts float64, errs uint64, mismatch string) []result {
		return []result{
			{Target: "shop", Scenario: "mix", Mismatch: mismatch,
				Max:  phase{Requests: 100, Errors: errs, Throughput: rps, CPU: cpu, Statements: stmts},
				Half: phase{Requests: 50, P50: p99 / 4, P99: p99, Statements: stmts}},
			{Target: "floor", Scenario: "mix", Max: phase{Requests: 100, Throughput: 2 * rps, CPU: cpu / 2}},
		}
	}
	// The middle of three: a slow round (the second) does not move it.
	got := medians([][]result{
		round(1000, ms, 3*ms, 2, 0, ""),
		round(600, 2*ms, 20*ms, 2.01, 1, "wrong"),
		round(1100, ms+ms/10, 4*ms, 2, 0, ""),
	})
	want := []result{
		{Target: "shop", Scenario: "mix", Mismatch: "wrong",
			Max:  phase{Requests: 300, Errors: 1, Throughput: 1000, CPU: ms + ms/10, Statements: 2.01},
			Half: phase{Requests: 150, P50: ms, P99: 4 * ms, Statements: 2.01}},
		{Target: "floor", Scenario: "mix", Max: phase{Requests: 300, Throughput: 2000, CPU: (ms + ms/10) / 2}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("three rounds (-want +got):\n%s", diff)
	}
	// Two: the mean of the two; a phase that did not run does not count.
	two := medians([][]result{round(1000, ms, 2*ms, 2, 0, ""), round(2000, 3*ms, 4*ms, 2, 0, "")})
	if r := two[0]; r.Max.Throughput != 1500 || r.Max.CPU != 2*ms || r.Half.P99 != 3*ms {
		t.Errorf("two rounds: %+v", r)
	}
	skipped := round(1000, ms, 2*ms, 2, 0, "")
	skipped[0].Half = phase{}
	one := medians([][]result{skipped, round(3000, ms, 6*ms, 2, 0, "")})
	if r := one[0]; r.Half.P99 != 6*ms || r.Max.Throughput != 2000 {
		t.Errorf("a missing half phase: %+v", r)
	}
}
