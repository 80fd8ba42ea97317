package graph

import (
	"context"

	"github.com/shop-subgraph/shop/graph/model"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/engagement"
	"github.com/shop-subgraph/shop/internal/loaders"
)

// mayManage reports whether the request's viewer is the shop's owner or
// platform staff.
func mayManage(ctx context.Context, owner string) bool {
	v, err := auth.FromContext(ctx)
	return err == nil && (v.ProfileID == owner || v.Staff())
}

// insightsModel turns figures into the GraphQL type, loading the products
// in one batch.
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
