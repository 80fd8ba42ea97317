package graph

import (
	"bytes"
	"context"
	"io"
	"runtime/debug"
	"slices"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/loaders"
	"github.com/shop-subgraph/shop/internal/store"
)

// The direct path answers _entities calls, whatever the gateway's plan
// (Tweet, Profile, Shop and Product representations, __typename on the
// union or on the type, fragments, several aliased _entities fields in one
// operation), by writing the response from the rows the prefetch loaded,
// without gqlgen's field-by-field execution: about 2,000 fields a timeline,
// each with its field context, context layer, path, middleware chain and
// field set, were two thirds of a timeline's CPU once the statements were
// down to two (PERFORMANCE.md).
//
// gqlgen still parses, validates and caches the operation, applies the
// limits and writes the response; the direct path only answers the root
// field, and only when it can answer it exactly as gqlgen would. What it
// knows of the schema is generated from it (fastpath_gen.go, written by
// internal/tools/gqlgen from gqlgen's own codegen data): for every object
// type reachable from the four entities, a writer that writes each plain
// field with gqlgen's marshaller, and hands each field a resolver backs to
// resolve, which writes the few the direct path implements from what is
// already loaded. Anything else falls back to gqlgen's executor, which then
// reports every error at its own path: a field backed by another resolver,
// a value not loaded, a malformed representation, a failed load, @defer, a
// null where the schema says non-null, a traced request. So a new plain
// field is written with no hand edit, and a new resolver makes the calls
// that select it fall back until resolve learns it.
// TestDirectPathAnswersAsGqlgen and TestEveryFieldBothPaths compare the two
// paths byte for byte.

// serve answers an _entities field, or returns false for gqlgen to. A panic
// is logged and leaves the call to gqlgen, whose resolvers report it if it
// is not the direct path's own.
func (e *Entities) serve(ctx context.Context, field graphql.CollectedField) (out graphql.Marshaler, ok bool) {
	defer e.recoverDirect(ctx, &ok)
	w := newDirectWriter(ctx)
	if !e.write(w, field) {
		return nil, false
	}
	return graphql.WriterFunc(func(out io.Writer) { out.Write(w.buf.Bytes()) }), true
}

// AnswerOperation answers a whole query whose every root field is
// _entities, as gqlgen's executor with this extension would, without the
// executor: it chooses the carousel's columns, runs the operation's
// prefetch and writes the response's data, the root object. It reports
// false, having written nothing anywhere, when any of the fields would need
// gqlgen, whose executor then answers the operation from the start (what
// was loaded stays in the request's loaders). It returns how many
// _entities calls it answered, which the caller observes (ObserveAnswered)
// once it sends the answer. The caller has done what
// gqlgen does first: parsing, validation, the variables' coercion, the
// operation's checks (internal/gqlhttp's direct entry).
func (e *Entities) AnswerOperation(ctx context.Context, opCtx *graphql.OperationContext) (data []byte, calls int, ok bool) {
	if e.NoDirectPath || opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return nil, 0, false
	}
	defer e.recoverDirect(ctx, &ok)
	chooseCarouselColumns(ctx, opCtx)
	ctx = prefetchOperation(ctx, opCtx, e.MaxRepresentations)
	fields := graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, implementorsOf["Query"])
	if len(fields) == 0 {
		return nil, 0, false
	}
	w := newDirectWriter(ctx)
	w.buf.WriteByte('{')
	for i, f := range fields {
		if f.Name != "_entities" {
			return nil, 0, false
		}
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.member(f.Alias)
		if !e.write(w, f) {
			return nil, 0, false
		}
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), len(fields), true
}

// ObserveAnswered tells the Observer that the direct path answered calls
// _entities calls, once its answer is certain to be sent: AnswerOperation
// does not, so that an answer the caller then declines is not counted
// twice.
func (e *Entities) ObserveAnswered(ctx context.Context, calls int) {
	if e.Observer == nil {
		return
	}
	for range calls {
		e.Observer.ObserveEntities(ctx, true)
	}
}

// recoverDirect logs a panic of the direct path and reports it as not
// answered.
func (e *Entities) recoverDirect(ctx context.Context, ok *bool) {
	if r := recover(); r != nil {
		e.Logger.ErrorContext(ctx, "direct path panicked; gqlgen's executor answers", "panic", r, "stack", string(debug.Stack()))
		*ok = false
	}
}

