package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/metrics"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func openStore(t *testing.T, m *metrics.Metrics) *store.Store {
	t.Helper()
	return storetest.Open(t, store.WithObserver(m))
}

func TestMain(m *testing.M) { storetest.Main(m) }

func TestRoutes(t *testing.T) {
	m := metrics.New()
	st := openStore(t, m)
	if err := seedDemo(context.Background(), st, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(routes(st, m, slog.New(slog.DiscardHandler), serveConfig{}))
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

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := storetest.DSN(t)
	good := filepath.Join(dir, "good.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	line := `{"profileId":"7","name":"Seven","storeUrl":"https://seven.example","products":[{"sku":"S1","title":"One","url":"https://seven.example/1","image":{"url":"https://seven.example/1.jpg"},"price":"%s","currency":"USD"}]}`
	os.WriteFile(good, []byte(strings.Replace(line, "%s", "1.00", 1)+"\n"), 0o644)
	os.WriteFile(bad, []byte(strings.Replace(line, "%s", "1.00", 1)+"\n"+strings.Replace(line, "%s", "1.001", 1)+"\n"), 0o644)

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"import", "-db", db, bad}, env(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "bad.jsonl:2: products[0].price:") || !strings.Contains(stderr.String(), "nothing imported") {
		t.Fatalf("bad file: err %v, stderr %q: want a failure naming line 2's price", err, stderr.String())
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"import", "-db", db, good}, env(nil), &stdout, &stderr); err != nil {
		t.Fatalf("good file: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported") {
		t.Errorf("stdout %q", stdout.String())
	}
	if err := run(context.Background(), []string{"import", "-db", db}, env(nil), &stdout, &stderr); err == nil {
		t.Error("import with no file succeeded")
	}
	if err := run(context.Background(), []string{"frobnicate"}, env(nil), &stdout, &stderr); err == nil {
		t.Error("unknown command succeeded")
	}
}

// TestServeAndShutdown runs the real serve command on a free port with
// configuration from the environment, and stops it as SIGTERM would.
func TestServeAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	vars := map[string]string{"DATABASE_URL": storetest.DSN(t), "SHOP_ADDR": "127.0.0.1:0", "SHOP_LOG_FORMAT": "json"}
	go func() {
		err := run(ctx, nil, env(vars), io.Discard, pw)
		pw.Close()
		done <- err
	}()
	addr := make(chan string, 1)
	shuttingDown := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			if strings.Contains(sc.Text(), `"msg":"shutting down`) {
				close(shuttingDown)
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	body := `{"query":"{ shops { totalCount } }"}`
	res, err := http.Post(base+"/query", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if want := `{"data":{"shops":{"totalCount":4}}}`; string(b) != want {
		t.Errorf("demo data: got %s, want %s", b, want)
	}
	if m := getMetrics(t, base); !strings.Contains(m, "go_sql_open_connections{db_name=") {
		t.Errorf("/metrics lacks the connection pools' statistics")
	}

	// A request in flight when SIGTERM comes still completes: its body is
	// still arriving when shutdown starts.
	bodyR, bodyW := io.Pipe()
	inFlight := make(chan *http.Response, 1)
	go func() {
		res, err := http.Post(base+"/query", "application/json", bodyR)
		if err != nil {
			t.Errorf("request in flight: %v", err)
		}
		inFlight <- res
	}()
	io.WriteString(bodyW, `{"query":"{ shops `)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(getMetrics(t, base), "shop_http_requests_in_flight 1"); {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the handler")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-shuttingDown:
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown log line")
	}
	io.WriteString(bodyW, `{ totalCount } }"}`)
	bodyW.Close()
	if res := <-inFlight; res != nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := `{"data":{"shops":{"totalCount":4}}}`; string(b) != want {
			t.Errorf("request in flight during shutdown: %d %s, want %s", res.StatusCode, b, want)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-seed", "lots"}, {"-log-format", "xml"}, {"-nope"}, {"extra"}, {"-max-depth", "0"}, {"-request-timeout", "soon"}} {
		if err := run(context.Background(), append([]string{"serve"}, args...), env(nil), io.Discard, io.Discard); err == nil {
			t.Errorf("serve %v succeeded", args)
		}
	}
	for k, v := range map[string]string{"SHOP_MAX_DEPTH": "deep", "SHOP_INTROSPECTION": "perhaps", "SHOP_REQUEST_TIMEOUT": "-1s"} {
		err := run(context.Background(), []string{"serve"}, env(map[string]string{k: v}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), k) && k != "SHOP_REQUEST_TIMEOUT" {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
}

func getMetrics(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestHelp: -h prints a command's flags and succeeds.
func TestHelp(t *testing.T) {
	for _, cmd := range []string{"serve", "import", "import-catalog", "token"} {
		var stderr bytes.Buffer
		if err := run(context.Background(), []string{cmd, "-h"}, env(nil), io.Discard, &stderr); err != nil {
			t.Errorf("%s -h: %v", cmd, err)
		}
		if !strings.Contains(stderr.String(), "-db") && !strings.Contains(stderr.String(), "-sub") {
			t.Errorf("%s -h printed %q", cmd, stderr.String())
		}
	}
}
