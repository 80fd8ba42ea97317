package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// The merchant write API (SPEC §6): one function a mutation, each one
// transaction. An operation either writes and returns what it wrote, or
// returns the problems with its input as FieldErrors and writes nothing. The
// FieldErrors' paths are the GraphQL mutation's, counted from its arguments
// (["input", "product", "price"], ["products", "3", "currencyCode"]), so the
// GraphQL layer passes them through as they are.
//
// Authorization is the operations' too: the actor must own the shop
// (ErrForbidden otherwise), except that staff may change any shop's status.

// Actor is who calls an operation: the signed-in profile, and whether it is
// platform staff.
type Actor struct {
	ProfileID string
	Staff     bool
}

// ErrForbidden is returned when the shop is another profile's. Nothing was
// written.
var ErrForbidden = errors.New("the shop belongs to another profile")

// ProductRef is a product id as the client gave it (Key, for messages) and
// as the store knows it (ID; 0 when Key is not an id this service issues).
type ProductRef struct {
	Key string
	ID  int64
}

// rejected carries an operation's FieldErrors out of its transaction, which
// rolls it back.
type rejected []FieldError

func (r rejected) Error() string { return fmt.Sprintf("%d problem(s) with the input", len(r)) }

func reject(code, msg string, field ...string) rejected {
	return rejected{{Field: field, Message: msg, Code: code}}
}

// transact runs fn in one transaction and returns its FieldErrors, if it
// rejected the input, apart from other errors, with the GraphQL input's
// field names (graphQLNames).
func transact(ctx context.Context, st *store.Store, fn func(tx *store.Tx) error) ([]FieldError, error) {
	ctx, end := telemetry.Start(ctx, "write transaction")
	err := st.Write(ctx, fn)
	end(err)
	var r rejected
	if errors.As(err, &r) {
		return graphQLNames(r), nil
	}
	return nil, err
}

// graphQLNames renames the import format's field names in paths to the
// GraphQL input's: currency is currencyCode there.
func graphQLNames(errs []FieldError) []FieldError {
	for i := range errs {
		for j, f := range errs[i].Field {
			if f == "currency" {
				errs[i].Field = slices.Clone(errs[i].Field)
				errs[i].Field[j] = "currencyCode"
			}
		}
	}
	return errs
}

// ownShop returns the shop with the given id if the actor owns it. An unknown
// id is a NOT_FOUND FieldError at field.
func ownShop(ctx context.Context, tx *store.Tx, a Actor, id int64, field ...string) (store.Shop, error) {
	return shopFor(ctx, tx, a, id, false, field...)
}

// shopFor is ownShop, also letting staff through when staffMay.
func shopFor(ctx context.Context, tx *store.Tx, a Actor, id int64, staffMay bool, field ...string) (store.Shop, error) {
	s, err := tx.ShopByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return s, reject(CodeNotFound, "there is no shop with this id", field...)
	}
	if err != nil {
		return s, err
	}
	if s.OwnerID != a.ProfileID && !(staffMay && a.Staff) {
		return s, ErrForbidden
	}
	return s, nil
}

// ownProduct returns the product with the given id if the actor owns its
// shop. An unknown id is a NOT_FOUND FieldError at field. The shop comes
// first, taking the shop's turn (store.Write), then the product as it is
// once no other writer of the shop can change it.
func ownProduct(ctx context.Context, tx *store.Tx, a Actor, id int64, field ...string) (store.Product, error) {
	notFound := reject(CodeNotFound, "there is no product with this id", field...)
	s, err := tx.ShopByProductID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Product{}, notFound
	}
	if err != nil {
		return store.Product{}, err
	}
	if s.OwnerID != a.ProfileID {
		return store.Product{}, ErrForbidden
	}
	p, err := tx.ProductByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return p, notFound
	}
	return p, err
}

