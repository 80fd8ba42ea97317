package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/storetest"
)

// TestServeAndShutdown runs the real serve command on a free port with
// configuration from the environment, and stops it as SIGTERM would.
func TestServeAndShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	vars := map[string]string{"DATABASE_URL": storetest.DSN(t), "SHOP_ADDR": "127.0.0.1:0", "SHOP_LOG_FORMAT": "json"}
	go func() {
		err := Run(ctx, nil, env(vars), io.Discard, pw)
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
		if err := Run(context.Background(), append([]string{"serve"}, args...), env(nil), io.Discard, io.Discard); err == nil {
			t.Errorf("serve %v succeeded", args)
		}
	}
	for k, v := range map[string]string{"SHOP_MAX_DEPTH": "deep", "SHOP_INTROSPECTION": "perhaps", "SHOP_REQUEST_TIMEOUT": "-1s"} {
		err := Run(context.Background(), []string{"serve"}, env(map[string]string{k: v}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), k) && k != "SHOP_REQUEST_TIMEOUT" {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
}

// startServe runs the serve command with vars and returns its base URL and
// its log lines (JSON) up to "serving".
func startServe(t *testing.T, vars map[string]string) (string, []map[string]any) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	if vars["DATABASE_URL"] == "" {
		vars["DATABASE_URL"] = storetest.DSN(t)
	}
	vars["SHOP_ADDR"] = "127.0.0.1:0"
	vars["SHOP_LOG_FORMAT"] = "json"
	go func() {
		err := Run(ctx, nil, env(vars), io.Discard, pw)
		pw.Close()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	logs := make(chan []map[string]any, 1)
	go func() {
		var lines []map[string]any
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l map[string]any
			json.Unmarshal(sc.Bytes(), &l)
			lines = append(lines, l)
			if l["msg"] == "serving" {
				logs <- lines
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case lines := <-logs:
		return "http://" + lines[len(lines)-1]["addr"].(string), lines
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

func graphQL(t *testing.T, base, token, query string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	return postQuery(t, base, token, string(body))
}

// postQuery posts body to /query, with token as the bearer token when it is
// set, and returns the response's body.
func postQuery(t *testing.T, base, token, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
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

// TestServeAPQ: SHOP_APQ_CACHE_SIZE=0 (-apq-cache-size 0) turns automatic
// persisted queries off, though the GraphQL handler reads a 0 size as its
// default; by default a registered query is kept.
func TestServeAPQ(t *testing.T) {
	query := `{ shops(first: 1) { nodes { name } } }`
	ext := fmt.Sprintf(`"extensions":{"persistedQuery":{"version":1,"sha256Hash":"%x"}}`, sha256.Sum256([]byte(query)))
	for _, tt := range []struct {
		size string
		kept bool
	}{{"", true}, {"0", false}} {
		base, _ := startServe(t, map[string]string{"SHOP_APQ_CACHE_SIZE": tt.size})
		postQuery(t, base, "", `{"query":`+strconv.Quote(query)+`,`+ext+`}`)
		if got := postQuery(t, base, "", `{`+ext+`}`); strings.Contains(got, `"Acme Outdoor"`) != tt.kept {
			t.Errorf("SHOP_APQ_CACHE_SIZE=%q: the hash alone after the query gave %s; want the query kept: %v", tt.size, got, tt.kept)
		}
	}
}
