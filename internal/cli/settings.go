package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shop-subgraph/shop/internal/gqlhttp"
	"github.com/shop-subgraph/shop/internal/server"
	"github.com/shop-subgraph/shop/internal/store"
)

// config is where the settings land.
type config struct {
	srv                          server.Config
	seed, logFormat, memoryLimit string
	introspection                bool
	rollout                      struct{ countries, languages, platforms, merchants string }
	auth                         authConfig
}

// settings is the one table of the command's settings. Each names its flag
// and its environment variable once; binding a command's flags, reading the
// environment, the help text and the check of the README's configuration
// table (settings_test.go) all read it. A command's own arguments (token's
// -sub, import-catalog's -profile) are not settings: they have no variable.
func (c *config) settings() []setting {
	g := &c.srv.GraphQL
	return []setting{
		{flag: "addr", env: "SHOP_ADDR", alt: "PORT", altPrefix: ":", in: serveCmd, dest: val(&c.srv.Addr, ":8080"),
			usage: "listen address"},
		{flag: "db", env: "DATABASE_URL", in: serveCmd | importCmd, secret: true, dest: val(&c.srv.DB, "file:shop.db"),
			usage: "SQLite file (file:shop.db) or postgres:// URL"},
		{flag: "db-replica", env: "DATABASE_REPLICA_URL", in: serveCmd, secret: true, dest: postgresURLs(&c.srv.Replicas),
			usage: "a postgres:// URL of a streaming replica of -db that serves the read path; repeat for several"},
		{flag: "db-replica-max-lag", env: "SHOP_DB_REPLICA_MAX_LAG", in: serveCmd, dest: val(&c.srv.ReplicaMaxLag, store.DefaultReplicaMaxLag),
			usage: "how far behind the primary a replica may be and still serve reads"},
		{flag: "db-replica-check-interval", env: "SHOP_DB_REPLICA_CHECK_INTERVAL", in: serveCmd, dest: val(&c.srv.ReplicaCheckInterval, store.DefaultReplicaCheckInterval),
			usage: "how often each replica's health and lag are checked"},
		{flag: "seed", env: "SHOP_SEED", in: serveCmd, dest: val(&c.seed, "demo"),
			usage: "demo: load the demo data into an empty database; none"},
		{flag: "log-format", env: "SHOP_LOG_FORMAT", in: serveCmd, dest: val(&c.logFormat, "text"),
			usage: "text or json"},
		{flag: "shutdown-timeout", env: "SHOP_SHUTDOWN_TIMEOUT", in: serveCmd, dest: val(&c.srv.ShutdownTimeout, 15*time.Second),
			usage: "how long requests in flight may finish after SIGTERM"},
		{flag: "max-depth", env: "SHOP_MAX_DEPTH", in: serveCmd, dest: val(&g.Limits.MaxDepth, gqlhttp.DefaultMaxDepth),
			usage: "deepest selection an operation may have"},
		{flag: "max-complexity", env: "SHOP_MAX_COMPLEXITY", in: serveCmd, dest: val(&g.Limits.MaxComplexity, gqlhttp.DefaultMaxComplexity),
			usage: "highest operation complexity; lists cost their selection times first"},
		{flag: "max-fields", env: "SHOP_MAX_FIELDS", in: serveCmd, dest: val(&g.Limits.MaxFields, gqlhttp.DefaultMaxFields),
			usage: "most fields an operation may expand to, a fragment counted at every place it is spread"},
		{flag: "max-query-bytes", env: "SHOP_MAX_QUERY_BYTES", in: serveCmd, dest: val(&g.Limits.MaxQueryBytes, gqlhttp.DefaultMaxQueryBytes),
			usage: "longest query document, in bytes; variables are bounded by -max-body-bytes"},
		{flag: "max-tokens", env: "SHOP_MAX_TOKENS", in: serveCmd, dest: val(&g.Limits.MaxTokens, gqlhttp.DefaultMaxTokens),
			usage: "most tokens a query document may have"},
		{flag: "max-representations", env: "SHOP_MAX_REPRESENTATIONS", in: serveCmd, dest: val(&g.Limits.MaxRepresentations, gqlhttp.DefaultMaxRepresentations),
			usage: "most representations in one _entities call"},
		{flag: "max-body-bytes", env: "SHOP_MAX_BODY_BYTES", in: serveCmd, dest: val(&g.Limits.MaxBodyBytes, gqlhttp.DefaultMaxBodyBytes),
			usage: "largest request body; larger is refused with 413"},
		{flag: "request-timeout", env: "SHOP_REQUEST_TIMEOUT", in: serveCmd, dest: val(&g.Limits.Timeout, gqlhttp.DefaultTimeout),
			usage: "longest a GraphQL request may take"},
		{flag: "introspection", env: "SHOP_INTROSPECTION", in: serveCmd, dest: val(&c.introspection, true),
			usage: "answer __schema and __type; _service answers either way"},
		{flag: "rollout-countries", env: "SHOP_ROLLOUT_COUNTRIES", in: serveCmd, dest: val(&c.rollout.countries, ""),
			usage: "comma list of ISO 3166 countries whose viewers see shops; empty = all"},
		{flag: "rollout-languages", env: "SHOP_ROLLOUT_LANGUAGES", in: serveCmd, dest: val(&c.rollout.languages, ""),
			usage: "comma list of languages (Accept-Language) whose viewers see shops; empty = all"},
		{flag: "rollout-platforms", env: "SHOP_ROLLOUT_PLATFORMS", in: serveCmd, dest: val(&c.rollout.platforms, ""),
			usage: "comma list of ios, android, web whose viewers see shops; empty = all"},
		{flag: "rollout-merchants", env: "SHOP_ROLLOUT_MERCHANTS", in: serveCmd, dest: val(&c.rollout.merchants, ""),
			usage: "comma list of profile ids allowed to show a shop; empty = all"},
		// 0 is off here, where gqlhttp.Options reads a 0 size as its default:
		// serve sets APQOff.
		{flag: "apq-cache-size", env: "SHOP_APQ_CACHE_SIZE", in: serveCmd, dest: val(&g.APQCacheSize, gqlhttp.DefaultAPQCacheSize),
			usage: "automatic persisted queries kept, at most; 0 turns APQ off"},
		{flag: "apq-cache-bytes", env: "SHOP_APQ_CACHE_BYTES", in: serveCmd, dest: val(&g.APQCacheBytes, gqlhttp.DefaultAPQCacheBytes),
			usage: "bytes of query text the persisted queries may hold"},
		{flag: "query-cache-size", env: "SHOP_QUERY_CACHE_SIZE", in: serveCmd, dest: val(&g.QueryCacheSize, gqlhttp.DefaultQueryCacheSize),
			usage: "parsed query documents kept, at most"},
		{flag: "query-cache-bytes", env: "SHOP_QUERY_CACHE_BYTES", in: serveCmd, dest: val(&g.QueryCacheBytes, gqlhttp.DefaultQueryCacheBytes),
			usage: "bytes the parsed query documents may hold, estimated"},
		{flag: "memory-limit", env: "SHOP_MEMORY_LIMIT", in: serveCmd, dest: val(&c.memoryLimit, "auto"),
			usage: "the Go runtime's soft memory limit: auto (90 % of the cgroup's limit, else of the machine's memory), off, or bytes such as 512MiB; GOMEMLIMIT wins when set"},
		{flag: "cache-max-age", env: "SHOP_CACHE_MAX_AGE", in: serveCmd, dest: val(&g.Cache.MaxAge, gqlhttp.DefaultCacheMaxAge),
			usage: "the longest max-age a response's Cache-Control may give, whatever the schema's hints; 0 caches nothing"},
		{flag: "cache-default-max-age", env: "SHOP_CACHE_DEFAULT_MAX_AGE", in: serveCmd, dest: val(&g.Cache.DefaultMaxAge, 0),
			usage: "the max-age of root fields and fields of object type without a @cacheControl hint"},
		{flag: "subgraph-name", env: "SHOP_SUBGRAPH_NAME", in: serveCmd, dest: val(&g.Cache.Subgraph, gqlhttp.DefaultSubgraph),
			usage: "the name the gateway knows this subgraph by, in mutations' cache invalidations"},
		// No flag: a flag's value shows in the process list and the shell
		// history.
		{env: envSecret, in: serveCmd | tokenCmd, secret: true, dest: val(&c.auth.secret, ""),
			usage: "HS256 secret (32 bytes or more) that verifies bearer tokens, and that shop token signs with"},
		{flag: "jwt-public-key", env: envPublicKey, in: serveCmd, dest: val(&c.auth.publicKeyFile, ""),
			usage: "PEM file with the public key that verifies RS256 or ES256 tokens, in place of the HS256 secret " + envSecret},
		{flag: "jwt-issuer", env: "SHOP_JWT_ISSUER", in: serveCmd | tokenCmd, dest: val(&c.auth.issuer, ""),
			usage: "the iss tokens must carry, and shop token puts in them; empty: any"},
		{flag: "jwt-audience", env: "SHOP_JWT_AUDIENCE", in: serveCmd | tokenCmd, dest: val(&c.auth.audience, ""),
			usage: "an aud tokens must carry, and shop token puts in them; empty: any"},
	}
}

