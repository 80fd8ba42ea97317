package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func printReport(w io.Writer, rep report, c config) {
	fmt.Fprintf(w, "\nmachine: %s\ndataset: %s\nload:    %s\n", rep.Machine, rep.Dataset, rep.Load)
	by := map[string]map[string]result{}
	for _, r := range rep.Results {
		if by[r.Scenario] == nil {
			by[r.Scenario] = map[string]result{}
		}
		by[r.Scenario][r.Target] = r
	}
	for _, sc := range c.scenarios {
		rs := by[sc]
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nscenario %s\n", sc)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\tmax req/s\tCPU/req\tCPU/req ÷ floor\tfloor req/s ÷ target's\tp50 @ half\tp99 @ half\terrors\tstatements/req\t")
		floor, hasFloor := rs["floor"]
		for _, name := range c.targets {
			r, ok := rs[name]
			if !ok {
				continue
			}
			cost, thr := "-", "-"
			if hasFloor && floor.Max.CPU > 0 && r.Max.Throughput > 0 {
				cost = fmt.Sprintf("%.2f×", float64(r.Max.CPU)/float64(floor.Max.CPU))
				thr = fmt.Sprintf("%.2f×", floor.Max.Throughput/r.Max.Throughput)
			}
			stmts := fmt.Sprintf("%.2f / %.2f", r.Max.Statements, r.Half.Statements)
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n", name, r.Max.Throughput, ms(r.Max.CPU), cost, thr,
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
