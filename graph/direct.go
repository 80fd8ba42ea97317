package graph

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/loaders"
)

// The direct path serves the timeline's _entities call, Tweet and Profile
// representations asking for their shops and carousels, by writing the
// response from the prefetched rows, without gqlgen's field-by-field
// execution: about 2,000 fields a timeline, each with its field context,
// context layer, path, middleware chain and field set, were two thirds of a
// timeline's CPU once the statements were down to two (PERFORMANCE.md).
//
// gqlgen still parses, validates and caches the operation, applies the
// limits and writes the response; the direct path only answers the one root
// field, and only when it can answer it exactly as gqlgen would:
//   - every representation is a well-formed Tweet (with author { id }) or
//     Profile, and there are at most the limit's;
//   - every field selected is one directSupports lists, with no @defer, and
//     featuredProducts' first is within its bounds;
//   - the shops and carousels load without error.
// Anything else (other entities, Product.shop, products pages, insights,
// errors of any kind, traced requests) goes through gqlgen as before, so
// every error is still reported by the resolvers at its own path.
// TestDirectPathAnswersAsGqlgen compares the two paths byte for byte.

// directSupports is what the direct path writes: for each type, its fields
// and the type of the object each object field holds. Field values come
// from the same models the resolvers return (shopModel, productModel) and
// are marshalled by the same functions gqlgen's generated code calls.
var directSupports = map[string]map[string]string{
	"Tweet":   {"__typename": "", "id": "", "shop": "Shop"},
	"Profile": {"__typename": "", "id": "", "shop": "Shop"},
	"Shop": {"__typename": "", "id": "", "owner": "ShopOwner", "name": "", "description": "", "storeUrl": "",
		"status": "", "featuredProducts": "Product", "createdAt": "", "updatedAt": ""},
	// A shop's owner is a Profile, whose shop the prefetch did not load.
	"ShopOwner": {"__typename": "", "id": ""},
	"Product": {"__typename": "", "id": "", "sku": "", "title": "", "description": "", "url": "", "image": "Image",
		"price": "Money", "compareAtPrice": "Money", "availability": "", "condition": "", "brand": "",
		"createdAt": "", "updatedAt": ""},
	"Image": {"__typename": "", "url": "", "altText": "", "width": "", "height": ""},
	"Money": {"__typename": "", "amount": "", "currencyCode": ""},
}

// directEntities is the root field middleware of the direct path.
type directEntities struct {
	logger   *slog.Logger
	shapes   map[string]entityShape
	maxReps  int
	observer EntitiesObserver // may be nil
	// off leaves every call to gqlgen: on traced requests, which need each
	// field's timing, and with Options.NoDirectPath.
	off bool
}

func (d directEntities) intercept(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rfc := graphql.GetRootFieldContext(ctx)
	if rfc == nil || rfc.Field.Name != "_entities" {
		return next(ctx)
	}
	var out graphql.Marshaler
	var ok bool
	if !d.off {
		out, ok = d.serve(ctx, rfc.Field)
	}
	if d.observer != nil {
		d.observer.ObserveEntities(ok)
	}
	if ok {
		return out
	}
	return next(ctx)
}

// serve answers an _entities field, or returns false for gqlgen to. A panic
// is logged and leaves the call to gqlgen, whose resolvers report it if it
// is not the direct path's own.
func (d directEntities) serve(ctx context.Context, field graphql.CollectedField) (out graphql.Marshaler, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.logger.ErrorContext(ctx, "direct path panicked; gqlgen's executor answers", "panic", r, "stack", string(debug.Stack()))
			out, ok = nil, false
		}
	}()
	opCtx := graphql.GetOperationContext(ctx)
	list, _ := field.ArgumentMap(opCtx.Variables)["representations"].([]any)
	if len(list) == 0 || len(list) > d.maxReps {
		return nil, false
	}
	reps := make([]map[string]any, len(list))
	for i, v := range list {
		rep, ok := v.(map[string]any)
		if !ok || !d.wellFormed(rep) {
			return nil, false
		}
		reps[i] = rep
	}
	for _, typ := range []string{"Tweet", "Profile"} {
		if !supported(opCtx, field.Selections, typ) {
			return nil, false
		}
	}
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Query", Field: field, IsMethod: true})
	shops, err := prefetchEntityShops(ctx, reps)
	if err != nil {
		return nil, false
	}
	w := directWriter{ctx: ctx, opCtx: opCtx, loaders: loaders.For(ctx)}
	w.buf.WriteByte('[')
	for i, rep := range reps {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		typ := rep["__typename"].(string)
		where := onTweet
		if typ == "Profile" {
			where = onProfile
		}
		e := entity{typ: typ}
		e.id, _ = graphql.UnmarshalID(rep["id"])
		if s := shops[i]; shown(ctx, s, where) {
			e.shop = shopModel(s)
		}
		if !w.object(field.Selections, typ, e) {
			return nil, false
		}
	}
	w.buf.WriteByte(']')
	return graphql.WriterFunc(func(out io.Writer) { out.Write(w.buf.Bytes()) }), true
}

