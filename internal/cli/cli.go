// Package cli is the shop command's command line: the subcommands serve,
// import, import-catalog, token and help, and the one table of settings
// (settings.go) that binds their flags and environment variables and
// writes their help. What serving needs besides its settings is
// internal/server's.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrReported means the command already told the user what went wrong:
// the caller prints nothing more.
var ErrReported = errors.New("reported")

// errHelp ends a command whose -h printed its flags.
var errHelp = errors.New("help")

const usage = `Usage:
  shop [serve] [flags]          serve the subgraph (the default)
  shop import [-db …] FILE…     load shops and catalogues from JSONL files
  shop import-catalog -profile ID [-db …] FILE.csv
                                load a product-feed CSV into a profile's shop
  shop token -sub ID [-scope shop:admin] [-ttl 1h]
                                print a bearer token signed with SHOP_JWT_SECRET

Run 'shop COMMAND -h' for a command's flags.
`

// Run runs the command args name (serve when the first argument is a flag
// or there is none) with the environment getenv. -h prints the command's
// flags and returns nil.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := runCommand(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil // -h printed the flags
	}
	return err
}

func runCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr)
	case "import-catalog":
		return importCatalog(ctx, args, getenv, stdout, stderr)
	case "token":
		return mintToken(args, getenv, stdout, stderr)
	case "import":
		return importFiles(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "shop: unknown command %q\n\n%s", cmd, usage)
		return ErrReported
	}
}
