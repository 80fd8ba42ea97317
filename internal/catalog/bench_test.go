package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// bulkFile is an import file of shops × perShop products, every field set.
func bulkFile(tb testing.TB, shops, perShop int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for s := range shops {
		profile := fmt.Sprintf("%d", 100000+s)
		domain := fmt.Sprintf("https://shop%d.example", s)
		l := lineInput{
			ShopInput: ShopInput{ProfileID: profile, Name: "Shop " + profile, Description: ptr("A shop of many things."), StoreURL: domain},
			Products:  make([]ProductInput, perShop),
		}
		var featured []string
		for p := range perShop {
			sku := fmt.Sprintf("SKU-%05d", p)
			l.Products[p] = ProductInput{
				SKU:            sku,
				Title:          "Product " + sku,
				Description:    ptr("A product with a description of a reasonable length, as feeds have."),
				URL:            domain + "/products/" + sku,
				Image:          ImageInput{URL: domain + "/img/" + sku + ".jpg", AltText: ptr("A photo of " + sku), Width: ptr(800), Height: ptr(800)},
				Price:          fmt.Sprintf("%d.%02d", 10+p%90, p%100),
				CompareAtPrice: ptr("200.00"),
				Currency:       []string{"USD", "EUR", "JPY", "KWD"}[p%4],
				Availability:   Availabilities[p%len(Availabilities)],
				Condition:      Conditions[p%len(Conditions)],
				Brand:          ptr("Brand"),
			}
			if c := l.Products[p].Currency; c == "JPY" {
				l.Products[p].Price, l.Products[p].CompareAtPrice = fmt.Sprint(1000+p), ptr("99999")
			}
			if len(featured) < MaxFeatured {
				featured = append(featured, sku)
			}
		}
		l.Featured = &featured
		if err := enc.Encode(l); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// BenchmarkImport100k imports 100,000 products in 1,000 shops into a fresh
// database: parsing, validation and the one transaction.
//
//	go test -run '^$' -bench Import100k -benchtime 3x ./internal/catalog
func BenchmarkImport100k(b *testing.B) {
	data := bulkFile(b, 1000, 100)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st := newStore(b)
		b.StartTimer()
		stats, err := Import(context.Background(), st, []Source{{Name: "bulk.jsonl", R: bytes.NewReader(data)}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if stats.ProductsCreated != 100000 {
			b.Fatalf("created %d products, want 100000", stats.ProductsCreated)
		}
	}
}

// TestImportBulk imports 100,000 products and then the same file again
// (every product an update), checking counts; skipped with -short.
func TestImportBulk(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 products; skipped with -short")
	}
	st := newStore(t)
	data := bulkFile(t, 1000, 100)
	for _, wantCreated := range []int{100000, 0} {
		start := time.Now()
		stats, err := Import(context.Background(), st, []Source{{Name: "bulk.jsonl", R: bytes.NewReader(data)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Products != 100000 || stats.ProductsCreated != wantCreated || stats.Shops != 1000 {
			t.Errorf("stats = %+v, want 1000 shops, 100000 products, %d created", stats, wantCreated)
		}
		t.Logf("imported %s in %v", stats, time.Since(start).Round(time.Millisecond))
	}
}
