package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/ide"
)

// The merchant write API's configuration and commands (SPEC §6): how serve
// verifies tokens, the development tokens it logs when it has no key, and
// the token command.

// The variables of the keys that verify tokens: the HS256 secret, which
// has no flag, and the file of the public key.
const (
	envSecret    = "SHOP_JWT_SECRET"
	envPublicKey = "SHOP_JWT_PUBLIC_KEY"
)

// devStaffProfile is the subject of the development staff token.
const devStaffProfile = "staff"

// devTokenTTL is how long the development tokens are valid.
const devTokenTTL = 24 * time.Hour

// authConfig is the token verification configuration.
type authConfig struct {
	secret, publicKeyFile, issuer, audience string
}

// setupAuth returns the verifier for serve. With no key configured it makes
// a random secret and logs, with a warning, a ready token for each demo
// merchant, the demo profile without a shop, and a staff member, and returns
// them for the IDE to offer; with a key it returns none.
func setupAuth(a authConfig, logger *slog.Logger) (*auth.Verifier, []ide.DevToken, error) {
	c := auth.Config{Secret: []byte(a.secret), Issuer: a.issuer, Audience: a.audience}
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
		return nil, nil, fmt.Errorf("token verification (%s, %s or -jwt-public-key): %w", envSecret, envPublicKey, err)
	}
	if !dev {
		logger.Info("verifying bearer tokens", "alg", v.Algorithm(), "issuer", a.issuer, "audience", a.audience)
		return v, nil, nil
	}
	logger.Warn("no " + envSecret + " or " + envPublicKey + ": bearer tokens are verified with a random secret made at start, for development only; " +
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
	var c config
	fs := newFlagSet(tokenCmd, "token", &c)
	sub := fs.String("sub", "", "the profile id the token signs in as (required)")
	scope := fs.String("scope", "", "space-separated scopes: "+auth.ScopeAdmin+" for platform staff")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shop token -sub ID [-scope %s] [-ttl 1h]\n\nPrints a bearer token (HS256) signed with the secret in env %s.\n", auth.ScopeAdmin, envSecret)
		fs.printDefaults()
	}
	if err := fs.parse(args, getenv, stderr); err != nil {
		return err
	}
	if *sub == "" || fs.NArg() > 0 {
		fs.Usage()
		return ErrReported
	}
	if c.auth.secret == "" {
		// Only to say why: the token command takes no public key.
		if getenv(envPublicKey) != "" {
			return fmt.Errorf("%s is not set and a public key is (%s): the server verifies RS256/ES256 tokens, "+
				"which only the holder of the private key (your identity provider) can sign; shop token signs HS256 tokens with %s", envSecret, envPublicKey, envSecret)
		}
		return fmt.Errorf("%s is not set: shop token signs with the secret the server verifies with. "+
			"(A server started without one makes a random secret and logs ready tokens for the demo profiles.)", envSecret)
	}
	tok, err := auth.Sign([]byte(c.auth.secret), auth.Token{
		Subject: *sub, Scopes: strings.Fields(*scope), Issuer: c.auth.issuer, Audience: c.auth.audience, TTL: *ttl,
	}, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
