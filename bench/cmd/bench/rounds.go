package main

import (
	"cmp"
	"slices"
	"time"
)

// medians combines the rounds' results: for each target and scenario, the
// median of each figure over the rounds that measured it (the mean of the
// middle two for an even count), the most statements a request of any
// round, and every round's requests, errors and first error or mismatch.
// A host whose speed drifts over minutes moves every target of a round
// alike; taking targets in turn, round after round, and the median, keeps
// the drift and a single slow phase out of the comparison.
func medians(rounds [][]result) []result {
	type key struct{ target, scenario string }
	var order []key
	all := map[key][]result{}
	for _, rs := range rounds {
		for _, r := range rs {
			k := key{r.Target, r.Scenario}
			if _, seen := all[k]; !seen {
				order = append(order, k)
			}
			all[k] = append(all[k], r)
		}
	}
	out := make([]result, 0, len(order))
	for _, k := range order {
		rs := all[k]
		r := result{Target: k.target, Scenario: k.scenario}
		for _, x := range rs {
			if r.Mismatch == "" {
				r.Mismatch = x.Mismatch
			}
		}
		r.Max = combine(rs, func(x result) phase { return x.Max })
		r.Half = combine(rs, func(x result) phase { return x.Half })
		out = append(out, r)
	}
	return out
}

func combine(rs []result, of func(result) phase) phase {
	var p phase
	var thr []float64
	var p50, p99, cpu []time.Duration
	for _, x := range rs {
		ph := of(x)
		p.Requests += ph.Requests
		p.Errors += ph.Errors
		p.Statements = max(p.Statements, ph.Statements)
		if p.FirstError == "" {
			p.FirstError = ph.FirstError
		}
		if ph.Requests == 0 {
			continue
		}
		thr = append(thr, ph.Throughput)
		p50, p99, cpu = append(p50, ph.P50), append(p99, ph.P99), append(cpu, ph.CPU)
	}
	p.Throughput = median(thr, func(a, b float64) float64 { return (a + b) / 2 })
	mid := func(a, b time.Duration) time.Duration { return (a + b) / 2 }
	p.P50, p.P99, p.CPU = median(p50, mid), median(p99, mid), median(cpu, mid)
	return p
}

// median of xs, mid giving the value between two; the zero value for none.
func median[T cmp.Ordered](xs []T, mid func(a, b T) T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return mid(s[n/2-1], s[n/2])
}
