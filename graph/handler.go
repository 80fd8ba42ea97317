package graph

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/apollofederatedtracingv1"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/loaders"
	"github.com/shop-subgraph/shop/internal/rollout"
	"github.com/shop-subgraph/shop/internal/store"
)

// traceHeader is how the gateway asks for a federated trace (ftv1).
const traceHeader = "Apollo-Federation-Include-Trace"

// OperationObserver is told about every GraphQL operation: its name, how long
// it took and the extensions.code of each error it returned.
type OperationObserver interface {
	ObserveOperation(name string, d time.Duration, errorCodes []string)
}

// Options configures the GraphQL handler.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Loaders and Operations receive metrics; either may be nil.
	Loaders    loaders.Observer
	Operations OperationObserver
	// QueryCacheSize is how many parsed and validated query documents are
	// kept; 0 means 1,000.
	QueryCacheSize int
	// APQCacheSize is how many automatic persisted queries are kept; 0 means
	// 1,000, negative turns APQ off.
	APQCacheSize int
	// Rollout restricts who sees Shop Modules on profiles and tweets; the
	// zero value restricts nothing.
	Rollout rollout.Rules
	// Limits bound what one request may ask.
	Limits Limits
	// Auth verifies bearer tokens for the merchant write API; nil accepts
	// none, so mutations and myShop are UNAUTHENTICATED.
	Auth *auth.Verifier
}

// NewHandler returns the GraphQL-over-HTTP handler: POST and GET, a parsed
// query cache, automatic persisted queries, federated tracing (ftv1) when the
// gateway asks for it, the limits, one error presenter, panic recovery, and
// per-request loaders.
func NewHandler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.QueryCacheSize == 0 {
		o.QueryCacheSize = 1000
	}
	if o.APQCacheSize == 0 {
		o.APQCacheSize = 1000
	}
	limits := o.Limits.withDefaults()
	cfg := Config{Resolvers: &Resolver{Store: o.Store}}
	setComplexity(&cfg.Complexity)
	es := NewExecutableSchema(cfg)
	queries := lru.New[*ast.QueryDocument](o.QueryCacheSize)
	var persisted graphql.Cache[string]
	if o.APQCacheSize > 0 {
		persisted = lru.New[string](o.APQCacheSize)
	}
	checkReps := checkRepresentations(entityTypes(es.Schema()), limits.MaxRepresentations)
	// newServer builds one gqlgen server; both share the schema and the caches.
	newServer := func(traced bool) *handler.Server {
		srv := handler.New(es)
		srv.AddTransport(transport.Options{})
		srv.AddTransport(transport.GET{})
		srv.AddTransport(transport.POST{})
		srv.SetQueryCache(queries)
		srv.Use(operationPolicy{maxDepth: limits.MaxDepth, noIntrospection: limits.NoIntrospection})
		srv.Use(extension.FixedComplexityLimit(limits.MaxComplexity))
		if persisted != nil {
			srv.Use(extension.AutomaticPersistedQuery{Cache: persisted})
		}
		if traced {
			srv.Use(&apollofederatedtracingv1.Tracer{})
		}
		srv.AroundOperations(timeoutGuard)
		srv.SetErrorPresenter(presentError(o.Logger))
		srv.SetRecoverFunc(recoverPanic(o.Logger))
		srv.AroundFields(checkReps)
		if o.Operations != nil {
			srv.AroundResponses(observeOperations(o.Operations))
		}
		return srv
	}
	// The ftv1 tracer intercepts every field of every operation, traced or
	// not (13 % of a timeline's CPU, PERFORMANCE.md), so it runs only on the
	// requests the gateway asks to trace.
	plain, traced := newServer(false), newServer(true)
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(traceHeader) == "ftv1" {
			traced.ServeHTTP(w, r)
			return
		}
		plain.ServeHTTP(w, r)
	})
	return limitHTTP(limits.MaxBodyBytes, limits.Timeout, auth.Middleware(o.Auth, rollout.Middleware(o.Rollout, loaders.Middleware(o.Store, o.Loaders, srv))))
}

func observeOperations(obs OperationObserver) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		resp := next(ctx)
		var name string
		if graphql.HasOperationContext(ctx) {
			if op := graphql.GetOperationContext(ctx).Operation; op != nil {
				name = op.Name
			}
		}
		var codes []string
		if resp != nil {
			for _, e := range resp.Errors {
				code, _ := e.Extensions["code"].(string)
				if code == "" {
					code = "UNKNOWN"
				}
				codes = append(codes, code)
			}
		}
		obs.ObserveOperation(name, time.Since(start), codes)
		return resp
	}
}

// entityTypes returns the schema's entities (types with @key), each with the
// top-level fields of its first key.
func entityTypes(s *ast.Schema) map[string][]string {
	keys := map[string][]string{}
	for name, def := range s.Types {
		if def.Kind != ast.Object {
			continue
		}
		if key := def.Directives.ForName("key"); key != nil {
			fields := key.Arguments.ForName("fields").Value.Raw
			keys[name] = strings.Fields(fields)
		}
	}
	return keys
}

// checkRepresentations refuses more than maxReps representations, and gives
// a representation with a missing or unknown __typename, or without its key
// fields, its own
// BAD_USER_INPUT error at _entities.<index> and a null entry, while the rest
// of the batch resolves. (gqlgen's runtime would report it without the
// index, as an error of the whole field.)
func checkRepresentations(keys map[string][]string, maxReps int) graphql.FieldMiddleware {
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	sort.Strings(names)
	typeList := strings.Join(names, ", ")
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc.Object != "Query" || fc.Field.Name != "_entities" {
			return next(ctx)
		}
		reps, _ := fc.Args["representations"].([]map[string]any)
		if len(reps) > maxReps {
			return nil, badUserInput("_entities takes at most %d representations a request, got %d", maxReps, len(reps))
		}
		for i, rep := range reps {
			name, _ := rep["__typename"].(string)
			key, known := keys[name]
			var problem error
			switch {
			case name == "":
				problem = badUserInput("representation %d has no __typename", i)
			case !known:
				problem = badUserInput("unknown __typename %q: this subgraph resolves %s", name, typeList)
			default:
				for _, f := range key {
					if rep[f] == nil {
						problem = badUserInput("%s representation %d lacks its key field %q", name, i, f)
						break
					}
				}
			}
			if problem == nil {
				continue
			}
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i)), problem)
			// A Shop with an id this subgraph never issues resolves to null
			// without an error, keeping the result's order and length.
			reps[i] = map[string]any{"__typename": "Shop", "id": "-"}
		}
		return next(ctx)
	}
}
