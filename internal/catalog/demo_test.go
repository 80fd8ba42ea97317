package catalog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/storetest"
)

// demoLines decodes the demo file as the import does.
func demoLines(t *testing.T) []lineInput {
	t.Helper()
	var out []lineInput
	sc := bufio.NewScanner(bytes.NewReader(demoData))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l lineInput
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("demo line %d: %v", len(out)+1, err)
		}
		out = append(out, l)
	}
	return out
}

func TestDemoImports(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	stats, err := Import(ctx, st, []Source{Demo()}, nil)
	if err != nil {
		t.Fatalf("importing the demo data: %v", err)
	}
	lines := demoLines(t)
	products := 0
	for _, l := range lines {
		products += len(l.Products)
	}
	if want := (Stats{Lines: 5, Shops: 5, ShopsCreated: 5, Products: products, ProductsCreated: products}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}

	// The file's order fixes the ids on a fresh database.
	var nextID int64 = 1
	for i, l := range lines {
		shop, got := catalogue(t, st, l.ProfileID)
		if shop.ID != int64(i+1) {
			t.Errorf("shop %s id = %d, want %d", l.ProfileID, shop.ID, i+1)
		}
		for j, p := range got {
			if p.ID != nextID || p.SKU != l.Products[j].SKU {
				t.Errorf("shop %s product %d = id %d %s, want id %d %s", l.ProfileID, j, p.ID, p.SKU, nextID, l.Products[j].SKU)
			}
			nextID++
		}
	}

	var status []string
	for _, id := range DemoProfileIDs {
		shop, ok := storetest.ShopByOwner(t, st, id)
		if !ok {
			t.Fatalf("demo profile %s: no shop", id)
		}
		status = append(status, shop.Status)
	}
	if want := []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "DRAFT"}; !cmp.Equal(status, want) {
		t.Errorf("statuses = %q, want %q", status, want)
	}
	if s, ok := storetest.ShopByOwner(t, st, DemoProfileWithoutShop); ok {
		t.Errorf("profile %s: shop %d, want none", DemoProfileWithoutShop, s.ID)
	}

	carousels := map[string][]string{}
	for _, id := range DemoProfileIDs {
		carousels[id] = featuredSKUs(t, st, id)
	}
	want := map[string][]string{
		"1001": {"TENT-2P", "BAG-20", "HEADLAMP", "MUG-01"}, // STOVE-X is out of stock
		"1002": {"KYUSU-RED", "MATCHA-30"},                  // CHAWAN-1 is discontinued
		"1003": {},
		"1004": {"OUD-50", "BAKH-BOX", "MABKHARA"}, // ROSE-100 is out of stock
		"1005": {"GRAVEL-54", "ROAD-56-R"},
	}
	if diff := cmp.Diff(want, carousels); diff != "" {
		t.Errorf("carousels (-want +got):\n%s", diff)
	}

	// Importing it again changes nothing.
	again, err := Import(ctx, st, []Source{Demo()}, nil)
	if err != nil {
		t.Fatalf("importing the demo data again: %v", err)
	}
	if again.ShopsCreated != 0 || again.ProductsCreated != 0 {
		t.Errorf("second import stats = %+v, want nothing created", again)
	}
}

// TestDemoCoverage checks the demo shows what it promises: its doc comment,
// the SPEC's list (§3) and the carousel filter.
func TestDemoCoverage(t *testing.T) {
	lines := demoLines(t)
	var profiles []string
	currencies := map[string]bool{}
	availabilities := map[string]bool{}
	conditions := map[string]bool{}
	featuredAvailability := map[string]bool{}
	featuresNothing := false
	for _, l := range lines {
		profiles = append(profiles, l.ProfileID)
		bySKU := map[string]ProductInput{}
		for _, p := range l.Products {
			bySKU[p.SKU] = p
			currencies[p.Currency] = true
			availabilities[p.Availability] = true
			conditions[p.Condition] = true
			for _, u := range []string{p.URL, p.Image.URL} {
				if pu, err := url.Parse(u); err != nil || !strings.HasSuffix(pu.Hostname(), ".example") {
					t.Errorf("%s %s: URL %q is not on an example domain", l.ProfileID, p.SKU, u)
				}
			}
			if p.Image.AltText == nil {
				t.Errorf("%s %s: image has no alt text", l.ProfileID, p.SKU)
			}
		}
		if l.Featured == nil || len(*l.Featured) == 0 {
			featuresNothing = true
			continue
		}
		for _, sku := range *l.Featured {
			featuredAvailability[bySKU[sku].Availability] = true
		}
	}
	if !cmp.Equal(profiles, DemoProfileIDs) {
		t.Errorf("profiles = %q, want DemoProfileIDs %q", profiles, DemoProfileIDs)
	}
	if slices.Contains(profiles, DemoProfileWithoutShop) {
		t.Errorf("profile %s has a shop, want none", DemoProfileWithoutShop)
	}
	for _, c := range []string{"USD", "EUR", "JPY", "KWD"} {
		if !currencies[c] {
			t.Errorf("no product in %s", c)
		}
	}
	for _, a := range Availabilities {
		if !availabilities[a] {
			t.Errorf("no product %s", a)
		}
	}
	for _, c := range Conditions {
		if !conditions[c] {
			t.Errorf("no product %s", c)
		}
	}
	for _, a := range []string{store.AvailabilityOutOfStock, store.AvailabilityDiscontinued} {
		if !featuredAvailability[a] {
			t.Errorf("no featured product %s, so the carousel filter does not show", a)
		}
	}
	if !featuresNothing {
		t.Errorf("every shop features something; want one that features nothing")
	}
}
