// Command bench is the subgraph's load benchmark (issue 7), in one command:
//
//	go run ./bench/cmd/bench [-duration 5s] [-warmup 2s] [-targets shop,floor,apollo,mercurius]
//
// It builds the server from this tree and the floor, writes the dataset
// (bench/internal/dataset) and loads it with `shop import`, then for each
// target in turn starts it on 127.0.0.1 at a free port, checks that its
// answers to the first timelines are the subgraph's, and for each scenario
// (mix: about 20% of authors are merchants; worst: every author a different
// merchant; apollo-mix, apollo-worst and hive-mix, hive-worst: issue 14's
// timeline of those tweets, which also asks for the authors' shops, as
// Apollo Gateway and as Hive Gateway plan it, two requests each; reps-N: a
// mix timeline of N representations) drives it
// with vegeta: as fast as -conc workers go (the maximum
// throughput), then in an open loop at half that rate (the latency). It reads
// statements per request from the target's /metrics (shop_db_queries_total),
// CPU time per request from /proc/PID/stat and the peak RSS from
// /proc/PID/status (VmHWM), summed over the target's processes, and stops
// every process it started. The Node targets (bench/_node) run when node is
// on the PATH; their packages are installed with `npm ci` when missing.
//
// Everything stays on loopback. See PERFORMANCE.md for the method and the
// figures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shop-subgraph/shop/bench/internal/dataset"
)

type config struct {
	duration, warmup time.Duration
	conc             uint64
	bodies, tweets   int
	rounds           int
	verify           int
	targets          []string
	scenarios        []string
	nodeWorkers      int
	npmInstall       bool
	serverEnv        []string
	dbParams         string
	also             []string // name=binary: more shop binaries to measure
	pprofDir         string
	workDir          string
	keep             bool
	jsonOut          string
	db               string      // empty: SQLite in the working directory; else a postgres:// URL
	writes           []writeLoad // the write scenarios, N writers × M shops
	writeRounds      int
	writeDuration    time.Duration
}

func main() {
	var c config
	var targets, scenarios, serverEnv, also string
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "length of each measured phase (max throughput, then latency at half of it)")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured load before each scenario")
	flag.Uint64Var(&c.conc, "conc", 8, "workers (connections) of the max-throughput phase")
	flag.IntVar(&c.bodies, "bodies", 400, "distinct timelines per scenario, rotated")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds: every target is measured once a round, in turn, and the report gives each figure's median over the rounds")
	flag.IntVar(&c.tweets, "tweets", 100, "Tweet representations per timeline")
	flag.IntVar(&c.verify, "verify", 20, "timelines per scenario whose answers must equal the first target's")
	flag.StringVar(&targets, "targets", "shop,floor,floor-ind,apollo,mercurius", "targets, in order: shop, floor, floor-ind (the independent floor), apollo, mercurius, and the names given to -also")
	flag.StringVar(&scenarios, "scenarios", "mix,worst,apollo-mix,apollo-worst,hive-mix,hive-worst,reps-1,reps-10,reps-100,reps-1000",
		"scenarios: mix (about 20% merchants), worst (100 different merchants), apollo-mix and apollo-worst (issue 14's timeline of their tweets as Apollo Gateway plans it: two requests; subgraph targets only), hive-mix and hive-worst (the same as Hive Gateway plans it: two requests; subgraph targets only), reps-N (a mix timeline of N representations; not the Node targets)")
	flag.IntVar(&c.nodeWorkers, "node-workers", runtime.NumCPU(), "processes of each Node target (node:cluster), one a core as deployed")
	flag.BoolVar(&c.npmInstall, "npm", true, "run npm ci in bench/_node when its node_modules is missing")
	flag.StringVar(&serverEnv, "server-env", "", "extra environment of the Go servers, comma-separated, e.g. GOGC=200")
	flag.StringVar(&c.dbParams, "db-params", "", "extra SQLite DSN parameters of the Go servers, e.g. _stmt_cache_size=32")
	flag.StringVar(&also, "also", "", "more subgraph variants to measure, comma-separated NAME=PATH[;ENV=VALUE…]: PATH a shop binary (e.g. built from another commit) or \"shop\" for this tree's, with extra environment (e.g. gogc400=shop;GOGC=400); add NAME to -targets")
	flag.StringVar(&c.pprofDir, "pprof", "", "write CPU profiles of the subgraph's max-throughput phases and, in the first round, of its write scenarios into this directory (serves it with bench/cmd/profserve, the same handler plus net/http/pprof)")
	flag.StringVar(&c.workDir, "work", "", "working directory (default: a new temporary one)")
	flag.BoolVar(&c.keep, "keep", false, "keep the working directory (binaries, dataset, database, server logs)")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&c.db, "db", "", "PostgreSQL server to run on, as a postgres:// URL: the dataset goes into a new database there, dropped at the end (default: a SQLite file in the working directory); the Node targets read SQLite only and are skipped")
	var writes string
	flag.StringVar(&writes, "writes", "24x24,24x1", "write scenarios, comma-separated WRITERSxSHOPS: writers upserting 5 products and setting the carousel in turn, writer i on shop i mod SHOPS, against the subgraph after the rounds; empty: none")
	flag.IntVar(&c.writeRounds, "write-rounds", 1, "rounds of the write scenarios: each round measures every scenario on the subgraph and on each -also variant among -targets, in turn, every other round in the opposite order")
	flag.DurationVar(&c.writeDuration, "write-duration", 0, "length of each write scenario (default: -duration)")
	flag.Parse()
	var err error
	if c.writes, err = parseWriteLoads(writes); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if c.writeDuration <= 0 {
		c.writeDuration = c.duration
	}
	c.targets = split(targets)
	c.scenarios = split(scenarios)
	c.serverEnv = split(serverEnv)
	c.also = split(also)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// result is one target in one scenario.