// wellFormed reports whether a representation is one the direct path
// resolves as gqlgen would: a Tweet with its key and author { id }, or a
// Profile with its key (entitiesMiddleware's checks, and FindTweet's).
func (d directEntities) wellFormed(rep map[string]any) bool {
	switch name, _ := rep["__typename"].(string); name {
	case "Tweet":
		author, ok := rep["author"].(map[string]any)
		return ok && problem(d.shapes, name, rep) == "" && isKeyValue(author["id"])
	case "Profile":
		return problem(d.shapes, name, rep) == ""
	}
	return false
}

// supported reports whether every field sel selects on an object of type
// typ, and under it, is one the direct path writes: one directSupports
// lists, not deferred, and for featuredProducts with first within bounds.
func supported(opCtx *graphql.OperationContext, sel ast.SelectionSet, typ string) bool {
	return fieldsWithin(opCtx, sel, typ, directSupports, func(f graphql.CollectedField) bool {
		if len(f.Deferrables) > 0 {
			return false
		}
		if f.Name == "featuredProducts" {
			_, ok := featuredFirst(opCtx, f)
			return ok
		}
		return true
	})
}

// featuredFirst reads featuredProducts' first as the resolver does, and
// reports whether it is within bounds (the resolver reports it otherwise).
func featuredFirst(opCtx *graphql.OperationContext, f graphql.CollectedField) (int, bool) {
	v, given := f.ArgumentMap(opCtx.Variables)["first"]
	if !given || v == nil {
		return catalog.MaxFeatured, true
	}
	n, ok := toInt(v)
	return n, ok && n >= 1 && n <= catalog.MaxFeatured
}

// entity is a Tweet or Profile of the direct path.
type entity struct {
	typ, id string
	shop    *model.Shop // nil when none is shown
}

type directWriter struct {
	ctx       context.Context
	opCtx     *graphql.OperationContext
	loaders   *loaders.Loaders
	buf       bytes.Buffer
	collected []collected
	product   productParts // the product being written
}

// collected is a selection set's fields on one type, and each one's
// member name as written: "alias":.
type collected struct {
	sel    *ast.Selection // the set's first selection, which identifies it
	n      int
	typ    string
	fields []graphql.CollectedField
	keys   []string
}

// collect returns the fields sel selects on an object of type typ, and
// their member names, collecting them once a request: a timeline writes the
// same product selection 500 times.
func (w *directWriter) collect(sel ast.SelectionSet, typ string) ([]graphql.CollectedField, []string) {
	if len(sel) == 0 {
		return nil, nil
	}
	for _, c := range w.collected {
		if c.sel == &sel[0] && c.n == len(sel) && c.typ == typ {
			return c.fields, c.keys
		}
	}
	c := collected{sel: &sel[0], n: len(sel), typ: typ}
	seen := map[string]bool{}
	for _, f := range graphql.CollectFields(w.opCtx, sel, implementorsOf(typ)) {
		// CollectFields keeps a field selected on the union and on the type
		// (__typename on _Entity and on Profile) twice under one name; a
		// response names a member once, the first (as gqlgen's field sets
		// write it).
		if seen[f.Alias] {
			continue
		}
		seen[f.Alias] = true
		c.fields = append(c.fields, f)
		var key bytes.Buffer
		graphql.MarshalString(f.Alias).MarshalGQL(&key)
		key.WriteByte(':')
		c.keys = append(c.keys, key.String())
	}
	w.collected = append(w.collected, c)
	return c.fields, c.keys
}

