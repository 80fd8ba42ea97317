package telemetry

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Attributes of the subgraph's own that no semantic convention names.
const (
	// DocumentHashKey is the SHA-256 of the operation's document, in hex:
	// the document itself may carry literal values, the hash never does.
	DocumentHashKey = attribute.Key("graphql.document.hash")
	// ErrorCodeKey is a GraphQL error's extensions.code, on its exception
	// event.
	ErrorCodeKey = attribute.Key("graphql.error.code")
	// EntitiesPathKey says what answered an _entities call: "direct" (the
	// direct path) or "executor" (gqlgen's executor).
	EntitiesPathKey = attribute.Key("shop.entities.path")
	// EntitiesCountKey is the number of representations of an _entities
	// call; EntitiesTypesKey and EntitiesTypeCountsKey how many of each
	// __typename, as two lists in the same order.
	EntitiesCountKey      = attribute.Key("shop.entities.representations")
	EntitiesTypesKey      = attribute.Key("shop.entities.types")
	EntitiesTypeCountsKey = attribute.Key("shop.entities.type_counts")
)

// Bounds on what a client's input may put in a span.
const (
	maxNameLen   = 100 // an operation name or __typename, longer is cut
	maxTypeNames = 8   // distinct __typenames counted; the rest as "other"
)

// GraphQL returns the gqlgen extension that records the operation's span
// and each _entities call's, or nil when tracing is off. The handler must
// install it before any other operation or root field interceptor, so that
// what they do happens under its spans.
func (t *Telemetry) GraphQL() graphql.HandlerExtension {
	if !t.Enabled() {
		return nil
	}
	return gqlTracing{t.tracer}
}

type gqlTracing struct{ tracer trace.Tracer }

var (
	_ graphql.OperationInterceptor = gqlTracing{}
	_ graphql.RootFieldInterceptor = gqlTracing{}
)

func (gqlTracing) ExtensionName() string                          { return "OpenTelemetry" }
func (gqlTracing) Validate(schema graphql.ExecutableSchema) error { return nil }

// InterceptOperation records the operation: its type, name and the hash of
// its document (never its variables), and the extensions.code of each error
// it returns. Statements the operation's prefetch runs are its children.
func (g gqlTracing) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if !trace.SpanFromContext(ctx).IsRecording() || !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	var typ, name string
	if oc.Operation != nil {
		typ, name = string(oc.Operation.Operation), clip(oc.Operation.Name)
	}
	spanName := cmp.Or(typ, "operation")
	if name != "" {
		spanName += " " + name
	}
	sum := sha256.Sum256([]byte(oc.RawQuery))
	attrs := []attribute.KeyValue{semconv.GraphQLOperationTypeKey.String(typ), DocumentHashKey.String(hex.EncodeToString(sum[:]))}
	if name != "" {
		attrs = append(attrs, semconv.GraphQLOperationName(name))
	}
	ctx, span := g.tracer.Start(ctx, spanName, trace.WithAttributes(attrs...))
	respond := next(ctx)
	ended := false
	return func(ctx context.Context) *graphql.Response {
		resp := respond(ctx)
		if ended {
			return resp // a later response of an incremental delivery
		}
		ended = true
		if resp != nil && len(resp.Errors) > 0 {
			recordErrors(span, resp)
		}
		span.End()
		return resp
	}
}

// recordErrors records the response's errors as exception events with
// their extensions.code, and fails the span with the first code as its
// error.type. The errors are those the client sees, after the presenter:
// "internal error" for anything unexpected.
func recordErrors(span trace.Span, resp *graphql.Response) {
	var first string
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		code = cmp.Or(code, "UNKNOWN")
		first = cmp.Or(first, code)
		span.AddEvent("exception", trace.WithAttributes(
			semconv.ExceptionMessage(e.Message), ErrorCodeKey.String(code)))
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(first))
	span.SetStatus(codes.Error, first)
}

// InterceptRootField records each _entities call: how many representations
// of each __typename it had, and (set by the tee's ObserveEntities) which
// path answered it. Loader batches it runs are its children.
func (g gqlTracing) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rfc := graphql.GetRootFieldContext(ctx)
	if rfc == nil || rfc.Field.Name != "_entities" || !trace.SpanFromContext(ctx).IsRecording() {
		return next(ctx)
	}
	var attrs []attribute.KeyValue
	if graphql.HasOperationContext(ctx) {
		reps, _ := rfc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)["representations"].([]any)
		types, counts := countTypes(reps)
		attrs = []attribute.KeyValue{EntitiesCountKey.Int(len(reps)), EntitiesTypesKey.StringSlice(types), EntitiesTypeCountsKey.Int64Slice(counts)}
	}
	ctx, span := g.tracer.Start(ctx, "_entities", trace.WithAttributes(attrs...))
	defer span.End()
	return next(ctx)
}

// countTypes counts the representations by __typename, in order of the
// names; at most maxTypeNames names, the others counted as "other".
func countTypes(reps []any) ([]string, []int64) {
	n := map[string]int64{}
	for _, r := range reps {
		m, _ := r.(map[string]any)
		name, _ := m["__typename"].(string)
		name = clip(name)
		if _, seen := n[name]; !seen && len(n) >= maxTypeNames {
			name = "other"
		}
		n[name]++
	}
	types := make([]string, 0, len(n))
	for name := range n {
		types = append(types, name)
	}
	slices.Sort(types)
	counts := make([]int64, len(types))
	for i, name := range types {
		counts[i] = n[name]
	}
	return types, counts
}

func clip(s string) string {
	if len(s) > maxNameLen {
		return s[:maxNameLen]
	}
	return s
}
