package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/shop-subgraph/shop/internal/rollout"
	"github.com/shop-subgraph/shop/internal/server"
	"github.com/shop-subgraph/shop/internal/store"
	"github.com/shop-subgraph/shop/internal/telemetry"
)

// serve is `shop serve`: the settings, checked, then the logger, the
// memory limit, token verification and tracing, then internal/server.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) (err error) {
	var c config
	fs := newFlagSet(serveCmd, "serve", &c)
	if err := fs.parse(args, getenv, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if err := c.checkServe(); err != nil {
		return err
	}
	logger := server.NewLogger(stderr, c.logFormat == "json")
	if err := setMemoryLimit(c.memoryLimit, getenv, logger); err != nil {
		return err
	}
	if c.srv.GraphQL.Auth, c.srv.DevTokens, err = setupAuth(c.auth, logger); err != nil {
		return err
	}

	// OpenTelemetry, from the OTEL_* variables: off without an endpoint.
	if c.srv.Telemetry, err = telemetry.Setup(ctx, getenv, logger); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.srv.Telemetry.Shutdown(ctx); err != nil {
			logger.Warn("opentelemetry: spans not exported at shutdown", "err", err)
		}
	}()
	return server.Run(ctx, c.srv, logger)
}

// checkServe checks serve's settings, and derives from them what
// server.Config holds in its own terms.
func (c *config) checkServe() error {
	s := &c.srv
	if s.ReplicaMaxLag <= 0 || s.ReplicaCheckInterval <= 0 {
		return errors.New("-db-replica-max-lag and -db-replica-check-interval must be positive")
	}
	if len(s.Replicas) > 0 && !store.IsPostgres(s.DB) {
		return errors.New("-db-replica needs a postgres:// -db: replicas are PostgreSQL streaming replicas")
	}
	if c.seed != "demo" && c.seed != "none" {
		return fmt.Errorf("-seed must be demo or none, got %q", c.seed)
	}
	s.Seed = c.seed == "demo"
	g := &s.GraphQL
	if g.Cache.MaxAge < 0 || g.Cache.DefaultMaxAge < 0 {
		return errors.New("-cache-max-age and -cache-default-max-age must be zero or more")
	}
	l := g.Limits
	if l.MaxDepth < 1 || l.MaxComplexity < 1 || l.MaxRepresentations < 1 || l.MaxFields < 1 || l.MaxQueryBytes < 1 || l.MaxTokens < 1 ||
		l.MaxBodyBytes < 1 || l.Timeout <= 0 || g.QueryCacheSize < 1 || g.QueryCacheBytes < 1 || g.APQCacheBytes < 1 || g.APQCacheSize < 0 {
		return errors.New("-max-depth, -max-complexity, -max-representations, -max-fields, -max-query-bytes, -max-tokens, -max-body-bytes, -request-timeout, " +
			"-query-cache-size, -query-cache-bytes and -apq-cache-bytes must be positive, -apq-cache-size zero or more")
	}
	// -apq-cache-size 0 turns APQ off; the handler would read a 0 size as
	// its default.
	g.APQOff = g.APQCacheSize == 0
	g.Limits.NoIntrospection = !c.introspection
	var err error
	if g.Rollout, err = rollout.ParseRules(c.rollout.countries, c.rollout.languages, c.rollout.platforms, c.rollout.merchants); err != nil {
		return err
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("-log-format must be text or json, got %q", c.logFormat)
	}
	return nil
}

// setMemoryLimit sets the Go runtime's soft memory limit, so that the
// garbage collector works harder before the process runs out of memory
// rather than after: auto is 90 % of the cgroup's memory limit, else of the
// machine's memory (automemlimit); off sets none; anything else is a size
// such as 512MiB. GOMEMLIMIT, which the runtime reads itself, wins.
func setMemoryLimit(v string, getenv func(string) string, logger *slog.Logger) error {
	if getenv("GOMEMLIMIT") != "" {
		logger.Info("memory limit from GOMEMLIMIT", "bytes", debug.SetMemoryLimit(-1))
		return nil
	}
	switch v {
	case "off":
		return nil
	case "auto":
		n, err := memlimit.Set(memlimit.WithRatio(0.9), memlimit.WithProvider(memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)))
		if err != nil {
			return fmt.Errorf("-memory-limit auto: %w", err)
		}
		logger.Info("memory limit", "bytes", n)
		return nil
	}
	n, err := parseBytes(v)
	if err != nil {
		return fmt.Errorf("-memory-limit must be auto, off or a size such as 512MiB: %w", err)
	}
	debug.SetMemoryLimit(n)
	logger.Info("memory limit", "bytes", n)
	return nil
}

// parseBytes reads a size: a whole number of bytes, or one with a unit of
// KiB, MiB or GiB.
func parseBytes(v string) (int64, error) {
	mult := int64(1)
	for unit, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if num, ok := strings.CutSuffix(v, unit); ok {
			v, mult = num, m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a positive size", v)
	}
	return n * mult, nil
}
