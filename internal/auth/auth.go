// Package auth verifies the bearer tokens (JWTs) of the merchant write API
// (SPEC §6) and carries the viewer they name through a request's context.
//
// A token is signed with HS256 and a shared secret, or with RS256 or ES256
// and a private key whose public half the server is given. The algorithm is
// pinned to the configured key: a token that names another one, `none`
// included, is refused before its signature is looked at. `exp` is required;
// `sub` is the caller's profile id; `scope` is a space-separated list that
// holds shop:admin for platform staff.
//
// NewContext never refuses a request: reads are public. It records the
// viewer, or why there is none, and the operations that need a viewer ask
// FromContext.
package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ScopeAdmin is the scope of platform staff.
const ScopeAdmin = "shop:admin"

// MinSecretLen is the shortest HS256 secret accepted, in bytes: as long as
// the hash (RFC 7518 §3.2).
const MinSecretLen = 32

// Leeway is the clock skew allowed between the token's issuer and this
// server when checking exp, nbf and iat.
const Leeway = 30 * time.Second

// Viewer is the caller a valid token names.
type Viewer struct {
	// ProfileID is the token's sub.
	ProfileID string
	// Scopes is the token's scope, split at spaces.
	Scopes []string
}

// Staff reports whether the viewer is platform staff (scope shop:admin).
func (v Viewer) Staff() bool { return slices.Contains(v.Scopes, ScopeAdmin) }

// Config is how tokens are verified: a Secret (HS256) or a PublicKeyPEM
// (RS256 for an RSA key, ES256 for a P-256 key), and optionally the issuer
// and audience tokens must name.
type Config struct {
	Secret       []byte
	PublicKeyPEM []byte
	Issuer       string
	Audience     string
}

// Verifier checks tokens against one key.
type Verifier struct {
	key      any
	alg      string
	parser   *jwt.Parser
	now      func() time.Time // the clock of the claims' times
	verified verified
}

// NewVerifier returns a verifier for c. It fails when c has no key, both
// kinds of key, a secret shorter than MinSecretLen, or a public key that is
// not RSA (2048 bits or more) or ECDSA P-256.
func NewVerifier(c Config) (*Verifier, error) { return newVerifier(c, time.Now) }

// newVerifier is NewVerifier with the clock that exp, nbf and iat are
// checked against.
func newVerifier(c Config, now func() time.Time) (*Verifier, error) {
	v := &Verifier{now: now}
	switch {
	case len(c.Secret) > 0 && len(c.PublicKeyPEM) > 0:
		return nil, errors.New("configure either a secret (HS256) or a public key (RS256/ES256), not both")
	case len(c.Secret) > 0:
		if err := checkSecret(c.Secret); err != nil {
			return nil, err
		}
		v.key, v.alg = c.Secret, jwt.SigningMethodHS256.Alg()
	case len(c.PublicKeyPEM) > 0:
		key, alg, err := ParsePublicKey(c.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		v.key, v.alg = key, alg
	default:
		return nil, errors.New("no key: configure a secret (HS256) or a public key (RS256/ES256)")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{v.alg}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(now),
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// Algorithm is the one algorithm the verifier accepts.
func (v *Verifier) Algorithm() string { return v.alg }

// ParsePublicKey reads a PEM public key (PKIX "PUBLIC KEY", PKCS #1 "RSA
// PUBLIC KEY", or the key of a "CERTIFICATE") and returns it with the
// algorithm its tokens are signed with.
func ParsePublicKey(b []byte) (key any, alg string, err error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, "", errors.New("public key: no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return nil, "", fmt.Errorf("public key: the PEM block is a %s; give the server the public key only", block.Type)
		}
		return nil, "", fmt.Errorf("public key: unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("public key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("public key: RSA keys must have at least 2048 bits, this one has %d", k.N.BitLen())
		}
		return k, jwt.SigningMethodRS256.Alg(), nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, "", fmt.Errorf("public key: ECDSA keys must be on P-256 (for ES256), this one is on %s", k.Curve.Params().Name)
		}
		return k, jwt.SigningMethodES256.Alg(), nil
	}
	return nil, "", fmt.Errorf("public key: %T keys are not supported; use RSA (RS256) or ECDSA P-256 (ES256)", key)
}

// claims are the token's claims this service reads.
type claims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope,omitempty"`
}

// Error is why a token was refused. Its message is safe to show the client.
type Error struct {
	msg string
	err error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.err }

// ErrNoToken is FromContext's error when the request carried no token.
var ErrNoToken = &Error{msg: "sign-in required: send a bearer token in the Authorization header"}

// Verify checks a token's algorithm, signature and claims, and returns the
// viewer it names. Errors are *Error.
//
// A token it has accepted before is not parsed and checked again until it
// expires: only its expiry is checked against the clock (its nbf and iat,
// checked then, hold for good). A client sends the same token with every
// request while it lasts, and verifying it in full (base64, two JSON
// documents, the signature: about 4 µs, 46 allocations) was 3.7 % of the
// subgraph's CPU in the load benchmark's writes (PERFORMANCE.md, writes);
// a token verified before costs about 0.3 µs.
func (v *Verifier) Verify(token string) (Viewer, error) {
	sum := sha256.Sum256([]byte(token))
	if viewer, ok := v.verified.get(sum, v.now()); ok {
		return viewer, nil
	}
	viewer, exp, err := v.verify(token)
	if err != nil {
		return Viewer{}, err
	}
	v.verified.put(sum, viewer, exp)
	return viewer, nil
}

