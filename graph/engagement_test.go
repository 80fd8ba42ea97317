package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/graphtest"
)

const recordEvents = `mutation($events: [ShopEventInput!]!) { recordShopEvents(events: $events) { accepted userErrors { field code message } } }`

type recordPayload struct {
	RecordShopEvents struct {
		Accepted   int
		UserErrors []struct {
			Field   []string
			Code    string
			Message string
		}
	}
}

func event(productID, typ string, at time.Time) map[string]any {
	return map[string]any{"productId": productID, "type": typ, "occurredAt": at.Format(time.RFC3339Nano)}
}

const insightsQuery = `query($s: ID!, $from: DateTime!, $to: DateTime!) { shop(id: $s) {
  insights(from: $from, to: $to) { impressions clicks clickThroughRate products { product { sku } impressions clicks } } } }`

type insightsData struct {
	Shop struct {
		Insights *struct {
			Impressions, Clicks int
			ClickThroughRate    float64
			Products            []struct {
				Product             struct{ Sku string }
				Impressions, Clicks int
			}
		}
	}
}

// insights asks s for the shop's insights from from to to, with the bearer
// token tok ("" for none).
func insights(t *testing.T, s *graphtest.Server, tok, shopID string, from, to time.Time) insightsData {
	t.Helper()
	headers := map[string]string{}
	if tok != "" {
		headers["Authorization"] = "Bearer " + tok
	}
	r, _ := s.PostHeaders(t, headers, insightsQuery, map[string]any{"s": shopID, "from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var got insightsData
	unmarshalData(t, r, &got)
	return got
}

func TestRecordShopEvents(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithTokens(t))
	shopID, a1 := shopAndProductIDs(t, s) // profile 2001's shop and its first product, A1
	now := time.Now().UTC()
	var got recordPayload
	s.Data(t, recordEvents, map[string]any{"events": []any{
		event(a1, "IMPRESSION", now),
		event("999999", "IMPRESSION", now), // unknown product
		event(a1, "CLICK", now.Add(-time.Hour)),
		event(a1, "IMPRESSION", now.Add(time.Hour)),        // future
		event(a1, "IMPRESSION", now.Add(-31*24*time.Hour)), // too old
		event("not-an-id", "CLICK", now),                   // an id never issued
		event(a1, "IMPRESSION", now.Add(-29*24*time.Hour)), // old but counted
		event(a1, "IMPRESSION", now.Add(2*time.Minute)),    // a client clock slightly ahead
	}}, &got)
	type ue struct{ Field, Code string }
	var errs []ue
	for _, e := range got.RecordShopEvents.UserErrors {
		errs = append(errs, ue{strings.Join(e.Field, "."), e.Code})
	}
	want := []ue{{"events.1.productId", "NOT_FOUND"}, {"events.3.occurredAt", "INVALID"}, {"events.4.occurredAt", "INVALID"}, {"events.5.productId", "NOT_FOUND"}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("userErrors (-want +got):\n%s", diff)
	}
	if got.RecordShopEvents.Accepted != 4 {
		t.Errorf("accepted %d, want 4", got.RecordShopEvents.Accepted)
	}
	in := insights(t, s, graphtest.Token(t, "2001"), shopID, now.Add(-30*24*time.Hour), now.Add(time.Hour)).Shop.Insights
	if in == nil || in.Impressions != 3 || in.Clicks != 1 {
		t.Fatalf("insights %+v, want 3 impressions and 1 click", in)
	}

	// More than 500 events: none counted.
	many := make([]any, 501)
	for i := range many {
		many[i] = event(a1, "CLICK", now)
	}
	s.Data(t, recordEvents, map[string]any{"events": many}, &got)
	if got.RecordShopEvents.Accepted != 0 || len(got.RecordShopEvents.UserErrors) != 1 || got.RecordShopEvents.UserErrors[0].Code != "TOO_MANY" {
		t.Errorf("501 events: %+v, want TOO_MANY and nothing accepted", got.RecordShopEvents)
	}
	if in := insights(t, s, graphtest.Token(t, "2001"), shopID, now.Add(-30*24*time.Hour), now.Add(time.Hour)).Shop.Insights; in.Clicks != 1 {
		t.Errorf("clicks %d after a refused call, want 1", in.Clicks)
	}
	// A bad type is refused by GraphQL's variable validation: 422 with a coded error.
	body, _ := json.Marshal(map[string]any{"query": recordEvents, "variables": map[string]any{"events": []any{event(a1, "LIKE", now)}}})
	res, err := http.Post(s.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r graphtest.Response
	json.NewDecoder(res.Body).Decode(&r)
	if res.StatusCode != http.StatusUnprocessableEntity || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] == nil || !strings.Contains(r.Errors[0].Message, "LIKE") {
		t.Errorf("type LIKE: %d %+v, want 422 with a coded error naming it", res.StatusCode, r.Errors)
	}
}

func TestInsights(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithTokens(t))
	shopID, a1 := shopAndProductIDs(t, s)
	// Yesterday, so that every event of the day is in the past whatever
	// the time of day the test runs at.
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)

	// No events: zero, and a click-through rate of 0, not NaN.
	in := insights(t, s, graphtest.Token(t, "2001"), shopID, day, day).Shop.Insights
	if in == nil || in.Impressions != 0 || in.Clicks != 0 || in.ClickThroughRate != 0 || len(in.Products) != 0 {
		t.Fatalf("empty insights %+v", in)
	}

	var a2 string
	{
		var got struct {
			Shop struct {
				Products struct{ Nodes []struct{ ID string } }
			}
		}
		s.Data(t, `query($s: ID!) { shop(id: $s) { products(first: 2) { nodes { id } } } }`, map[string]any{"s": shopID}, &got)
		a2 = got.Shop.Products.Nodes[1].ID
	}
	var events []any
	for range 12 {
		events = append(events, event(a1, "IMPRESSION", day.Add(time.Hour)))
	}
	for range 3 {
		events = append(events, event(a1, "CLICK", day.Add(time.Hour)))
	}
	events = append(events, event(a2, "CLICK", day.Add(-24*time.Hour+time.Minute))) // the day before
	var rec recordPayload
	s.Data(t, recordEvents, map[string]any{"events": events}, &rec)
	if rec.RecordShopEvents.Accepted != 16 {
		t.Fatalf("accepted %+v", rec.RecordShopEvents)
	}

	in = insights(t, s, graphtest.Token(t, "2001"), shopID, day, day.Add(23*time.Hour)).Shop.Insights
	if in.Impressions != 12 || in.Clicks != 3 || in.ClickThroughRate != 0.25 || len(in.Products) != 1 || in.Products[0].Product.Sku != "A1" {
		t.Errorf("one day: %+v, want 12 impressions, 3 clicks, CTR 0.25, A1 only", in)
	}
	in = insights(t, s, graphtest.Token(t, "staff", "shop:admin"), shopID, day.Add(-24*time.Hour), day).Shop.Insights
	if in == nil || in.Clicks != 4 || len(in.Products) != 2 || in.Products[1].Product.Sku != "A2" || in.Products[1].Clicks != 1 || in.Products[1].Impressions != 0 {
		t.Errorf("staff, two days: %+v", in)
	}
	// A product with clicks and no impressions: the shop's rate still divides by all impressions.
	if in.ClickThroughRate != 4.0/12 {
		t.Errorf("CTR %v, want %v", in.ClickThroughRate, 4.0/12)
	}

	for who, tok := range map[string]string{"another merchant": graphtest.Token(t, "2002"), "no token": "", "a bad token": "nope"} {
		if in := insights(t, s, tok, shopID, day, day).Shop.Insights; in != nil {
			t.Errorf("%s sees insights %+v, want null", who, in)
		}
	}
	for name, r := range map[string][2]time.Time{"to before from": {day, day.Add(-24 * time.Hour)}, "over 400 days": {day.Add(-400 * 24 * time.Hour), day}} {
		r, _ := s.PostHeaders(t, map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2001")}, insightsQuery,
			map[string]any{"s": shopID, "from": r[0].Format(time.RFC3339), "to": r[1].Format(time.RFC3339)})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("%s: %+v, want BAD_USER_INPUT", name, r.Errors)
		}
	}
}

