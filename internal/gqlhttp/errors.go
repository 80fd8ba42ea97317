package gqlhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shop-subgraph/shop/internal/errcode"
	"github.com/shop-subgraph/shop/internal/store"
)

// presentError is the one error presenter: errors the client may read keep
// their message and get their code; everything else is logged with its detail
// and shown as "internal error".
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var (
			coded  *errcode.Error
			gqlErr *gqlerror.Error
		)
		switch {
		case errors.As(err, &coded):
			return withCode(ctx, coded.Message, coded.Code)
		case errors.Is(err, store.ErrNotFound):
			return withCode(ctx, "not found", errcode.NotFound)
		case errors.As(err, &gqlErr) && gqlErr.Err == nil:
			// gqlgen's own errors (argument and variable coercion, validation)
			// describe the client's request.
			gqlErr = graphql.DefaultErrorPresenter(ctx, err)
			gqlErr.Message = requestMessage(gqlErr.Message, gqlErr.Path)
			if gqlErr.Extensions == nil {
				gqlErr.Extensions = map[string]any{}
			}
			if _, ok := gqlErr.Extensions["code"]; !ok {
				gqlErr.Extensions["code"] = errcode.BadUserInput
			}
			return gqlErr
		case errors.As(err, &gqlErr):
			if e := argumentError(ctx, gqlErr); e != nil {
				return e
			}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			logger.WarnContext(ctx, "request timed out", "err", err, "path", graphql.GetPath(ctx).String())
			return withCode(ctx, "request timed out", errcode.Internal)
		}
		if errors.Is(err, context.Canceled) {
			// The client went away; there is nobody to tell and nothing to fix.
			logger.DebugContext(ctx, "request canceled", "err", err)
		} else {
			logger.ErrorContext(ctx, "resolver error", "err", err, "path", graphql.GetPath(ctx).String())
		}
		return withCode(ctx, "internal error", errcode.Internal)
	}
}

// maxMessageBytes bounds the message of an error about the request: it
// must not grow with the request.
const maxMessageBytes = 500

// requestMessage rewrites the messages of gqlgen's and gqlparser's errors
// about a request that do not say what is wrong, or that quote the request
// whole, and bounds every one: gqlgen's POST transport quotes a body that is
// not JSON in full (a megabyte-long message for a megabyte-long body);
// gqlparser reports an Int variable that is not a 64-bit integer (1e2,
// 1e400) as "cannot use value 0 as Int".
func requestMessage(msg string, path ast.Path) string {
	if rest, ok := strings.CutPrefix(msg, "json request body could not be decoded: "); ok {
		reason, _, _ := strings.Cut(rest, " body:")
		msg = "the request body is not valid JSON: " + reason
	}
	if len(path) == 2 && path[0] == ast.PathName("variable") && strings.HasPrefix(msg, "cannot use value ") {
		switch {
		case strings.HasSuffix(msg, " as Int"):
			msg = fmt.Sprintf("variable $%s must be an Int: a whole number written without a fraction or an exponent, from -9223372036854775808 to 9223372036854775807", path[1])
		case strings.HasSuffix(msg, " as Float"):
			msg = fmt.Sprintf("variable $%s must be a Float: a finite number", path[1])
		}
	}
	return truncate(msg, maxMessageBytes)
}

// argumentError presents an argument that gqlgen's generated code could not
// read while executing, which validation let through: the one such argument
// is _entities' representations, whose _Any scalar takes any value but gqlgen
// reads as an object. gqlgen reports it as a plain error wrapped on a path
// that runs through the argument's name; a resolver's errors never do. It
// returns nil for any other error.
func argumentError(ctx context.Context, gqlErr *gqlerror.Error) *gqlerror.Error {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return nil
	}
	at := fc.Path()
	if len(gqlErr.Path) <= len(at) {
		return nil
	}
	name, ok := gqlErr.Path[len(at)].(ast.PathName)
	if !ok {
		return nil
	}
	arg := fc.Field.Arguments.ForName(string(name))
	if arg == nil {
		return nil
	}
	within := gqlErr.Path[len(at):].String()
	msg := fmt.Sprintf("%s: %v", within, gqlErr.Err)
	if t := arg.Value.ExpectedType; t != nil && t.Name() == "_Any" {
		msg = within + " must be an object (a representation with a __typename)"
	}
	// The path stays the field's: a response path; the message names the
	// argument and the index.
	return withCode(ctx, msg, errcode.BadUserInput)
}

func withCode(ctx context.Context, msg, code string) *gqlerror.Error {
	e := graphql.DefaultErrorPresenter(ctx, errors.New(msg))
	e.Message = msg
	e.Extensions = map[string]any{"code": code}
	return e
}

// recoverPanic logs a resolver panic with its stack; the client sees
// "internal error".
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	}
}
