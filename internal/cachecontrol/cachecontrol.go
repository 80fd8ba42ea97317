// Package cachecontrol is one request's cache policy (SPEC §9): what its
// operation allows a cache to keep, and what its resolvers found while
// answering. The HTTP edge (internal/gqlhttp) puts a Policy in each
// request's context, records what the operation's fields allow before it
// runs, and turns the Policy into the response's Cache-Control and Vary
// headers; the GraphQL layer (graph) records what only answering shows (an
// owner's preview, the entities a mutation changed).
//
// Every recording function does nothing when the context has no Policy, and
// a missing Policy reads as no-store: nothing is cached that was not
// decided.
package cachecontrol

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"
)

// NoMaxAge is the max-age of an operation none of whose fields restricts
// it: the default max-age applies.
const NoMaxAge = -1

// Policy is one request's cache policy. Its zero value is not used; a
// request gets one from NewContext.
type Policy struct {
	mu sync.Mutex
	// maxAge, private: from the operation's fields (NoMaxAge: none
	// restricted it); noStore: nothing of it may be kept.
	maxAge           int64
	private, noStore bool
	// varyAuth: the answer would differ with a bearer token (Vary:
	// Authorization).
	varyAuth bool
	// invalidations name what a mutation changed, for entity caches.
	invalidations []Invalidation
}

type policyKey struct{}

// NewContext returns ctx with a new Policy, no-store until SetOperation
// says otherwise.
func NewContext(ctx context.Context) (context.Context, *Policy) {
	p := &Policy{maxAge: NoMaxAge, noStore: true}
	return context.WithValue(ctx, policyKey{}, p), p
}

// From returns the request's Policy, or nil.
func From(ctx context.Context) *Policy {
	p, _ := ctx.Value(policyKey{}).(*Policy)
	return p
}

// SetOperation records what the operation's fields allow: a query may be
// kept for maxAge seconds (NoMaxAge: the default), by private caches only
// when private; anything else may not be kept.
func (p *Policy) SetOperation(query bool, maxAge int64, private bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.maxAge, p.private = maxAge, private
	p.noStore = !query
}

// MarkPrivate records that the request's answer depends on its bearer
// token: a shared cache must not keep it.
func MarkPrivate(ctx context.Context) {
	if p := From(ctx); p != nil {
		p.mu.Lock()
		p.private = true
		p.mu.Unlock()
	}
}

// MarkVaryAuthorization records that the anonymous request's answer would
// differ with a bearer token: an HTTP cache must key it by Authorization.
func MarkVaryAuthorization(ctx context.Context) {
	if p := From(ctx); p != nil {
		p.mu.Lock()
		p.varyAuth = true
		p.mu.Unlock()
	}
}

// VaryAuthorization reports whether MarkVaryAuthorization was called.
func (p *Policy) VaryAuthorization() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.varyAuth
}

// Header returns the Cache-Control value for a response, and whether it may
// be kept at all: the operation's max-age (defaultMaxAge when no field
// restricted it), at most maxAge; no-store for errors, for a max-age of 0,
// for anything but a query, and without a Policy.
func (p *Policy) Header(defaultMaxAge, maxAge time.Duration, errors bool) (string, bool) {
	if p == nil {
		return "no-store", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	age := p.maxAge
	if age == NoMaxAge {
		age = int64(defaultMaxAge / time.Second)
	}
	age = min(age, int64(maxAge/time.Second))
	if p.noStore || errors || age <= 0 {
		return "no-store", false
	}
	scope := "public"
	if p.private {
		scope = "private"
	}
	return scope + ", max-age=" + strconv.FormatInt(age, 10), true
}

// Invalidation is an entry of a mutation response's
// extensions.invalidation, as Apollo Router's entity cache reads it: the
// entity of type Type with key Key, in Subgraph, changed.
type Invalidation struct {
	Kind     string            `json:"kind"`
	Subgraph string            `json:"subgraph"`
	Type     string            `json:"type"`
	Key      map[string]string `json:"key"`
}

// Invalidate records that the mutation changed the entity typ with id.
func Invalidate(ctx context.Context, typ, id string) {
	p := From(ctx)
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.ContainsFunc(p.invalidations, func(i Invalidation) bool { return i.Type == typ && i.Key["id"] == id }) {
		p.invalidations = append(p.invalidations, Invalidation{Kind: "entity", Type: typ, Key: map[string]string{"id": id}})
	}
}

// Invalidations returns what Invalidate recorded, in subgraph.
func (p *Policy) Invalidations(subgraph string) []Invalidation {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.invalidations)
	for i := range out {
		out[i].Subgraph = subgraph
	}
	return out
}