// TestRecordShopEventsConcurrent: 8 clients recording 1,000 events each, 100
// a call, produce exactly the expected totals (run on SQLite and, with
// TEST_POSTGRES_DSN, on PostgreSQL).
func TestRecordShopEventsConcurrent(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithTokens(t))
	shopID, a1 := shopAndProductIDs(t, s)
	now := time.Now().UTC()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for call := range 10 {
				events := make([]any, 100)
				for i := range events {
					typ := "IMPRESSION"
					if (w+call+i)%4 == 0 {
						typ = "CLICK"
					}
					events[i] = event(a1, typ, now)
				}
				r, _ := s.Post(t, recordEvents, map[string]any{"events": events})
				if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"accepted":100`) {
					t.Errorf("writer %d call %d: %s %+v", w, call, r.Data, r.Errors)
					return
				}
			}
		})
	}
	wg.Wait()
	in := insights(t, s, graphtest.Token(t, "2001"), shopID, now, now).Shop.Insights
	if in.Impressions+in.Clicks != 8000 || in.Clicks != 2000 {
		t.Errorf("after 8×1,000 events: %d impressions, %d clicks, want 6000 and 2000", in.Impressions, in.Clicks)
	}
}

func unmarshalData(t *testing.T, r graphtest.Response, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", r.Data, err))
	}
}

// TestInsightsOfManyShops: staff listing shops with their insights costs the
// same number of statements for one shop as for all of them (SPEC §2), and
// each shop gets its own figures.
func TestInsightsOfManyShops(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithTokens(t))
	var list struct {
		Shops struct {
			Nodes []struct {
				ID       string
				Products struct{ Nodes []struct{ ID, Sku string } }
			}
		}
	}
	s.Data(t, `{ shops(first: 100) { nodes { id products(first: 1) { nodes { id sku } } } } }`, nil, &list)
	shops := list.Shops.Nodes
	if len(shops) < 3 {
		t.Fatalf("%d active shops in the test data, want 3 or more", len(shops))
	}
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	var events []any
	for i, sh := range shops {
		for range i + 1 { // shop i gets i+1 clicks on its first product
			events = append(events, event(sh.Products.Nodes[0].ID, "CLICK", day.Add(time.Hour)))
		}
	}
	var rec recordPayload
	s.Data(t, recordEvents, map[string]any{"events": events}, &rec)
	if rec.RecordShopEvents.Accepted != len(events) {
		t.Fatalf("accepted %+v", rec.RecordShopEvents)
	}

	const q = `query($n: Int!, $from: DateTime!, $to: DateTime!) { shops(first: $n) { nodes { id
	  insights(from: $from, to: $to) { clicks products { product { sku } clicks } } } } }`
	staff := map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "staff", "shop:admin")}
	run := func(n int) int {
		t.Helper()
		r, stmts := s.PostHeaders(t, staff, q, map[string]any{"n": n, "from": day.Format(time.RFC3339), "to": day.Format(time.RFC3339)})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var got struct {
			Shops struct {
				Nodes []struct {
					ID       string
					Insights struct {
						Clicks   int
						Products []struct {
							Product struct{ Sku string }
							Clicks  int
						}
					}
				}
			}
		}
		unmarshalData(t, r, &got)
		for i, sh := range got.Shops.Nodes {
			in := sh.Insights
			if in.Clicks != i+1 || len(in.Products) != 1 || in.Products[0].Product.Sku != shops[i].Products.Nodes[0].Sku || in.Products[0].Clicks != i+1 {
				t.Errorf("shop %s: %+v, want %d clicks on %s", sh.ID, in, i+1, shops[i].Products.Nodes[0].Sku)
			}
		}
		return stmts
	}
	one := run(1)
	for range 10 {
		if all := run(len(shops)); all != one {
			t.Fatalf("%d statements for %d shops, %d for one: want the same", all, len(shops), one)
		}
	}
}

// TestInsightsAfterEventsInOneMutation: a mutation operation that reads
// insights, records events, then reads insights again sees the new counts
// the second time: writing forgets every loader's cache, the event counts'
// included.
func TestInsightsAfterEventsInOneMutation(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithTokens(t))
	shopID, a1 := shopAndProductIDs(t, s)
	now := time.Now().UTC()
	const q = `mutation($s: ID!, $from: DateTime!, $to: DateTime!, $events: [ShopEventInput!]!) {
	  before: setShopStatus(shopId: $s, status: ACTIVE) { shop { insights(from: $from, to: $to) { impressions clicks } } }
	  recordShopEvents(events: $events) { accepted }
	  after: setShopStatus(shopId: $s, status: ACTIVE) { shop { insights(from: $from, to: $to) { impressions clicks } } }
	}`
	vars := map[string]any{
		"s": shopID, "from": now.Add(-24 * time.Hour).Format(time.RFC3339), "to": now.Add(time.Hour).Format(time.RFC3339),
		"events": []any{event(a1, "IMPRESSION", now), event(a1, "IMPRESSION", now), event(a1, "CLICK", now)},
	}
	r, _ := s.PostHeaders(t, map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2001")}, q, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	type counts struct{ Impressions, Clicks int }
	var got struct {
		Before, After    struct{ Shop struct{ Insights counts } }
		RecordShopEvents struct{ Accepted int }
	}
	unmarshalData(t, r, &got)
	if got.RecordShopEvents.Accepted != 3 {
		t.Fatalf("accepted %d, want 3", got.RecordShopEvents.Accepted)
	}
	if want := (counts{}); got.Before.Shop.Insights != want {
		t.Errorf("insights before the events: %+v, want %+v", got.Before.Shop.Insights, want)
	}
	if want := (counts{2, 1}); got.After.Shop.Insights != want {
		t.Errorf("insights after the events, in the same operation: %+v, want %+v", got.After.Shop.Insights, want)
	}
}
