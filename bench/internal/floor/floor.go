// Package floor is the benchmark's floor: a hand-written net/http handler
// that answers the timeline request (an _entities call of Tweet
// representations asking for their authors' carousels) with the same SQL as
// the subgraph, through internal/store, and the same JSON, without a GraphQL
// engine. It reads the query's shape from nowhere: it knows the one query of
// the benchmark. What it costs is what the subgraph cannot go below.
package floor

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/shop-subgraph/shop/internal/money"
	"github.com/shop-subgraph/shop/internal/store"
)

type request struct {
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
		owners := make([]string, 0, len(reps))
		seen := make(map[string]bool, len(reps))
		for _, rep := range reps {
			if rep.Typename != "Tweet" || rep.Author == nil || rep.Author.ID == nil {
				http.Error(w, "the floor serves Tweet representations with author { id } only", http.StatusBadRequest)
				return
			}
			if a := *rep.Author.ID; !seen[a] {
				seen[a] = true
				owners = append(owners, a)
			}
		}
		ctx := r.Context()
		rows, err := st.ShopsByOwnerIDs(ctx, owners)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		shops := make(map[string]*shop, len(rows))
		byID := make(map[int64]*shop, len(rows))
		ids := make([]int64, 0, len(rows))
		for i := range rows {
			s := &rows[i]
			if s.Status != store.StatusActive {
				continue
			}
			out := &shop{ID: strconv.FormatInt(s.ID, 10), Name: s.Name, StoreURL: s.StoreURL, FeaturedProducts: []product{}}
			shops[s.OwnerID] = out
			byID[s.ID] = out
			ids = append(ids, s.ID)
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
		for i, rep := range reps {
			resp.Data.Entities[i].Shop = shops[*rep.Author.ID]
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(&resp)
	})
}
