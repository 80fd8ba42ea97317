package dataset_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
)

// The benchmark compares runs: the same data every time.
func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, _, err := dataset.WriteShops(&a, dataset.Default); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dataset.WriteShops(&b, dataset.Default); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the default dataset differ")
	}
	x := dataset.Timelines(dataset.Default, dataset.Mix, 3, 100)
	y := dataset.Timelines(dataset.Default, dataset.Mix, 3, 100)
	for i := range x {
		if !bytes.Equal(x[i], y[i]) {
			t.Errorf("timeline %d differs between two calls", i)
		}
	}
}

func TestShape(t *testing.T) {
	var buf bytes.Buffer
	shops, products, err := dataset.WriteShops(&buf, dataset.Default)
	if err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var l dataset.Line
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		if l.Status == "ACTIVE" {
			active++
			if len(l.Products) != 10 || len(l.Featured) != 5 {
				t.Errorf("shop of %s: %d products, %d featured; want 10 and 5", l.ProfileID, len(l.Products), len(l.Featured))
			}
		}
	}
	if active != 1000 || shops != 1050 || products != 10500 {
		t.Errorf("got %d active of %d shops, %d products; want 1000 of 1050, 10500", active, shops, products)
	}

	for _, sc := range dataset.Scenarios {
		seen := map[string]bool{}
		for i, body := range dataset.Timelines(dataset.Default, sc, 50, 100) {
			var req dataset.Request
			if err := json.Unmarshal(body, &req); err != nil {
				t.Fatal(err)
			}
			if seen[string(body)] {
				t.Errorf("%s: timeline %d repeats an earlier one", sc.Name, i)
			}
			seen[string(body)] = true
			merchants, authors := 0, map[string]bool{}
			for _, r := range req.Variables.Representations {
				var n int
				for _, c := range r.Author.ID {
					n = n*10 + int(c-'0')
				}
				if dataset.Default.Merchant(n - 100000) {
					merchants++
				}
				authors[r.Author.ID] = true
			}
			want := int(sc.MerchantShare * 100)
			if len(req.Variables.Representations) != 100 || merchants != want {
				t.Errorf("%s: timeline %d has %d tweets, %d by merchants; want 100, %d", sc.Name, i, len(req.Variables.Representations), merchants, want)
			}
			if sc.Distinct && len(authors) != 100 {
				t.Errorf("%s: timeline %d has %d distinct authors, want 100", sc.Name, i, len(authors))
			}
		}
	}
}

// TestGatewayPlans: the benchmark sends the operations the gateways send,
// which the e2e suite checks are the ones docs/gateway.md shows.
func TestGatewayPlans(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/gateway.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{dataset.ApolloTweetsQuery, dataset.ApolloAuthorsQuery, dataset.HiveTweetsQuery, dataset.HiveShopsQuery} {
		if !bytes.Contains(doc, []byte(q)) {
			t.Errorf("docs/gateway.md does not show %s", q)
		}
	}
	bodies := dataset.ApolloTimelines(dataset.Default, dataset.Mix, 2, 10)
	if len(bodies) != 4 {
		t.Fatalf("%d bodies, want two a timeline", len(bodies))
	}
	for i, body := range bodies {
		var req struct {
			Query     string
			Variables struct {
				Representations []map[string]any
			}
		}
		if err := json.Unmarshal(body, &req); err != nil || len(req.Variables.Representations) != 10 {
			t.Fatalf("%v: %s", err, body)
		}
		want := map[bool]string{true: "Tweet", false: "Profile"}[i%2 == 0]
		for _, r := range req.Variables.Representations {
			if r["__typename"] != want {
				t.Errorf("request %d carries %v, want %s representations (one a tweet)", i, r, want)
			}
		}
	}
}
