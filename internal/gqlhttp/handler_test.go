package gqlhttp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/shop-subgraph/shop/internal/graphtest"
	"github.com/shop-subgraph/shop/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestBadRequests(t *testing.T) {
	s := graphtest.NewServer(t)
	for _, tt := range []struct{ name, query string }{
		{"syntax", `{ shops(`},
		{"unknown field", `{ shopz { nodes { id } } }`},
		{"wrong argument type", `{ shops(first: "x") { totalCount } }`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tt.query})
			res, err := http.Post(s.URL, "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var r graphtest.Response
			if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode >= 500 || len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == nil {
				t.Errorf("status %d, errors %+v: want a 4xx or 200 with a coded error", res.StatusCode, r.Errors)
			}
		})
	}
}
