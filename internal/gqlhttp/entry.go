package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
//   - it decodes the body as gqlgen's transport does (encoding/json, numbers
//     as json.Number, into the same four members);
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

// params is what gqlgen's POST transport decodes a body into
// (graphql.RawParams' JSON members), with the variables left undecoded
// until the operation is known to be one the entry takes: a body it
// declines (a mutation, a first request, any other query) is scanned, not
// built into maps twice.
type params struct {
	Query         string                     `json:"query"`
	OperationName string                     `json:"operationName"`
	Variables     map[string]json.RawMessage `json:"variables"`
	Extensions    map[string]any             `json:"extensions"`
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
	var p params
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&p) != nil || len(p.Extensions) > 0 || len(p.Query) > e.policy.limits.MaxQueryBytes {
		return false
	}
	doc, ok := e.queries.Get(ctx, p.Query)
	if !ok {
		return false
	}
	op := doc.Operations.ForName(p.OperationName)
	if op == nil {
		return false
	}
	vars, ok := entitiesOnly(op, p.Variables)
	if !ok {
		return false
	}
	opCtx := &graphql.OperationContext{
		RawQuery:      p.Query,
		Variables:     vars,
		OperationName: p.OperationName,
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
	data, ok := e.entities.AnswerOperation(ctx, opCtx)
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
	e.entities.ObserveAnswered(ctx, opCtx)
	resp := next(ctx)
	if e.observer != nil {
		e.observer.ObserveDirectOperation(ctx)
	}
	parts, err := responseParts(resp)
	if err != nil {
		panic(fmt.Errorf("unable to marshal the response: %w", err)) // as gqlgen's transports
	}
	w.Header().Set("Content-Type", responseContentType(r.Header.Get("Accept")))
	if e.cache.setCacheHeaders(w, r, policy, resp, parts, e.vary) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	for _, part := range parts {
		if _, err := w.Write(part); err != nil {
			break
		}
	}
	return true
}

// entitiesOnly returns the operation's variables as gqlgen's coercion
// would, when the operation is a query without directives whose every root
// selection is an _entities field taking its representations from a
// variable, and its every variable is such a [_Any!]! without a default,
// given as a list of objects.
func entitiesOnly(op *ast.OperationDefinition, given map[string]json.RawMessage) (map[string]any, bool) {
	if op.Operation != ast.Query || len(op.Directives) > 0 || len(op.SelectionSet) == 0 {
		return nil, false
	}
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name != "_entities" || len(f.Directives) > 0 || len(f.Arguments) != 1 ||
			f.Arguments[0].Name != "representations" || f.Arguments[0].Value.Kind != ast.Variable {
			return nil, false
		}
	}
	vars := make(map[string]any, len(op.VariableDefinitions))
	for _, v := range op.VariableDefinitions {
		t := v.Type
		if v.DefaultValue != nil || len(v.Directives) > 0 || !t.NonNull || t.Elem == nil ||
			!t.Elem.NonNull || t.Elem.Elem != nil || t.Elem.NamedType != "_Any" {
			return nil, false
		}
		raw, ok := given[v.Variable]
		if !ok {
			return nil, false
		}
		// Decoded as gqlgen's transport decodes the body.
		var list []any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&list) != nil || list == nil {
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
