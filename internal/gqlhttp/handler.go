// Package gqlhttp is the subgraph's HTTP edge: GraphQL over HTTP in front
// of gqlgen's executor. NewHandler reads the body within its bound, refuses
// what is not GraphQL over HTTP with a coded error, makes each request's
// context (deadline, cache policy, viewer, loaders), and configures gqlgen:
// its transports (writing responses without a second pass), the parsed
// query and persisted-query caches bounded in bytes, the operation checks
// (depth, fields, complexity, introspection, cache hints), the one error
// presenter, the metrics observers, and graph's Entities extension, which
// answers _entities calls. What a response may be cached for becomes its
// Cache-Control, Vary and ETag here too.
package gqlhttp

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/apollofederatedtracingv1"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/shop-subgraph/shop/graph"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/errcode"
	"github.com/shop-subgraph/shop/internal/loaders"
	"github.com/shop-subgraph/shop/internal/rollout"
	"github.com/shop-subgraph/shop/internal/store"
)

// traceHeader is how the gateway asks for a federated trace (ftv1).
const traceHeader = "Apollo-Federation-Include-Trace"

// OperationObserver is told about every GraphQL operation: its name, how long
// it took and the extensions.code of each error it returned.
type OperationObserver interface {
	ObserveOperation(ctx context.Context, name string, d time.Duration, errorCodes []string)
}

// Options configures the GraphQL handler.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Loaders and Operations receive metrics; either may be nil.
	// Operations may also implement graph.EntitiesObserver.
	Loaders    loaders.Observer
	Operations OperationObserver
	// QueryCacheSize is how many parsed and validated query documents are
	// kept, at most; QueryCacheBytes about how many bytes they may hold.
	// 0 means DefaultQueryCacheSize, DefaultQueryCacheBytes.
	QueryCacheSize  int
	QueryCacheBytes int64
	// APQCacheSize is how many automatic persisted queries are kept, at
	// most; APQCacheBytes how many bytes of query text they may hold. 0
	// means DefaultAPQCacheSize, DefaultAPQCacheBytes; APQOff turns APQ off.
	APQCacheSize  int
	APQCacheBytes int64
	APQOff        bool
	// Rollout restricts who sees Shop Modules on profiles and tweets; the
	// zero value restricts nothing.
	Rollout rollout.Rules
	// Limits bound what one request may ask.
	Limits Limits
	// Auth verifies bearer tokens for the merchant write API; nil accepts
	// none, so mutations and myShop are UNAUTHENTICATED.
	Auth *auth.Verifier
	// Cache configures the Cache-Control header and the cache hints of
	// responses (cachecontrol.go).
	Cache CacheOptions
	// NoDirectPath serves every _entities call through gqlgen's executor,
	// turning off the direct path for timelines (direct.go). The tests
	// compare the two; it is also a switch should the direct path ever be
	// suspected of answering differently.
	NoDirectPath bool
	// Tracing, when set, is installed before every other operation and root
	// field interceptor but the ftv1 tracer's, on the requests it traces:
	// internal/telemetry's operation and _entities spans.
	Tracing graphql.HandlerExtension
}

