package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/errcode"
	"github.com/shop-subgraph/shop/internal/loaders"
	"github.com/shop-subgraph/shop/internal/store"
)

// The merchant write API's plumbing: who is calling, GraphQL inputs to
// catalog inputs, catalog results to payloads. The rules themselves are
// internal/catalog's.

// actor returns the signed-in caller, or an UNAUTHENTICATED error saying why
// there is none.
func actor(ctx context.Context) (catalog.Actor, error) {
	v, err := auth.FromContext(ctx)
	if err != nil {
		return catalog.Actor{}, errcode.New(errcode.Unauthenticated, err.Error())
	}
	return catalog.Actor{ProfileID: v.ProfileID, Staff: v.Staff()}, nil
}

// writeError turns an operation's error into the client's: FORBIDDEN for
// another profile's shop; anything else stays internal.
func writeError(err error) error {
	if errors.Is(err, catalog.ErrForbidden) {
		return errcode.New(errcode.Forbidden, "this shop belongs to another profile")
	}
	return err
}

// written makes the rest of the request read afresh what a mutation wrote.
func written(ctx context.Context) { loaders.For(ctx).Forget() }

// changedShop records, for entity caches, that a mutation changed a shop:
// the Shop, and the owner's Profile, whose shop field shows it.
func changedShop(ctx context.Context, shopID int64, owner string) {
	cachecontrol.Invalidate(ctx, "Shop", formatID(shopID))
	cachecontrol.Invalidate(ctx, "Profile", owner)
}

// changedProducts records, for entity caches, that a mutation changed
// products of a shop: each Product, and their shop as changedShop does
// (its carousel or catalogue shows them). It reads the shop's owner;
// changedShopProducts is for a caller that has the shop.
func changedProducts(ctx context.Context, shopID int64, productIDs ...int64) {
	if s, err := loaders.For(ctx).ShopByID.Load(ctx, shopID)(); err == nil && s != nil {
		changedShopProducts(ctx, s, productIDs...)
		return
	}
	for _, id := range productIDs {
		cachecontrol.Invalidate(ctx, "Product", formatID(id))
	}
}

// changedShopProducts is changedProducts with the shop at hand, as the
// mutation left it: no statement, and the rest of the request reads the
// shop from it.
func changedShopProducts(ctx context.Context, s *store.Shop, productIDs ...int64) {
	for _, id := range productIDs {
		cachecontrol.Invalidate(ctx, "Product", formatID(id))
	}
	changedShop(ctx, s.ID, s.OwnerID)
	loaders.For(ctx).ShopByID.Prime(ctx, s.ID, s)
}

// userErrors converts FieldErrors; the list is never null.
func userErrors(errs []catalog.FieldError) []*model.UserError {
	out := make([]*model.UserError, len(errs))
	for i, e := range errs {
		out[i] = &model.UserError{Field: e.Field, Message: e.Message, Code: model.UserErrorCode(e.Code)}
	}
	return out
}

// idArg parses an id argument; an id this service never issued is 0, which
// no row has, so the operation reports it as NOT_FOUND.
func idArg(id string) int64 {
	key, _ := parseID(id)
	return key
}

func shopInput(in model.CreateShopInput) catalog.ShopInput {
	return catalog.ShopInput{Name: in.Name, Description: in.Description, StoreURL: string(in.StoreURL)}
}

func imageInput(in *model.ImageInput) catalog.ImageInput {
	if in == nil {
		return catalog.ImageInput{}
	}
	return catalog.ImageInput{URL: string(in.URL), AltText: in.AltText, Width: in.Width, Height: in.Height}
}

func productInput(in *model.ProductInput) catalog.ProductInput {
	p := catalog.ProductInput{
		SKU:         in.Sku,
		Title:       in.Title,
		Description: in.Description,
		URL:         string(in.URL),
		Image:       imageInput(in.Image),
		Price:       string(in.Price),
		Currency:    string(in.CurrencyCode),
		Brand:       in.Brand,
	}
	if in.CompareAtPrice != nil {
		s := string(*in.CompareAtPrice)
		p.CompareAtPrice = &s
	}
	// Null takes the default, as an omitted field does.
	if in.Availability != nil {
		p.Availability = string(*in.Availability)
	}
	if in.Condition != nil {
		p.Condition = string(*in.Condition)
	}
	return p
}

func productInputs(ins []*model.ProductInput) []catalog.ProductInput {
	out := make([]catalog.ProductInput, len(ins))
	for i, in := range ins {
		out[i] = productInput(in)
	}
	return out
}

// change converts an omittable input field: left out keeps, null clears,
// a value sets.
func change[T, U any](o graphql.Omittable[*T], conv func(T) U) catalog.Change[U] {
	v, set := o.ValueOK()
	if !set {
		return catalog.Change[U]{}
	}
	if v == nil {
		return catalog.Change[U]{Set: true}
	}
	return catalog.To(conv(*v))
}

// changeText converts an omittable input field of a string type (String,
// URL, Decimal, an enum) to the catalogue's text.
func changeText[T ~string](o graphql.Omittable[*T]) catalog.Change[string] {
	return change(o, func(v T) string { return string(v) })
}

func shopChanges(in model.UpdateShopInput) catalog.ShopChanges {
	return catalog.ShopChanges{
		Name:        changeText(in.Name),
		Description: changeText(in.Description),
		StoreURL:    changeText(in.StoreURL),
	}
}

func productChanges(in model.UpdateProductInput) catalog.ProductChanges {
	return catalog.ProductChanges{
		Title:          changeText(in.Title),
		Description:    changeText(in.Description),
		URL:            changeText(in.URL),
		Image:          change(in.Image, func(i model.ImageInput) catalog.ImageInput { return imageInput(&i) }),
		Price:          changeText(in.Price),
		CompareAtPrice: changeText(in.CompareAtPrice),
		Currency:       changeText(in.CurrencyCode),
		Availability:   changeText(in.Availability),
		Condition:      changeText(in.Condition),
		Brand:          changeText(in.Brand),
	}
}

func productRefs(ids []string) []catalog.ProductRef {
	out := make([]catalog.ProductRef, len(ids))
	for i, id := range ids {
		out[i] = catalog.ProductRef{Key: id, ID: idArg(id)}
	}
	return out
}

// shopPayload is a shop mutation's result: the shop, or what was wrong.
func shopPayload(ctx context.Context, s store.Shop, errs []catalog.FieldError) *model.ShopPayload {
	if len(errs) > 0 {
		return &model.ShopPayload{UserErrors: userErrors(errs)}
	}
	written(ctx)
	changedShop(ctx, s.ID, s.OwnerID)
	loaders.For(ctx).ShopByID.Prime(ctx, s.ID, &s)
	return &model.ShopPayload{Shop: shopModel(&s), UserErrors: userErrors(nil)}
}

// productPayload is a product mutation's result: the product, or what was
// wrong.
func productPayload(ctx context.Context, p store.Product, errs []catalog.FieldError) *model.ProductPayload {
	if len(errs) > 0 {
		return &model.ProductPayload{UserErrors: userErrors(errs)}
	}
	written(ctx)
	changedProducts(ctx, p.ShopID, p.ID)
	return &model.ProductPayload{Product: productModel(&p), UserErrors: userErrors(nil)}
}
