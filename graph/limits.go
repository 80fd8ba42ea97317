package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shop-subgraph/shop/internal/catalog"
)

// Limits bound what one request may ask of the subgraph. Zero values take
// the defaults below.
type Limits struct {
	// MaxDepth is the deepest selection an operation may have, not counting
	// introspection.
	MaxDepth int
	// MaxComplexity bounds an operation's cost: each field costs 1 plus its
	// selection, a list costs its selection times its first (or default; at
	// most the list's bound, which the field then refuses), and _entities its
	// selection times the number of representations.
	MaxComplexity int
	// MaxRepresentations bounds the representations of one _entities call.
	MaxRepresentations int
	// MaxBodyBytes bounds a request body; a larger one is refused with 413.
	MaxBodyBytes int64
	// Timeout bounds the time one request may take.
	Timeout time.Duration
	// NoIntrospection refuses __schema and __type; _service keeps working
	// for composition.
	NoIntrospection bool
}

// Default limits.
const (
	DefaultMaxDepth           = 15
	DefaultMaxComplexity      = 50_000
	DefaultMaxRepresentations = 1_000
	DefaultMaxBodyBytes       = 1 << 20
	DefaultTimeout            = 10 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxComplexity == 0 {
		l.MaxComplexity = DefaultMaxComplexity
	}
	if l.MaxRepresentations == 0 {
		l.MaxRepresentations = DefaultMaxRepresentations
	}
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.Timeout == 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// setComplexity prices lists by how many elements they may return. A first
// out of bounds is priced at the bound, so that the resolver, not the
// complexity limit, answers it with its BAD_USER_INPUT.
func setComplexity(c *ComplexityRoot) {
	size := func(first *int, def, most int) int {
		if first != nil && *first > 0 {
			return min(*first, most)
		}
		return def
	}
	c.Query.Shops = func(child int, first *int, _ *string) int {
		return 1 + child*size(first, defaultPageSize, maxPageSize)
	}
	c.Shop.Products = func(child int, first *int, _ *string) int {
		return 1 + child*size(first, defaultPageSize, maxPageSize)
	}
	c.Shop.FeaturedProducts = func(child int, first *int) int {
		return 1 + child*size(first, catalog.MaxFeatured, catalog.MaxFeatured)
	}
	c.Query.__resolve_entities = func(child int, reps []map[string]any) int { return 1 + child*len(reps) }
}

// operationPolicy is a gqlgen extension that enforces the depth limit and
// the introspection switch, and refuses @defer, on every operation before it
// runs.
type operationPolicy struct {
	maxDepth        int
	noIntrospection bool
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = operationPolicy{}

func (operationPolicy) ExtensionName() string                   { return "OperationPolicy" }
func (operationPolicy) Validate(graphql.ExecutableSchema) error { return nil }

func (p operationPolicy) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	// _service must answer even when introspection is off: the gateway
	// composes the supergraph from it. gqlgen ties it to this flag, so it
	// stays on and __schema and __type are refused here instead.
	opCtx.DisableIntrospection = false
	op := opCtx.Operation
	if op == nil {
		return nil
	}
	if p.noIntrospection {
		for _, f := range graphql.CollectFields(opCtx, op.SelectionSet, nil) {
			if f.Name == "__schema" || f.Name == "__type" {
				return limitError("introspection is disabled on this server")
			}
		}
	}
	d, deferred := depth(opCtx.Doc.Fragments, op.SelectionSet, opCtx.Variables, map[string]bool{})
	if d > p.maxDepth {
		return limitError(fmt.Sprintf("operation is %d levels deep, more than the limit of %d", d, p.maxDepth))
	}
	// gqlparser knows @defer, and gqlgen would run it, but this subgraph's
	// transports answer with one response: the deferred part would be
	// dropped, its fields left null without an error. A gateway never sends
	// @defer to a subgraph (it plans deferred parts as fetches of their own).
	if deferred {
		return limitError("@defer is not supported: this subgraph answers every operation in one response; ask without it")
	}
	return nil
}

// depth is how deep a selection set goes, following fragments; introspection
// fields do not count. deferred is whether a fragment in it is deferred
// (isDeferred). visiting guards against fragment cycles, which validation has
// already rejected.
func depth(fragments ast.FragmentDefinitionList, set ast.SelectionSet, vars map[string]any, visiting map[string]bool) (deepest int, deferred bool) {
	for _, sel := range set {
		var d int
		var def bool
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" {
				continue
			}
			d, def = depth(fragments, s.SelectionSet, vars, visiting)
			d++
		case *ast.InlineFragment:
			d, def = depth(fragments, s.SelectionSet, vars, visiting)
			def = def || isDeferred(s.Directives, vars)
		case *ast.FragmentSpread:
			if visiting[s.Name] {
				continue
			}
			if f := fragments.ForName(s.Name); f != nil {
				visiting[s.Name] = true
				d, def = depth(fragments, f.SelectionSet, vars, visiting)
				delete(visiting, s.Name)
			}
			def = def || isDeferred(s.Directives, vars)
		}
		deepest = max(deepest, d)
		deferred = deferred || def
	}
	return deepest, deferred
}

// isDeferred reports whether directives defer their fragment: @defer, unless
// its if argument is false.
func isDeferred(directives ast.DirectiveList, vars map[string]any) bool {
	d := directives.ForName("defer")
	if d == nil {
		return false
	}
	on, ok := d.ArgumentMap(vars)["if"].(bool)
	return on || !ok
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": CodeBadUserInput}}
}

// limitHTTP bounds a request's body and duration. A body over the limit is
// refused with 413 before GraphQL sees it.
func limitHTTP(maxBody int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxBody), CodeBadUserInput)
				return
			}
			if err != nil {
				writeJSONError(w, http.StatusBadRequest, "could not read the request body", CodeBadUserInput)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// timeoutGuard answers "request timed out" when the request's time ran out
// before its operation could start, where gqlgen would answer with an empty
// response. Once the operation runs, a deadline reaches the resolvers through
// their context and the error presenter reports it.
func timeoutGuard(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{
			{Message: "request timed out", Extensions: map[string]any{"code": CodeInternal}},
		}})
	}
	return next(ctx)
}

// writeJSONError answers with a GraphQL-shaped error outside of gqlgen.
func writeJSONError(w http.ResponseWriter, status int, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{&gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}}})
}