// NewHandler returns the GraphQL-over-HTTP handler: POST and GET, a parsed
// query cache, automatic persisted queries, federated tracing (ftv1) when the
// gateway asks for it, the limits, one error presenter, panic recovery, and
// per-request loaders.
func NewHandler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.QueryCacheSize = cmp.Or(o.QueryCacheSize, DefaultQueryCacheSize)
	o.QueryCacheBytes = cmp.Or(o.QueryCacheBytes, DefaultQueryCacheBytes)
	o.APQCacheSize = cmp.Or(o.APQCacheSize, DefaultAPQCacheSize)
	o.APQCacheBytes = cmp.Or(o.APQCacheBytes, DefaultAPQCacheBytes)
	limits := o.Limits.withDefaults()
	o.Cache.Subgraph = cmp.Or(o.Cache.Subgraph, DefaultSubgraph)
	vary := varyHeaders(o.Rollout)
	es := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{Store: o.Store}})
	queries := newByteCache(o.QueryCacheSize, o.QueryCacheBytes, queryWeight)
	var persisted graphql.Cache[string]
	if !o.APQOff {
		persisted = newByteCache(o.APQCacheSize, o.APQCacheBytes, func(hash, query string) int64 { return int64(len(hash) + len(query)) })
	}
	source := loaders.NewSource(o.Store, o.Loaders)
	observer, _ := o.Operations.(graph.EntitiesObserver)
	policy := operationPolicy{limits: limits, schema: es.Schema(), defaultMaxAge: int64(o.Cache.DefaultMaxAge / time.Second)}
	// The response middlewares, outermost first.
	var responses []graphql.ResponseMiddleware
	if o.Cache.MaxAge > 0 {
		// With nothing cached, there is nothing to tag or invalidate.
		responses = append(responses, graph.CacheExtensions(o.Cache.Subgraph))
	}
	if o.Operations != nil {
		responses = append(responses, observeOperations(o.Operations))
	}
	// newServer builds one gqlgen server; both share the schema and the
	// caches. Extensions and interceptors run in the order they are added.
	newServer := func(entities *graph.Entities, traced bool) *handler.Server {
		srv := handler.New(es)
		srv.AddTransport(transport.Options{})
		srv.AddTransport(rawData{Transport: transport.GET{}, cache: o.Cache, vary: vary})
		srv.AddTransport(rawData{Transport: transport.POST{}, cache: o.Cache, vary: vary})
		srv.SetQueryCache(queries)
		srv.SetParserTokenLimit(limits.MaxTokens)
		srv.SetValidationRulesFn(validationRules)
		srv.SetErrorPresenter(presentError(o.Logger))
		srv.SetRecoverFunc(recoverPanic(o.Logger))
		// First: it refuses an overlong query before the persisted-query
		// extension keeps it, and the rest of the limits before anything
		// runs.
		srv.Use(policy)
		if persisted != nil {
			srv.Use(extension.AutomaticPersistedQuery{Cache: persisted})
		}
		if traced {
			srv.Use(&apollofederatedtracingv1.Tracer{})
		}
		if o.Tracing != nil {
			srv.Use(o.Tracing) // spans around everything below
		}
		srv.AroundOperations(timeoutGuard)
		// The direct path needs no field timing, which the ftv1 tracer
		// records: traced requests take gqlgen's executor.
		srv.Use(entities)
		for _, mw := range responses {
			srv.AroundResponses(mw)
		}
		return srv
	}
	newEntities := func(traced bool) *graph.Entities {
		return &graph.Entities{Logger: o.Logger, MaxRepresentations: limits.MaxRepresentations, Observer: observer,
			NoDirectPath: traced || o.NoDirectPath}
	}
	// The ftv1 tracer intercepts every field of every operation, traced or
	// not (13 % of a timeline's CPU, PERFORMANCE.md), so it runs only on the
	// requests the gateway asks to trace.
	entities := newEntities(false)
	plain, traced := newServer(entities, false), newServer(newEntities(true), true)
	var direct *entry // with NoDirectPath, none
	if !o.NoDirectPath {
		directObserver, _ := o.Operations.(DirectObserver)
		direct = &entry{queries: queries, policy: policy, entities: entities, responses: responses,
			cache: o.Cache, vary: vary, tracing: o.Tracing != nil, logger: o.Logger, observer: directObserver}
	}
	// In front of gqlgen's handler, each step in the order it runs.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every response, refusals too, is no-store unless the transport
		// finds a query's response may be kept (cachecontrol.go).
		w.Header().Set("Cache-Control", "no-store")
		body, ok := readBody(w, r, limits.MaxBodyBytes)
		if !ok || refused(w, r) {
			return
		}
		// The request's context, made once: its deadline, its bearer
		// token's viewer, its viewer for the rollout rules, and its own
		// loaders.
		ctx, cancel := context.WithTimeout(r.Context(), limits.Timeout)
		defer cancel()
		authorization := r.Header.Get("Authorization")
		ctx = auth.NewContext(ctx, o.Auth, authorization)
		ctx = rollout.NewContext(ctx, rollout.FromRequest(r), o.Rollout)
		ctx = loaders.ForRequest(ctx, source, authorization != "")
		if direct != nil && direct.serve(ctx, w, r, body) {
			return
		}
		// gqlgen answers; the cache policy is its own, whatever the direct
		// entry found before it declined.
		ctx, _ = cachecontrol.NewContext(ctx)
		r = r.WithContext(ctx)

		srv := plain
		if r.Header.Get(traceHeader) == "ftv1" {
			srv = traced
		}
		if r.Method == http.MethodGet {
			// gqlgen's GET transport writes some errors without a code.
			c := &codedErrors{ResponseWriter: w}
			srv.ServeHTTP(c, r)
			c.finish()
			return
		}
		srv.ServeHTTP(w, r)
	})
}

// refused answers, with a coded error, the requests gqlgen's transports
// would refuse with an error that has no extensions.code: another method
// (405), a POST body that is not JSON (415). It reports whether it did.
func refused(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method {
	case http.MethodPost:
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			writeJSONError(w, http.StatusUnsupportedMediaType, "send the request as JSON, with Content-Type: application/json", errcode.BadUserInput)
			return true
		}
	case http.MethodGet, http.MethodOptions:
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		writeJSONError(w, http.StatusMethodNotAllowed, "send GraphQL requests with POST, or queries with GET", errcode.BadUserInput)
		return true
	}
	return false
}

// codedErrors holds back an error response (status 400 and up) and writes
// it with BAD_USER_INPUT on each of its errors that has no code.
type codedErrors struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *codedErrors) WriteHeader(status int) {
	if status >= 400 {
		c.status = status
		return
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *codedErrors) Write(b []byte) (int, error) {
	if c.status != 0 {
		return c.body.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *codedErrors) finish() {
	if c.status == 0 {
		return
	}
	body := c.body.Bytes()
	var resp map[string]any
	if json.Unmarshal(body, &resp) == nil {
		errs, _ := resp["errors"].([]any)
		coded := false
		for _, e := range errs {
			if e, ok := e.(map[string]any); ok {
				ext, _ := e["extensions"].(map[string]any)
				if ext == nil {
					ext = map[string]any{}
					e["extensions"] = ext
				}
				if ext["code"] == nil {
					ext["code"] = errcode.BadUserInput
					coded = true
				}
			}
		}
		if b, err := json.Marshal(resp); err == nil && coded {
			body = b
		}
	}
	c.ResponseWriter.WriteHeader(c.status)
	c.ResponseWriter.Write(body)
}

func observeOperations(obs OperationObserver) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		// From when gqlgen took the request: parsing, validation, the
		// limits and the operation's prefetch (an operation interceptor,
		// which ran before this response middleware) count, not only the
		// response's execution.
		start := time.Now()
		var name string
		if graphql.HasOperationContext(ctx) {
			opCtx := graphql.GetOperationContext(ctx)
			if !opCtx.Stats.OperationStart.IsZero() {
				start = opCtx.Stats.OperationStart
			}
			if opCtx.Operation != nil {
				name = opCtx.Operation.Name
			}
		}
		resp := next(ctx)
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
		obs.ObserveOperation(ctx, name, time.Since(start), codes)
		return resp
	}
}
