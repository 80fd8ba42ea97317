// Package dataset makes the load benchmark's data, deterministically: shops
// and catalogues in the import format of SPEC §3, and the request bodies of
// timelines as the gateway sends them (one _entities call of Tweet
// representations carrying author { id }).
package dataset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/money"
	"github.com/shop-subgraph/shop/internal/store"
)

// Config sizes the dataset. The zero value is not useful; start from Default.
type Config struct {
	Profiles        int // profiles that author tweets
	MerchantEvery   int // every MerchantEvery-th profile has an ACTIVE shop
	DraftEvery      int // of the other profiles, every DraftEvery-th has a DRAFT shop (0: none)
	ProductsPerShop int
	Featured        int // featured products per shop, at most 5
	Seed            uint64
}

// Default is the dataset: 5,000 profiles, 1,000 active shops of 10
// products with 5 featured, and 50 draft shops that the timelines must show
// as null.
var Default = Config{Profiles: 5000, MerchantEvery: 5, DraftEvery: 100, ProductsPerShop: 10, Featured: 5, Seed: 7}

// ProfileID is the id of the i-th profile (0-based).
func ProfileID(i int) string { return strconv.Itoa(100000 + i) }

// Merchant reports whether the i-th profile has an active shop.
func (c Config) Merchant(i int) bool { return i%c.MerchantEvery == 0 }

func (c Config) draft(i int) bool {
	return c.DraftEvery > 0 && !c.Merchant(i) && i%c.DraftEvery == 1
}

// Merchants and Others list the profile indexes with an active shop and
// without one (no shop or a draft), in order.
func (c Config) Merchants() (merchants, others []int) {
	for i := range c.Profiles {
		if c.Merchant(i) {
			merchants = append(merchants, i)
		} else {
			others = append(others, i)
		}
	}
	return merchants, others
}

// Line is one shop of the import file (SPEC §3).
type Line struct {
	ProfileID   string    `json:"profileId"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	StoreURL    string    `json:"storeUrl"`
	Status      string    `json:"status"`
	Featured    []string  `json:"featured"`
	Products    []Product `json:"products"`
}

// Product is one product of a Line.
type Product struct {
	SKU            string `json:"sku"`
	Title          string `json:"title"`
	Description    string `json:"description,omitempty"`
	URL            string `json:"url"`
	Image          Image  `json:"image"`
	Price          string `json:"price"`
	CompareAtPrice string `json:"compareAtPrice,omitempty"`
	Currency       string `json:"currency"`
	Availability   string `json:"availability"`
	Condition      string `json:"condition"`
	Brand          string `json:"brand,omitempty"`
}

// Image is a product's picture.
type Image struct {
	URL     string `json:"url"`
	AltText string `json:"altText,omitempty"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
}

// currencies have 0, 2 and 3 minor digits, so amounts exercise the formatting.
var currencies = []struct {
	code  string
	scale int64 // minor units per major unit, for the prices drawn
}{{"USD", 100}, {"USD", 100}, {"EUR", 100}, {"GBP", 100}, {"JPY", 1}, {"KWD", 1000}}

var nouns = []string{"tent", "mug", "lamp", "kettle", "scarf", "backpack", "notebook", "teapot", "bottle", "jacket", "chair", "candle"}
var adjectives = []string{"Light", "Classic", "Compact", "Ceramic", "Woollen", "Recycled", "Folding", "Hand-made", "Travel", "Everyday"}

// WriteShops writes the import file: one line per shop, merchants' shops
// ACTIVE and some others' DRAFT. The same Config writes the same bytes.
func WriteShops(w io.Writer, c Config) (shops, products int, err error) {
	rng := rand.New(rand.NewPCG(c.Seed, 1))
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range c.Profiles {
		status := store.StatusActive
		switch {
		case c.Merchant(i):
		case c.draft(i):
			status = store.StatusDraft
		default:
			continue
		}
		line := shopLine(rng, c, i, status)
		if err := enc.Encode(line); err != nil {
			return 0, 0, fmt.Errorf("write shops: %w", err)
		}
		shops++
		products += len(line.Products)
	}
	if err := bw.Flush(); err != nil {
		return 0, 0, fmt.Errorf("write shops: %w", err)
	}
	return shops, products, nil
}

