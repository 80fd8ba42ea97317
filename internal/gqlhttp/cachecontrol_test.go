package gqlhttp_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/graphtest"
)

// TestCacheControlBounds: -cache-max-age bounds every response, 0 caches
// nothing; -cache-default-max-age gives unhinted fields their max-age.
func TestCacheControlBounds(t *testing.T) {
	const q = `{ shop(id: "1") { name } }`
	for _, tt := range []struct {
		name string
		opt  func(*gqlhttp.Options)
		want string
	}{
		{"bounded", graphtest.WithCache(time.Minute), "public, max-age=60"},
		{"off", graphtest.WithCache(0), "no-store"},
		{"a default for unhinted fields", func(o *gqlhttp.Options) {
			o.Cache = gqlhttp.CacheOptions{MaxAge: time.Hour, DefaultMaxAge: 30 * time.Second}
		}, "public, max-age=30"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := graphtest.NewServer(t, tt.opt)
			query := q
			if tt.name == "a default for unhinted fields" {
				query = `{ shop(id: "1") { name } _service { sdl } }`
			}
			_, _, h := s.PostRaw(t, nil, query, nil)
			if got := h.Get("Cache-Control"); got != tt.want {
				t.Errorf("Cache-Control %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCacheVary: where the rollout rules restrict a dimension, the answer
// depends on the viewer's header for it, and Vary says so.
func TestCacheVary(t *testing.T) {
	for i, s := range graphtest.BothPaths(t, graphtest.WithRollout(t, "US", "", "ios", ""), graphtest.WithCache(time.Hour)) {
		_, _, h := s.PostRaw(t, map[string]string{"X-Viewer-Country": "US", "X-Client-Platform": "ios"},
			`query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { shop { name } } } }`, map[string]any{"r": []any{graphtest.ProfileRep("2001")}})
		if got, want := h.Values("Vary"), []string{"X-Viewer-Country", "X-Client-Platform"}; !slices.Equal(got, want) {
			t.Errorf("server %d: Vary %q, want %q", i, got, want)
		}
	}
}

// TestCacheETag: a GET query's response has an ETag; the same request
// with If-None-Match gets 304 and no body.
func TestCacheETag(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithCache(time.Hour))
	u := s.URL + "?query=" + url.QueryEscape(`{ shop(id: "1") { name } }`)
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || etag == "" {
		t.Fatalf("status %d, ETag %q", res.StatusCode, etag)
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("If-None-Match", etag)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}
}
