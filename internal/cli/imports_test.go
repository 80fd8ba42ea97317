package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/storetest"
	"github.com/shop-subgraph/shop/internal/telemetry/telemetrytest"
)

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	db := storetest.DSN(t)
	good := filepath.Join(dir, "good.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	line := `{"profileId":"7","name":"Seven","storeUrl":"https://seven.example","products":[{"sku":"S1","title":"One","url":"https://seven.example/1","image":{"url":"https://seven.example/1.jpg"},"price":"%s","currency":"USD"}]}`
	os.WriteFile(good, []byte(strings.Replace(line, "%s", "1.00", 1)+"\n"), 0o644)
	os.WriteFile(bad, []byte(strings.Replace(line, "%s", "1.00", 1)+"\n"+strings.Replace(line, "%s", "1.001", 1)+"\n"), 0o644)

	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), []string{"import", "-db", db, bad}, env(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "bad.jsonl:2: products[0].price:") || !strings.Contains(stderr.String(), "nothing imported") {
		t.Fatalf("bad file: err %v, stderr %q: want a failure naming line 2's price", err, stderr.String())
	}
	stdout.Reset()
	if err := Run(context.Background(), []string{"import", "-db", db, good}, env(nil), &stdout, &stderr); err != nil {
		t.Fatalf("good file: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported") {
		t.Errorf("stdout %q", stdout.String())
	}
	if err := Run(context.Background(), []string{"import", "-db", db}, env(nil), &stdout, &stderr); err == nil {
		t.Error("import with no file succeeded")
	}
	if err := Run(context.Background(), []string{"frobnicate"}, env(nil), &stdout, &stderr); err == nil {
		t.Error("unknown command succeeded")
	}
}

func TestImportCatalogCommand(t *testing.T) {
	db := storetest.DSN(t)
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	sample := "../catalog/testdata/catalog.csv"
	err := Run(ctx, []string{"import-catalog", "-profile", "7", "-db", db, sample}, env(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `profile "7" has no shop`) {
		t.Fatalf("no shop: %v", err)
	}
	shop := filepath.Join(t.TempDir(), "shop.jsonl")
	os.WriteFile(shop, []byte(`{"profileId":"7","name":"Seven","storeUrl":"https://seven.example","products":[]}`+"\n"), 0o644)
	if err := Run(ctx, []string{"import", "-db", db, shop}, env(nil), io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := Run(ctx, []string{"import-catalog", "-profile", "7", "-db", db, sample}, env(nil), &stdout, &stderr); err != nil {
		t.Fatalf("import-catalog: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported 6 products (6 new) into the shop of profile 7") {
		t.Errorf("stdout %q", stdout.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("id,title,price,link,image_link\nA,T,1.001 USD,https://a.example/,https://a.example/i\n"), 0o644)
	stderr.Reset()
	err = Run(ctx, []string{"import-catalog", "-profile", "7", "-db", db, bad}, env(nil), io.Discard, &stderr)
	if err == nil || !strings.Contains(stderr.String(), "bad.csv:2: price: must have at most 2 decimal places for USD") || !strings.Contains(stderr.String(), "nothing imported: 1 problem(s)") {
		t.Errorf("bad file: %v, stderr %q", err, stderr.String())
	}
	if err := Run(ctx, []string{"import-catalog", "-db", db, sample}, env(nil), io.Discard, io.Discard); err == nil {
		t.Error("import-catalog without -profile succeeded")
	}
}

// TestImportCommandTraced: shop import, configured by the OTEL_* variables
// as serve is, exports the command's span with its transaction and
// statements under it, in one trace.
func TestImportCommandTraced(t *testing.T) {
	recv := telemetrytest.NewReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	db := "file:" + filepath.Join(t.TempDir(), "shop.db")
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"import", "-db", db, "../catalog/demo.jsonl"}, os.Getenv, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var names []string
	for _, n := range recv.Traces() {
		if slices.Contains(n, "shop import") {
			names = n
		}
	}
	for _, want := range []string{"shop import", "import transaction", "begin", "upsert_shop", "commit"} {
		if !slices.Contains(names, want) {
			t.Errorf("the import's trace has spans %q, want among them %q (traces: %d)", names, want, len(recv.Traces()))
		}
	}
}