type result struct {
	Target   string `json:"target"`
	Scenario string `json:"scenario"`
	Max      phase  `json:"max"`
	Half     phase  `json:"half"`
	Mismatch string `json:"mismatch,omitempty"`
}

type report struct {
	Machine  string               `json:"machine"`
	Dataset  string               `json:"dataset"`
	Load     string               `json:"load"`
	Results  []result             `json:"results"`
	Targets  map[string][]verdict `json:"targets"`          // by scenario: the subgraph against issue 7's targets
	Rounds   [][]result           `json:"rounds,omitempty"` // each round's results, when there were several
	RSS      map[string]string    `json:"peak_rss"`
	Skipped  map[string]string    `json:"skipped"`
	Database string               `json:"database"`
	Writes   []writeResult        `json:"writes,omitempty"`
	Finished time.Time            `json:"finished"`
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, c config, stdout io.Writer) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	work := c.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "shop-bench-"); err != nil {
			return err
		}
	}
	if work, err = filepath.Abs(work); err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if !c.keep && c.workDir == "" {
		defer os.RemoveAll(work)
	} else {
		progress("working directory: %s", work)
	}
	var ss servers
	defer ss.stopAll()

	// Build what runs, from this tree.
	progress("building the subgraph and the floor")
	shopBin, floorBin, profBin := filepath.Join(work, "shop"), filepath.Join(work, "floor"), filepath.Join(work, "profserve")
	if err := runCmd(ctx, root, nil, "go", "build", "-o", shopBin, "."); err != nil {
		return err
	}
	if err := runCmd(ctx, root, nil, "go", "build", "-o", floorBin, "./bench/cmd/floor"); err != nil {
		return err
	}
	if c.pprofDir != "" {
		if err := runCmd(ctx, root, nil, "go", "build", "-o", profBin, "./bench/cmd/profserve"); err != nil {
			return err
		}
		if err := os.MkdirAll(c.pprofDir, 0o755); err != nil {
			return err
		}
	}

	// The dataset, imported as a user would.
	cfg := dataset.Default
	data, db := filepath.Join(work, "shops.jsonl"), filepath.Join(work, "bench.db")
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(p)
	}
	f, err := os.Create(data)
	if err != nil {
		return err
	}
	nShops, nProducts, err := dataset.WriteShops(f, cfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	dsn := "file:" + db
	if c.db != "" {
		var drop func()
		if dsn, drop, err = freshPostgres(ctx, c.db); err != nil {
			return err
		}
		defer drop()
	}
	progress("importing %d shops, %d products", nShops, nProducts)
	if err := runCmd(ctx, root, nil, shopBin, "import", "-db", dsn, data); err != nil {
		return err
	}
	if c.dbParams != "" && c.db == "" {
		dsn += "?" + c.dbParams
	}
	bodies := map[string][][]byte{}
	hive := map[string][]dataset.HiveTimeline{} // the second requests need the shop ids the first return
	for _, name := range c.scenarios {
		sc, err := parseScenario(name, c.tweets)
		if err != nil {
			return err
		}
		switch {
		case sc.hive:
			hive[name] = dataset.HiveTimelines(cfg, sc.data, c.bodies, sc.tweets)
		case sc.apollo:
			bodies[name] = dataset.ApolloTimelines(cfg, sc.data, c.bodies, sc.tweets)
		default:
			bodies[name] = dataset.Timelines(cfg, sc.data, c.bodies, sc.tweets)
		}
	}

	merchants, _ := cfg.Merchants()
	rep := report{
		Machine: machine(ctx),
		Dataset: fmt.Sprintf("%d profiles, %d shops (%d active), %d products; %d distinct timelines of %d Tweet representations per scenario",
			cfg.Profiles, nShops, len(merchants), nProducts, c.bodies, c.tweets),
		Load: fmt.Sprintf("vegeta on loopback; per scenario: %s warm-up, %s closed loop with %d workers (max throughput), %s open loop at half of it (latency); %d round(s), targets in turn, each figure the median over the rounds; Node targets: %d processes",
			c.warmup, c.duration, c.conc, c.duration, max(c.rounds, 1), c.nodeWorkers),
		RSS:      map[string]string{},
		Skipped:  map[string]string{},
		Database: "SQLite (file in the working directory)",
	}
	if c.db != "" {
		rep.Database = "PostgreSQL (" + redacted(c.db) + ", a new database)"
		for _, name := range []string{"apollo", "mercurius"} {
			if slices.Contains(c.targets, name) {
				rep.Skipped[name] = "reads SQLite only; -db is PostgreSQL"
			}
		}
	}
	type variant struct {
		bin string
		env []string
	}
	alsoBins := map[string]variant{}
	for _, a := range c.also {
		name, spec, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("-also %q: want NAME=PATH[;ENV=VALUE…]", a)
		}
		parts := strings.Split(spec, ";")
		v := variant{bin: parts[0], env: parts[1:]}
		if v.bin == "shop" {
			v.bin = shopBin
		}
		alsoBins[name] = v
	}
	nodeDir := filepath.Join(root, "bench", "_node")
	nodeChecked, nodeErr := false, error(nil)
	refs := map[string][][]byte{}
	goEnv := c.serverEnv

	peak := map[string][2]int64{} // target: peak RSS (KiB) and processes, over the rounds
	// round starts each target in turn, measures it on every scenario and
	// stops it.
	round := func(round int) (results []result, err error) {
		for _, name := range c.targets {
			if ctx.Err() != nil {
				break
			}
			if _, skipped := rep.Skipped[name]; skipped {
				continue
			}
			var argv, env []string
			switch name {
			case "shop":
				argv, env = []string{shopBin, "serve", "-seed", "none", "-addr", "127.0.0.1:0", "-db", dsn}, goEnv
				if c.pprofDir != "" {
					argv = []string{profBin, "-addr", "127.0.0.1:0", "-db", dsn}
				}
			case "floor":
				argv, env = []string{floorBin, "-addr", "127.0.0.1:0", "-db", dsn}, goEnv
			case "floor-ind":
				argv, env = []string{floorBin, "-independent", "-addr", "127.0.0.1:0", "-db", dsn}, goEnv
			case "apollo", "mercurius":
				if !nodeChecked {
					nodeChecked, nodeErr = true, ensureNode(ctx, nodeDir, c.npmInstall)
				}
				if nodeErr != nil {
					rep.Skipped[name] = nodeErr.Error()
					progress("skipping %s: %v", name, nodeErr)
					continue
				}
				argv = []string{"node", filepath.Join(nodeDir, name+".mjs"), "--db", db, "--addr", "127.0.0.1:0", "--workers", strconv.Itoa(c.nodeWorkers)}
			default:
				v, ok := alsoBins[name]
				if !ok {
					return nil, fmt.Errorf("unknown target %q", name)
				}
				argv, env = []string{v.bin, "serve", "-seed", "none", "-addr", "127.0.0.1:0", "-db", dsn}, append(append([]string(nil), goEnv...), v.env...)
			}
			progress("starting %s", name)
			s, err := start(ctx, name, work, argv, env)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				rep.Skipped[name] = err.Error()
				progress("skipping %s: %v", name, err)
				continue
			}
			ss.add(s)
			for _, scName := range c.scenarios {
				if ctx.Err() != nil {
					break
				}
				sc, _ := parseScenario(scName, c.tweets)
				if !sc.runs(name) {
					continue
				}
				if bodies[scName] == nil {
					b, err := hiveBodies(s, hive[scName])
					if err != nil {
						return nil, fmt.Errorf("%s %s: %w", name, scName, err)
					}
					bodies[scName] = b
				}
				r := result{Target: name, Scenario: scName}
				b := bodies[scName]
				r.Mismatch = verify(s, b[:min(c.verify, len(b))], refs, scName)
				if r.Mismatch != "" {
					progress("%s %s: %s", name, scName, r.Mismatch)
				}
				progress("%s %s: warm-up %s", name, scName, c.warmup)
				attack(ctx, s, b, 0, c.conc, c.warmup)
				var prof chan error
				if c.pprofDir != "" && name == "shop" && round == 0 {
					prof = make(chan error, 1)
					go func() { prof <- cpuProfile(s, filepath.Join(c.pprofDir, "cpu-"+scName+".pprof"), c.duration) }()
				}
				r.Max = attack(ctx, s, b, 0, c.conc, c.duration)
				if prof != nil {
					if err := <-prof; err != nil {
						progress("cpu profile: %v", err)
					}
				}
				progress("%s %s: max %.0f req/s, %v CPU/req, %.2f statements/req, %d errors", name, scName, r.Max.Throughput, r.Max.CPU.Round(time.Microsecond), r.Max.Statements, r.Max.Errors)
				half := int(r.Max.Throughput / 2)
				if half < 1 {
					half = 1
				}
				r.Half = attack(ctx, s, b, half, c.conc, c.duration)
				progress("%s %s: at %d req/s p50 %v p99 %v, %d errors", name, scName, half, r.Half.P50.Round(time.Microsecond), r.Half.P99.Round(time.Microsecond), r.Half.Errors)
				results = append(results, r)
			}
			if kib, procs := s.peakRSS(); kib > peak[name][0] {
				peak[name] = [2]int64{kib, int64(procs)}
			}
			if c.pprofDir != "" && name == "shop" && round == 0 {
				copyFile(profBin, filepath.Join(c.pprofDir, "profserve"))
			}
			s.stop()
		}
		return results, nil
	}

	var rounds [][]result
	for i := range max(c.rounds, 1) {
		if ctx.Err() != nil {
			break
		}
		progress("round %d of %d", i+1, max(c.rounds, 1))
		results, err := round(i)
		if err != nil {
			return err
		}
		rounds = append(rounds, results)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(c.writes) > 0 {
		wts := []writeTarget{{name: "shop", argv: []string{shopBin, "serve", "-seed", "none", "-addr", "127.0.0.1:0", "-db", dsn}}}
		if c.pprofDir != "" {
			wts[0].argv, wts[0].profile = []string{profBin, "-addr", "127.0.0.1:0", "-db", dsn}, true
		}
		for _, name := range c.targets {
			if v, ok := alsoBins[name]; ok {
				wts = append(wts, writeTarget{name: name, argv: []string{v.bin, "serve", "-seed", "none", "-addr", "127.0.0.1:0", "-db", dsn}, env: v.env})
			}
		}
		if rep.Writes, err = writePhase(ctx, cfg, c, work, goEnv, wts, &ss); err != nil {
			return err
		}
	}
	for name, p := range peak {
		rep.RSS[name] = fmt.Sprintf("%.1f MiB (%d process%s)", float64(p[0])/1024, p[1], plural(int(p[1])))
	}
	rep.Results = medians(rounds)
	if len(rounds) > 1 {
		rep.Rounds = rounds
	}
	rep.Finished = time.Now().UTC()
	rep.Targets = map[string][]verdict{}
	for sc, rs := range byScenario(rep.Results) {
		if p, _ := parseScenario(sc, c.tweets); p.hive || p.apollo || p.tweets != c.tweets || p.name != p.data.Name {
			continue // issue 7's targets are about the timeline of -tweets
		}
		if vs := judge(rs); vs != nil {
			rep.Targets[sc] = vs
		}
	}
	printReport(stdout, rep, c)
	printWrites(stdout, rep.Writes)
	if c.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(c.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	// Figures of a server that answered wrongly or failed requests mean
	// nothing: say so in the exit status, for CI's smoke run.
	var bad []string
	for _, r := range rep.Results {
		if r.Mismatch != "" || r.Max.Errors+r.Half.Errors > 0 {
			bad = append(bad, r.Target+" "+r.Scenario)
		}
	}
	for _, w := range rep.Writes {
		if w.Errors > 0 {
			bad = append(bad, "writes "+w.Load.String()+" ("+w.FirstError+")")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("wrong answers or failed requests: %s", strings.Join(bad, ", "))
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "es"
}

// verify compares s's answers to the first target's (refs), setting them when
// s is the first.
func verify(s *server, bodies [][]byte, refs map[string][][]byte, scenario string) string {
	first := refs[scenario] == nil
	for i, b := range bodies {
		got, err := answer(s, b)
		if err != nil {
			return fmt.Sprintf("timeline %d: %v", i, err)
		}
		if first {
			refs[scenario] = append(refs[scenario], got)
			continue
		}
		if want := refs[scenario][i]; string(got) != string(want) {
			return fmt.Sprintf("timeline %d: answer differs from the first target's:\n got  %.400s\n want %.400s", i, got, want)
		}
	}
	return ""
}

func cpuProfile(s *server, path string, d time.Duration) error {
	secs := int(d.Seconds()) - 1
	if secs < 1 {
		secs = 1
	}
	res, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.addr, secs))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}

func copyFile(from, to string) {
	b, err := os.ReadFile(from)
	if err == nil {
		os.WriteFile(to, b, 0o755)
	}
}

// ensureNode makes the Node targets runnable: node on the PATH and
// bench/_node's packages installed (npm ci from the lock file when missing).
func ensureNode(ctx context.Context, dir string, install bool) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not on the PATH: the Node comparisons are skipped")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "better-sqlite3")); err == nil {
		return nil
	}
	if !install {
		return fmt.Errorf("%s has no node_modules and -npm=false: run npm ci there", dir)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return fmt.Errorf("npm is not on the PATH to install %s's packages", dir)
	}
	progress("installing the Node comparisons' packages: npm ci in %s (better-sqlite3 compiles; a minute or two)", dir)
	var env []string
	// better-sqlite3 is compiled by node-gyp when no prebuilt binary can be
	// downloaded; the headers of the installed Node spare node-gyp its own
	// download, which this machine's network would refuse.
	if _, err := os.Stat("/usr/include/node/node.h"); err == nil {
		env = append(env, "npm_config_nodedir=/usr")
	}
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := runCmd(ictx, dir, env, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
		return fmt.Errorf("npm ci failed, the Node comparisons are skipped: %w", err)
	}
	return nil
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run bench from inside the shop module")
	}
	return filepath.Dir(mod), nil
}

func machine(ctx context.Context) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	node := "no node"
	if out, err := exec.CommandContext(ctx, "node", "--version").Output(); err == nil {
		node = "node " + strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s), %s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpu, runtime.Version(), node)
}