// verify is Verify without the tokens accepted before; it also returns the
// token's expiry.
func (v *Verifier) verify(token string) (Viewer, time.Time, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		return v.key, nil
	})
	if err != nil {
		return Viewer{}, time.Time{}, &Error{msg: "invalid bearer token: " + err.Error(), err: err}
	}
	if c.Subject == "" {
		return Viewer{}, time.Time{}, &Error{msg: "invalid bearer token: it has no sub (the caller's profile id)"}
	}
	// exp is required: the parser refused a token without it.
	return Viewer{ProfileID: c.Subject, Scopes: strings.Fields(c.Scope)}, c.ExpiresAt.Time, nil
}

// verifiedMax bounds the tokens a Verifier remembers; past it, it forgets
// them all and starts afresh. With verifiedMaxViewer, the bytes of a
// viewer's profile id and scopes that it keeps at most, they hold a few
// MiB at most.
const (
	verifiedMax       = 4096
	verifiedMaxViewer = 512
)

// verified is the tokens a Verifier accepted, by their SHA-256 (so that no
// lookup compares a token itself), with the viewer each names and its
// expiry.
type verified struct {
	mu     sync.Mutex
	tokens map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	viewer Viewer
	exp    time.Time
}

// get returns the viewer of an accepted token that has not expired at now,
// with the parser's leeway.
func (c *verified) get(sum [sha256.Size]byte, now time.Time) (Viewer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[sum]
	if !ok {
		return Viewer{}, false
	}
	if !now.Before(t.exp.Add(Leeway)) {
		delete(c.tokens, sum)
		return Viewer{}, false
	}
	// The caller's own copy of the scopes.
	return Viewer{ProfileID: t.viewer.ProfileID, Scopes: slices.Clone(t.viewer.Scopes)}, true
}

func (c *verified) put(sum [sha256.Size]byte, viewer Viewer, exp time.Time) {
	if size := len(viewer.ProfileID) + len(strings.Join(viewer.Scopes, " ")); size > verifiedMaxViewer {
		return // verified in full each time: the memory stays bounded
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil || len(c.tokens) >= verifiedMax {
		c.tokens = make(map[[sha256.Size]byte]verifiedToken)
	}
	// Copies of the strings: a scope is a substring of the token's whole
	// scope claim, which it would keep alive.
	kept := Viewer{ProfileID: strings.Clone(viewer.ProfileID), Scopes: make([]string, len(viewer.Scopes))}
	for i, sc := range viewer.Scopes {
		kept.Scopes[i] = strings.Clone(sc)
	}
	c.tokens[sum] = verifiedToken{viewer: kept, exp: exp}
}

// checkSecret refuses an HS256 secret shorter than MinSecretLen.
func checkSecret(secret []byte) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("the HS256 secret must be at least %d bytes, is %d", MinSecretLen, len(secret))
	}
	return nil
}

// Token describes a token to mint.
type Token struct {
	Subject  string
	Scopes   []string
	Issuer   string
	Audience string
	TTL      time.Duration
}

// Sign returns t as an HS256 token signed with secret, issued now.
func Sign(secret []byte, t Token, now time.Time) (string, error) {
	if err := checkSecret(secret); err != nil {
		return "", err
	}
	if t.Subject == "" {
		return "", errors.New("a token needs a subject (the profile id)")
	}
	if t.TTL <= 0 {
		return "", fmt.Errorf("a token's lifetime must be positive, got %s", t.TTL)
	}
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   t.Subject,
			Issuer:    t.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.TTL)),
		},
		Scope: strings.Join(t.Scopes, " "),
	}
	if t.Audience != "" {
		c.Audience = jwt.ClaimStrings{t.Audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

// NewSecret returns a random HS256 secret, for a development server that
// was given no key.
func NewSecret() []byte {
	b := make([]byte, MinSecretLen)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

type ctxKey struct{}

// result is what NewContext learnt about the request's caller.
type result struct {
	viewer Viewer
	err    error
}

// FromContext returns the request's viewer, or why there is none: an *Error,
// ErrNoToken when the request carried no token.
func FromContext(ctx context.Context) (Viewer, error) {
	r, ok := ctx.Value(ctxKey{}).(result)
	if !ok {
		return Viewer{}, ErrNoToken
	}
	return r.viewer, r.err
}

// errNotConfigured is the error of every token when the server has no key.
var errNotConfigured = &Error{msg: "invalid bearer token: this server verifies no tokens"}

// NewContext verifies the bearer token of an Authorization header value,
// if any, with v (nil verifies none) and returns ctx recording the outcome
// for FromContext. Nothing is refused here: only the operations that need a
// viewer fail.
func NewContext(ctx context.Context, v *Verifier, authorization string) context.Context {
	res := result{err: ErrNoToken}
	if authorization != "" {
		scheme, token, _ := strings.Cut(strings.TrimSpace(authorization), " ")
		token = strings.TrimSpace(token)
		switch {
		case !strings.EqualFold(scheme, "Bearer") || token == "":
			res.err = &Error{msg: `the Authorization header must be "Bearer" and a token`}
		case v == nil:
			res.err = errNotConfigured
		default:
			res.viewer, res.err = v.Verify(token)
		}
	}
	return context.WithValue(ctx, ctxKey{}, res)
}
