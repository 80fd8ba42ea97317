// Package loaders holds the per-request dataloaders that batch the Shop
// subgraph's lookups, ForRequest, which gives every request its own set (the
// HTTP edge calls it), and For(ctx) to reach them from resolvers.
package loaders

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/shop-subgraph/shop/internal/store"
)

// Wait is how long a loader collects keys before it runs its batch. Batch
// entity resolvers and list resolvers load their whole key set with LoadNow
// and do not wait at all; the window only gathers keys from field resolvers
// that run in parallel goroutines, which arrive within microseconds.
const Wait = 200 * time.Microsecond

// Observer is told the size of every batch a loader runs.
type Observer interface {
	ObserveBatch(loader string, size int)
}

// BatchTracer, when the Observer implements it too, wraps every batch: the
// batch runs with the context StartBatch returns (a span's, so that the
// batch's statements are its children), and end is called when it ends.
type BatchTracer interface {
	StartBatch(ctx context.Context, loader string, size int) (_ context.Context, end func())
}

type nopObserver struct{}

func (nopObserver) ObserveBatch(string, int) {}

// PageKey asks for up to Limit products of Shop after the product AfterID.
type PageKey struct {
	Shop    int64
	AfterID int64
	Limit   int
}

// EventsKey asks for a shop's event counters from day From to day To
// (store.DayLayout, inclusive).
type EventsKey struct {
	Shop     int64
	From, To string
}

// Loader is a dataloader that can also load a whole known set of keys at
// once (LoadNow) and say what it holds (Cached). The dataloader itself, with
// its batch window, is made on the first Load: a request whose keys are all
// loaded at once, such as every _entities call, never makes one, and most
// requests use few of their loaders.
type Loader[K comparable, V any] struct {
	batch dataloader.BatchFunc[K, V]
	cache *dataloader.InMemoryCache[K, V]
	once  sync.Once
	dl    *dataloader.Loader[K, V]
}

