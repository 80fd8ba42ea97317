package graph_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/graphtest"
)

// Keys from outside that no row can hold: a profile id or a tweet's author
// id with NUL in it (PostgreSQL's text refuses NUL, SQLSTATE 22021). Each is
// an entity without a shop; the valid keys of the same call still resolve,
// and nothing is an internal error, on SQLite and on PostgreSQL.

// noInternalErrors fails t on any error coded INTERNAL_SERVER_ERROR.
func noInternalErrors(t *testing.T, errs []graphtest.Error) {
	t.Helper()
	for _, e := range errs {
		if e.Extensions["code"] == "INTERNAL_SERVER_ERROR" {
			t.Errorf("internal error at %v: %s", e.Path, e.Message)
		}
	}
}

func TestEntitiesWithNULKeys(t *testing.T) {
	s := graphtest.NewServer(t)
	q := `query($reps: [_Any!]!) { _entities(representations: $reps) {
	  ... on Profile { id shop { name } } ... on Tweet { id shop { name } } } }`
	reps := []any{
		graphtest.ProfileRep("2001"),
		graphtest.ProfileRep("20\u000001"),
		graphtest.ProfileRep("2002"),
		graphtest.ProfileRep("\u0000"),
		map[string]any{"__typename": "Tweet", "id": "t1", "author": map[string]any{"id": "2002"}},
		map[string]any{"__typename": "Tweet", "id": "t2", "author": map[string]any{"id": "2002\u0000"}},
	}
	r, _ := s.Post(t, q, map[string]any{"reps": reps})
	noInternalErrors(t, r.Errors)
	if len(r.Errors) > 0 {
		t.Errorf("errors: %+v, want none", r.Errors)
	}
	var got struct {
		Entities []struct {
			ID   string
			Shop *struct{ Name string }
		} `json:"_entities"`
	}
	if err := json.Unmarshal(r.Data, &got); err != nil {
		t.Fatalf("%s: %v", r.Data, err)
	}
	var names []string
	for _, e := range got.Entities {
		name := "-"
		if e.Shop != nil {
			name = e.Shop.Name
		}
		names = append(names, e.ID+":"+name)
	}
	want := []string{"2001:Acme Outdoor", "20\x0001:-", "2002:Tokyo Tea", "\x00:-", "t1:Tokyo Tea", "t2:-"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("entities (-want +got):\n%s", diff)
	}
}

// TestNULSub: a signed-in profile whose id (the token's sub) has NUL in it
// has no shop (myShop is null) and cannot create one (a user error, not an
// internal error).
func TestNULSub(t *testing.T) {
	s := graphtest.NewServer(t, graphtest.WithTokens(t))
	auth := map[string]string{"Authorization": "Bearer " + graphtest.Token(t, "20\x0001")}

	r, _ := s.PostHeaders(t, auth, `{ myShop { name } }`, nil)
	noInternalErrors(t, r.Errors)
	if len(r.Errors) > 0 || string(r.Data) != `{"myShop":null}` {
		t.Errorf("myShop: %s %+v, want null without errors", r.Data, r.Errors)
	}

	r, _ = s.PostHeaders(t, auth, createShop, map[string]any{"input": map[string]any{"name": "Nul", "storeUrl": "https://nul.example"}})
	noInternalErrors(t, r.Errors)
	var got struct {
		CreateShop struct {
			Shop       *struct{ ID string }
			UserErrors []struct {
				Field []string
				Code  string
			}
		}
	}
	unmarshalData(t, r, &got)
	if p := got.CreateShop; p.Shop != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID" || len(p.UserErrors[0].Field) != 0 {
		t.Errorf("createShop: %s, want no shop and one INVALID user error about the input as a whole", r.Data)
	}
}