func newDirectWriter(ctx context.Context) *directWriter {
	w := &directWriter{ctx: ctx, opCtx: graphql.GetOperationContext(ctx), loaders: loaders.For(ctx)}
	w.collected = w.collectedSpace[:0]
	return w
}

// write writes an _entities field's list to w, or reports false.
func (e *Entities) write(w *directWriter, field graphql.CollectedField) bool {
	reps, ok := entityRepresentations(w.ctx, w.opCtx, field)
	if !ok || len(reps) == 0 || len(reps) > e.MaxRepresentations {
		return false
	}
	for i, rep := range reps {
		if checkRepresentation(e.shapes, e.types, i, rep) != nil {
			return false // the executor reports it at its index
		}
	}
	if !operationPrefetched(w.ctx) {
		prefetchEntities(w.ctx, w.opCtx, []entityCall{{field.Selections, reps}})
	}
	// Room for the answer at once, from what the last one took a
	// representation, within a bound: growing the buffer step by step
	// was a fifth of a small request's allocations.
	start := w.buf.Len()
	w.buf.Grow(min(int(e.bytesPerRep.Load())*len(reps), maxPresize) + 64)
	w.buf.WriteByte('[')
	for i, rep := range reps {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		if !w.entity(field.Selections, rep) {
			return false
		}
	}
	w.buf.WriteByte(']')
	e.bytesPerRep.Store(int64((w.buf.Len() - start) / len(reps)))
	return true
}

// entity writes one representation's entity as the batch entity resolvers
// and gqlgen would: a Profile or Tweet always (this subgraph does not know
// which exist), a Shop or Product when it exists and its shop is active,
// else null.
func (w *directWriter) entity(sel ast.SelectionSet, rep map[string]any) bool {
	id, err := graphql.UnmarshalID(rep["id"])
	if err != nil {
		return false
	}
	switch rep["__typename"] {
	case "Profile":
		return w.writeProfile(sel, &model.Profile{ID: id})
	case "Tweet":
		author, err := graphql.UnmarshalID(rep["author"].(map[string]any)["id"])
		return err == nil && w.writeTweet(sel, &model.Tweet{ID: id, Author: &model.Profile{ID: author}})
	case "Shop":
		key, ok := parseID(id)
		if !ok {
			w.null() // an id this subgraph never issued: FindShop's null
			return true
		}
		s, cached, err := w.loaders.ShopByID.Cached(w.ctx, key)
		if !cached || err != nil {
			return false
		}
		if !visibleShop(s) {
			w.null()
			return true
		}
		return w.writeShop(sel, shopModel(s))
	case "Product":
		key, ok := parseID(id)
		if !ok {
			w.null()
			return true
		}
		p, cached, err := w.loaders.ProductByID.Cached(w.ctx, key)
		if !cached || err != nil {
			return false
		}
		if p == nil || p.ShopStatus != store.StatusActive {
			w.null()
			return true
		}
		return w.writeProduct(sel, productModel(&p.Product))
	}
	return false
}

// resolve writes a field a resolver backs, from what is loaded, as the
// resolver and gqlgen would; it reports false for any other field, for a
// value not loaded, and for an argument the resolver would refuse, for
// gqlgen to answer. These are the resolvers the direct path implements.
func (w *directWriter) resolve(field string, f graphql.CollectedField, obj any) bool {
	switch field {
	case "Profile.shop":
		return w.ownerShop(f, obj.(*model.Profile).ID, onProfile)
	case "Tweet.shop":
		t := obj.(*model.Tweet)
		return t.Author != nil && w.ownerShop(f, t.Author.ID, onTweet)
	case "Shop.featuredProducts":
		return w.featuredProducts(f, obj.(*model.Shop))
	case "Product.shop":
		s, cached, err := w.loaders.ShopByID.Cached(w.ctx, obj.(*model.Product).ShopKey)
		return cached && err == nil && s != nil && w.writeShop(f.Selections, shopModel(s))
	}
	return false
}

// ownerShop writes Profile.shop or Tweet.shop: the owner's shop when it is
// shown there, else null (profileShop).
func (w *directWriter) ownerShop(f graphql.CollectedField, owner string, p placement) bool {
	s, cached, err := w.loaders.ShopByOwner.Cached(w.ctx, owner)
	if !cached || err != nil {
		return false
	}
	if !shown(w.ctx, s, p) {
		w.null()
		return true
	}
	return w.writeShop(f.Selections, shopModel(s))
}

