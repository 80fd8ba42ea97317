package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
)

// scenario is a -scenarios entry: whose tweets (data), how many a request,
// and whether the request is the hot path's one request (mix, worst), or
// issue 14's timeline as Apollo Gateway plans it (apollo: two requests) or
// as Hive Gateway does (hive: two requests, the second built from the
// first's answer).
type scenario struct {
	name   string
	data   dataset.Scenario
	tweets int
	apollo bool
	hive   bool
}

// parseScenario reads "mix", "worst", "apollo-mix", "apollo-worst",
// "hive-mix", "hive-worst" or "reps-N".
func parseScenario(name string, tweets int) (scenario, error) {
	sc := scenario{name: name, tweets: tweets}
	base := name
	if n, ok := strings.CutPrefix(name, "reps-"); ok {
		k, err := strconv.Atoi(n)
		if err != nil || k < 1 {
			return sc, fmt.Errorf("scenario %q: want reps-N, N ≥ 1", name)
		}
		sc.tweets, base = k, dataset.Mix.Name
	} else if b, ok := strings.CutPrefix(name, "hive-"); ok {
		sc.hive, base = true, b
	} else if b, ok := strings.CutPrefix(name, "apollo-"); ok {
		sc.apollo, base = true, b
	}
	i := slices.IndexFunc(dataset.Scenarios, func(s dataset.Scenario) bool { return s.Name == base })
	if i < 0 {
		return sc, fmt.Errorf("unknown scenario %q", name)
	}
	sc.data = dataset.Scenarios[i]
	return sc, nil
}

// perTimeline is how many requests make one timeline.
func (sc scenario) perTimeline() int {
	if sc.hive || sc.apollo {
		return 2
	}
	return 1
}

// runs reports whether target takes part: the floors know the hot path's
// request and Apollo Gateway's two (not Hive's), and the Node targets run
// the issue 7 scenarios only.
func (sc scenario) runs(target string) bool {
	switch target {
	case "floor", "floor-ind":
		return !sc.hive
	case "apollo", "mercurius":
		return !sc.hive && !sc.apollo && sc.name == sc.data.Name
	}
	return true
}

// hiveBodies completes Hive-shaped timelines against s, as Hive Gateway
// does: it sends each first request, and builds the second from the shops it
// returned. It returns the requests in order: first, second, first, second…
func hiveBodies(s *server, timelines []dataset.HiveTimeline) ([][]byte, error) {
	out := make([][]byte, 0, 2*len(timelines))
	for i, t := range timelines {
		res, err := http.Post("http://"+s.addr+"/query", "application/json", bytes.NewReader(t.Tweets))
		if err != nil {
			return nil, err
		}
		var body struct {
			Data struct {
				Entities []struct {
					Shop *struct{ ID string } `json:"shop"`
				} `json:"_entities"`
			} `json:"data"`
			Errors []any `json:"errors"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK || len(body.Errors) > 0 {
			return nil, fmt.Errorf("the Hive-shaped timeline %d, first request: status %d, %v %v", i, res.StatusCode, err, body.Errors)
		}
		var ids []string
		for _, e := range body.Data.Entities {
			if e.Shop != nil && !slices.Contains(ids, e.Shop.ID) {
				ids = append(ids, e.Shop.ID)
			}
		}
		out = append(out, t.Tweets, t.HiveShops(ids))
	}
	return out, nil
}