// CreateShop creates the actor's shop, as a DRAFT the owner then activates.
// in.ProfileID and in.Status are ignored. A profile that has a shop gets
// TAKEN. Paths start at "input".
func CreateShop(ctx context.Context, st *store.Store, a Actor, in ShopInput) (store.Shop, []FieldError, error) {
	in.ProfileID, in.Status = a.ProfileID, store.StatusDraft
	w, verrs := ValidateShop(in)
	var errs []FieldError
	for _, e := range verrs {
		if len(e.Field) > 0 && e.Field[0] == "profileId" {
			// Not the merchant's input but the token's: a problem with the
			// input as a whole.
			e.Field, e.Message = nil, "the signed-in profile id (the token's sub) "+e.Message
		} else {
			e.Field = append([]string{"input"}, e.Field...)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return store.Shop{}, errs, nil
	}
	taken := reject(CodeTaken, "this profile already has a shop; change it with updateShop")
	var shop store.Shop
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		_, err := tx.ShopByOwnerID(ctx, a.ProfileID)
		if err == nil {
			return taken
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		shop, err = tx.CreateShop(ctx, w)
		if errors.Is(err, store.ErrConflict) {
			return taken
		}
		return err
	})
	return shop, errs, err
}

// UpdateShop changes the fields of the shop that c sets. Paths start at
// "input".
func UpdateShop(ctx context.Context, st *store.Store, a Actor, shopID int64, c ShopChanges) (store.Shop, []FieldError, error) {
	var shop store.Shop
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		cur, err := ownShop(ctx, tx, a, shopID, "input", "shopId")
		if err != nil {
			return err
		}
		w, errs := MergeShop(cur, c)
		if len(errs) > 0 {
			return rejected(Prefix(errs, "input"))
		}
		shop, err = tx.UpdateShop(ctx, cur.ID, w)
		return err
	})
	return shop, errs, err
}

// SetShopStatus changes the shop's status. Owners move their shop between
// DRAFT and ACTIVE; staff may set any status on any shop, and only they set
// or lift SUSPENDED (FORBIDDEN_STATUS otherwise). Paths are "shopId" and
// "status".
func SetShopStatus(ctx context.Context, st *store.Store, a Actor, shopID int64, status string) (store.Shop, []FieldError, error) {
	var shop store.Shop
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		cur, err := shopFor(ctx, tx, a, shopID, true, "shopId")
		if err != nil {
			return err
		}
		if errs := ValidateStatusChange(cur.Status, status, a.Staff); len(errs) > 0 {
			return rejected(errs)
		}
		shop = cur
		if cur.Status == status {
			return nil
		}
		shop, err = tx.UpdateShop(ctx, cur.ID, store.ShopWrite{
			OwnerID: cur.OwnerID, Name: cur.Name, Description: cur.Description, StoreURL: cur.StoreURL, Status: status,
		})
		return err
	})
	return shop, errs, err
}

// CreateProduct adds a product to the end of the shop's catalogue. A SKU the
// shop has is TAKEN. Paths start at "input".
func CreateProduct(ctx context.Context, st *store.Store, a Actor, shopID int64, in ProductInput) (store.Product, []FieldError, error) {
	var product store.Product
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		shop, err := ownShop(ctx, tx, a, shopID, "input", "shopId")
		if err != nil {
			return err
		}
		w, errs := ValidateProduct(in)
		if len(errs) > 0 {
			return rejected(Prefix(errs, "input", "product"))
		}
		existing, err := tx.ProductsBySKU(ctx, shop.ID, []string{w.SKU})
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return reject(CodeTaken, fmt.Sprintf("the shop already has a product with SKU %q; change it with updateProduct or upsertProducts", w.SKU),
				"input", "product", "sku")
		}
		n, err := tx.CountProducts(ctx, shop.ID)
		if err != nil {
			return err
		}
		if errs := ValidateProductCount(n + 1); len(errs) > 0 { // the shop is full: no field is at fault
			return rejected(errs)
		}
		product, err = tx.CreateProduct(ctx, shop.ID, w)
		if errors.Is(err, store.ErrConflict) {
			return reject(CodeTaken, fmt.Sprintf("the shop already has a product with SKU %q", w.SKU), "input", "product", "sku")
		}
		return err
	})
	return product, errs, err
}

