package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/shop-subgraph/shop/internal/auth"
	"github.com/shop-subgraph/shop/internal/catalog"
	"github.com/shop-subgraph/shop/internal/storetest"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func TestTokenCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"SHOP_JWT_SECRET": testSecret, "SHOP_JWT_ISSUER": "https://id.example"}
	err := Run(context.Background(), []string{"token", "-sub", "1001", "-scope", "shop:admin", "-ttl", "10m"}, env(vars), &stdout, &stderr)
	if err != nil {
		t.Fatalf("token: %v\n%s", err, stderr.String())
	}
	v, err := auth.NewVerifier(auth.Config{Secret: []byte(testSecret), Issuer: "https://id.example"})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := v.Verify(strings.TrimSpace(stdout.String()))
	if err != nil || viewer.ProfileID != "1001" || !viewer.Staff() {
		t.Errorf("minted token: %+v %v, want staff 1001", viewer, err)
	}

	for _, tt := range []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"no secret", []string{"token", "-sub", "1"}, nil, "SHOP_JWT_SECRET is not set"},
		{"public key only", []string{"token", "-sub", "1"}, map[string]string{"SHOP_JWT_PUBLIC_KEY": "key.pem"}, "only the holder of the private key"},
		{"short secret", []string{"token", "-sub", "1"}, map[string]string{"SHOP_JWT_SECRET": "short"}, "at least 32 bytes"},
		{"no sub", []string{"token"}, map[string]string{"SHOP_JWT_SECRET": testSecret}, "reported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := Run(context.Background(), tt.args, env(tt.vars), &stdout, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) || stdout.Len() > 0 {
				t.Errorf("error %v, stdout %q: want an error mentioning %q and no token", err, stdout.String(), tt.want)
			}
		})
	}
}

// TestServeDevTokens: with no key configured, serve logs a warning and a
// token for each demo merchant, the demo profile without a shop, and staff;
// they work at once.
func TestServeDevTokens(t *testing.T) {
	base, lines := startServe(t, map[string]string{})
	tokens := map[string]string{}
	warned := false
	for _, l := range lines {
		if l["level"] == "WARN" && strings.Contains(l["msg"].(string), "random secret") {
			warned = true
		}
		if l["msg"] == "development token" {
			tokens[l["sub"].(string)] = l["token"].(string)
		}
	}
	if !warned {
		t.Error("no warning about the development secret")
	}
	for _, id := range append(catalog.DemoProfileIDs, catalog.DemoProfileWithoutShop, devStaffProfile) {
		if tokens[id] == "" {
			t.Errorf("no development token for %s", id)
		}
	}
	if got := graphQL(t, base, tokens["1005"], `{ myShop { name status } }`); got != `{"data":{"myShop":{"name":"Northwind Cycles","status":"DRAFT"}}}` {
		t.Errorf("myShop of 1005: %s", got)
	}
	got := graphQL(t, base, tokens["1099"], `mutation { createShop(input: {name: "Fresh", storeUrl: "https://fresh.example"}) { shop { name status owner { id } } userErrors { code } } }`)
	if want := `{"data":{"createShop":{"shop":{"name":"Fresh","status":"DRAFT","owner":{"id":"1099"}},"userErrors":[]}},` +
		`"extensions":{"invalidation":[{"kind":"entity","subgraph":"shop","type":"Shop","key":{"id":"6"}},{"kind":"entity","subgraph":"shop","type":"Profile","key":{"id":"1099"}}]}}`; got != want {
		t.Errorf("createShop: %s, want %s", got, want)
	}
	got = graphQL(t, base, tokens[devStaffProfile], `mutation { setShopStatus(shopId: "1", status: SUSPENDED) { shop { status } userErrors { code } } }`)
	if want := `{"data":{"setShopStatus":{"shop":{"status":"SUSPENDED"},"userErrors":[]}},` +
		`"extensions":{"invalidation":[{"kind":"entity","subgraph":"shop","type":"Shop","key":{"id":"1"}},{"kind":"entity","subgraph":"shop","type":"Profile","key":{"id":"1001"}}]}}`; got != want {
		t.Errorf("staff suspends: %s, want %s", got, want)
	}
	if got := graphQL(t, base, "", `{ myShop { name } }`); !strings.Contains(got, `"UNAUTHENTICATED"`) {
		t.Errorf("myShop without a token: %s", got)
	}
}

// TestServePublicKey: serve verifies ES256 tokens with a PEM file, and makes
// no development tokens.
func TestServePublicKey(t *testing.T) {
	key, file := p256KeyFile(t)
	base, lines := startServe(t, map[string]string{"SHOP_JWT_PUBLIC_KEY": file, "SHOP_JWT_AUDIENCE": "shop"})
	for _, l := range lines {
		if l["msg"] == "development token" {
			t.Fatal("development tokens logged with a key configured")
		}
	}
	tok := signES256(t, key, map[string]any{"sub": "1001", "aud": "shop", "exp": time.Now().Add(time.Hour).Unix()})
	if got := graphQL(t, base, tok, `{ myShop { name } }`); got != `{"data":{"myShop":{"name":"Acme Outdoor"}}}` {
		t.Errorf("myShop with an ES256 token: %s", got)
	}
}

func TestServeAuthConfigErrors(t *testing.T) {
	_, keyFile := p256KeyFile(t)
	for name, tt := range map[string]struct {
		vars map[string]string
		want string // in the error
	}{
		"short secret":    {map[string]string{"SHOP_JWT_SECRET": "short"}, "at least 32 bytes"},
		"secret and key":  {map[string]string{"SHOP_JWT_SECRET": testSecret, "SHOP_JWT_PUBLIC_KEY": keyFile}, "not both"},
		"missing key":     {map[string]string{"SHOP_JWT_PUBLIC_KEY": filepath.Join(t.TempDir(), "nope.pem")}, "-jwt-public-key"},
		"not a key (PEM)": {map[string]string{"SHOP_JWT_PUBLIC_KEY": "cli.go"}, "SHOP_JWT_PUBLIC_KEY"},
	} {
		tt.vars["DATABASE_URL"] = storetest.DSN(t)
		err := Run(context.Background(), []string{"serve"}, env(tt.vars), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tt.want)
		}
	}
}

// p256KeyFile makes a P-256 key and writes its public key to a PEM file.
func p256KeyFile(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	file := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return key, file
}

func signES256(t *testing.T, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(claims)).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
