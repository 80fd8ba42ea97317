// Package floor is the benchmark's floor: a hand-written net/http handler
// that answers the timeline request (an _entities call of Tweet
// representations asking for their authors' carousels) with the same SQL as
// the subgraph, through internal/store, and the same JSON, without a GraphQL
// engine. It reads the query's shape from nowhere: it knows the benchmark's
// queries (the hot path's, and the two of issue 14's timeline as Apollo
// Gateway plans it: dataset.ApolloTweetsQuery, dataset.ApolloAuthorsQuery)
// by their text. What it costs is what the subgraph cannot go below.
package floor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
	"github.com/shop-subgraph/shop/internal/money"
	"github.com/shop-subgraph/shop/internal/store"
)

type request struct {
	Query     string `json:"query"`
	Variables struct {
		Representations []struct {
			Typename string `json:"__typename"`
			ID       string `json:"id"`
			Author   *struct {
				ID *string `json:"id"`
			} `json:"author"`
		} `json:"representations"`
	} `json:"variables"`
}

type response struct {
	Data struct {
		Entities []entity `json:"_entities"`
	} `json:"data"`
}

type entity struct {
	Shop *shop `json:"shop"`
}

type shop struct {
	ID               string    `json:"id"`
	Name             string    `json:"name"`
	StoreURL         string    `json:"storeUrl"`
	FeaturedProducts []product `json:"featuredProducts"`
}

// apolloShop is a shop as dataset.ApolloTweetsQuery and
// dataset.ApolloAuthorsQuery ask for it (the latter without a carousel).
type apolloShop struct {
	Name             string           `json:"name"`
	FeaturedProducts *[]apolloProduct `json:"featuredProducts,omitempty"`
}

type apolloProduct struct {
	SKU   string `json:"sku"`
	Title string `json:"title"`
	Price struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"price"`
	URL string `json:"url"`
}

type product struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Image struct {
		URL string `json:"url"`
	} `json:"image"`
	Price struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"price"`
}

// MaxBody is the subgraph's default body limit (gqlhttp.DefaultMaxBodyBytes,
// which the tests check; the floor does not import graph, so that its
// binary holds no GraphQL engine).
const MaxBody = 1 << 20

// Handler answers POSTed timeline requests from st.
func Handler(st *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST a timeline", http.StatusMethodNotAllowed)
			return
		}
		var req request
		if err := json.NewDecoder(io.LimitReader(r.Body, MaxBody)).Decode(&req); err != nil {
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
			return
		}
		reps := req.Variables.Representations
		// The distinct authors, as the subgraph's loader keys them.
		keys := make([]string, len(reps))
		owners := make([]string, 0, len(reps))
		seen := make(map[string]bool, len(reps))
		for i, rep := range reps {
			switch {
			case req.Query == dataset.ApolloAuthorsQuery && rep.Typename == "Profile":
				keys[i] = rep.ID
			case req.Query != dataset.ApolloAuthorsQuery && rep.Typename == "Tweet" && rep.Author != nil && rep.Author.ID != nil:
				keys[i] = *rep.Author.ID
			default:
				http.Error(w, "the floor serves Tweet representations with author { id }, or Profile representations for dataset.ApolloAuthorsQuery, only", http.StatusBadRequest)
				return
			}
			if a := keys[i]; !seen[a] {
				seen[a] = true
				owners = append(owners, a)
			}
		}
		ctx := r.Context()
		if req.Query == dataset.ApolloAuthorsQuery || req.Query == dataset.ApolloTweetsQuery {
			apollo(w, r, st, req.Query == dataset.ApolloTweetsQuery, owners, keys)
			return
		}
		shops, byID, ids, err := activeShops(ctx, st, owners, func(s *store.Shop) *shop {
			return &shop{ID: strconv.FormatInt(s.ID, 10), Name: s.Name, StoreURL: s.StoreURL, FeaturedProducts: []product{}}
		})
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		featured, err := st.FeaturedProductsByShopIDs(ctx, ids, store.CardColumns)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		for i := range featured {
			f := &featured[i]
			var p product
			p.ID = strconv.FormatInt(f.ID, 10)
			p.Title = f.Title
			p.URL = f.URL
			p.Image.URL = f.ImageURL
			p.Price.Amount = money.Format(f.PriceMinor, f.Currency)
			p.Price.CurrencyCode = f.Currency
			s := byID[f.ShopID]
			s.FeaturedProducts = append(s.FeaturedProducts, p)
		}
		var resp response
		resp.Data.Entities = make([]entity, len(reps))
		for i, a := range keys {
			resp.Data.Entities[i].Shop = shops[a]
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(&resp)
	})
}

// activeShops reads the shops of owners (the first statement) and makes
// the active ones' answers with answer: by owner, by id, and their ids.
func activeShops[T any](ctx context.Context, st *store.Store, owners []string, answer func(*store.Shop) *T) (map[string]*T, map[int64]*T, []int64, error) {
	rows, err := st.ShopsByOwnerIDs(ctx, owners)
	if err != nil {
		return nil, nil, nil, err
	}
	byOwner := map[string]*T{}
	byID := map[int64]*T{}
	ids := []int64{}
	for i := range rows {
		s := &rows[i]
		if s.Status != store.StatusActive {
			continue
		}
		out := answer(s)
		byOwner[s.OwnerID], byID[s.ID] = out, out
		ids = append(ids, s.ID)
	}
	return byOwner, byID, ids, nil
}

// apollo answers the two requests of issue 14's timeline as Apollo Gateway
// plans it: the shops of the tweets' authors (keys, one a representation)
// with their carousels (carousels: dataset.ApolloTweetsQuery, read as the
// subgraph reads them, with the card's columns, the SKU among them), or
// with their names alone (dataset.ApolloAuthorsQuery, one statement).
func apollo(w http.ResponseWriter, r *http.Request, st *store.Store, carousels bool, owners, keys []string) {
	ctx := r.Context()
	shops, byID, ids, err := activeShops(ctx, st, owners, func(s *store.Shop) *apolloShop {
		out := &apolloShop{Name: s.Name}
		if carousels {
			out.FeaturedProducts = &[]apolloProduct{}
		}
		return out
	})
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if carousels {
		featured, err := st.FeaturedProductsByShopIDs(ctx, ids, store.CardColumns)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		for i := range featured {
			f := &featured[i]
			p := apolloProduct{SKU: f.SKU, Title: f.Title, URL: f.URL}
			p.Price.Amount = money.Format(f.PriceMinor, f.Currency)
			p.Price.CurrencyCode = f.Currency
			s := byID[f.ShopID]
			*s.FeaturedProducts = append(*s.FeaturedProducts, p)
		}
	}
	var resp struct {
		Data struct {
			Entities []struct {
				Shop *apolloShop `json:"shop"`
			} `json:"_entities"`
		} `json:"data"`
	}
	resp.Data.Entities = make([]struct {
		Shop *apolloShop `json:"shop"`
	}, len(keys))
	for i, a := range keys {
		resp.Data.Entities[i].Shop = shops[a]
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(&resp)
}
