package graph

import (
	"context"
	"encoding/hex"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/loaders"
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
//     the public does not see: markPrivate);
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

// cachePolicy is one request's: what its operation allows, and what its
// resolvers found.
type cachePolicy struct {
	mu sync.Mutex
	// maxAge, private: from the operation's fields (noMaxAge: none
	// restricted it); noStore: nothing of it may be kept.
	maxAge           int64
	private, noStore bool
	// varyAuth: the answer would differ with a bearer token (Vary:
	// Authorization).
	varyAuth bool
	// invalidations name what a mutation changed, for entity caches.
	invalidations []invalidation
}

type cachePolicyKey struct{}

func withCachePolicy(ctx context.Context) (context.Context, *cachePolicy) {
	p := &cachePolicy{maxAge: noMaxAge, noStore: true}
	return context.WithValue(ctx, cachePolicyKey{}, p), p
}

func cachePolicyFrom(ctx context.Context) *cachePolicy {
	p, _ := ctx.Value(cachePolicyKey{}).(*cachePolicy)
	return p
}

// setOperation records what the operation's fields allow.
func (p *cachePolicy) setOperation(op *ast.OperationDefinition, s shape) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxAge, p.private = s.maxAge, s.private
	p.noStore = op.Operation != ast.Query
}

// markPrivate records that the request's answer depends on its bearer
// token: a shared cache must not keep it.
func markPrivate(ctx context.Context) {
	if p := cachePolicyFrom(ctx); p != nil {
		p.mu.Lock()
		p.private = true
		p.mu.Unlock()
	}
}

func (p *cachePolicy) varyAuthorization() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.varyAuth
}

// markVaryAuthorization records that the anonymous request's answer would
// differ with a bearer token: an HTTP cache must key it by Authorization.
func markVaryAuthorization(ctx context.Context) {
	if p := cachePolicyFrom(ctx); p != nil {
		p.mu.Lock()
		p.varyAuth = true
		p.mu.Unlock()
	}
}

// header returns the Cache-Control value for a response, and whether it
// may be kept at all.
func (p *cachePolicy) header(o CacheOptions, errors bool) (string, bool) {
	if p == nil {
		return "no-store", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	age := p.maxAge
	if age == noMaxAge {
		age = int64(o.DefaultMaxAge / time.Second)
	}
	age = min(age, int64(o.MaxAge/time.Second))
	if p.noStore || errors || age <= 0 {
		return "no-store", false
	}
	scope := "public"
	if p.private {
		scope = "private"
	}
	return scope + ", max-age=" + strconv.FormatInt(age, 10), true
}

// cacheHeaders is the HTTP middleware of cache control: each request gets
// its policy, and every response starts as no-store, which the response
// writer replaces for the responses of queries (responseWriter).
func cacheHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, _ := withCachePolicy(r.Context())
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// setCacheHeaders sets a GraphQL response's Cache-Control, Vary and, for a
// GET, ETag; it reports true when the client's If-None-Match matches, and
// the response is then 304 without a body.
func (o CacheOptions) setCacheHeaders(w http.ResponseWriter, r *http.Request, resp *graphql.Response, parts [3][]byte, vary []string) (notModified bool) {
	traced := r.Header.Get(traceHeader) != ""
	value, cacheable := cachePolicyFrom(r.Context()).header(o, len(resp.Errors) > 0)
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
	if p := cachePolicyFrom(r.Context()); p != nil && p.varyAuthorization() {
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

// invalidation is an entry of a mutation response's
// extensions.invalidation, as Apollo Router's entity cache reads it: the
// entity of type typ with key id, in subgraph, changed.
type invalidation struct {
	Kind     string            `json:"kind"`
	Subgraph string            `json:"subgraph"`
	Type     string            `json:"type"`
	Key      map[string]string `json:"key"`
}

// invalidate records that the mutation changed the entity typ with id.
func invalidate(ctx context.Context, typ, id string) {
	p := cachePolicyFrom(ctx)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	inv := invalidation{Kind: "entity", Type: typ, Key: map[string]string{"id": id}}
	if !slices.ContainsFunc(p.invalidations, func(i invalidation) bool { return i.Type == typ && i.Key["id"] == id }) {
		p.invalidations = append(p.invalidations, inv)
	}
}

// cacheExtensions is a response middleware: it adds, to a mutation's
// response, the invalidation of the entities it changed, and to the
// response of a query with one _entities field, each entity's cache tags
// (apolloEntityCacheTags, Apollo Router's response cache): its own, and
// the shop it shows, so that one shop's change can be purged from every
// profile and tweet showing it.
func cacheExtensions(subgraph string) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || !graphql.HasOperationContext(ctx) {
			return resp
		}
		opCtx := graphql.GetOperationContext(ctx)
		if opCtx.Operation == nil {
			return resp
		}
		if p := cachePolicyFrom(ctx); p != nil && len(p.invalidations) > 0 {
			p.mu.Lock()
			invs := slices.Clone(p.invalidations)
			p.mu.Unlock()
			for i := range invs {
				invs[i].Subgraph = subgraph
			}
			setExtension(resp, "invalidation", invs)
		}
		if opCtx.Operation.Operation == ast.Query && len(resp.Errors) == 0 {
			if tags, ok := entityCacheTags(ctx, opCtx); ok {
				setExtension(resp, "apolloEntityCacheTags", tags)
			}
		}
		return resp
	}
}

func setExtension(resp *graphql.Response, key string, v any) {
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions[key] = v
}

// entityCacheTags returns the cache tags of each entity of the operation's
// one _entities field, in the order of its representations: shop-ID,
// product-ID, profile-ID; a profile or tweet also has the tag of the shop
// it shows. It reads what the request loaded; it loads nothing.
func entityCacheTags(ctx context.Context, opCtx *graphql.OperationContext) ([][]string, bool) {
	fields := graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, implementorsOf["Query"])
	if len(fields) != 1 || fields[0].Name != "_entities" {
		return nil, false
	}
	reps, ok := entityRepresentations(ctx, opCtx, fields[0])
	if !ok {
		return nil, false
	}
	l := loaders.For(ctx)
	tags := make([][]string, len(reps))
	shopTag := func(owner any, p placement) []string {
		id, err := graphql.UnmarshalID(owner)
		if err != nil || owner == nil {
			return nil
		}
		if s, cached, err := l.ShopByOwner.Cached(ctx, id); cached && err == nil && s != nil {
			if ok, _ := showing(ctx, s, p); !ok {
				return nil
			}
			return []string{"shop-" + formatID(s.ID)}
		}
		return nil
	}
	for i, rep := range reps {
		id, _ := graphql.UnmarshalID(rep["id"])
		t := []string{}
		switch rep["__typename"] {
		case "Shop":
			if key, ok := idKey(rep["id"]); ok {
				if s, cached, err := l.ShopByID.Cached(ctx, key); cached && err == nil && visibleShop(s) {
					t = append(t, "shop-"+id)
				}
			}
		case "Product":
			if key, ok := idKey(rep["id"]); ok {
				if p, cached, err := l.ProductByID.Cached(ctx, key); cached && err == nil && p != nil {
					t = append(t, "product-"+id, "shop-"+formatID(p.ShopID))
				}
			}
		case "Profile":
			t = append(append(t, "profile-"+id), shopTag(rep["id"], onProfile)...)
		case "Tweet":
			if author, ok := rep["author"].(map[string]any); ok {
				t = append(t, shopTag(author["id"], onTweet)...)
			}
		}
		tags[i] = t
	}
	return tags, true
}
