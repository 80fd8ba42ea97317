package gqlhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shop-subgraph/shop/internal/cachecontrol"
)

// rawData wraps one of gqlgen's single-response HTTP transports (POST, GET)
// and changes one thing: how an operation's response reaches the wire.
//
// Those transports end with json.Marshal(response), and encoding/json
// compacts the json.RawMessage data, byte by byte through its scanner,
// although gqlgen's executor (and the direct path) wrote it compact: 14 % of
// a worst-case timeline's CPU (PERFORMANCE.md). rawData lets the transport do
// everything else as before (content negotiation, headers, status codes,
// request errors) and only writes the response of a dispatched operation
// itself, writing the data as it is. (encoding/json would also have escaped
// <, > and & in its strings as \u003c, \u003e and \u0026: the same JSON
// values, in other bytes. And it checked the data, which the executor's
// marshallers and the direct path write as JSON by construction, and which
// the tests decode with encoding/json in every response they read.)
//
// It works through the two seams gqlgen's transports offer: the executor and
// the ResponseWriter. The executor's response handler keeps the response
// aside and gives the transport an empty one; the writer, which the
// transport then writes the empty response to, writes the kept one instead.
// A transport that called the handler more than once (incremental delivery)
// would get only the last response written this way, so rawData wraps only
// transports that call it once.
type rawData struct {
	graphql.Transport
	// cache and vary set the response's cache headers (cachecontrol.go).
	cache CacheOptions
	vary  []string
}

func (t rawData) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	out := &responseWriter{ResponseWriter: w, req: r, cache: t.cache, vary: t.vary}
	t.Transport.Do(out, r, keepResponse{GraphExecutor: exec, out: out})
}

// keepResponse hands each operation's response to out.
type keepResponse struct {
	graphql.GraphExecutor
	out *responseWriter
}

func (e keepResponse) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	next, ctx := e.GraphExecutor.DispatchOperation(ctx, rc)
	return func(ctx context.Context) *graphql.Response {
		resp := next(ctx)
		if resp == nil {
			// gqlgen's executor gives no response when the request's time
			// ran out, or its client went away, after the operation's
			// interceptors (the prefetch) and before its fields; its
			// transport would write null. Answer as the checks before it
			// do, through the response middlewares.
			err := ctx.Err()
			if err == nil {
				return nil
			}
			resp = e.GraphExecutor.DispatchError(ctx, gqlerror.List{stoppedError(err)})
		}
		e.out.kept = resp
		return &graphql.Response{}
	}, ctx
}

// responseWriter writes the kept response in place of the next write.
type responseWriter struct {
	http.ResponseWriter
	kept  *graphql.Response
	req   *http.Request
	cache CacheOptions
	vary  []string
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.kept == nil {
		return w.ResponseWriter.Write(b)
	}
	resp := w.kept
	w.kept = nil
	if err := writeResponse(w.ResponseWriter, w.req, w.cache, cachecontrol.From(w.req.Context()), w.vary, resp); err != nil {
		return 0, err
	}
	return len(b), nil
}

// writeResponse writes an operation's response, with its cache headers
// (cachecontrol.go) and 304 for a GET whose If-None-Match matches: the
// direct entry's and, through responseWriter, gqlgen's transports'.
func writeResponse(w http.ResponseWriter, r *http.Request, cache CacheOptions, policy *cachecontrol.Policy, vary []string, resp *graphql.Response) error {
	parts, err := responseParts(resp)
	if err != nil {
		// What gqlgen's transports do when the response cannot be
		// marshalled; the handler's recovery answers 500.
		panic(fmt.Errorf("unable to marshal the response: %w", err))
	}
	if cache.setCacheHeaders(w, r, policy, resp, parts, vary) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// Three writes, so that the data is not copied once more.
	for _, part := range parts {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// responseParts returns r as encoding/json marshals a graphql.Response (the
// same members, in the same order, with the same omissions) in three parts:
// what comes before the data, the data as it is (it must be JSON: the
// executor's output; null when empty), and what comes after.
func responseParts(r *graphql.Response) (parts [3][]byte, err error) {
	var head, tail []byte
	head = append(head, '{')
	if len(r.Errors) > 0 {
		if head, err = appendMember(head, "errors", r.Errors); err != nil {
			return parts, err
		}
		head = append(head, ',')
	}
	head = append(head, `"data":`...)
	if r.Label != "" {
		tail = append(tail, ',')
		tail, _ = appendMember(tail, "label", r.Label)
	}
	if len(r.Path) > 0 {
		tail = append(tail, ',')
		if tail, err = appendMember(tail, "path", r.Path); err != nil {
			return parts, err
		}
	}
	if r.HasNext != nil {
		tail = append(tail, ',')
		tail, _ = appendMember(tail, "hasNext", *r.HasNext)
	}
	if len(r.Extensions) > 0 {
		tail = append(tail, ',')
		if tail, err = appendMember(tail, "extensions", r.Extensions); err != nil {
			return parts, err
		}
	}
	data := []byte(r.Data)
	if len(data) == 0 {
		data = []byte("null")
	}
	return [3][]byte{head, data, append(tail, '}')}, nil
}

// appendMember appends "name": and v marshalled by encoding/json.
func appendMember(b []byte, name string, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	return append(b, j...), nil
}