// object writes one object of type typ as gqlgen does: its collected
// fields in order, under their aliases. v is an entity, *model.Shop,
// *model.Product, *model.Image or *model.Money. It returns false when a
// value is missing that gqlgen would report as an error.
func (w *directWriter) object(sel ast.SelectionSet, typ string, v any) bool {
	w.buf.WriteByte('{')
	fields, keys := w.collect(sel, typ)
	for i, f := range fields {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.buf.WriteString(keys[i])
		if !w.field(f, typ, v) {
			return false
		}
	}
	w.buf.WriteByte('}')
	return true
}

// str writes s as graphql.MarshalString does (the marshaller of String, ID
// and the string scalars Decimal, CurrencyCode and URL), without its
// closure and its writes through io.Writer when nothing needs escaping.
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

// optionalStr writes s, or null.
func (w *directWriter) optionalStr(s *string) {
	if s == nil {
		w.buf.WriteString("null")
		return
	}
	w.str(*s)
}

func (w *directWriter) field(f graphql.CollectedField, typ string, v any) bool {
	if f.Name == "__typename" {
		name := typ
		if typ == "ShopOwner" {
			name = "Profile"
		}
		w.str(name)
		return true
	}
	var m graphql.Marshaler
	switch o := v.(type) {
	case entity:
		switch f.Name {
		case "id":
			w.str(o.id)
			return true
		case "shop":
			if o.shop == nil {
				m = graphql.Null
				break
			}
			return w.object(f.Selections, "Shop", o.shop)
		}
	case *model.Shop:
		switch f.Name {
		case "id":
			w.str(o.ID)
			return true
		case "owner":
			return w.object(f.Selections, "ShopOwner", entity{typ: "Profile", id: o.Owner.ID})
		case "name":
			w.str(o.Name)
			return true
		case "description":
			w.optionalStr(o.Description)
			return true
		case "storeUrl":
			w.str(string(o.StoreURL))
			return true
		case "status":
			m = o.Status
		case "createdAt":
			m = model.MarshalDateTime(o.CreatedAt)
		case "updatedAt":
			m = model.MarshalDateTime(o.UpdatedAt)
		case "featuredProducts":
			n, _ := featuredFirst(w.opCtx, f)
			// Prefetched for every shop shown: no wait, no statement.
			rows, err := w.loaders.FeaturedProducts.Load(w.ctx, o.Key)()
			if err != nil {
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
				if !w.object(f.Selections, "Product", w.product.set(&rows[i].Product)) {
					return false
				}
			}
			w.buf.WriteByte(']')
			return true
		}
	case *model.Product:
		switch f.Name {
		case "id":
			w.str(o.ID)
			return true
		case "sku":
			w.str(o.Sku)
			return true
		case "title":
			w.str(o.Title)
			return true
		case "description":
			w.optionalStr(o.Description)
			return true
		case "url":
			w.str(string(o.URL))
			return true
		case "image":
			return o.Image != nil && w.object(f.Selections, "Image", o.Image)
		case "price":
			return o.Price != nil && w.object(f.Selections, "Money", o.Price)
		case "compareAtPrice":
			if o.CompareAtPrice == nil {
				m = graphql.Null
				break
			}
			return w.object(f.Selections, "Money", o.CompareAtPrice)
		case "availability":
			m = o.Availability
		case "condition":
			m = o.Condition
		case "brand":
			w.optionalStr(o.Brand)
			return true
		case "createdAt":
			m = model.MarshalDateTime(o.CreatedAt)
		case "updatedAt":
			m = model.MarshalDateTime(o.UpdatedAt)
		}
	case *model.Image:
		switch f.Name {
		case "url":
			w.str(string(o.URL))
			return true
		case "altText":
			w.optionalStr(o.AltText)
			return true
		case "width":
			m = optionalInt(o.Width)
		case "height":
			m = optionalInt(o.Height)
		}
	case *model.Money:
		switch f.Name {
		case "amount":
			w.str(string(o.Amount))
			return true
		case "currencyCode":
			w.str(string(o.CurrencyCode))
			return true
		}
	}
	if m == nil {
		return false // a field supported() let through that this does not write: a bug, left to gqlgen
	}
	m.MarshalGQL(&w.buf)
	return true
}

func optionalInt(n *int) graphql.Marshaler {
	if n == nil {
		return graphql.Null
	}
	return graphql.MarshalInt(*n)
}
