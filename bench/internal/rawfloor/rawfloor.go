// Package rawfloor is the benchmark's independent floor: the timeline request
// (an _entities call of Tweet representations asking for their authors'
// carousels) answered by a net/http handler that shares no code with the
// subgraph. The floor of package floor goes through internal/store and
// internal/money, so it carries their costs and flatters the subgraph's
// ratio; this one has its own SQL (the same two statements, written out
// here), its own row scanning (database/sql Scan into locals), its own money
// formatting and its own JSON appending. Only database/sql and the SQLite
// driver are common to both. Besides the hot path's request, it answers the
// two of issue 14's timeline as Apollo Gateway plans it, known by their text
// (dataset.ApolloTweetsQuery, dataset.ApolloAuthorsQuery).
package rawfloor

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
)

// MaxBody matches the subgraph's default body limit.
const MaxBody = 1 << 20

// DSN returns the SQLite DSN the floor opens path with: WAL, as the import
// left the file, and no per-call mutex (database/sql gives a connection to
// one goroutine at a time).
func DSN(path string) string {
	path, query, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	params := "_journal_mode=WAL&_busy_timeout=10000&_mutex=no&mode=ro"
	if query != "" {
		params += "&" + query
	}
	return path + "?" + params
}

// Floor answers timelines from db and counts its statements.
type Floor struct {
	db     *sql.DB
	shops  atomic.Int64 // statements run, by name
	cards  atomic.Int64
	failed atomic.Int64
}

// New returns a floor over db.
func New(db *sql.DB) *Floor { return &Floor{db: db} }

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

type shop struct {
	id, name, storeURL string
	cards              []byte // the featuredProducts array's elements, comma-separated
	ncards             int
}

// What a request asks of its authors' shops.
type shape int

const (
	hotPath     shape = iota // the hot path's: id, name, storeUrl, carousel cards
	apolloCards              // dataset.ApolloTweetsQuery: name, carousel with sku
	apolloNames              // dataset.ApolloAuthorsQuery: name, of Profile representations
)

