package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/shop-subgraph/shop/internal/graphtest"
)

// shopsSeen asks for the shops of profiles 2001 and 2004 (DRAFT) and of a
// tweet by 2001 with the given headers, and returns the shop names seen
// ("-" for null); every answer must be free of errors.
func shopsSeen(t *testing.T, s *graphtest.Server, headers map[string]string) string {
	t.Helper()
	r, _ := s.PostHeaders(t, headers, `query($reps: [_Any!]!) { _entities(representations: $reps) {
	  ... on Profile { shop { name } } ... on Tweet { shop { name } } } }`, map[string]any{"reps": []any{
		graphtest.ProfileRep("2001"), graphtest.ProfileRep("2004"),
		map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2001"}},
		map[string]any{"__typename": "Tweet", "id": "t2", "author": map[string]any{"id": "2004"}},
	}})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var got struct {
		Entities []struct{ Shop *struct{ Name string } } `json:"_entities"`
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatal(err)
	}
	out := ""
	for i, e := range got.Entities {
		if i > 0 {
			out += ","
		}
		if e.Shop == nil {
			out += "-"
		} else {
			out += e.Shop.Name
		}
	}
	return out
}

func TestRolloutPilot(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithRollout(t, "US", "en", "ios", ""), graphtest.WithTokens(t))
	pilot := map[string]string{"X-Viewer-Country": "US", "Accept-Language": "en-US,fr;q=0.8", "X-Client-Platform": "ios"}
	without := func(k string) map[string]string {
		h := map[string]string{}
		for kk, v := range pilot {
			if kk != k {
				h[kk] = v
			}
		}
		return h
	}
	with := func(k, v string) map[string]string {
		h := without(k)
		h[k] = v
		return h
	}
	const shown, hidden = "Acme Outdoor,-,Acme Outdoor,-", "-,-,-,-"
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"pilot viewer", pilot, shown},
		{"lower-case country", with("X-Viewer-Country", "us"), shown},
		{"first language", with("Accept-Language", "en-GB, fr;q=0.3"), shown},
		{"first language, malformed tail", with("Accept-Language", "en-US,en;q=0.9,fr;q=zz"), shown},
		{"first language not listed", with("Accept-Language", "fr;q=0.9, en"), hidden},
		{"no headers", nil, hidden},
		{"no country", without("X-Viewer-Country"), hidden},
		{"other country", with("X-Viewer-Country", "FR"), hidden},
		{"not a country", with("X-Viewer-Country", "USA"), hidden},
		{"no language", without("Accept-Language"), hidden},
		{"other language", with("Accept-Language", "fr-FR,en;q=0.5"), hidden},
		{"wildcard language", with("Accept-Language", "*"), hidden},
		{"malformed language", with("Accept-Language", "e1n;q=x;;"), hidden},
		{"no platform", without("X-Client-Platform"), hidden},
		{"other platform", with("X-Client-Platform", "android"), hidden},
		// The owner previews their own shop on their profile, DRAFT
		// included and whatever the rules; not on their tweets.
		{"owner of a draft, outside the pilot", map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2004")}, "-,Draft Studio,-,-"},
		{"owner of a draft, in the pilot", with("Authorization", "Bearer "+graphtest.Token(t, "2004")), "Acme Outdoor,Draft Studio,Acme Outdoor,-"},
		{"owner of an active shop, outside the pilot", map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "2001")}, "Acme Outdoor,-,-,-"},
		{"someone else's token", with("Authorization", "Bearer "+graphtest.Token(t, "2002")), shown},
		{"a bad token is no owner", map[string]string{"Authorization": "Bearer nope"}, hidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shopsSeen(t, s, tt.headers); got != tt.want {
				t.Errorf("shops seen %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRolloutMerchants(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithRollout(t, "", "", "", "2002,2004"))
	r, _ := s.Post(t, profileShopQuery, map[string]any{"reps": []any{graphtest.ProfileRep("2001"), graphtest.ProfileRep("2002"), graphtest.ProfileRep("2004")}})
	want := `{"_entities":[{"id":"2001","shop":null},{"id":"2002","shop":{"name":"Tokyo Tea","status":"ACTIVE","featuredProducts":[{"sku":"J1"}]}},{"id":"2004","shop":null}]}`
	if string(r.Data) != want || len(r.Errors) > 0 {
		t.Errorf("got %s %+v\nwant %s", r.Data, r.Errors, want)
	}
}

// TestRolloutStatementBudget: the rules cost no statement, and hidden shops
// cost no carousel query.
func TestRolloutStatementBudget(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithRollout(t, "US", "en", "ios", ""), graphtest.WithTokens(t))
	reps := make([]any, 500)
	for i := range reps {
		reps[i] = map[string]any{"__typename": "Tweet", "id": fmt.Sprint(i), "author": map[string]any{"id": fmt.Sprint(2001 + i%5)}}
	}
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Tweet { shop { name featuredProducts { sku } } } } }`
	pilot := map[string]string{"X-Viewer-Country": "US", "Accept-Language": "en", "X-Client-Platform": "ios", "Authorization": "Bearer " + graphtest.Token(t, "2004")}
	for _, tt := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"shown", pilot, 2},
		{"hidden by the rules", map[string]string{"X-Viewer-Country": "FR"}, 1},
	} {
		r, stmts := s.PostHeaders(t, tt.headers, q, map[string]any{"reps": reps})
		if len(r.Errors) > 0 {
			t.Fatalf("%s: errors %+v", tt.name, r.Errors)
		}
		if stmts != tt.want {
			t.Errorf("%s: %d statements, want %d", tt.name, stmts, tt.want)
		}
	}
}