func shopLine(rng *rand.Rand, c Config, i int, status string) Line {
	host := fmt.Sprintf("https://shop%d.example", i)
	cur := currencies[rng.IntN(len(currencies))]
	l := Line{
		ProfileID:   ProfileID(i),
		Name:        fmt.Sprintf("%s %s Co. #%d", adjectives[rng.IntN(len(adjectives))], nouns[rng.IntN(len(nouns))], i),
		Description: "Things we make & love, shipped from our workshop.",
		StoreURL:    host,
		Status:      status,
	}
	for j := range c.ProductsPerShop {
		noun := nouns[rng.IntN(len(nouns))]
		sku := fmt.Sprintf("SKU-%04d-%02d", i, j)
		price := (int64(rng.IntN(20000)) + 100) * cur.scale / 100
		if cur.scale == 1 {
			price = int64(rng.IntN(30000) + 500)
		}
		p := Product{
			SKU:          sku,
			Title:        fmt.Sprintf("%s %s, no. %d", adjectives[rng.IntN(len(adjectives))], noun, j+1),
			Description:  "A " + noun + " that lasts: sturdy, simple, repairable.",
			URL:          host + "/products/" + sku,
			Image:        Image{URL: fmt.Sprintf("https://img.shop%d.example/%s.jpg", i, sku), AltText: "A " + noun, Width: 800, Height: 800},
			Price:        money.Format(price, cur.code),
			Currency:     cur.code,
			Availability: catalog.DefaultAvailability,
			Condition:    catalog.DefaultCondition,
			Brand:        "Maker " + strconv.Itoa(i),
		}
		if rng.IntN(4) == 0 {
			p.CompareAtPrice = money.Format(price+price/5+cur.scale, cur.code)
		}
		// Some featured products cannot be bought: the carousel skips them.
		if rng.IntN(12) == 0 {
			p.Availability = store.AvailabilityOutOfStock
		}
		l.Products = append(l.Products, p)
	}
	for _, j := range rng.Perm(c.ProductsPerShop)[:c.Featured] {
		l.Featured = append(l.Featured, l.Products[j].SKU)
	}
	return l
}

// TimelineQuery is the hot path's query, as the issue states it.
const TimelineQuery = `query Timeline($representations: [_Any!]!) { _entities(representations: $representations) { ... on Tweet { shop { id name storeUrl featuredProducts { id title url image { url } price { amount currencyCode } } } } } }`

// Representation is a Tweet as the gateway passes it to Tweet.shop.
type Representation struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
	Author   Author `json:"author"`
}

// Author is a Tweet's author { id }.
type Author struct {
	ID string `json:"id"`
}

// Request is a GraphQL-over-HTTP request body of a timeline.
type Request struct {
	Query         string    `json:"query"`
	OperationName string    `json:"operationName"`
	Variables     Variables `json:"variables"`
}

// Variables are the timeline query's variables.
type Variables struct {
	Representations []Representation `json:"representations"`
}

// Scenario says who wrote a timeline's tweets.
type Scenario struct {
	Name string
	// MerchantShare is the share of tweets by merchants, 0..1.
	MerchantShare float64
	// Distinct makes every merchant author of a timeline a different one.
	Distinct bool
}

// The scenarios: about 20% of the authors are merchants (and
// authors repeat, as in a real timeline), or every author is a different
// merchant (100 carousels: the worst case).
var (
	Mix   = Scenario{Name: "mix", MerchantShare: 0.2}
	Worst = Scenario{Name: "worst", MerchantShare: 1, Distinct: true}
	// Scenarios are both, in the order the benchmark runs them.
	Scenarios = []Scenario{Mix, Worst}
)

// Timelines returns n distinct request bodies of tweets tweets each.
func Timelines(c Config, s Scenario, n, tweets int) [][]byte {
	rng := rand.New(rand.NewPCG(c.Seed, uint64(len(s.Name))*7919+uint64(s.MerchantShare*1000)))
	merchants, others := c.Merchants()
	bodies := make([][]byte, n)
	for b := range n {
		nm := int(float64(tweets)*s.MerchantShare + 0.5)
		authors := make([]int, 0, tweets)
		if s.Distinct {
			for _, k := range rng.Perm(len(merchants))[:nm] {
				authors = append(authors, merchants[k])
			}
		} else {
			for range nm {
				authors = append(authors, merchants[rng.IntN(len(merchants))])
			}
		}
		for len(authors) < tweets {
			authors = append(authors, others[rng.IntN(len(others))])
		}
		rng.Shuffle(len(authors), func(i, j int) { authors[i], authors[j] = authors[j], authors[i] })
		reps := make([]Representation, tweets)
		for j, a := range authors {
			reps[j] = Representation{Typename: "Tweet", ID: strconv.Itoa(9_000_000 + b*tweets + j), Author: Author{ID: ProfileID(a)}}
		}
		body, err := json.Marshal(Request{Query: TimelineQuery, OperationName: "Timeline", Variables: Variables{Representations: reps}})
		if err != nil {
			panic(err) // plain strings: cannot fail
		}
		bodies[b] = body
	}
	return bodies
}

// Apollo Gateway plans the timeline of issue 14,
//
//	timeline { author { shop { name } } shop { name featuredProducts { sku title price { amount currencyCode } url } } }
//
// as two requests to the subgraph, sent in parallel (docs/gateway.md, "How
// each gateway plans the timeline"). These are its operations verbatim.
// TimelineQuery is the first request's kind, as issue 7 stated the hot
// path, with more card fields and without the authors' shops.
const (
	// ApolloTweetsQuery asks each tweet's shop for its carousel.
	ApolloTweetsQuery = `query Timeline__shop__1($representations:[_Any!]!){_entities(representations:$representations){...on Tweet{shop{name featuredProducts{sku title price{amount currencyCode}url}}}}}`
	// ApolloAuthorsQuery asks each tweet's author, repeats included, for
	// their shop's name.
	ApolloAuthorsQuery = `query Timeline__shop__2($representations:[_Any!]!){_entities(representations:$representations){...on Profile{shop{name}}}}`
)

