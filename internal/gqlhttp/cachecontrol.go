package gqlhttp

import (
	"encoding/hex"
	"hash/fnv"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/rollout"
)

// Every response tells gateways and clients what they may cache, in its
// Cache-Control header (SPEC §9), by Apollo's rules, the same on both
// execution paths:
//   - a query's max-age is the least of its fields' (@cacheControl in the
//     schema: a field's hint, else its type's; root fields and fields of
//     object type without one take CacheOptions.DefaultMaxAge; scalars
//     inherit), worked out with the other checks before the operation runs
//     (operationPolicy), at most CacheOptions.MaxAge;
//   - it is private when a field says PRIVATE (myShop, insights) or when
//     the answer turned on the bearer token (an owner's preview of a shop
//     the public does not see: graph's shown);
//   - no-store for a max-age of 0, mutations, responses with errors and
//     traced requests;
//   - Vary names the viewer headers the rollout rules read, when they
//     restrict a dimension, and Authorization when an anonymous answer
//     hides a shop its owner would see as a preview;
//   - a GET query's response has an ETag, and If-None-Match answers 304.
// Responses this package writes itself (refusals) are no-store.

// CacheOptions configures the Cache-Control header.
type CacheOptions struct {
	// DefaultMaxAge is the max-age of a root field or a field of object
	// type that no hint covers (Apollo's defaultMaxAge).
	DefaultMaxAge time.Duration
	// MaxAge bounds every response's max-age; 0 caches nothing.
	MaxAge time.Duration
	// Subgraph is the name the gateway knows this subgraph by, for the
	// cache invalidations of mutations.
	Subgraph string
}

// Defaults of CacheOptions.
const (
	DefaultCacheMaxAge = 5 * time.Minute
	DefaultSubgraph    = "shop"
)

// setCacheHeaders sets a GraphQL response's Cache-Control, Vary and, for a
// GET, ETag; it reports true when the client's If-None-Match matches, and
// the response is then 304 without a body.
func (o CacheOptions) setCacheHeaders(w http.ResponseWriter, r *http.Request, policy *cachecontrol.Policy, resp *graphql.Response, parts [3][]byte, vary []string) (notModified bool) {
	traced := r.Header.Get(traceHeader) != ""
	value, cacheable := policy.Header(o.DefaultMaxAge, o.MaxAge, len(resp.Errors) > 0)
	if traced {
		value, cacheable = "no-store", false
	}
	h := w.Header()
	h.Set("Cache-Control", value)
	if !cacheable {
		return false
	}
	for _, v := range vary {
		h.Add("Vary", v)
	}
	if policy.VaryAuthorization() {
		h.Add("Vary", "Authorization")
	}
	if r.Method != http.MethodGet {
		return false
	}
	sum := fnv.New128a()
	for _, part := range parts {
		sum.Write(part)
	}
	etag := `"` + hex.EncodeToString(sum.Sum(nil)) + `"`
	h.Set("ETag", etag)
	return etagMatches(r.Header.Get("If-None-Match"), etag)
}

// etagMatches reports whether an If-None-Match value names etag (weak
// comparison, as RFC 9110 has it for If-None-Match).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// varyHeaders are the request headers the rollout rules read, for the
// dimensions they restrict: their answer depends on them.
func varyHeaders(r rollout.Rules) []string {
	var out []string
	if len(r.Countries) > 0 {
		out = append(out, rollout.HeaderCountry)
	}
	if len(r.Languages) > 0 {
		out = append(out, rollout.HeaderLanguage)
	}
	if len(r.Platforms) > 0 {
		out = append(out, rollout.HeaderPlatform)
	}
	return out
}
