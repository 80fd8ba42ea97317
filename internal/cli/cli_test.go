package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/shop-subgraph/shop/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestHelp: -h prints a command's flags and succeeds.
func TestHelp(t *testing.T) {
	for _, cmd := range []string{"serve", "import", "import-catalog", "token"} {
		var stderr bytes.Buffer
		if err := Run(context.Background(), []string{cmd, "-h"}, env(nil), io.Discard, &stderr); err != nil {
			t.Errorf("%s -h: %v", cmd, err)
		}
		if !strings.Contains(stderr.String(), "-db") && !strings.Contains(stderr.String(), "-sub") {
			t.Errorf("%s -h printed %q", cmd, stderr.String())
		}
	}
}
