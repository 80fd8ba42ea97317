package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shop-subgraph/shop/internal/cachecontrol"
	"github.com/shop-subgraph/shop/internal/loaders"
)

// CacheExtensions is a response middleware: it adds, to a mutation's
// response, the invalidation of the entities it changed, and to the
// response of a query with one _entities field, each entity's cache tags
// (apolloEntityCacheTags, Apollo Router's response cache): its own, and
// the shop it shows, so that one shop's change can be purged from every
// profile and tweet showing it.
func CacheExtensions(subgraph string) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || !graphql.HasOperationContext(ctx) {
			return resp
		}
		opCtx := graphql.GetOperationContext(ctx)
		if opCtx.Operation == nil {
			return resp
		}
		if invs := cachecontrol.From(ctx).Invalidations(subgraph); len(invs) > 0 {
			setExtension(resp, "invalidation", invs)
		}
		if opCtx.Operation.Operation == ast.Query && len(resp.Errors) == 0 {
			if tags, ok := entityCacheTags(ctx, opCtx); ok {
				setExtension(resp, "apolloEntityCacheTags", tags)
			}
		}
		return resp
	}
}

func setExtension(resp *graphql.Response, key string, v any) {
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions[key] = v
}

// entityCacheTags returns the cache tags of each entity of the operation's
// one _entities field, in the order of its representations: shop-ID,
// product-ID, profile-ID; a profile or tweet also has the tag of the shop
// it shows. It reads what the request loaded; it loads nothing.
func entityCacheTags(ctx context.Context, opCtx *graphql.OperationContext) ([][]string, bool) {
	fields := graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, implementorsOf["Query"])
	if len(fields) != 1 || fields[0].Name != "_entities" {
		return nil, false
	}
	reps, ok := entityRepresentations(ctx, opCtx, fields[0])
	if !ok {
		return nil, false
	}
	l := loaders.For(ctx)
	tags := make([][]string, len(reps))
	shopTag := func(owner any, p placement) []string {
		id, err := graphql.UnmarshalID(owner)
		if err != nil || owner == nil {
			return nil
		}
		if s, cached, err := l.ShopByOwner.Cached(ctx, id); cached && err == nil && s != nil {
			if ok, _ := showing(ctx, s, p); !ok {
				return nil
			}
			return []string{"shop-" + formatID(s.ID)}
		}
		return nil
	}
	for i, rep := range reps {
		id, _ := graphql.UnmarshalID(rep["id"])
		t := []string{}
		switch rep["__typename"] {
		case "Shop":
			if key, ok := idKey(rep["id"]); ok {
				if s, cached, err := l.ShopByID.Cached(ctx, key); cached && err == nil && visibleShop(s) {
					t = append(t, "shop-"+id)
				}
			}
		case "Product":
			if key, ok := idKey(rep["id"]); ok {
				if p, cached, err := l.ProductByID.Cached(ctx, key); cached && err == nil && p != nil {
					t = append(t, "product-"+id, "shop-"+formatID(p.ShopID))
				}
			}
		case "Profile":
			t = append(append(t, "profile-"+id), shopTag(rep["id"], onProfile)...)
		case "Tweet":
			if author, ok := rep["author"].(map[string]any); ok {
				t = append(t, shopTag(author["id"], onTweet)...)
			}
		}
		tags[i] = t
	}
	return tags, true
}
