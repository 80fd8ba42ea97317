package gqlhttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
)

type rawAnswer struct {
	status int
	body   string
	header http.Header
}

func rawPost(t *testing.T, url, body string, headers map[string]string) rawAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return rawAnswer{res.StatusCode, string(out), res.Header}
}

func sameAnswer(t *testing.T, what string, got, want rawAnswer) {
	t.Helper()
	if got.status != want.status || got.body != want.body {
		t.Errorf("%s: %d %s\nwant (gqlgen): %d %s", what, got.status, got.body, want.status, want.body)
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "Vary", "ETag"} {
		if g, w := got.header.Values(h), want.header.Values(h); !slices.Equal(g, w) {
			t.Errorf("%s: %s %q, gqlgen %q", what, h, g, w)
		}
	}
}

// TestDirectEntryAgainstExecutor (from an independent review of the entry):
// a document is put in the parsed-query
// cache by an ordinary request; then the probe request goes to the server
// with the direct entry and to one with NoDirectPath (gqlgen only), and to
// a fresh direct server where the document is not cached (gqlgen answers
// it there too). The answers must be the same.
func TestDirectEntryAgainstExecutor(t *testing.T) {
	opts := []func(*gqlhttp.Options){graphtest.WithCache(time.Hour), graphtest.WithRollout(t, "US", "en", "ios", ""), graphtest.WithTokens(t)}
	servers := graphtest.BothPaths(t, opts...)
	direct, executor := servers[0], servers[1]
	const q = `query Q($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Profile { id shop { name featuredProducts { sku } } } ... on Tweet { id shop { name } } ... on Shop { name } ... on Product { sku } } }`
	qj, _ := json.Marshal(q)
	reps := `[{"__typename":"Profile","id":"2001"},{"__typename":"Tweet","id":"t1","author":{"id":"2002"}},{"__typename":"Profile","id":2004},{"__typename":"Shop","id":"1"},{"__typename":"Product","id":1}]`
	body := `{"query":` + string(qj) + `,"variables":{"r":` + reps + `}}`
	us := map[string]string{"X-Viewer-Country": "US"}
	for _, tt := range []struct {
		name    string
		body    string
		headers map[string]string
	}{
		{"plain", body, us},
		{"Content-Type with a parameter mime cannot parse", body, map[string]string{"X-Viewer-Country": "US", "Content-Type": "application/json; charset"}},
		{"Content-Type application/json;;", body, map[string]string{"X-Viewer-Country": "US", "Content-Type": "application/json;;"}},
		{"extensions {}", strings.TrimSuffix(body, "}") + `,"extensions":{}}`, us},
		{"extensions null", strings.TrimSuffix(body, "}") + `,"extensions":null}`, us},
		{"operationName null", strings.TrimSuffix(body, "}") + `,"operationName":null}`, us},
		{"operationName Q", strings.TrimSuffix(body, "}") + `,"operationName":"Q"}`, us},
		{"duplicate variables", strings.TrimSuffix(body, "}") + `,"variables":{"r":[{"__typename":"Profile","id":"2002"}]}}`, us},
		{"unicode id", `{"query":` + string(qj) + `,"variables":{"r":[{"__typename":"Profile","id":"\u2028é\u0001<>&"}]}}`, us},
		{"number ids", `{"query":` + string(qj) + `,"variables":{"r":[{"__typename":"Profile","id":2001.0},{"__typename":"Profile","id":1e3},{"__typename":"Shop","id":1.5},{"__typename":"Product","id":-1}]}}`, us},
		{"Accept weird", body, map[string]string{"X-Viewer-Country": "US", "Accept": "application/graphql-response+json;q=0, application/json"}},
		{"owner", body, map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2004")}},
		{"bad token", body, map[string]string{"Authorization": "Bearer x"}},
		{"other country", body, map[string]string{"X-Viewer-Country": "FR"}},
		{"all rollout headers", body, map[string]string{"X-Viewer-Country": "us", "Accept-Language": "en-GB,fr;q=0.5", "X-Client-Platform": "IOS"}},
		{"all rollout headers, owner", body, map[string]string{"X-Viewer-Country": "US", "Accept-Language": "de", "X-Client-Platform": "ios", "Authorization": "Bearer " + graphtest.Token(t, "2004")}},
		{"owner, lowercase bearer", body, map[string]string{"Authorization": "bearer " + graphtest.Token(t, "2004")}},
		{"Tweet without author", `{"query":` + string(qj) + `,"variables":{"r":[{"__typename":"Tweet","id":"t1"},{"__typename":"Profile","id":"2001"}]}}`, us},
		{"empty Apollo trace header", body, map[string]string{"X-Viewer-Country": "US", "Apollo-Federation-Include-Trace": "FTV1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Put the document in both servers' caches.
			direct0 := rawPost(t, direct.URL, body, us)
			exec0 := rawPost(t, executor.URL, body, us)
			sameAnswer(t, "warm-up", direct0, exec0)
			fresh := graphtest.NewServer(t, opts...) // nothing cached: gqlgen answers
			want := rawPost(t, fresh.URL, tt.body, tt.headers)
			sameAnswer(t, "NoDirectPath", rawPost(t, executor.URL, tt.body, tt.headers), want)
			sameAnswer(t, "the direct entry", rawPost(t, direct.URL, tt.body, tt.headers), want)
		})
	}
}

// entityOps is observedOperations that also counts _entities calls
// (graph.EntitiesObserver), by path.
type entityOps struct {
	observedOperations
	calls [2]atomic.Int64 // executor, direct
}

func (o *entityOps) ObserveEntities(_ context.Context, direct bool) {
	i := 0
	if direct {
		i = 1
	}
	o.calls[i].Add(1)
}

// slowBatches makes every loader batch end late, once on: the request's
// deadline passes during the operation's prefetch, after its rows loaded.
type slowBatches struct{ on, before atomic.Bool }

func (*slowBatches) ObserveBatch(string, int) {}
func (s *slowBatches) StartBatch(ctx context.Context, _ string, _ int) (context.Context, func()) {
	if s.before.Load() {
		time.Sleep(300 * time.Millisecond) // the statements then run on an ended context
	}
	return ctx, func() {
		if s.on.Load() {
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// TestDeadlineDuringPrefetch: the request's time runs out while the
// operation's prefetch runs, its rows loaded or its statements failing.
// gqlgen's executor then gives no response (its transport would write
// null); both paths answer the timeout's error instead, not cacheable, and
// observe the same operations and _entities calls.
func TestDeadlineDuringPrefetch(t *testing.T) {
	for _, before := range []bool{false, true} {
		t.Run(map[bool]string{false: "rows loaded", true: "statements fail"}[before], func(t *testing.T) { deadlineDuringPrefetch(t, before) })
	}
}

func deadlineDuringPrefetch(t *testing.T, before bool) {
	slow := &slowBatches{}
	obsDirect, obsExec := &entityOps{}, &entityOps{}
	opts := func(o *gqlhttp.Options) {
		o.Loaders = slow
		o.Limits.Timeout = 200 * time.Millisecond
		o.Cache.MaxAge = time.Hour
		if o.NoDirectPath {
			o.Operations = obsExec
		} else {
			o.Operations = obsDirect
		}
	}
	servers := graphtest.BothPaths(t, opts)
	direct, executor := servers[0], servers[1]
	const q = `query Q($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { id shop { name } } } }`
	qj, _ := json.Marshal(q)
	body := `{"query":` + string(qj) + `,"variables":{"r":[{"__typename":"Profile","id":"2001"}]}}`
	// Cache the document on both (a fresh request's loaders each time).
	sameAnswer(t, "warm-up", rawPost(t, direct.URL, body, nil), rawPost(t, executor.URL, body, nil))
	slow.on.Store(!before)
	slow.before.Store(before)
	want := rawPost(t, executor.URL, body, nil)
	got := rawPost(t, direct.URL, body, nil)
	sameAnswer(t, "the direct entry, deadline passed during the prefetch", got, want)
	if !slices.Equal(obsDirect.ops, obsExec.ops) {
		t.Errorf("operations observed: %q with the direct entry, %q through gqlgen", obsDirect.ops, obsExec.ops)
	}
	// Only the warm-up's _entities call was answered, on either server.
	if d, x := obsDirect.calls[0].Load()+obsDirect.calls[1].Load(), obsExec.calls[0].Load()+obsExec.calls[1].Load(); d != 1 || x != 1 {
		t.Errorf("_entities calls observed: %d with the direct entry, %d through gqlgen; want the warm-up's", d, x)
	}
	if !strings.Contains(want.body, `"request timed out"`) {
		t.Errorf("gqlgen answered %d %s, want the timeout's error", want.status, want.body)
	}
}
