package graph

import (
	"context"
	"time"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/engagement"
	"github.com/shop-subgraph/shop/internal/errcode"
	"github.com/shop-subgraph/shop/internal/loaders"
)

// mayManage reports whether the request's viewer is the shop's owner or
// platform staff.
func mayManage(ctx context.Context, owner string) bool {
	v, err := auth.FromContext(ctx)
	return err == nil && (v.ProfileID == owner || v.Staff())
}

// insightsKey is the EventCounts key of an insights field's from and to
// arguments (as ArgumentMap gives them), for the shop with key shop.
func insightsKey(shop int64, args map[string]any) (loaders.EventsKey, error) {
	from, err := model.UnmarshalDateTime(args["from"])
	if err != nil {
		return loaders.EventsKey{}, err
	}
	to, err := model.UnmarshalDateTime(args["to"])
	if err != nil {
		return loaders.EventsKey{}, err
	}
	return eventsKey(shop, from, to)
}

// eventsKey is the EventCounts key of a shop's insights from from to to, or
// a BAD_USER_INPUT error for a range insights refuse.
func eventsKey(shop int64, from, to time.Time) (loaders.EventsKey, error) {
	fromDay, toDay, err := engagement.Days(from, to)
	if err != nil {
		return loaders.EventsKey{}, errcode.BadInput("%v", err)
	}
	return loaders.EventsKey{Shop: shop, From: fromDay, To: toDay}, nil
}

// shopInsights loads a shop's counters over the key's days (prefetched for a
// list of shops) and turns them into the GraphQL type.
func shopInsights(ctx context.Context, key loaders.EventsKey) (*model.ShopInsights, error) {
	rows, err := loaders.For(ctx).EventCounts.Load(ctx, key)()
	if err != nil {
		return nil, err
	}
	return insightsModel(ctx, engagement.Sum(rows))
}

// insightsModel turns figures into the GraphQL type, loading the products
// in one batch (prefetched for a list of shops).
func insightsModel(ctx context.Context, in engagement.Insights) (*model.ShopInsights, error) {
	ids := make([]int64, len(in.Products))
	for i, p := range in.Products {
		ids[i] = p.ProductID
	}
	rows, errs := loaders.For(ctx).ProductByID.LoadNow(ctx, ids)
	out := &model.ShopInsights{
		Impressions:      int(in.Impressions),
		Clicks:           int(in.Clicks),
		ClickThroughRate: in.ClickThroughRate,
		Products:         make([]*model.ProductInsights, 0, len(in.Products)),
	}
	for i, p := range in.Products {
		if errs != nil && errs[i] != nil {
			return nil, errs[i]
		}
		if rows[i] == nil {
			continue // deleted since it was counted
		}
		out.Products = append(out.Products, &model.ProductInsights{
			Product:     productModel(&rows[i].Product),
			Impressions: int(p.Impressions),
			Clicks:      int(p.Clicks),
		})
	}
	return out, nil
}