// UpdateProduct changes the fields of the product that c sets; the product
// as changed must be valid as a whole. Paths start at "input".
func UpdateProduct(ctx context.Context, st *store.Store, a Actor, productID int64, c ProductChanges) (store.Product, []FieldError, error) {
	var product store.Product
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		cur, err := ownProduct(ctx, tx, a, productID, "input", "id")
		if err != nil {
			return err
		}
		w, errs := MergeProduct(cur, c)
		if len(errs) > 0 {
			return rejected(Prefix(errs, "input"))
		}
		product, err = tx.UpdateProduct(ctx, cur.ID, w)
		return err
	})
	return product, errs, err
}

// DeleteProduct deletes a product and takes it out of the shop's featured
// list, closing the gap. The path is "id".
func DeleteProduct(ctx context.Context, st *store.Store, a Actor, productID int64) ([]FieldError, error) {
	return transact(ctx, st, func(tx *store.Tx) error {
		p, err := ownProduct(ctx, tx, a, productID, "id")
		if err != nil {
			return err
		}
		featured, err := tx.FeaturedProductIDs(ctx, p.ShopID)
		if err != nil {
			return err
		}
		if i := slices.Index(featured, p.ID); i >= 0 {
			if err := tx.ReplaceFeatured(ctx, p.ShopID, slices.Delete(featured, i, i+1)); err != nil {
				return err
			}
			if _, err := tx.TouchShop(ctx, p.ShopID); err != nil {
				return err
			}
		}
		return tx.DeleteProduct(ctx, p.ID)
	})
}

// UpsertProducts creates or updates at most MaxUpsertProducts products by
// SKU, as the import does: an updated product keeps its place in the
// catalogue, new ones are appended in the order given. It returns them in
// the order given, with their shop as it is once they are written (the
// upsert changes no shop column), so that the caller needs no statement to
// know its owner. Paths start at "products".
func UpsertProducts(ctx context.Context, st *store.Store, a Actor, shopID int64, ins []ProductInput) (store.Shop, []store.Product, []FieldError, error) {
	var (
		shop     store.Shop
		products []store.Product
	)
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		var err error
		shop, err = ownShop(ctx, tx, a, shopID, "shopId")
		if err != nil {
			return err
		}
		if len(ins) > MaxUpsertProducts {
			return reject(CodeTooMany, fmt.Sprintf("at most %d products can be upserted in one call, got %d; send them in several calls", MaxUpsertProducts, len(ins)),
				"products")
		}
		ws, errs := ValidateProducts(ins)
		if len(errs) > 0 {
			return rejected(errs)
		}
		// The upsert returns what it wrote, and whether it created
		// anything: only then can the catalogue have grown past its limit,
		// and only then is it counted (and the write rolled back if so).
		// Products it left as they were are read afterwards, if any. Two
		// statements after the shop's when every product changes.
		written, created, err := tx.UpsertProductsReturning(ctx, shop.ID, ws)
		if err != nil {
			return err
		}
		if created > 0 {
			n, err := tx.CountProducts(ctx, shop.ID)
			if err != nil {
				return err
			}
			if errs := ValidateProductCount(n, "products"); len(errs) > 0 {
				return rejected(errs)
			}
		}
		bySKU := make(map[string]store.Product, len(ws))
		for _, r := range written {
			bySKU[r.SKU] = r
		}
		skus := make([]string, len(ws))
		var unchanged []string
		for i, w := range ws {
			skus[i] = w.SKU
			if _, ok := bySKU[w.SKU]; !ok {
				unchanged = append(unchanged, w.SKU)
			}
		}
		if len(unchanged) > 0 {
			rows, err := tx.ProductsBySKU(ctx, shop.ID, unchanged)
			if err != nil {
				return err
			}
			for _, r := range rows {
				bySKU[r.SKU] = r
			}
		}
		products = make([]store.Product, len(skus))
		for i, sku := range skus {
			products[i] = bySKU[sku]
		}
		return nil
	})
	if err != nil || len(errs) > 0 {
		return store.Shop{}, nil, errs, err
	}
	return shop, products, nil, nil
}

