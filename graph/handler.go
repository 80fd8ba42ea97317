package graph

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/apollofederatedtracingv1"
	"github.com/99designs/gqlgen/graphql/handler/extension"
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
	ObserveOperation(ctx context.Context, name string, d time.Duration, errorCodes []string)
}

// EntitiesObserver is told, for each _entities call, whether the direct
// path (direct.go) answered it or gqlgen's executor did. Options.Operations
// may implement it.
type EntitiesObserver interface {
	ObserveEntities(ctx context.Context, direct bool)
}

// Options configures the GraphQL handler.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Loaders and Operations receive metrics; either may be nil.
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
	// field interceptor: internal/telemetry's operation and _entities spans.
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
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Store: o.Store}})
	queries := newByteCache(o.QueryCacheSize, o.QueryCacheBytes, queryWeight)
	var persisted graphql.Cache[string]
	if !o.APQOff {
		persisted = newByteCache(o.APQCacheSize, o.APQCacheBytes, func(hash, query string) int64 { return int64(len(hash) + len(query)) })
	}
	shapes := entityShapes(es.Schema())
	entities := entitiesMiddleware(shapes, limits.MaxRepresentations)
	direct := directEntities{logger: o.Logger, shapes: shapes, maxReps: limits.MaxRepresentations}
	direct.observer, _ = o.Operations.(EntitiesObserver)
	// newServer builds one gqlgen server; both share the schema and the caches.
	newServer := func(traced bool) *handler.Server {
		srv := handler.New(es)
		srv.AddTransport(transport.Options{})
		srv.AddTransport(rawData{Transport: transport.GET{}, cache: o.Cache, vary: vary})
		srv.AddTransport(rawData{Transport: transport.POST{}, cache: o.Cache, vary: vary})
		srv.SetQueryCache(queries)
		srv.SetParserTokenLimit(limits.MaxTokens)
		srv.SetValidationRulesFn(validationRules)
		// First: it refuses an overlong query before the persisted-query
		// extension keeps it.
		srv.Use(operationPolicy{limits: limits, schema: es.Schema(), defaultMaxAge: int64(o.Cache.DefaultMaxAge / time.Second)})
		if persisted != nil {
			srv.Use(extension.AutomaticPersistedQuery{Cache: persisted})
		}
		if traced {
			srv.Use(&apollofederatedtracingv1.Tracer{})
		}
		if o.Tracing != nil {
			srv.Use(o.Tracing)
		}
		srv.AroundOperations(timeoutGuard)
		srv.AroundOperations(chooseCarouselColumns)
		srv.AroundOperations(prefetchOperation(limits.MaxRepresentations))
		srv.SetErrorPresenter(presentError(o.Logger))
		srv.SetRecoverFunc(recoverPanic(o.Logger))
		srv.AroundFields(entities)
		d := direct
		d.off = traced || o.NoDirectPath
		srv.AroundRootFields(d.intercept)
		if o.Cache.MaxAge > 0 {
			// With nothing cached, there is nothing to tag or invalidate.
			srv.AroundResponses(cacheExtensions(o.Cache.Subgraph))
		}
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
	return cacheHeaders(limitHTTP(limits.MaxBodyBytes, limits.Timeout, refuseUnsupported(auth.Middleware(o.Auth, rollout.Middleware(o.Rollout, loaders.Middleware(o.Store, o.Loaders, srv))))))
}

// refuseUnsupported answers, with a coded error, the requests gqlgen's
// transports refuse with an error that has no extensions.code: another
// method (405), a POST body that is not JSON (415). And it gives a code to
// the errors gqlgen's GET transport writes itself without one (a mutation
// sent with GET, variables that are not JSON), through codedErrors.
func refuseUnsupported(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
				writeJSONError(w, http.StatusUnsupportedMediaType, "send the request as JSON, with Content-Type: application/json", CodeBadUserInput)
				return
			}
		case http.MethodGet:
			c := &codedErrors{ResponseWriter: w}
			next.ServeHTTP(c, r)
			c.finish()
			return
		case http.MethodOptions:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeJSONError(w, http.StatusMethodNotAllowed, "send GraphQL requests with POST, or queries with GET", CodeBadUserInput)
			return
		}
		next.ServeHTTP(w, r)
	})
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
					ext["code"] = CodeBadUserInput
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
		obs.ObserveOperation(ctx, name, time.Since(start), codes)
		return resp
	}
}

// entityShape is what a representation of an entity must carry: its key
// fields, as strings or numbers, and for each @external object field it
// brings (Tweet's author), an object.
type entityShape struct {
	key      []string
	external map[string]string // field → its object type
}

// entityShapes reads the entities' shapes from the schema's @key and
// @external directives.
func entityShapes(s *ast.Schema) map[string]entityShape {
	shapes := map[string]entityShape{}
	for name, def := range s.Types {
		key := def.Directives.ForName("key")
		if def.Kind != ast.Object || key == nil {
			continue
		}
		sh := entityShape{key: strings.Fields(key.Arguments.ForName("fields").Value.Raw), external: map[string]string{}}
		for _, f := range def.Fields {
			if t := s.Types[f.Type.Name()]; f.Directives.ForName("external") != nil && t != nil && t.Kind == ast.Object {
				sh.external[f.Name] = t.Name
			}
		}
		shapes[name] = sh
	}
	return shapes
}

// problem says what is wrong with a representation of the entity name, or
// "". A missing or null @external field is left to the entity's resolver.
func problem(shapes map[string]entityShape, name string, rep map[string]any) string {
	for _, f := range shapes[name].key {
		if !isKeyValue(rep[f]) {
			return fmt.Sprintf("lacks its key field %q as a string or number", f)
		}
	}
	for f, typ := range shapes[name].external {
		v, ok := rep[f]
		if !ok || v == nil {
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("has %q, which must be an object", f)
		}
		for _, k := range shapes[typ].key {
			if v := obj[k]; v != nil && !isKeyValue(v) {
				return fmt.Sprintf("has %s.%s, which must be a string or number", f, k)
			}
		}
	}
	return ""
}

func isKeyValue(v any) bool {
	switch v.(type) {
	case string, json.Number, int, int64, float64:
		return true
	}
	return false
}

// entitiesMiddleware runs before gqlgen resolves _entities. It refuses more
// than maxReps representations; gives a representation with a missing or
// unknown __typename, or without its key fields, its own BAD_USER_INPUT
// error at _entities.<index> and a null entry while the rest of the batch
// resolves (gqlgen's runtime would fail the whole group of its type); and
// loads the shops of every Profile and Tweet at once, since gqlgen then
// resolves each type's group on its own.
func entitiesMiddleware(shapes map[string]entityShape, maxReps int) graphql.FieldMiddleware {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
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
			var err error
			if _, known := shapes[name]; name == "" {
				err = badUserInput("representation %d has no __typename", i)
			} else if !known {
				err = badUserInput("unknown __typename %q: this subgraph resolves %s", name, typeList)
			} else if p := problem(shapes, name, rep); p != "" {
				err = badUserInput("%s representation %d %s", name, i, p)
			}
			if err == nil {
				continue
			}
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i)), err)
			// A Shop with an id this subgraph never issues resolves to null
			// without an error, keeping the result's order and length.
			reps[i] = map[string]any{"__typename": "Shop", "id": "-"}
		}
		if !operationPrefetched(ctx) {
			prefetchEntities(ctx, graphql.GetOperationContext(ctx), []entityCall{{fc.Field.Selections, reps}})
		}
		return next(ctx)
	}
}