// ApolloTimelines returns the timelines of Timelines(c, s, n, tweets) as
// Apollo Gateway sends them: each timeline's two requests, one after the
// other (first, second, first, second…).
func ApolloTimelines(c Config, s Scenario, n, tweets int) [][]byte {
	out := make([][]byte, 0, 2*n)
	for _, body := range Timelines(c, s, n, tweets) {
		var req Request
		if err := json.Unmarshal(body, &req); err != nil {
			panic(err) // made by Timelines
		}
		reps := make([]hiveTweet, len(req.Variables.Representations))
		authors := make([]typedRef, len(req.Variables.Representations))
		for i, r := range req.Variables.Representations {
			reps[i] = hiveTweet{Typename: "Tweet", ID: r.ID, Author: typedRef{Typename: "Profile", ID: r.Author.ID}}
			authors[i] = typedRef{Typename: "Profile", ID: r.Author.ID}
		}
		out = append(out, mustMarshal(map[string]any{
			"query":         ApolloTweetsQuery,
			"operationName": "Timeline__shop__1",
			"variables":     map[string]any{"representations": reps},
		}), mustMarshal(map[string]any{
			"query":         ApolloAuthorsQuery,
			"operationName": "Timeline__shop__2",
			"variables":     map[string]any{"representations": authors},
		}))
	}
	return out
}

// Hive Gateway plans the timeline of issue 14,
//
//	timeline { author { shop { name } } shop { name featuredProducts { sku title price { amount currencyCode } url } } }
//
// as two requests to the subgraph, one after the other (docs/gateway.md,
// "How each gateway plans the timeline"). These are its operations verbatim.
const (
	// HiveTweetsQuery asks each tweet's shop for its id, and the carousel
	// only for its __typename.
	HiveTweetsQuery = `query Timeline($representations:[_Any!]!){_entities(representations:$representations){__typename ...on Tweet{shop{__typename name id featuredProducts{__typename}}id}}}`
	// HiveShopsQuery asks the authors' shops for their names and, through
	// Shop representations of the shops HiveTweetsQuery returned, the
	// carousels: two _entities fields aliased in one operation.
	HiveShopsQuery = `query Timeline($_v0_representations:[_Any!]!$_v1_representations:[_Any!]!){_v0__entities:_entities(representations:$_v0_representations){__typename ...on Profile{shop{name}}}_v1__entities:_entities(representations:$_v1_representations){__typename ...on Shop{featuredProducts{sku title price{amount currencyCode}url}}}}`
)

// HiveTimeline is a timeline as Hive Gateway sends it: the first request's
// body, and the authors its second request names (each once, in order).
type HiveTimeline struct {
	Tweets  []byte
	Authors []string
}

type typedRef struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
}

type hiveTweet struct {
	Typename string   `json:"__typename"`
	ID       string   `json:"id"`
	Author   typedRef `json:"author"`
}

// HiveTimelines returns the timelines of Timelines(c, s, n, tweets) as Hive
// Gateway sends them.
func HiveTimelines(c Config, s Scenario, n, tweets int) []HiveTimeline {
	out := make([]HiveTimeline, 0, n)
	for _, body := range Timelines(c, s, n, tweets) {
		var req Request
		if err := json.Unmarshal(body, &req); err != nil {
			panic(err) // made by Timelines
		}
		reps := make([]hiveTweet, len(req.Variables.Representations))
		var authors []string
		seen := map[string]bool{}
		for i, r := range req.Variables.Representations {
			reps[i] = hiveTweet{Typename: "Tweet", ID: r.ID, Author: typedRef{Typename: "Profile", ID: r.Author.ID}}
			if !seen[r.Author.ID] {
				seen[r.Author.ID] = true
				authors = append(authors, r.Author.ID)
			}
		}
		out = append(out, HiveTimeline{Tweets: mustMarshal(map[string]any{
			"query":     HiveTweetsQuery,
			"variables": map[string]any{"representations": reps},
		}), Authors: authors})
	}
	return out
}

// HiveShops returns the second request's body: a Profile representation for
// each author and a Shop representation for each shop id the first request
// returned.
func (t HiveTimeline) HiveShops(shopIDs []string) []byte {
	profiles := make([]typedRef, len(t.Authors))
	for i, a := range t.Authors {
		profiles[i] = typedRef{Typename: "Profile", ID: a}
	}
	shops := make([]typedRef, len(shopIDs))
	for i, id := range shopIDs {
		shops[i] = typedRef{Typename: "Shop", ID: id}
	}
	return mustMarshal(map[string]any{
		"query":     HiveShopsQuery,
		"variables": map[string]any{"_v0_representations": profiles, "_v1_representations": shops},
	})
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain strings: cannot fail
	}
	return b
}
