package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// byScenario indexes results by scenario, then target.
func byScenario(results []result) map[string]map[string]result {
	by := map[string]map[string]result{}
	for _, r := range results {
		if by[r.Scenario] == nil {
			by[r.Scenario] = map[string]result{}
		}
		by[r.Scenario][r.Target] = r
	}
	return by
}

func printReport(w io.Writer, rep report, c config) {
	fmt.Fprintf(w, "\nmachine: %s\ndatabase: %s\ndataset: %s\nload:    %s\n", rep.Machine, rep.Database, rep.Dataset, rep.Load)
	by := byScenario(rep.Results)
	for _, sc := range c.scenarios {
		rs := by[sc]
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nscenario %s\n", sc)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\tmax req/s\tCPU/req\tCPU/req ÷ floor\t÷ independent floor\tfloor req/s ÷ target's\tp50 @ half\tp99 @ half\terrors\tstatements/req\t")
		floor, hasFloor := rs["floor"]
		ind, hasInd := rs["floor-ind"]
		for _, name := range c.targets {
			r, ok := rs[name]
			if !ok {
				continue
			}
			cost, costInd, thr := "-", "-", "-"
			if hasFloor && floor.Max.CPU > 0 && r.Max.Throughput > 0 {
				cost = fmt.Sprintf("%.2f×", float64(r.Max.CPU)/float64(floor.Max.CPU))
				thr = fmt.Sprintf("%.2f×", floor.Max.Throughput/r.Max.Throughput)
			}
			if hasInd && ind.Max.CPU > 0 && r.Max.Throughput > 0 {
				costInd = fmt.Sprintf("%.2f×", float64(r.Max.CPU)/float64(ind.Max.CPU))
			}
			stmts := fmt.Sprintf("%.2f / %.2f", r.Max.Statements, r.Half.Statements)
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n", name, r.Max.Throughput, ms(r.Max.CPU), cost, costInd, thr,
				ms(r.Half.P50), ms(r.Half.P99), r.Max.Errors+r.Half.Errors, stmts)
		}
		tw.Flush()
		if shop, ok := rs["shop"]; ok && shop.Max.Throughput > 0 {
			var cmp []string
			for _, other := range []string{"apollo", "mercurius"} {
				if o, ok := rs[other]; ok && o.Max.Throughput > 0 {
					cmp = append(cmp, fmt.Sprintf("%.2f× %s's max throughput, %.2f× its CPU a request", shop.Max.Throughput/o.Max.Throughput, other, float64(shop.Max.CPU)/float64(o.Max.CPU)))
				}
			}
			if len(cmp) > 0 {
				fmt.Fprintf(w, "shop: %s\n", strings.Join(cmp, "; "))
			}
		}
		if vs := rep.Targets[sc]; len(vs) > 0 {
			fmt.Fprintln(w, "shop against issue 7's targets:")
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, v := range vs {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Target, v.Figure, v.Verdict)
			}
			tw.Flush()
		}
		for _, name := range c.targets {
			if r, ok := rs[name]; ok {
				if r.Mismatch != "" {
					fmt.Fprintf(w, "%s: WRONG ANSWER: %s\n", name, r.Mismatch)
				}
				if r.Max.FirstError != "" {
					fmt.Fprintf(w, "%s: first error: %s\n", name, r.Max.FirstError)
				} else if r.Half.FirstError != "" {
					fmt.Fprintf(w, "%s: first error: %s\n", name, r.Half.FirstError)
				}
			}
		}
	}
	fmt.Fprintln(w, "\n(statements/req: max-throughput phase / half-rate phase; CPU/req: the server's user+system CPU time in the max-throughput phase over its requests)")
	printShapes(w, by, c)
	printSmall(w, by, c)
	names := make([]string, 0, len(rep.RSS))
	for n := range rep.RSS {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "\npeak RSS (VmHWM):")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, rep.RSS[n])
	}
	for n, why := range rep.Skipped {
		fmt.Fprintf(w, "skipped %s: %s\n", n, why)
	}
}

// verdict is one of issue 7's targets, judged on one scenario of one run.
type verdict struct {
	Target  string `json:"target"`
	Figure  string `json:"figure"`
	Verdict string `json:"verdict"` // met, not met, or why it was not measured
}

