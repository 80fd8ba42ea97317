package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRoutes(t *testing.T) {
	m := metrics.New()
	st := storetest.Open(t, store.WithObserver(m))
	if err := seedDemo(context.Background(), st, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(st, m, slog.New(slog.DiscardHandler), Config{}))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		res, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, _ := get("/")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.Contains(loc, "query=") {
		t.Errorf("GET /: %d to %q, want a redirect carrying the example query", res.StatusCode, loc)
	}
	if res, body := get("/?query=x"); res.StatusCode != 200 || !strings.Contains(body, "/ide/assets/graphiql.min.") {
		t.Errorf("IDE: %d, body lacks graphiql", res.StatusCode)
	}
	if res, body := get("/healthz"); res.StatusCode != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", res.StatusCode, body)
	}
	if res, _ := get("/readyz"); res.StatusCode != 200 {
		t.Errorf("/readyz: %d, want 200", res.StatusCode)
	}
	if res, _ := get("/nope"); res.StatusCode != 404 {
		t.Errorf("/nope: %d, want 404", res.StatusCode)
	}
	if res, _ := get("/healthz"); res.Header.Get("X-Request-Id") == "" {
		t.Errorf("no X-Request-Id in the response")
	}

	// The example query the IDE opens with works on the demo data.
	for _, path := range []string{"/query", "/graphql"} {
		body, _ := json.Marshal(map[string]any{"query": exampleQuery})
		res, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Data struct {
				Entities []struct {
					ID   string
					Shop *struct {
						Name             string
						FeaturedProducts []struct{ Title string }
					}
				} `json:"_entities"`
			}
			Errors []any
		}
		json.NewDecoder(res.Body).Decode(&r)
		res.Body.Close()
		if len(r.Errors) > 0 || len(r.Data.Entities) != 2 || r.Data.Entities[0].Shop == nil || len(r.Data.Entities[0].Shop.FeaturedProducts) == 0 {
			t.Errorf("%s: example query gave %+v", path, r)
		}
	}

	_, metricsText := get("/metrics")
	for _, want := range []string{`shop_db_queries_total{query="shops_by_owner_ids"}`, `shop_graphql_operations_total{operation="ProfileCarousel",outcome="success"} 2`, "shop_loader_batch_size", `shop_http_request_duration_seconds_count{route="/query",status="200"}`} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	st.Close()
	if res, _ := get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed: %d, want 503", res.StatusCode)
	}
}
