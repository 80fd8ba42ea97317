package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func res(target string, rps float64, cpu, p99 time.Duration, stmts float64) result {
	return result{Target: target, Scenario: "mix",
		Max:  phase{Requests: 1000, Throughput: rps, CPU: cpu, Statements: stmts},
		Half: phase{Requests: 500, P99: p99, Statements: stmts}}
}

func verdicts(vs []verdict) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Figure + " " + v.Verdict
	}
	return out
}

func TestJudge(t *testing.T) {
	ms := time.Millisecond
	floor := res("floor", 1000, ms, 3*ms, 2)
	apollo := res("apollo", 300, 4*ms, 10*ms, 2)
	mercurius := res("mercurius", 800, 2*ms, 5*ms, 2)
	for _, tc := range []struct {
		name string
		rs   []result
		want []string
	}{
		{"all met", []result{res("shop", 900, 1500*time.Microsecond, 10*ms, 2), floor, apollo, mercurius},
			[]string{"2.000 / 2.000 met", "1.50× met", "10.00 ms met", "3.00× met", "1.12× met"}},
		{"none met", []result{res("shop", 590, 2100*time.Microsecond, 10*ms+time.Microsecond, 2.01), floor, apollo, mercurius},
			[]string{"2.010 / 2.010 NOT MET", "2.10× NOT MET", "10.00 ms NOT MET", "1.97× NOT MET", "0.74× NOT MET"}},
		{"a tie with mercurius is not above it", []result{res("shop", 800, ms, ms, 2), mercurius},
			[]string{"2.000 / 2.000 met", "- not measured (floor not run)", "1.00 ms met", "- not measured (apollo not run)", "1.00× NOT MET"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := verdicts(judge(byScenario(tc.rs)["mix"]))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	// A phase that did not run, a CPU not read: not measured, not met.
	noHalf := res("shop", 900, 0, 0, 2)
	noHalf.Half = phase{}
	got := verdicts(judge(byScenario([]result{noHalf, floor, apollo})["mix"]))
	want := []string{"- not measured (no half-load phase)", "- not measured (no reading)", "- not measured (no half-load phase)", "3.00× met", "- not measured (mercurius not run)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if vs := judge(byScenario([]result{floor, apollo})["mix"]); vs != nil {
		t.Errorf("without the subgraph: %v, want none", vs)
	}
}

func TestReportPrintsTargets(t *testing.T) {
	ms := time.Millisecond
	rs := []result{res("shop", 900, 900*time.Microsecond, 4*ms, 2), res("floor", 1000, ms, 3*ms, 2)}
	rep := report{Results: rs, Targets: map[string][]verdict{"mix": judge(byScenario(rs)["mix"])}}
	var b bytes.Buffer
	printReport(&b, rep, config{scenarios: []string{"mix"}, targets: []string{"shop", "floor"}})
	for _, want := range []string{
		`shop against issue 7's targets:`,
		`\n  CPU a request ≤ 2× the floor's +0\.90× +met\n`,
		`\n  p99 ≤ 10 ms at half the max throughput +4\.00 ms +met\n`,
		`\n  max throughput above mercurius's +- +not measured \(mercurius not run\)\n`,
	} {
		if !regexp.MustCompile(want).MatchString(b.String()) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