// Issue 7's targets for the subgraph, each measured in the same run as what
// it is compared with.
const (
	maxStatements = 2
	maxFloorRatio = 2.0
	maxP99        = 10 * time.Millisecond
	minApolloGain = 2.0
)

// judge holds the subgraph's results in one scenario (rs, by target) against
// issue 7's targets. A target whose comparison was not run is "not measured".
// It reports; it does not fail the run: figures on a shared 2-core machine
// vary between runs, and only wrong answers and failed requests do.
func judge(rs map[string]result) []verdict {
	shop, ok := rs["shop"]
	if !ok || shop.Max.Requests == 0 {
		return nil
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT MET"
	}
	vs := []verdict{
		{fmt.Sprintf("≤ %d SQL statements a request at every load", maxStatements), "-", "not measured (no half-load phase)"},
		{fmt.Sprintf("CPU a request ≤ %g× the floor's", maxFloorRatio), "-", ""},
		{fmt.Sprintf("p99 ≤ %d ms at half the max throughput", maxP99/time.Millisecond), "-", "not measured (no half-load phase)"},
		{fmt.Sprintf("max throughput ≥ %g× Apollo Server 5's", minApolloGain), "-", ""},
		{"max throughput above mercurius's", "-", ""},
	}
	if shop.Half.Requests > 0 {
		// Three decimals: 2.004 is a miss, some request ran a third statement.
		vs[0].Figure = fmt.Sprintf("%.3f / %.3f", shop.Max.Statements, shop.Half.Statements)
		vs[0].Verdict = met(max(shop.Max.Statements, shop.Half.Statements) <= maxStatements)
		vs[2].Figure, vs[2].Verdict = ms(shop.Half.P99), met(shop.Half.P99 <= maxP99)
	}
	// compare judges figure(shop, o) when both measured what it divides.
	compare := func(v *verdict, name string, measured func(r result) bool, figure func(o result) float64, ok func(x float64) bool) {
		o, ran := rs[name]
		switch {
		case !ran || o.Max.Requests == 0:
			v.Verdict = "not measured (" + name + " not run)"
		case !measured(shop) || !measured(o):
			v.Verdict = "not measured (no reading)"
		default:
			x := figure(o)
			v.Figure = fmt.Sprintf("%.2f×", x)
			v.Verdict = met(ok(x))
		}
	}
	cpu := func(r result) bool { return r.Max.CPU > 0 }
	throughput := func(r result) bool { return r.Max.Throughput > 0 }
	compare(&vs[1], "floor", cpu, func(o result) float64 { return float64(shop.Max.CPU) / float64(o.Max.CPU) },
		func(x float64) bool { return x <= maxFloorRatio })
	compare(&vs[3], "apollo", throughput, func(o result) float64 { return shop.Max.Throughput / o.Max.Throughput },
		func(x float64) bool { return x >= minApolloGain })
	compare(&vs[4], "mercurius", throughput, func(o result) float64 { return shop.Max.Throughput / o.Max.Throughput },
		func(x float64) bool { return x > 1 })
	return vs
}

// Issue 14's targets: the Hive-shaped timeline's CPU within 1.2× the
// Apollo-shaped one's and both within 1.3× the floor's; small requests
// within 1.5× the floor's CPU at 1 representation and 1.3× from 10 up.
const (
	maxHiveOverApollo = 1.2
	maxShapeOverFloor = 1.3
	maxSmallOne       = 1.5
	maxSmall          = 1.3
)

// ratio formats a/b and whether it is within limit ("" when unmeasured).
func ratio(a, b time.Duration, limit float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	x := float64(a) / float64(b)
	if limit == 0 {
		return fmt.Sprintf("%.2f×", x)
	}
	v := "met"
	if x > limit {
		v = "NOT MET"
	}
	return fmt.Sprintf("%.2f× (≤ %g×: %s)", x, limit, v)
}

