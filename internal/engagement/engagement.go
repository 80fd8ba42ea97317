// Package engagement counts impressions of and taps on the products in Shop
// Modules, and reports them to merchants (SPEC §8). Events are added to
// counters per product, UTC day and type, never stored one by one.
package engagement

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/store"
)

// Limits.
const (
	MaxEvents    = 500                 // events in one call
	MaxAge       = 30 * 24 * time.Hour // the oldest event counted
	ClockSkew    = 5 * time.Minute     // how far in the future a client's clock may be
	MaxRangeDays = 400                 // the longest insights range
)

// Event is one impression or tap reported by a client. ProductID 0 is an id
// this service never issued.
type Event struct {
	ProductID  int64
	Type       string // store.EventImpression or store.EventClick
	OccurredAt time.Time
}

// Record counts the valid events and reports each invalid one at
// ["events", index, field]: a product that does not exist (NOT_FOUND), or a
// time more than 30 days ago or in the future (INVALID). More than MaxEvents
// events are refused whole (TOO_MANY). Two statements: the products' shops,
// then all the counters (store.AddEventCounts, 500 to a statement).
func Record(ctx context.Context, st *store.Store, events []Event, now time.Time) (accepted int, errs []catalog.FieldError, err error) {
	if len(events) > MaxEvents {
		return 0, []catalog.FieldError{{Field: []string{"events"}, Code: catalog.CodeTooMany,
			Message: fmt.Sprintf("at most %d events can be recorded in one call, got %d; send them in several calls", MaxEvents, len(events))}}, nil
	}
	ids := make([]int64, 0, len(events))
	for _, e := range events {
		if e.ProductID > 0 {
			ids = append(ids, e.ProductID)
		}
	}
	shops, err := st.ProductShops(ctx, ids)
	if err != nil {
		return 0, nil, err
	}
	type counter struct {
		product int64
		day     string
		typ     string
	}
	sums := map[counter]int64{}
	var order []counter
	for i, e := range events {
		field := func(name string) []string { return []string{"events", strconv.Itoa(i), name} }
		_, ok := shops[e.ProductID]
		switch {
		case !ok:
			errs = append(errs, catalog.FieldError{Field: field("productId"), Code: catalog.CodeNotFound, Message: "no such product"})
			continue
		case e.OccurredAt.After(now.Add(ClockSkew)):
			errs = append(errs, catalog.FieldError{Field: field("occurredAt"), Code: catalog.CodeInvalid, Message: "is in the future"})
			continue
		case e.OccurredAt.Before(now.Add(-MaxAge)):
			errs = append(errs, catalog.FieldError{Field: field("occurredAt"), Code: catalog.CodeInvalid, Message: "is more than 30 days ago: such events are no longer counted"})
			continue
		}
		c := counter{e.ProductID, e.OccurredAt.UTC().Format(store.DayLayout), e.Type}
		if _, seen := sums[c]; !seen {
			order = append(order, c)
		}
		sums[c]++
		accepted++
	}
	counts := make([]store.EventCount, len(order))
	for i, c := range order {
		counts[i] = store.EventCount{ProductID: c.product, Day: c.day, Type: c.typ, Count: sums[c]}
	}
	if err := st.AddEventCounts(ctx, counts); err != nil {
		return 0, nil, err
	}
	return accepted, errs, nil
}

// ProductFigures are one product's counts.
type ProductFigures struct {
	ProductID           int64
	Impressions, Clicks int64
}

// Insights are a shop's counts over a range of days.
type Insights struct {
	Impressions, Clicks int64
	// ClickThroughRate is Clicks / Impressions, 0 without impressions.
	ClickThroughRate float64
	// Products have any events in the range, in catalogue order.
	Products []ProductFigures
}

// ErrRange is returned for a range that ends before it starts or is longer
// than MaxRangeDays.
var ErrRange = fmt.Errorf("from must not be after to, and the range at most %d days", MaxRangeDays)

// Days returns the UTC days of from and to (store.DayLayout), the inclusive
// range insights sum over, or ErrRange.
func Days(from, to time.Time) (fromDay, toDay string, err error) {
	f, t := from.UTC().Truncate(24*time.Hour), to.UTC().Truncate(24*time.Hour)
	if t.Before(f) || t.Sub(f) >= MaxRangeDays*24*time.Hour {
		return "", "", ErrRange
	}
	return f.Format(store.DayLayout), t.Format(store.DayLayout), nil
}

// Sum turns one shop's counters, summed per product and type and ordered by
// product id (store.EventCountsByShops), into its insights. Who may see
// them is the caller's concern.
func Sum(rows []store.EventCount) Insights {
	var in Insights
	for _, r := range rows { // ordered by product id: catalogue order
		if n := len(in.Products); n == 0 || in.Products[n-1].ProductID != r.ProductID {
			in.Products = append(in.Products, ProductFigures{ProductID: r.ProductID})
		}
		p := &in.Products[len(in.Products)-1]
		switch r.Type {
		case store.EventImpression:
			p.Impressions += r.Count
			in.Impressions += r.Count
		case store.EventClick:
			p.Clicks += r.Count
			in.Clicks += r.Count
		}
	}
	if in.Impressions > 0 {
		in.ClickThroughRate = float64(in.Clicks) / float64(in.Impressions)
	}
	return in
}
