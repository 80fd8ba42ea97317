// Command gendata writes the load benchmark's dataset, deterministically: the
// shops in SPEC §3's import format, and the timelines' request bodies (one
// JSON document a line) of each scenario. The bench command makes the same
// data itself; this one is for looking at it, or loading it elsewhere.
//
//	go run ./bench/cmd/gendata -out DIR [-bodies 400] [-tweets 100]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
)

func main() {
	out := flag.String("out", ".", "directory to write shops.jsonl and timelines-SCENARIO.jsonl into")
	bodies := flag.Int("bodies", 400, "distinct timelines per scenario")
	tweets := flag.Int("tweets", 100, "tweets per timeline")
	flag.Parse()
	if err := run(*out, *bodies, *tweets); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func run(dir string, bodies, tweets int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "shops.jsonl"))
	if err != nil {
		return err
	}
	shops, products, err := dataset.WriteShops(f, dataset.Default)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d shops, %d products\n", f.Name(), shops, products)
	for _, sc := range dataset.Scenarios {
		name := filepath.Join(dir, "timelines-"+sc.Name+".jsonl")
		b := dataset.Timelines(dataset.Default, sc, bodies, tweets)
		if err := os.WriteFile(name, append(bytes.Join(b, []byte("\n")), '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d timelines of %d tweets\n", name, len(b), tweets)
	}
	return nil
}
