package graph

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/errcode"
)

// EntitiesObserver is told, for each _entities call, whether the direct
// path (direct.go) answered it or gqlgen's executor did.
type EntitiesObserver interface {
	ObserveEntities(ctx context.Context, direct bool)
}

// Entities is the gqlgen handler extension that makes _entities calls
// cheap, whatever the gateway's plan. Installed with handler.Server.Use,
// after the extensions that must see every operation first (limits,
// tracing), it hooks three of gqlgen's interceptors:
//
//   - each operation, before any field runs: it chooses the carousel's
//     columns (chooseCarouselColumns) and loads what every _entities field
//     of the operation needs, all together (prefetchOperation);
//   - each root _entities field: the direct path answers it from what is
//     loaded (direct.go), or leaves it to gqlgen's executor;
//   - each field, for _entities under the executor: the representations'
//     checks (representations.go) and, when the operation's prefetch did
//     not run, the prefetch of this call.
type Entities struct {
	Logger *slog.Logger
	// MaxRepresentations is the most representations one _entities call
	// may carry.
	MaxRepresentations int
	// Observer may be nil.
	Observer EntitiesObserver
	// NoDirectPath leaves every call to gqlgen's executor: for traced
	// requests, which time each field, and as a switch should the direct
	// path ever be suspected of answering differently.
	NoDirectPath bool

	shapes map[string]entityShape
	types  string // the entities' names, for messages
	// bytesPerRep is what the direct path's last answer took a
	// representation, to size the next one's buffer.
	bytesPerRep atomic.Int64
}

// maxPresize bounds the buffer the direct path sizes ahead of an answer.
const maxPresize = 256 << 10

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.RootFieldInterceptor
	graphql.FieldInterceptor
} = &Entities{}

func (*Entities) ExtensionName() string { return "Entities" }

// Validate reads the entities' shapes from the schema; gqlgen calls it when
// the extension is installed.
func (e *Entities) Validate(es graphql.ExecutableSchema) error {
	e.shapes = entityShapes(es.Schema())
	e.types = entityTypes(e.shapes)
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	return nil
}

func (e *Entities) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	if opCtx.Operation == nil {
		return next(ctx)
	}
	chooseCarouselColumns(ctx, opCtx)
	if opCtx.Operation.Operation == ast.Query {
		ctx = prefetchOperation(ctx, opCtx, e.MaxRepresentations)
	}
	return next(ctx)
}

func (e *Entities) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rfc := graphql.GetRootFieldContext(ctx)
	if rfc == nil || rfc.Field.Name != "_entities" {
		return next(ctx)
	}
	var out graphql.Marshaler
	var ok bool
	if !e.NoDirectPath {
		out, ok = e.serve(ctx, rfc.Field)
	}
	if e.Observer != nil {
		e.Observer.ObserveEntities(ctx, ok)
	}
	if ok {
		return out
	}
	return next(ctx)
}

// InterceptField runs before gqlgen resolves _entities. It refuses more
// than MaxRepresentations representations; gives a representation that
// fails its check its own BAD_USER_INPUT error at _entities.<index> and a
// null entry while the rest of the batch resolves (gqlgen's runtime would
// fail the whole group of its type); and, if the operation's prefetch did
// not run, loads what the call needs, since gqlgen then resolves each
// type's group on its own.
func (e *Entities) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc.Object != "Query" || fc.Field.Name != "_entities" {
		return next(ctx)
	}
	reps, _ := fc.Args["representations"].([]map[string]any)
	if len(reps) > e.MaxRepresentations {
		return nil, errcode.BadInput("_entities takes at most %d representations a request, got %d", e.MaxRepresentations, len(reps))
	}
	for i, rep := range reps {
		if err := checkRepresentation(e.shapes, e.types, i, rep); err != nil {
			graphql.AddError(graphql.WithPathContext(ctx, graphql.NewPathWithIndex(i)), err)
			// A Shop with an id this subgraph never issues resolves to
			// null without an error, keeping the result's order and length.
			reps[i] = map[string]any{"__typename": "Shop", "id": "-"}
		}
	}
	if !operationPrefetched(ctx) {
		prefetchEntities(ctx, graphql.GetOperationContext(ctx), []entityCall{{fc.Field.Selections, reps}})
	}
	return next(ctx)
}
