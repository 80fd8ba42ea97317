package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
	"github.com/shop-subgraph/shop/internal/auth"
)

// The write scenario: N writers on M shops (writer i writes to shop i mod M),
// each as the shop's owner with a bearer token, in a closed loop alternating
// upsertProducts of 5 of the shop's products (a new price each time, so every
// call writes) and setFeaturedProducts (its 5 products in a rotated order).
// What it measures is how writers of different shops wait for each other:
// N×N against N×1 in the same run.

// writeLoad is one N×M write scenario, parsed from "NxM".
type writeLoad struct {
	Writers int `json:"writers"`
	Shops   int `json:"shops"`
}

func (w writeLoad) String() string { return fmt.Sprintf("%dx%d", w.Writers, w.Shops) }

func parseWriteLoads(s string) ([]writeLoad, error) {
	var out []writeLoad
	for _, f := range split(s) {
		a, b, ok := strings.Cut(f, "x")
		n, err1 := strconv.Atoi(a)
		m, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || m < 1 {
			return nil, fmt.Errorf("-writes %q: want WRITERSxSHOPS, e.g. 24x24", f)
		}
		out = append(out, writeLoad{Writers: n, Shops: m})
	}
	return out, nil
}

// writeResult is what one write scenario measured.
type writeResult struct {
	Load       writeLoad     `json:"load"`
	Requests   uint64        `json:"requests"`
	Errors     uint64        `json:"errors"`
	Throughput float64       `json:"throughput_rps"`
	P50        time.Duration `json:"p50_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`
	FirstError string        `json:"first_error,omitempty"`
	Target     string        `json:"target"`
	Round      int           `json:"round"`
	// Statements is SQL statements per request (shop_db_queries_total).
	Statements float64 `json:"statements_per_request"`
}

// benchSecret signs the write scenario's tokens; the server verifies them
// with it (SHOP_JWT_SECRET).
const benchSecret = "bench-secret-bench-secret-bench-secret-0123"

// writeShop is one shop the writers write to: its owner's token, its id and
// five of its products.
type writeShop struct {
	token    string
	id       string
	products []struct{ ID, SKU string }
}

// prepareWriteShops reads the first m merchants' shops as their owners see
// them (myShop).
func prepareWriteShops(cfg dataset.Config, s *server, m int) ([]writeShop, error) {
	merchants, _ := cfg.Merchants()
	if m > len(merchants) {
		return nil, fmt.Errorf("%d shops asked for, the dataset has %d", m, len(merchants))
	}
	shops := make([]writeShop, m)
	for i := range shops {
		tok, err := auth.Sign([]byte(benchSecret), auth.Token{Subject: dataset.ProfileID(merchants[i]), TTL: time.Hour}, time.Now())
		if err != nil {
			return nil, err
		}
		var got struct {
			MyShop struct {
				ID       string `json:"id"`
				Products struct {
					Nodes []struct{ ID, SKU string } `json:"nodes"`
				} `json:"products"`
			} `json:"myShop"`
		}
		if err := gql(s, tok, `{ myShop { id products(first: 5) { nodes { id sku } } } }`, nil, &got); err != nil {
			return nil, fmt.Errorf("myShop of %s: %w", dataset.ProfileID(merchants[i]), err)
		}
		if len(got.MyShop.Products.Nodes) == 0 {
			return nil, fmt.Errorf("the shop of %s has no products", dataset.ProfileID(merchants[i]))
		}
		shops[i] = writeShop{token: tok, id: got.MyShop.ID, products: got.MyShop.Products.Nodes}
	}
	return shops, nil
}

const upsertMutation = `mutation Upsert($shop: ID!, $products: [ProductInput!]!) {
  upsertProducts(shopId: $shop, products: $products) { products { id } userErrors { code message } }
}`

const featureMutation = `mutation Feature($shop: ID!, $ids: [ID!]!) {
  setFeaturedProducts(shopId: $shop, productIds: $ids) { shop { id } userErrors { code message } }
}`

// writeRun drives load.Writers writers for d against s.
func writeRun(ctx context.Context, s *server, shops []writeShop, load writeLoad, d time.Duration) writeResult {
	var (
		mu    sync.Mutex
		lats  []time.Duration
		res   = writeResult{Load: load}
		wg    sync.WaitGroup
		until = time.Now().Add(d)
	)
	start := time.Now()
	for w := range load.Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sh := shops[w%load.Shops]
			var mine []time.Duration
			var errs uint64
			var firstErr string
			for i := 0; time.Now().Before(until) && ctx.Err() == nil; i++ {
				var q string
				var vars map[string]any
				if i%2 == 0 {
					ps := make([]map[string]any, len(sh.products))
					for j, p := range sh.products {
						ps[j] = map[string]any{
							"sku": p.SKU, "title": fmt.Sprintf("Product %s, writer %d", p.SKU, w),
							"url": "https://example.com/p/" + p.SKU, "image": map[string]any{"url": "https://example.com/i/" + p.SKU + ".jpg"},
							"price": fmt.Sprintf("%d.%02d", 10+i%90, w%100), "currencyCode": "USD",
						}
					}
					q, vars = upsertMutation, map[string]any{"shop": sh.id, "products": ps}
				} else {
					ids := make([]string, len(sh.products))
					for j := range ids {
						ids[j] = sh.products[(j+i/2)%len(sh.products)].ID
					}
					q, vars = featureMutation, map[string]any{"shop": sh.id, "ids": ids}
				}
				t0 := time.Now()
				var out map[string]struct {
					UserErrors []struct{ Code, Message string } `json:"userErrors"`
				}
				err := gql(s, sh.token, q, vars, &out)
				if err == nil {
					for _, p := range out {
						if len(p.UserErrors) > 0 {
							err = fmt.Errorf("%s: %s", p.UserErrors[0].Code, p.UserErrors[0].Message)
						}
					}
				}
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			res.Errors += errs
			if res.FirstError == "" {
				res.FirstError = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lats)
	res.Requests = uint64(len(lats)) + res.Errors
	res.Throughput = float64(len(lats)) / elapsed.Seconds()
	if n := len(lats); n > 0 {
		res.P50, res.P99, res.Max = lats[n/2], lats[n*99/100], lats[n-1]
	}
	return res
}

var writeClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}