// A setting is one entry of the table.
type setting struct {
	// flag is its name without the dash; "" for a setting read from the
	// environment only.
	flag string
	// env is its environment variable. When it is unset and alt is set,
	// the value is altPrefix and alt's value: PORT for -addr.
	env, alt, altPrefix string
	// in are the commands that take it.
	in command
	// dest is where its value lands, and its default.
	dest dest
	// usage says what it means; the help adds where it comes from.
	usage string
	// secret values may hold a password: errors do not quote them.
	secret bool
}

// command is a set of the commands.
type command uint8

const (
	serveCmd  command = 1 << iota
	importCmd         // import and import-catalog
	tokenCmd
)

// A dest is a setting's typed destination with its default.
type dest struct {
	bind func(fs *flag.FlagSet, name, usage string)
	// list is a repeatable flag: its variable holds its values
	// space-separated.
	list bool
}

// val is a destination p with default def, bound as the flag package binds
// its own types, so that the help names the type and the default.
func val[T string | int | int64 | bool | time.Duration](p *T, def T) dest {
	return dest{bind: func(fs *flag.FlagSet, name, usage string) {
		switch p := any(p).(type) {
		case *string:
			fs.StringVar(p, name, any(def).(string), usage)
		case *int:
			fs.IntVar(p, name, any(def).(int), usage)
		case *int64:
			fs.Int64Var(p, name, any(def).(int64), usage)
		case *bool:
			fs.BoolVar(p, name, any(def).(bool), usage)
		case *time.Duration:
			fs.DurationVar(p, name, any(def).(time.Duration), usage)
		}
	}}
}