// Load returns a thunk of key's value, batching keys asked for within the
// batch window.
func (l *Loader[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	l.once.Do(func() {
		l.dl = dataloader.NewBatchedLoader(l.batch, dataloader.WithWait[K, V](Wait), dataloader.WithCache[K, V](l.cache))
	})
	return l.dl.Load(ctx, key)
}

// Prime caches value for key, unless the loader holds key already.
func (l *Loader[K, V]) Prime(ctx context.Context, key K, value V) {
	if _, ok := l.cache.Get(ctx, key); !ok {
		l.cache.Set(ctx, key, func() (V, error) { return value, nil })
	}
}

// ClearAll drops everything the loader holds.
func (l *Loader[K, V]) ClearAll() { l.cache.Clear() }

// LoadNow loads every key not loaded yet in one batch, at once, and caches
// the results, errors included, for the field resolvers that follow. Batch
// entity resolvers and list resolvers know their whole key set, so they
// neither wait for the batch window nor risk it closing while hundreds of
// keys are still being added.
// The results are in the order of keys.
func (l *Loader[K, V]) LoadNow(ctx context.Context, keys []K) ([]V, []error) {
	fresh := make(map[K]*dataloader.Result[V])
	var missing []K
	for _, k := range keys {
		if _, seen := fresh[k]; seen {
			continue
		}
		if _, cached := l.cache.Get(ctx, k); !cached {
			fresh[k] = nil
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		for i, r := range l.batch(ctx, missing) {
			fresh[missing[i]] = r
			// Failures are cached too: the field resolvers that follow
			// report the error at their own paths instead of each
			// running the failed statement again, one after another.
			l.cache.Set(ctx, missing[i], func() (V, error) { return r.Data, r.Error })
		}
	}
	vals := make([]V, len(keys))
	var errs []error
	for i, k := range keys {
		var err error
		if r := fresh[k]; r != nil {
			vals[i], err = r.Data, r.Error
		} else if thunk, cached := l.cache.Get(ctx, k); cached {
			vals[i], err = thunk()
		} else {
			vals[i], err = l.Load(ctx, k)() // cleared meanwhile (Forget)
		}
		if err != nil {
			if errs == nil {
				errs = make([]error, len(keys))
			}
			errs[i] = err
		}
	}
	return vals, errs
}

// Cached returns what the loader holds for key, without loading it: ok is
// false when it holds nothing for key.
func (l *Loader[K, V]) Cached(ctx context.Context, key K) (v V, ok bool, err error) {
	thunk, ok := l.cache.Get(ctx, key)
	if !ok {
		return v, false, nil
	}
	v, err = thunk()
	return v, true, err
}

// Loaders are one request's dataloaders. Each caches what it loaded for the
// rest of the request.
type Loaders struct {
	// ShopByOwner loads a profile's shop in any status, nil when it has none.
	ShopByOwner *Loader[string, *store.Shop]
	// ShopByID loads a shop in any status, nil when unknown.
	ShopByID *Loader[int64, *store.Shop]
	// FeaturedProducts loads a shop's carousel: purchasable featured
	// products in position order, with every column, or only those
	// UseColumns chose. Only the keys chosen, a shop ShopByID holds is
	// served from its row, with no statement.
	FeaturedProducts *Loader[int64, []store.FeaturedProduct]
	// ProductByID loads a product with its shop's status and owner, nil when unknown.
	ProductByID *Loader[int64, *store.ProductWithShop]
	// ProductPage loads a page of a shop's catalogue.
	ProductPage *Loader[PageKey, []store.Product]
	// ProductCount loads the number of products of a shop.
	ProductCount *Loader[int64, int]
	// EventCounts loads a shop's counters over a range of days, summed per
	// product and type, by product id.
	EventCounts *Loader[EventsKey, []store.EventCount]

	columns atomic.Int32 // a store.ProductColumns
	// clears are the loaders, for Forget; newLoader fills it.
	clears     []interface{ ClearAll() }
	clearSpace [8]interface{ ClearAll() }
}

// UseColumns makes FeaturedProducts read only cols (store.CardColumns,
// about 40 % cheaper a statement, or store.KeyColumns) for the rest of the
// request. The caller decides, before anything is loaded, that no field of
// the request needs more (graph does it for each operation). Until then,
// and otherwise, it reads every column.
func (l *Loaders) UseColumns(cols store.ProductColumns) { l.columns.Store(int32(cols)) }

func (l *Loaders) carouselColumns() store.ProductColumns {
	return store.ProductColumns(l.columns.Load())
}

// keptCarousel returns the keys of a shop's carousel as the shop's row
// keeps them (store.Shop.Carousel), when ShopByID holds the row, read by
// this request: ok is false when it does not, or holds a row a write
// returned, which does not carry them.
func (l *Loaders) keptCarousel(ctx context.Context, shopID int64) (keys []store.FeaturedProduct, ok bool, err error) {
	s, cached, err := l.ShopByID.Cached(ctx, shopID)
	if !cached || err != nil || s == nil {
		return nil, false, nil
	}
	return s.Carousel.Products(shopID)
}

// Source is what each request's loaders are made of: the store, the
// observer, and the batch functions that need nothing of the request, made
// once (NewSource) rather than for every request.
type Source struct {
	st           *store.Store
	obs          Observer
	shopByID     dataloader.BatchFunc[int64, *store.Shop]
	productByID  dataloader.BatchFunc[int64, *store.ProductWithShop]
	productPage  dataloader.BatchFunc[PageKey, []store.Product]
	productCount dataloader.BatchFunc[int64, int]
	eventCounts  dataloader.BatchFunc[EventsKey, []store.EventCount]
	shopByOwner  dataloader.BatchFunc[string, *store.Shop] // without the priming of ShopByID
}

// NewSource returns the source of loaders over st, observed by obs (nil:
// none).
func NewSource(st *store.Store, obs Observer) *Source {
	if obs == nil {
		obs = nopObserver{}
	}
	return &Source{
		st: st, obs: obs,
		shopByID:     observed(obs, "shop_by_id", shopsByID(st)),
		productByID:  observed(obs, "product_by_id", productsByID(st)),
		productPage:  observed(obs, "product_page", productPages(st)),
		productCount: observed(obs, "product_count", productCounts(st)),
		eventCounts:  observed(obs, "event_counts", eventCounts(st)),
		shopByOwner:  shopsByOwner(st),
	}
}

// New returns a fresh set of loaders over st.
func New(st *store.Store, obs Observer) *Loaders { return NewSource(st, obs).New() }

// New returns a fresh set of loaders: one request's.
func (src *Source) New() *Loaders {
	l := &Loaders{}
	l.clears = l.clearSpace[:0]
	l.ShopByID = newLoader(l, src.shopByID)
	l.ProductByID = newLoader(l, src.productByID)
	l.ProductPage = newLoader(l, src.productPage)
	l.ProductCount = newLoader(l, src.productCount)
	l.EventCounts = newLoader(l, src.eventCounts)
	// The columns are the request's (UseColumns). Only the shops read by
	// the statement make a batch (its size, its span): those served from
	// their rows cost nothing.
	l.FeaturedProducts = newLoader(l, featuredProducts(l.carouselColumns, l.keptCarousel,
		observed(src.obs, "featured_products", featuredRows(src.st, l.carouselColumns))))
	// A shop loaded by its owner is also known by its id: Product.shop under
	// a carousel or a catalogue page then finds it cached.
	l.ShopByOwner = newLoader(l, observed(src.obs, "shop_by_owner", func(ctx context.Context, owners []string) []*dataloader.Result[*store.Shop] {
		results := src.shopByOwner(ctx, owners)
		for _, r := range results {
			if r.Error == nil && r.Data != nil {
				l.ShopByID.Prime(ctx, r.Data.ID, r.Data)
			}
		}
		return results
	}))
	return l
}

// observed returns fn, telling obs the size of each batch, and tracing it
// when obs is a BatchTracer.
func observed[K comparable, V any](obs Observer, name string, fn dataloader.BatchFunc[K, V]) dataloader.BatchFunc[K, V] {
	if tracer, ok := obs.(BatchTracer); ok {
		return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
			obs.ObserveBatch(name, len(keys))
			ctx, end := tracer.StartBatch(ctx, name, len(keys))
			defer end()
			return fn(ctx, keys)
		}
	}
	return func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		obs.ObserveBatch(name, len(keys))
		return fn(ctx, keys)
	}
}

// newLoader makes one of ls's loaders and registers it with ls, so that
// Forget clears it.
func newLoader[K comparable, V any](ls *Loaders, batch dataloader.BatchFunc[K, V]) *Loader[K, V] {
	l := &Loader[K, V]{batch: batch, cache: dataloader.NewCache[K, V]()}
	ls.clears = append(ls.clears, l)
	return l
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the loaders of the request ctx belongs to.
func For(ctx context.Context) *Loaders {
	return ctx.Value(ctxKey{}).(*Loaders)
}

// ForRequest returns ctx with a request's own loaders, so nothing cached
// outlives the request or leaks between viewers. A request that carries an
// Authorization header (signedIn) reads the primary database, never a
// replica (store.WithPrimary): it is a merchant's (mutations and their
// payloads, myShop, the owner's preview, insights), who must see their own
// writes at once. Deciding on the header, whether or not its token is
// valid, is the safe side: the read path without one is what replicas
// serve.
func ForRequest(ctx context.Context, src *Source, signedIn bool) context.Context {
	if signedIn {
		ctx = store.WithPrimary(ctx)
	}
	return NewContext(ctx, src.New())
}
