package gqlhttp

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/shop-subgraph/shop/graph"
	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/errcode"
)

// The direct entry answers the requests a gateway sends for entities, a
// query whose every root field is _entities(representations: $variable),
// without entering gqlgen: a small request's fixed cost was about twice a
// hand-written server's, and gqlgen's transport, operation context,
// extension chain, root field contexts and response assembly were most of
// the difference (PERFORMANCE.md, issue 14).
//
// It does what gqlgen's POST transport and executor would, in the same
// order and with the same functions, and nothing it is not sure of:
//   - it reads the body as gqlgen's transport does (encoding/json, numbers
//     as json.Number, into the same four members: decode.go, which declines
//     what it cannot read so);
//   - it takes the document only from gqlgen's parsed-query cache, which
//     holds only documents that parsed and passed validation, so the first
//     request of a document always goes through gqlgen;
//   - it takes only variables of type [_Any!]! without a default, and only
//     values gqlgen's coercion would keep as they are (a list of objects);
//   - it runs operationPolicy's checks (limits, cache hints);
//   - graph.Entities.AnswerOperation writes the data as the direct path
//     does under gqlgen's executor, or declines;
//   - the response middlewares gqlgen would run (cache tags, metrics) run,
//     and the response is written as rawData writes it, with its headers.
//
// Whenever anything is otherwise (a request gqlgen's POST transport does
// not take, a persisted query, an ftv1 or OpenTelemetry trace being
// recorded, a document not in the cache, another variable, a field the
// direct path does not write, a check that fails, the request's time
// running out, a panic), it has written and observed nothing, and gqlgen
// answers the request from the start. TestDirectPathAnswersAsGqlgen, TestEveryFieldBothPaths
// and FuzzOperation send each request twice, the second time through the
// direct entry, and compare the answers byte for byte.
type entry struct {
	queries  graphql.Cache[*ast.QueryDocument]
	policy   operationPolicy
	entities *graph.Entities
	// responses are the response middlewares, in the order gqlgen runs
	// them.
	responses []graphql.ResponseMiddleware
	cache     CacheOptions
	vary      []string
	// tracing: OpenTelemetry's spans are on, and a request whose span
	// records goes through gqlgen, whose extension makes them.
	tracing  bool
	logger   *slog.Logger
	observer DirectObserver
}

// DirectObserver, when the Options' Operations implements it, is told of
// each operation the direct entry answered whole.
type DirectObserver interface {
	ObserveDirectOperation(ctx context.Context)
}

// post is gqlgen's POST transport, whose Supports the entry asks first.
var post = transport.POST{}

// serve answers r, whose body was read, and reports true, or reports false
// having written nothing.
func (e *entry) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, body []byte) (answered bool) {
	if !post.Supports(r) || r.Header.Get(traceHeader) != "" || (e.tracing && trace.SpanFromContext(ctx).IsRecording()) {
		return false
	}
	// Once the response middlewares have run, the operation has been
	// observed: from there on, the entry answers whatever happens.
	committed := false
	defer func() {
		if p := recover(); p != nil {
			e.logger.ErrorContext(ctx, "direct entry panicked", "panic", p, "committed", committed, "stack", string(debug.Stack()))
			if answered = committed; committed {
				writeJSONError(w, http.StatusInternalServerError, "internal error", errcode.Internal)
			}
		}
	}()
	start := time.Now()
	// Whether the entry takes the request depends on its query and
	// operation name alone: the variables are decoded only then.
	p, ok := readParams(body)
	if !ok || p.extensions || len(p.query) > e.policy.limits.MaxQueryBytes {
		return false
	}
	doc, ok := e.queries.Get(ctx, p.query)
	if !ok {
		return false
	}
	op := doc.Operations.ForName(p.name)
	if op == nil || !entitiesOnly(op) {
		return false
	}
	given, ok := p.decodeVariables()
	if !ok {
		return false
	}
	vars, ok := representationVariables(op, given)
	if !ok {
		return false
	}
	opCtx := &graphql.OperationContext{
		RawQuery:      p.query,
		Variables:     vars,
		OperationName: p.name,
		Doc:           doc,
		Headers:       r.Header,
		Operation:     op,
		Stats:         graphql.Stats{OperationStart: start},
	}
	ctx, policy := cachecontrol.NewContext(ctx)
	ctx = graphql.WithOperationContext(ctx, opCtx)
	if e.policy.MutateOperationContext(ctx, opCtx) != nil || ctx.Err() != nil {
		return false
	}
	data, calls, ok := e.entities.AnswerOperation(ctx, opCtx)
	// gqlgen's executor gives no response when the request's time ran out,
	// or its client went away, during the prefetch (keepResponse answers
	// for it); gqlgen answers that from the start.
	if !ok || ctx.Err() != nil {
		return false
	}
	// The response middlewares, outermost first, around the answer.
	next := func(context.Context) *graphql.Response { return &graphql.Response{Data: data} }
	for i := len(e.responses) - 1; i >= 0; i-- {
		mw, inner := e.responses[i], next
		next = func(ctx context.Context) *graphql.Response { return mw(ctx, inner) }
	}
	committed = true
	e.entities.ObserveAnswered(ctx, calls)
	resp := next(ctx)
	if e.observer != nil {
		e.observer.ObserveDirectOperation(ctx)
	}
	w.Header().Set("Content-Type", responseContentType(r.Header.Get("Accept")))
	writeResponse(w, r, e.cache, policy, e.vary, resp) // a client gone: nothing to do
	return true
}

// entitiesOnly reports whether op is a query without directives whose
// every root selection is an _entities field taking its representations
// from a variable, and whose every variable is a [_Any!]! without a
// default.
func entitiesOnly(op *ast.OperationDefinition) bool {
	if op.Operation != ast.Query || len(op.Directives) > 0 || len(op.SelectionSet) == 0 {
		return false
	}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name != "_entities" || len(f.Directives) > 0 || len(f.Arguments) != 1 ||
			f.Arguments[0].Name != "representations" || f.Arguments[0].Value.Kind != ast.Variable {
			return false
		}
	}
	for _, v := range op.VariableDefinitions {
		t := v.Type
		if v.DefaultValue != nil || len(v.Directives) > 0 || !t.NonNull || t.Elem == nil ||
			!t.Elem.NonNull || t.Elem.Elem != nil || t.Elem.NamedType != "_Any" {
			return false
		}
	}
	return true
}

// representationVariables returns the variables of op (entitiesOnly) as
// gqlgen's coercion would, when each is given as a list of objects.
func representationVariables(op *ast.OperationDefinition, given map[string]any) (map[string]any, bool) {
	vars := make(map[string]any, len(op.VariableDefinitions))
	for _, v := range op.VariableDefinitions {
		list, ok := given[v.Variable].([]any)
		if !ok {
			return nil, false
		}
		for _, item := range list {
			if _, ok := item.(map[string]any); !ok {
				return nil, false
			}
		}
		vars[v.Variable] = list
	}
	return vars, true
}

// responseContentType is the Content-Type gqlgen's POST transport answers
// with for an Accept header (its determineResponseContentType, which it
// does not export, without explicit response headers).
func responseContentType(accept string) string {
	const (
		jsonType     = "application/json"
		responseType = "application/graphql-response+json"
	)
	if accept == "" {
		return jsonType
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", jsonType:
			return jsonType
		case responseType:
			return responseType
		}
	}
	return responseType
}