// ServeHTTP answers a POSTed timeline.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a timeline", http.StatusMethodNotAllowed)
		return
	}
	var req request
	if err := json.NewDecoder(io.LimitReader(r.Body, MaxBody)).Decode(&req); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	sh := map[string]shape{dataset.ApolloTweetsQuery: apolloCards, dataset.ApolloAuthorsQuery: apolloNames}[req.Query]
	reps := req.Variables.Representations
	authors := make([]string, len(reps))
	owners := make([]any, 0, len(reps))
	seen := make(map[string]bool, len(reps))
	for i, rep := range reps {
		var a string
		switch {
		case sh == apolloNames && rep.Typename == "Profile":
			a = rep.ID
		case sh != apolloNames && rep.Typename == "Tweet" && rep.Author != nil && rep.Author.ID != nil:
			a = *rep.Author.ID
		default:
			http.Error(w, "the floor serves Tweet representations with author { id }, or Profile representations for dataset.ApolloAuthorsQuery, only", http.StatusBadRequest)
			return
		}
		authors[i] = a
		if !seen[a] {
			seen[a] = true
			owners = append(owners, a)
		}
	}
	shops, err := f.load(r.Context(), owners, sh)
	if err != nil {
		f.failed.Add(1)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	b := make([]byte, 0, 64+len(reps)*16+len(shops)*1024)
	b = append(b, `{"data":{"_entities":[`...)
	for i, a := range authors {
		if i > 0 {
			b = append(b, ',')
		}
		s := shops[a]
		if s == nil {
			b = append(b, `{"shop":null}`...)
			continue
		}
		switch sh {
		case hotPath:
			b = append(b, `{"shop":{"id":`...)
			b = appendString(b, s.id)
			b = append(b, `,"name":`...)
			b = appendString(b, s.name)
			b = append(b, `,"storeUrl":`...)
			b = appendString(b, s.storeURL)
			b = append(b, `,"featuredProducts":[`...)
			b = append(b, s.cards...)
			b = append(b, "]}}"...)
		case apolloCards:
			b = append(b, `{"shop":{"name":`...)
			b = appendString(b, s.name)
			b = append(b, `,"featuredProducts":[`...)
			b = append(b, s.cards...)
			b = append(b, "]}}"...)
		case apolloNames:
			b = append(b, `{"shop":{"name":`...)
			b = appendString(b, s.name)
			b = append(b, "}}"...)
		}
	}
	b = append(b, "]}}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// load runs the two statements: the active shops of owners, then their
// carousels, each card's JSON appended as its row is scanned; for
// apolloNames, only the first.
func (f *Floor) load(ctx context.Context, owners []any, sh shape) (map[string]*shop, error) {
	shops := make(map[string]*shop, len(owners))
	if len(owners) == 0 {
		return shops, nil
	}
	f.shops.Add(1)
	rows, err := f.db.QueryContext(ctx, `SELECT id, owner_id, name, store_url FROM shops WHERE status = 'ACTIVE' AND owner_id IN (`+placeholders(len(owners))+`)`, owners...)
	if err != nil {
		return nil, fmt.Errorf("shops: %w", err)
	}
	byID := make(map[int64]*shop, len(owners))
	ids := make([]any, 0, len(owners))
	for rows.Next() {
		var id int64
		var owner string
		s := &shop{}
		if err := rows.Scan(&id, &owner, &s.name, &s.storeURL); err != nil {
			rows.Close()
			return nil, fmt.Errorf("shops: %w", err)
		}
		s.id = strconv.FormatInt(id, 10)
		shops[owner], byID[id] = s, s
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("shops: %w", err)
	}
	if len(ids) == 0 || sh == apolloNames {
		return shops, nil
	}
	if sh == apolloCards {
		return shops, f.loadSKUCards(ctx, byID, ids)
	}
	f.cards.Add(1)
	rows, err = f.db.QueryContext(ctx, `SELECT f.shop_id, p.id, p.title, p.url, p.image_url, p.currency, p.price_minor
		FROM featured_products f JOIN products p ON p.id = f.product_id
		WHERE f.shop_id IN (`+placeholders(len(ids))+`) AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')
		ORDER BY f.shop_id, f.position`, ids...)
	if err != nil {
		return nil, fmt.Errorf("featured: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var shopID, id, price int64
		var title, url, image, currency string
		if err := rows.Scan(&shopID, &id, &title, &url, &image, &currency, &price); err != nil {
			return nil, fmt.Errorf("featured: %w", err)
		}
		s := byID[shopID]
		if s.ncards > 0 {
			s.cards = append(s.cards, ',')
		}
		s.ncards++
		c := append(s.cards, `{"id":"`...)
		c = strconv.AppendInt(c, id, 10)
		c = append(c, `","title":`...)
		c = appendString(c, title)
		c = append(c, `,"url":`...)
		c = appendString(c, url)
		c = append(c, `,"image":{"url":`...)
		c = appendString(c, image)
		c = append(c, `},"price":{"amount":"`...)
		c = appendAmount(c, price, currency)
		c = append(c, `","currencyCode":`...)
		c = appendString(c, currency)
		s.cards = append(c, "}}"...)
	}
	return shops, rows.Err()
}

// loadSKUCards runs the carousels' statement of dataset.ApolloTweetsQuery,
// whose cards show the SKU, title, price and url.
func (f *Floor) loadSKUCards(ctx context.Context, byID map[int64]*shop, ids []any) error {
	f.cards.Add(1)
	rows, err := f.db.QueryContext(ctx, `SELECT f.shop_id, p.sku, p.title, p.url, p.currency, p.price_minor
		FROM featured_products f JOIN products p ON p.id = f.product_id
		WHERE f.shop_id IN (`+placeholders(len(ids))+`) AND p.availability NOT IN ('OUT_OF_STOCK', 'DISCONTINUED')
		ORDER BY f.shop_id, f.position`, ids...)
	if err != nil {
		return fmt.Errorf("featured: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var shopID, price int64
		var sku, title, url, currency string
		if err := rows.Scan(&shopID, &sku, &title, &url, &currency, &price); err != nil {
			return fmt.Errorf("featured: %w", err)
		}
		s := byID[shopID]
		if s.ncards > 0 {
			s.cards = append(s.cards, ',')
		}
		s.ncards++
		c := append(s.cards, `{"sku":`...)
		c = appendString(c, sku)
		c = append(c, `,"title":`...)
		c = appendString(c, title)
		c = append(c, `,"price":{"amount":"`...)
		c = appendAmount(c, price, currency)
		c = append(c, `","currencyCode":`...)
		c = appendString(c, currency)
		c = append(c, `},"url":`...)
		c = appendString(c, url)
		s.cards = append(c, '}')
	}
	return rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// minorDigits are ISO 4217's minor digits for the currencies of the
// benchmark's dataset; others get 2.
var minorDigits = map[string]int{"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}

// appendAmount appends minor units as a decimal with the currency's digits.
func appendAmount(b []byte, minor int64, currency string) []byte {
	d, ok := minorDigits[currency]
	if !ok {
		d = 2
	}
	if minor < 0 {
		b = append(b, '-')
		minor = -minor
	}
	var digits [24]byte
	s := strconv.AppendInt(digits[:0], minor, 10)
	for len(s) <= d {
		s = append([]byte{'0'}, s...)
	}
	if d == 0 {
		return append(b, s...)
	}
	b = append(b, s[:len(s)-d]...)
	b = append(b, '.')
	return append(b, s[len(s)-d:]...)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Metrics serves the statement counts in Prometheus' text format, under the
// subgraph's metric name, so the driver reads both alike.
func (f *Floor) Metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE shop_db_queries_total counter\nshop_db_queries_total{query=\"shops_by_owner_ids\"} %d\nshop_db_queries_total{query=\"featured_cards_by_shop_ids\"} %d\n# TYPE rawfloor_failed_requests_total counter\nrawfloor_failed_requests_total %d\n",
		f.shops.Load(), f.cards.Load(), f.failed.Load())
}