// printShapes sets the subgraph's CPU per timeline under each gateway's
// plan of issue 14's timeline (two requests each), and the hot path's one
// request, beside the floors' CPU for the same client query: the floors
// answer the hot path's request and Apollo Gateway's plan of the timeline
// (not Hive's, which asks for the same data in more requests), so both
// plans are judged against the floors' Apollo-planned timeline. Hive's plan
// is judged against Apollo's plan of the same client query; when that was
// not measured, against the one request, which asks for less (no authors'
// shops), and the table says so.
func printShapes(w io.Writer, by map[string]map[string]result, c config) {
	var lines []string
	for _, data := range dataset.Scenarios {
		timeline := func(plan, target string) (time.Duration, float64) {
			name := data.Name
			if plan != "" {
				name = plan + "-" + data.Name
			}
			sc, err := parseScenario(name, c.tweets)
			r := by[name][target]
			if err != nil || r.Max.Requests == 0 {
				return 0, 0
			}
			n := sc.perTimeline()
			return r.Max.CPU * time.Duration(n), r.Max.Statements * float64(n)
		}
		one, oneStmts := timeline("", "shop")
		apollo, apolloStmts := timeline("apollo", "shop")
		hive, hiveStmts := timeline("hive", "shop")
		if apollo == 0 && hive == 0 {
			continue
		}
		oneFloor, _ := timeline("", "floor")
		oneInd, _ := timeline("", "floor-ind")
		floor, _ := timeline("apollo", "floor")
		ind, _ := timeline("apollo", "floor-ind")
		if one > 0 {
			lines = append(lines, fmt.Sprintf("  %s\tone request (the hot path)\t%s\t%.2f\t\t%s\t%s\t",
				data.Name, msOr(one), oneStmts, ratio(one, oneFloor, maxShapeOverFloor), ratio(one, oneInd, 0)))
		}
		if apollo > 0 {
			lines = append(lines, fmt.Sprintf("  %s\tApollo-shaped (2 requests)\t%s\t%.2f\t\t%s\t%s\t",
				data.Name, msOr(apollo), apolloStmts, ratio(apollo, floor, maxShapeOverFloor), ratio(apollo, ind, 0)))
		}
		if hive > 0 {
			against, base := "Apollo-shaped", apollo
			if apollo == 0 {
				against, base = "one request", one
			}
			lines = append(lines, fmt.Sprintf("  %s\tHive-shaped (2 requests)\t%s\t%.2f\t%s ÷ %s\t%s\t%s\t",
				data.Name, msOr(hive), hiveStmts, ratio(hive, base, maxHiveOverApollo), against, ratio(hive, floor, maxShapeOverFloor), ratio(hive, ind, 0)))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nplan shapes: the subgraph's CPU a timeline of issue 14's query as each gateway plans it (two requests), and the hot path's one request; ÷ floor: against the floors' CPU for the same (the floors answer Apollo's plan of the timeline, and the one request)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  data\tplan\tCPU/timeline\tstatements/timeline\tHive ÷ Apollo\t÷ floor\t÷ independent floor\t")
	for _, l := range lines {
		fmt.Fprintln(tw, l)
	}
	tw.Flush()
}

// printSmall sets the subgraph's CPU a request against both floors' for the
// reps-N scenarios.
func printSmall(w io.Writer, by map[string]map[string]result, c config) {
	var lines []string
	for _, name := range c.scenarios {
		sc, err := parseScenario(name, c.tweets)
		if err != nil || !strings.HasPrefix(name, "reps-") {
			continue
		}
		rs := by[name]
		shop := rs["shop"].Max.CPU
		if shop <= 0 {
			continue
		}
		limit := maxSmall
		if sc.tweets == 1 {
			limit = maxSmallOne
		}
		lines = append(lines, fmt.Sprintf("  %d\t%s\t%s\t%s\t%s\t%s\t", sc.tweets, msOr(shop), msOr(rs["floor"].Max.CPU), msOr(rs["floor-ind"].Max.CPU),
			ratio(shop, rs["floor"].Max.CPU, limit), ratio(shop, rs["floor-ind"].Max.CPU, limit)))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nsmall requests: CPU a request by representations (mix data)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  representations\tshop\tfloor\tindependent floor\tshop ÷ floor\tshop ÷ independent floor\t")
	for _, l := range lines {
		fmt.Fprintln(tw, l)
	}
	tw.Flush()
}

func msOr(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}
