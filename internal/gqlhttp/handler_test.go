package gqlhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
	"github.com/shop-subgraph/shop/internal/store"
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

// slowStatements is a store observer that makes every statement last at
// least its delay, once armed.
type slowStatements struct {
	armed atomic.Bool
	delay time.Duration
}

func (s *slowStatements) ObserveQuery(context.Context, string, time.Duration, error) {
	if s.armed.Load() {
		time.Sleep(s.delay)
	}
}

// operationTimes records the durations ObserveOperation is told.
type operationTimes struct {
	mu sync.Mutex
	d  []time.Duration
}

func (o *operationTimes) ObserveOperation(_ context.Context, _ string, d time.Duration, _ []string) {
	o.mu.Lock()
	o.d = append(o.d, d)
	o.mu.Unlock()
}

// TestOperationDurationIncludesPrefetch: an operation's observed duration
// covers its statements, which the operation's prefetch runs before the
// response is executed: with each statement made to last 50 ms, the
// timeline's two make it at least 100 ms, through gqlgen and through the
// direct entry.
func TestOperationDurationIncludesPrefetch(t *testing.T) {
	slow := &slowStatements{delay: 50 * time.Millisecond}
	st := storetest.Open(t, store.WithObserver(slow))
	graphtest.LoadShops(t, st)
	ops := &operationTimes{}
	srv := httptest.NewServer(gqlhttp.NewHandler(gqlhttp.Options{Store: st, Operations: ops}))
	t.Cleanup(srv.Close)
	slow.armed.Store(true)
	// Twice: through gqlgen, then through the direct entry.
	for range 2 {
		r, err := graphtest.PostTo(srv.URL, nil, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name featuredProducts { sku } } } } }`,
			map[string]any{"r": []any{graphtest.ProfileRep("2001")}})
		if err != nil || len(r.Errors) > 0 {
			t.Fatalf("%v %+v", err, r.Errors)
		}
	}
	if len(ops.d) != 2 || min(ops.d[0], ops.d[1]) < 2*slow.delay {
		t.Errorf("observed %v, want two durations of at least %v (two statements each)", ops.d, 2*slow.delay)
	}
}