// postgresURLs is a repeatable destination of postgres:// URLs, empty by
// default.
func postgresURLs(p *[]string) dest {
	return dest{list: true, bind: func(fs *flag.FlagSet, name, usage string) { fs.Var((*urlList)(p), name, usage) }}
}

// urlList is a flag.Value that appends each postgres:// URL it is set to.
type urlList []string

func (l *urlList) String() string {
	if l == nil {
		return ""
	}
	out := make([]string, len(*l))
	for i, d := range *l {
		out[i] = server.RedactDSN(d)
	}
	return strings.Join(out, " ")
}

func (l *urlList) Set(v string) error {
	if !store.IsPostgres(v) {
		return errors.New("a replica is a postgres:// URL")
	}
	*l = append(*l, v)
	return nil
}

// source says where a setting's value comes from besides its flag.
func (s setting) source() string {
	src := "env " + s.env
	if s.alt != "" {
		src += ", or " + s.alt + " → " + s.altPrefix + "$" + s.alt
	}
	if s.dest.list {
		src += ", space-separated"
	}
	return src
}

// flagSet is a command's flags: the settings it takes from the table, and
// any arguments of its own.
type flagSet struct {
	*flag.FlagSet
	settings []setting
	// envOnly holds the settings without a flag, named by their variables.
	envOnly *flag.FlagSet
}

// newFlagSet binds the settings of cmd, named name, to c.
func newFlagSet(cmd command, name string, c *config) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), envOnly: flag.NewFlagSet(name+" environment", flag.ContinueOnError)}
	for _, s := range c.settings() {
		if s.in&cmd == 0 {
			continue
		}
		fs.settings = append(fs.settings, s)
		if s.flag == "" {
			s.dest.bind(fs.envOnly, s.env, s.usage)
		} else {
			s.dest.bind(fs.FlagSet, s.flag, s.usage+" ("+s.source()+")")
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", name)
		fs.printDefaults()
	}
	return fs
}

// printDefaults prints the flags, then the settings read from the
// environment only.
func (fs *flagSet) printDefaults() {
	fs.PrintDefaults()
	w, first := fs.Output(), true
	fs.envOnly.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "Environment only:")
			first = false
		}
		fmt.Fprintf(w, "  %s\n    \t%s\n", f.Name, f.Usage)
	})
}

// parse parses the command line, then sets each setting it did not give
// from its environment variable, when that is set: the flag wins over the
// variable, the variable over the default. -h prints the flags and ends the
// command quietly (errHelp).
func (fs *flagSet) parse(args []string, getenv func(string) string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return ErrReported
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range fs.settings {
		if s.flag != "" && given[s.flag] {
			continue
		}
		if err := fs.fromEnv(s, getenv); err != nil {
			return err
		}
	}
	return nil
}

func (fs *flagSet) fromEnv(s setting, getenv func(string) string) error {
	v := getenv(s.env)
	if v == "" && s.alt != "" && getenv(s.alt) != "" {
		v = s.altPrefix + getenv(s.alt)
	}
	if v == "" {
		return nil
	}
	target, name := fs.FlagSet, s.flag
	if s.flag == "" {
		target, name = fs.envOnly, s.env
	}
	values := []string{v}
	if s.dest.list {
		values = strings.Fields(v)
	}
	for _, v := range values {
		if err := target.Set(name, v); err != nil {
			if s.secret {
				return fmt.Errorf("%s: %w", s.env, err)
			}
			return fmt.Errorf("%s=%q: %w", s.env, v, err)
		}
	}
	return nil
}
