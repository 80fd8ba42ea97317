package gqlhttp

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shop-subgraph/shop/internal/errcode"
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
	// MaxFields bounds how many fields an operation expands to, every
	// fragment counted at every place it is spread.
	MaxFields int
	// MaxQueryBytes bounds a query document's length; variables are
	// bounded by the body only.
	MaxQueryBytes int
	// MaxTokens bounds a query document's tokens, which the parser counts
	// as it goes.
	MaxTokens int
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
	DefaultMaxComplexity      = 150_000
	DefaultMaxRepresentations = 1_000
	DefaultMaxFields          = 2_000
	DefaultMaxQueryBytes      = 64 << 10
	DefaultMaxTokens          = 15_000
	DefaultMaxBodyBytes       = 1 << 20
	DefaultTimeout            = 10 * time.Second

	DefaultQueryCacheSize  = 1_000
	DefaultQueryCacheBytes = 32 << 20
	DefaultAPQCacheSize    = 1_000
	DefaultAPQCacheBytes   = 16 << 20
)

func (l Limits) withDefaults() Limits {
	l.MaxDepth = cmp.Or(l.MaxDepth, DefaultMaxDepth)
	l.MaxComplexity = cmp.Or(l.MaxComplexity, DefaultMaxComplexity)
	l.MaxRepresentations = cmp.Or(l.MaxRepresentations, DefaultMaxRepresentations)
	l.MaxFields = cmp.Or(l.MaxFields, DefaultMaxFields)
	l.MaxQueryBytes = cmp.Or(l.MaxQueryBytes, DefaultMaxQueryBytes)
	l.MaxTokens = cmp.Or(l.MaxTokens, DefaultMaxTokens)
	l.MaxBodyBytes = cmp.Or(l.MaxBodyBytes, DefaultMaxBodyBytes)
	l.Timeout = cmp.Or(l.Timeout, DefaultTimeout)
	return l
}

func limitError(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": errcode.BadUserInput}}
}

// maxPresizedBody is the largest told length readBody allocates for before
// the bytes arrive.
const maxPresizedBody = 64 << 10

// readBody reads the request's body whole, at most maxBody bytes, so that
// a body over the limit is refused with 413 before GraphQL sees any of it;
// it returns the body, and reports false when it answered the request.
func readBody(w http.ResponseWriter, r *http.Request, maxBody int64) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= min(maxBody, maxPresizedBody) {
		// One allocation when the length is told; only up to a bound, as
		// a client may tell a length it never sends.
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", maxBody), errcode.BadUserInput)
		return nil, false
	}
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, "could not read the request body", errcode.BadUserInput)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(buf.Bytes()))
	return buf.Bytes(), true
}

// timeoutGuard answers as operationPolicy does when the request's time ran
// out, or its client went away, between the checks and the operation's
// start, where gqlgen would answer with an empty response. Once the
// operation runs, the context reaches the resolvers and the statements,
// and the error presenter reports it.
func timeoutGuard(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if err := ctx.Err(); err != nil {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{stoppedError(err)}})
	}
	return next(ctx)
}

// writeJSONError answers with a GraphQL-shaped error outside of gqlgen.
func writeJSONError(w http.ResponseWriter, status int, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{&gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}}})
}
