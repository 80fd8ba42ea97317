//go:build unix

// Package e2e runs the gateway suite: the subgraph built from this tree behind
// Apollo Gateway and behind Hive Gateway with an accounts/tweets stand-in,
// the composition check of supergraph.graphql, and the IDE in headless
// Chromium (node --test in this directory; see docs/gateway.md and
// ide.test.mjs).
// It needs Node 20+ and the packages of package-lock.json (npm ci); without
// them it skips, unless SHOP_E2E_REQUIRED is set, as in CI, where it fails.
// The browser test also needs Debian's chromium and, likewise, skips without
// it unless SHOP_E2E_REQUIRED is set.
package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// suiteTimeout bounds the whole suite; it takes a few seconds.
const suiteTimeout = 3 * time.Minute

func TestGatewaySuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the gateway suite")
	}
	node := requireNode(t)

	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	defer cancel()
	if d, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}

	bin := filepath.Join(t.TempDir(), "shop")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/shop-subgraph/shop").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec")
	cmd.Env = append(os.Environ(), "SHOP_BIN="+bin)
	cmd.Stdout = t.Output()
	cmd.Stderr = t.Output()
	// node runs each test file in a child process, and the files start the
	// subgraph: put them all in one process group, and end the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers, if any (ESRCH when none)
	}
	switch {
	case err != nil && ctx.Err() != nil:
		t.Fatalf("the gateway suite did not finish in time (%v): %v", suiteTimeout, err)
	case err != nil:
		t.Fatalf("node --test: %v (its report is above)", err)
	}
}

// requireNode returns the path of node when it and e2e/node_modules are
// there; otherwise it skips the test, or fails it when SHOP_E2E_REQUIRED is set.
func requireNode(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		msg := why + ": the gateway suite needs Node 20+ and its npm packages; to run it: cd e2e && npm ci"
		if os.Getenv("SHOP_E2E_REQUIRED") != "" {
			t.Fatal(msg + " (SHOP_E2E_REQUIRED is set)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		missing("node --version: " + err.Error())
	}
	version := strings.TrimSpace(string(out))
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(version, "v"), ".", 2)[0])
	if err != nil || major < 20 {
		missing("node is " + version)
	}
	if _, err := os.Stat("node_modules"); errors.Is(err, os.ErrNotExist) {
		missing("e2e/node_modules is missing")
	}
	return node
}
