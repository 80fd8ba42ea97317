package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkix(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PUBLIC KEY", der)
}

func TestNewVerifierConfig(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	smallRSA, _ := rsa.GenerateKey(rand.Reader, 1024)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	privDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	for _, tt := range []struct {
		name    string
		c       Config
		wantAlg string // "" means an error
		wantErr string
	}{
		{"secret", Config{Secret: secret}, "HS256", ""},
		{"RSA PKIX", Config{PublicKeyPEM: pkix(t, &rsaKey.PublicKey)}, "RS256", ""},
		{"RSA PKCS1", Config{PublicKeyPEM: pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey))}, "RS256", ""},
		{"P-256", Config{PublicKeyPEM: pkix(t, &p256.PublicKey)}, "ES256", ""},
		{"nothing", Config{}, "", "no key"},
		{"both", Config{Secret: secret, PublicKeyPEM: pkix(t, &p256.PublicKey)}, "", "not both"},
		{"short secret", Config{Secret: []byte("short")}, "", "at least 32 bytes"},
		{"private key", Config{PublicKeyPEM: pemOf(t, "PRIVATE KEY", privDER)}, "", "public key only"},
		{"not PEM", Config{PublicKeyPEM: []byte("hello")}, "", "no PEM block"},
		{"small RSA", Config{PublicKeyPEM: pkix(t, &smallRSA.PublicKey)}, "", "2048 bits"},
		{"P-384", Config{PublicKeyPEM: pkix(t, &p384.PublicKey)}, "", "P-256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.c)
			if tt.wantAlg != "" {
				if err != nil || v.Algorithm() != tt.wantAlg {
					t.Fatalf("got %v, %v; want %s", v, err, tt.wantAlg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	v, err := NewVerifier(Config{Secret: secret, Issuer: "https://id.example", Audience: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := Sign(secret, Token{Subject: "1001", Scopes: []string{"shop:read", ScopeAdmin}, Issuer: "https://id.example", Audience: "shop", TTL: time.Minute}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Viewer{ProfileID: "1001", Scopes: []string{"shop:read", ScopeAdmin}}); !cmp.Equal(got, want) || !got.Staff() {
		t.Errorf("got %+v, want %+v (staff)", got, want)
	}
	merchant, _ := Sign(secret, Token{Subject: "1002", Issuer: "https://id.example", Audience: "shop", TTL: time.Minute}, now)
	if got, err := v.Verify(merchant); err != nil || got.Staff() {
		t.Errorf("merchant: %+v %v, want not staff", got, err)
	}

	for name, tok := range map[string]string{
		"alg none": func() string {
			s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "1", "exp": now.Add(time.Hour).Unix(), "iss": "https://id.example", "aud": "shop"}).
				SignedString(jwt.UnsafeAllowNoneSignatureType)
			return s
		}(),
		"expired":      mustSign(t, Token{Subject: "1", Issuer: "https://id.example", Audience: "shop", TTL: time.Minute}, now.Add(-time.Hour)),
		"wrong issuer": mustSign(t, Token{Subject: "1", Issuer: "https://other.example", Audience: "shop", TTL: time.Minute}, now),
		"no audience":  mustSign(t, Token{Subject: "1", Issuer: "https://id.example", TTL: time.Minute}, now),
		"empty":        "",
	} {
		if _, err := v.Verify(tok); err == nil {
			t.Errorf("%s: verified", name)
		} else if ae := (*Error)(nil); !errors.As(err, &ae) || !strings.HasPrefix(err.Error(), "invalid bearer token") {
			t.Errorf("%s: error %v, want an *Error", name, err)
		}
	}
}

func mustSign(t *testing.T, tok Token, now time.Time) string {
	t.Helper()
	s, err := Sign(secret, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignRefuses(t *testing.T) {
	for name, tt := range map[string]struct {
		secret []byte
		tok    Token
	}{
		"short secret": {[]byte("x"), Token{Subject: "1", TTL: time.Hour}},
		"no subject":   {secret, Token{TTL: time.Hour}},
		"no lifetime":  {secret, Token{Subject: "1"}},
	} {
		if _, err := Sign(tt.secret, tt.tok, time.Now()); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

func TestNewContext(t *testing.T) {
	v, _ := NewVerifier(Config{Secret: secret})
	good := mustSign(t, Token{Subject: "1001", TTL: time.Hour}, time.Now())
	for _, tt := range []struct {
		name, header string
		verifier     *Verifier
		want         string // the profile, or the error's start
	}{
		{"no header", "", v, "sign-in required"},
		{"bearer", "Bearer " + good, v, "1001"},
		{"lower-case scheme", "bearer " + good, v, "1001"},
		{"basic", "Basic dXNlcjpwYXNz", v, `the Authorization header must be "Bearer" and a token`},
		{"bearer without token", "Bearer ", v, `the Authorization header must be "Bearer" and a token`},
		{"no verifier", "Bearer " + good, nil, "invalid bearer token: this server verifies no tokens"},
		{"garbage", "Bearer x.y.z", v, "invalid bearer token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			viewer, err := FromContext(NewContext(context.Background(), tt.verifier, tt.header))
			if err != nil {
				got = err.Error()
			} else {
				got = viewer.ProfileID
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want %q…", got, tt.want)
			}
		})
	}
}

// TestVerifyRemembers: a token accepted once is accepted again without
// being parsed, until it expires, when it is refused as a new one would be;
// the viewer comes back whole each time, a copy of its own.
func TestVerifyRemembers(t *testing.T) {
	now := time.Now()
	v, err := newVerifier(Config{Secret: secret}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	tok := mustSign(t, Token{Subject: "1001", Scopes: []string{ScopeAdmin}, TTL: time.Minute}, now)
	want := Viewer{ProfileID: "1001", Scopes: []string{ScopeAdmin}}
	for i := range 2 {
		got, err := v.Verify(tok)
		if err != nil || !cmp.Equal(got, want) {
			t.Fatalf("verify %d: %+v, %v; want %+v", i+1, got, err, want)
		}
		got.Scopes[0] = "changed by the caller"
	}
	if len(v.verified.tokens) != 1 {
		t.Errorf("%d tokens remembered, want 1", len(v.verified.tokens))
	}
	// Tampered with: another token, verified in full.
	if _, err := v.Verify(tok + "x"); err == nil {
		t.Error("a token with a changed signature verified")
	}
	// Within the leeway after exp, still good; past it, expired.
	now = now.Add(time.Minute + Leeway - time.Second)
	if _, err := v.Verify(tok); err != nil {
		t.Errorf("within the leeway: %v", err)
	}
	now = now.Add(2 * time.Second)
	if _, err := v.Verify(tok); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("past exp and the leeway: %v, want expired", err)
	}
	if len(v.verified.tokens) != 0 {
		t.Errorf("%d tokens remembered after expiry, want 0", len(v.verified.tokens))
	}
}

// TestVerifyRemembersBounded: the remembered tokens stay under
// verifiedMax.
func TestVerifyRemembersBounded(t *testing.T) {
	v, _ := NewVerifier(Config{Secret: secret})
	for i := range verifiedMax + 10 {
		tok := mustSign(t, Token{Subject: fmt.Sprint(i), TTL: time.Hour}, time.Now())
		if got, err := v.Verify(tok); err != nil || got.ProfileID != fmt.Sprint(i) {
			t.Fatalf("token %d: %+v %v", i, got, err)
		}
	}
	if n := len(v.verified.tokens); n > verifiedMax {
		t.Errorf("%d tokens remembered, want at most %d", n, verifiedMax)
	}
	// A viewer larger than verifiedMaxViewer is verified, and not kept.
	v, _ = NewVerifier(Config{Secret: secret})
	long := strings.Repeat("x", verifiedMaxViewer+1)
	for range 2 {
		if got, err := v.Verify(mustSign(t, Token{Subject: long, TTL: time.Hour}, time.Now())); err != nil || got.ProfileID != long {
			t.Fatalf("long subject: %v", err)
		}
	}
	if n := len(v.verified.tokens); n != 0 {
		t.Errorf("%d tokens with a long subject remembered, want 0", n)
	}
}

// BenchmarkVerify: a token verified in full, and one verified before.
func BenchmarkVerify(b *testing.B) {
	v, _ := NewVerifier(Config{Secret: secret})
	tok, _ := Sign(secret, Token{Subject: "1001", TTL: time.Hour}, time.Now())
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := v.verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
