package catalog

import (
	"bytes"
	_ "embed"
)

// demoData is the built-in demo catalogue, in the import format. Its line and
// product order fixes the ids a fresh database gives them.
//
//go:embed demo.jsonl
var demoData []byte

// DemoProfileIDs are the profiles that own a shop in the demo data:
//
//   - 1001 Acme Outdoor (USD, ACTIVE): 22 products, so the catalogue has a
//     second page at the default page size; features 5, one OUT_OF_STOCK,
//     so the carousel shows 4.
//   - 1002 Tsubame Teaworks (JPY, ACTIVE): features 3, one DISCONTINUED.
//   - 1003 Atelier Lumière (EUR, ACTIVE): features nothing.
//   - 1004 Al Nakheel Perfumes (KWD, 3 minor digits, ACTIVE): features 4,
//     PREORDER and AVAILABLE_FOR_ORDER among them, one OUT_OF_STOCK.
//   - 1005 Northwind Cycles (GBP, DRAFT): hidden from everyone but its owner.
//
// Profile 1099 is the demo's profile without a shop: it is in no line.
var DemoProfileIDs = []string{"1001", "1002", "1003", "1004", "1005"}

// DemoProfileWithoutShop is a profile id the demo data gives no shop.
const DemoProfileWithoutShop = "1099"

// Demo returns the demo data as a source for Import.
func Demo() Source {
	return Source{Name: "demo.jsonl", R: bytes.NewReader(demoData)}
}
