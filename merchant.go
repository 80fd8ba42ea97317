package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/ide"
	"github.com/shop-subgraph/shop/internal/store"
)

// The merchant write API's configuration and commands (SPEC §6): how serve
// verifies tokens, the development tokens it logs when it has no key, and
// the token and import-catalog commands.

// envSecret holds the HS256 secret. It has no flag: a flag's value shows in
// the process list and the shell history.
const envSecret = "SHOP_JWT_SECRET"

// devStaffProfile is the subject of the development staff token.
const devStaffProfile = "staff"

// devTokenTTL is how long the development tokens are valid.
const devTokenTTL = 24 * time.Hour

// authConfig is the token verification configuration besides the secret.
type authConfig struct {
	publicKeyFile, issuer, audience string
	verifier                        *auth.Verifier
	// devTokens are the development tokens, which the IDE offers: only
	// when no key is configured.
	devTokens []ide.DevToken
}

func authFlags(fs *flag.FlagSet, getenv func(string) string, a *authConfig) {
	fs.StringVar(&a.publicKeyFile, "jwt-public-key", getenv("SHOP_JWT_PUBLIC_KEY"),
		"PEM file with the public key that verifies RS256 or ES256 tokens (env SHOP_JWT_PUBLIC_KEY); for HS256 set the secret in env "+envSecret)
	fs.StringVar(&a.issuer, "jwt-issuer", getenv("SHOP_JWT_ISSUER"), "the iss tokens must carry; empty: any (env SHOP_JWT_ISSUER)")
	fs.StringVar(&a.audience, "jwt-audience", getenv("SHOP_JWT_AUDIENCE"), "an aud tokens must carry; empty: any (env SHOP_JWT_AUDIENCE)")
}

// setupAuth returns the verifier for serve. With no key configured it makes
// a random secret and logs, with a warning, a ready token for each demo
// merchant, the demo profile without a shop, and a staff member, and returns
// them for the IDE to offer; with a key it returns none.
func setupAuth(a authConfig, getenv func(string) string, logger *slog.Logger) (*auth.Verifier, []ide.DevToken, error) {
	c := auth.Config{Secret: []byte(getenv(envSecret)), Issuer: a.issuer, Audience: a.audience}
	if a.publicKeyFile != "" {
		pem, err := os.ReadFile(a.publicKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("-jwt-public-key: %w", err)
		}
		c.PublicKeyPEM = pem
	}
	dev := len(c.Secret) == 0 && len(c.PublicKeyPEM) == 0
	if dev {
		c.Secret = auth.NewSecret()
	}
	v, err := auth.NewVerifier(c)
	if err != nil {
		return nil, nil, fmt.Errorf("token verification (%s, SHOP_JWT_PUBLIC_KEY or -jwt-public-key): %w", envSecret, err)
	}
	if !dev {
		logger.Info("verifying bearer tokens", "alg", v.Algorithm(), "issuer", a.issuer, "audience", a.audience)
		return v, nil, nil
	}
	logger.Warn("no " + envSecret + " or SHOP_JWT_PUBLIC_KEY: bearer tokens are verified with a random secret made at start, for development only; " +
		"the tokens below are valid for 24 hours or until the server stops: send one as the header Authorization: Bearer <token>")
	now := time.Now()
	var tokens []ide.DevToken
	mint := func(label, sub string, scopes ...string) {
		tok, err := auth.Sign(c.Secret, auth.Token{Subject: sub, Scopes: scopes, Issuer: a.issuer, Audience: a.audience, TTL: devTokenTTL}, now)
		if err != nil {
			logger.Error("development token", "sub", sub, "err", err)
			return
		}
		logger.Info("development token", "sub", sub, "scope", strings.Join(scopes, " "), "token", tok)
		tokens = append(tokens, ide.DevToken{Label: label, Subject: sub, Scope: strings.Join(scopes, " "), Token: tok})
	}
	for _, id := range catalog.DemoProfileIDs {
		mint(id, id)
	}
	mint(catalog.DemoProfileWithoutShop+" (no shop)", catalog.DemoProfileWithoutShop)
	mint(devStaffProfile+" ("+auth.ScopeAdmin+")", devStaffProfile, auth.ScopeAdmin)
	return v, tokens, nil
}

// mintToken is `shop token`: it prints an HS256 token signed with
// SHOP_JWT_SECRET.
func mintToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	sub := fs.String("sub", "", "the profile id the token signs in as (required)")
	scope := fs.String("scope", "", "space-separated scopes: "+auth.ScopeAdmin+" for platform staff")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	issuer := fs.String("jwt-issuer", getenv("SHOP_JWT_ISSUER"), "the iss to put in the token (env SHOP_JWT_ISSUER, as serve reads it)")
	audience := fs.String("jwt-audience", getenv("SHOP_JWT_AUDIENCE"), "the aud to put in the token (env SHOP_JWT_AUDIENCE, as serve reads it)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shop token -sub ID [-scope %s] [-ttl 1h]\n\nPrints a bearer token (HS256) signed with the secret in env %s.\n", auth.ScopeAdmin, envSecret)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *sub == "" || fs.NArg() > 0 {
		fs.Usage()
		return errReported
	}
	secret := getenv(envSecret)
	if secret == "" {
		if getenv("SHOP_JWT_PUBLIC_KEY") != "" {
			return fmt.Errorf("%s is not set and a public key is (SHOP_JWT_PUBLIC_KEY): the server verifies RS256/ES256 tokens, "+
				"which only the holder of the private key (your identity provider) can sign; shop token signs HS256 tokens with %s", envSecret, envSecret)
		}
		return fmt.Errorf("%s is not set: shop token signs with the secret the server verifies with. "+
			"(A server started without one makes a random secret and logs ready tokens for the demo profiles.)", envSecret)
	}
	tok, err := auth.Sign([]byte(secret), auth.Token{
		Subject: *sub, Scopes: strings.Fields(*scope), Issuer: *issuer, Audience: *audience, TTL: *ttl,
	}, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// importCatalog is `shop import-catalog`: a product-feed CSV into a
// profile's shop.
func importCatalog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import-catalog", flag.ContinueOnError)
	db := dbFlag(fs, getenv)
	profile := fs.String("profile", "", "the profile whose shop gets the products (required); the shop must exist")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shop import-catalog -profile ID [-db …] catalog.csv\n\n"+
			"Upserts the products of a product-feed CSV (columns %s) into the profile's shop, all or nothing.\n",
			strings.Join(catalog.FeedColumns, ","))
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *profile == "" || fs.NArg() != 1 {
		fs.Usage()
		return errReported
	}
	return runImport(ctx, "import-catalog", *db, getenv, stdout, stderr, func(ctx context.Context, st *store.Store) (string, error) {
		stats, err := catalog.ImportFeedFile(ctx, st, *profile, fs.Arg(0))
		if errors.Is(err, catalog.ErrNoShop) {
			return "", fmt.Errorf("profile %q has no shop: create it first (the createShop mutation, or shop import)", *profile)
		}
		return fmt.Sprintf("%s into the shop of profile %s", stats, *profile), err
	})
}