// SetFeaturedProducts replaces the shop's featured list with at most
// MaxFeatured distinct products of its own, in order; an empty list features
// nothing. Paths are "shopId" and "productIds".
//
// A list that is right, as nearly every one is, is written without reading
// the products first (featureFast); one that is not rolls that back and
// goes the way that reads them, to say which entry is wrong.
func SetFeaturedProducts(ctx context.Context, st *store.Store, a Actor, shopID int64, refs []ProductRef) (store.Shop, []FieldError, error) {
	shop, errs, err := featureFast(ctx, st, a, shopID, refs)
	if errors.Is(err, errSlowPath) {
		return featureChecked(ctx, st, a, shopID, refs)
	}
	return shop, errs, err
}

// errSlowPath rolls featureFast's transaction back for featureChecked.
var errSlowPath = errors.New("the list needs checking product by product")

// featureFast is SetFeaturedProducts in four statements after the shop's:
// empty the list, returning it; insert the new one, joined with the shop's
// products, so that an id of another shop or of none is left out; and, when
// the list changed, move the shop's updated_at. It returns errSlowPath when
// an entry is not the shop's product, or the list is not well formed.
func featureFast(ctx context.Context, st *store.Store, a Actor, shopID int64, refs []ProductRef) (store.Shop, []FieldError, error) {
	keys := make([]string, len(refs))
	ids := make([]int64, len(refs))
	for i, r := range refs {
		keys[i], ids[i] = r.Key, r.ID
	}
	if errs := ValidateFeatured("productIds", keys, func(k string) bool { return true }); len(errs) > 0 ||
		slices.Contains(ids, 0) || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		// Deciding what was wrong needs the products: featureChecked does.
		// (The shop's own problems, its id and owner, come first there too.)
		return store.Shop{}, nil, errSlowPath
	}
	var shop store.Shop
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		cur, err := ownShop(ctx, tx, a, shopID, "shopId")
		if err != nil {
			return err
		}
		old, err := tx.TakeFeatured(ctx, cur.ID)
		if err != nil {
			return err
		}
		n, err := tx.FeatureOwnProducts(ctx, cur.ID, ids)
		if err != nil {
			return err
		}
		if n != len(ids) {
			return errSlowPath
		}
		shop = cur
		if slices.Equal(old, ids) {
			// Written back as it was: the shop did not change.
			return nil
		}
		shop, err = tx.TouchShop(ctx, cur.ID)
		return err
	})
	return shop, errs, err
}

// featureChecked is SetFeaturedProducts reading which shop each product is
// of first, so that its FieldErrors name each entry that is wrong.
func featureChecked(ctx context.Context, st *store.Store, a Actor, shopID int64, refs []ProductRef) (store.Shop, []FieldError, error) {
	var shop store.Shop
	errs, err := transact(ctx, st, func(tx *store.Tx) error {
		cur, err := ownShop(ctx, tx, a, shopID, "shopId")
		if err != nil {
			return err
		}
		keys := make([]string, len(refs))
		ids := make([]int64, 0, len(refs))
		byKey := make(map[string]int64, len(refs))
		for i, r := range refs {
			keys[i] = r.Key
			byKey[r.Key] = r.ID
			if r.ID > 0 {
				ids = append(ids, r.ID)
			}
		}
		shopOf, err := tx.ProductShopIDs(ctx, ids)
		if err != nil {
			return err
		}
		// Another shop's product is "not found" in this one: its id tells
		// the caller nothing about other shops.
		errs := ValidateFeatured("productIds", keys, func(k string) bool {
			id := byKey[k]
			return id > 0 && shopOf[id] == cur.ID
		})
		if len(errs) > 0 {
			return rejected(errs)
		}
		current, err := tx.FeaturedProductIDs(ctx, cur.ID)
		if err != nil {
			return err
		}
		shop = cur
		if slices.Equal(current, ids) {
			return nil
		}
		if err := tx.ReplaceFeatured(ctx, cur.ID, ids); err != nil {
			return err
		}
		shop, err = tx.TouchShop(ctx, cur.ID)
		return err
	})
	return shop, errs, err
}