// gql posts one GraphQL request with a bearer token and decodes its data into
// out; a transport error, a status but 200 or a GraphQL error is an error.
func gql(s *server, token, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+"/query", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := writeClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", res.StatusCode, b)
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return err
	}
	if len(env.Errors) > 0 {
		return fmt.Errorf("graphql error: %s", env.Errors[0].Message)
	}
	return json.Unmarshal(env.Data, out)
}

// writeTarget is one subgraph the write scenarios run against: this tree's
// ("shop", bench/cmd/profserve with -pprof) or a -also variant.
type writeTarget struct {
	name    string
	argv    []string
	env     []string
	profile bool // take a CPU profile of each scenario's first round
}

// writePhase starts each subgraph once more, with a key for the writers'
// tokens, and measures each write scenario on each of them in turn,
// interleaved (round, then scenario, then subgraph, in the opposite order
// every other round), so that subgraphs compare under the same load of the
// machine.
func writePhase(ctx context.Context, cfg dataset.Config, c config, work string, env []string, targets []writeTarget, ss *servers) ([]writeResult, error) {
	type started struct {
		writeTarget
		s     *server
		shops []writeShop
	}
	most := 0
	for _, w := range c.writes {
		most = max(most, w.Shops)
	}
	var subs []started
	for _, t := range targets {
		progress("starting %s for the write scenarios", t.name)
		e := append(append(slices.Clone(env), t.env...), "SHOP_JWT_SECRET="+benchSecret)
		s, err := start(ctx, t.name+"-writes", work, t.argv, e)
		if err != nil {
			return nil, err
		}
		ss.add(s)
		defer s.stop()
		shops, err := prepareWriteShops(cfg, s, most)
		if err != nil {
			return nil, fmt.Errorf("write scenarios: %w", err)
		}
		subs = append(subs, started{t, s, shops})
	}
	var out []writeResult
	for round := range max(c.writeRounds, 1) {
		// Every other round takes the subgraphs in the opposite order: the
		// machine's state drifts within a run (in two runs the one-shop
		// scenario sped up from round to round: PERFORMANCE.md, writes),
		// which would favour whichever subgraph always came last.
		order := slices.Clone(subs)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, w := range c.writes {
			for _, sub := range order {
				progress("writes %s on %s (round %d): warm-up %s", w, sub.name, round+1, c.warmup)
				writeRun(ctx, sub.s, sub.shops, w, c.warmup)
				before := statements(sub.s)
				var prof chan error
				if sub.profile && round == 0 {
					prof = make(chan error, 1)
					go func() {
						prof <- cpuProfile(sub.s, filepath.Join(c.pprofDir, "cpu-writes-"+w.String()+".pprof"), c.writeDuration)
					}()
				}
				r := writeRun(ctx, sub.s, sub.shops, w, c.writeDuration)
				if prof != nil {
					if err := <-prof; err != nil {
						progress("cpu profile: %v", err)
					}
				}
				r.Target, r.Round = sub.name, round+1
				if r.Requests > 0 {
					r.Statements = (statements(sub.s) - before) / float64(r.Requests)
				}
				progress("writes %s on %s: %.0f req/s, p50 %v p99 %v max %v, %.2f statements/req, %d errors", w, sub.name, r.Throughput, r.P50.Round(time.Microsecond),
					r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Statements, r.Errors)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// printWrites prints the write scenarios, each against the last scenario's
// rate on the same subgraph in the same round.
func printWrites(w io.Writer, rs []writeResult) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nwrites (writers × shops; upsertProducts of 5 and setFeaturedProducts in turn)\n")
	last := map[[2]any]writeResult{}
	for _, r := range rs {
		last[[2]any{r.Target, r.Round}] = r
	}
	for _, r := range rs {
		rel := ""
		if l := last[[2]any{r.Target, r.Round}]; l.Throughput > 0 {
			rel = fmt.Sprintf("  %.2f× %s", r.Throughput/l.Throughput, l.Load)
		}
		fmt.Fprintf(w, "  %-10s r%d %-8s %7.0f req/s  p50 %s  p99 %s  max %s  %.2f stmts/req  %d errors%s\n", r.Target, r.Round, r.Load, r.Throughput, ms(r.P50), ms(r.P99), ms(r.Max), r.Statements, r.Errors, rel)
	}
}