// featuredProducts writes Shop.featuredProducts (the resolver's list).
func (w *directWriter) featuredProducts(f graphql.CollectedField, s *model.Shop) bool {
	n, ok := featuredFirst(w.opCtx, f)
	if !ok {
		return false
	}
	rows, cached, err := w.loaders.FeaturedProducts.Cached(w.ctx, s.Key)
	if !cached || err != nil {
		return false
	}
	if len(rows) > n {
		rows = rows[:n]
	}
	w.buf.WriteByte('[')
	for i := range rows {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		// The model is written at once and not kept: one for all.
		if !w.writeProduct(f.Selections, w.product.set(&rows[i].Product)) {
			return false
		}
	}
	w.buf.WriteByte(']')
	return true
}

// featuredFirst reads featuredProducts' first as the resolver does
// (featuredCount), and reports whether it is within bounds (the resolver
// reports it otherwise).
func featuredFirst(opCtx *graphql.OperationContext, f graphql.CollectedField) (int, bool) {
	var first *int // no first: the default; len 0: without building the map of none
	if len(f.Arguments) > 0 {
		if v := f.ArgumentMap(opCtx.Variables)["first"]; v != nil {
			n, ok := IntValue(v)
			if !ok {
				return 0, false
			}
			first = &n
		}
	}
	n, err := featuredCount(first)
	return n, err == nil
}

type directWriter struct {
	ctx       context.Context
	opCtx     *graphql.OperationContext
	loaders   *loaders.Loaders
	buf       bytes.Buffer
	collected []collected
	// collectedSpace holds the first few collected sets: a timeline has
	// about six.
	collectedSpace [8]collected
	product        productParts // the product being written
	scratch        [20]byte
}

// collected is a selection set's fields on one type.
type collected struct {
	sel    *ast.Selection // the set's first selection, which identifies it
	n      int
	typ    string
	fields []graphql.CollectedField
}

// collect returns the fields sel selects on an object of type typ,
// collecting them once a request: a timeline writes the same product
// selection 500 times.
func (w *directWriter) collect(sel ast.SelectionSet, typ string) []graphql.CollectedField {
	if len(sel) == 0 {
		return nil
	}
	for _, c := range w.collected {
		if c.sel == &sel[0] && c.n == len(sel) && c.typ == typ {
			return c.fields
		}
	}
	c := collected{sel: &sel[0], n: len(sel), typ: typ}
	c.fields = graphql.CollectFields(w.opCtx, sel, implementorsOf[typ])
	// CollectFields keeps a field selected on the union and on the type
	// (__typename on _Entity and on Profile) twice under one name; a
	// response names a member once, the first (as gqlgen's field sets
	// write it).
	for i := 1; i < len(c.fields); i++ {
		for j := range i {
			if c.fields[j].Alias == c.fields[i].Alias {
				c.fields = slices.Delete(slices.Clone(c.fields), i, i+1)
				i--
				break
			}
		}
	}
	w.collected = append(w.collected, c)
	return c.fields
}

// member writes the name of a response member: "alias":. An alias (or a
// field's name) is a GraphQL Name, [_A-Za-z][_0-9A-Za-z]*, which JSON
// writes as it is.
func (w *directWriter) member(alias string) {
	w.buf.WriteByte('"')
	w.buf.WriteString(alias)
	w.buf.WriteString(`":`)
}

// str writes s as graphql.MarshalString does (the marshaller of String and
// ID), without its closure and its writes through io.Writer when nothing
// needs escaping.
func (w *directWriter) str(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '\\' || c == '"' {
			graphql.MarshalString(s).MarshalGQL(&w.buf)
			return
		}
	}
	w.buf.WriteByte('"')
	w.buf.WriteString(s)
	w.buf.WriteByte('"')
}

func (w *directWriter) null() { w.buf.WriteString("null") }

// int writes n as graphql.MarshalInt does.
func (w *directWriter) int(n int64) { w.buf.Write(strconv.AppendInt(w.scratch[:0], n, 10)) }

// bool writes b as graphql.MarshalBoolean does.
func (w *directWriter) bool(b bool) { w.buf.WriteString(strconv.FormatBool(b)) }
