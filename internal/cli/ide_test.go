package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The IDE's wiring in serve: the development tokens it offers exist only
// in development mode. The page itself is tested in internal/ide, and in a
// real browser by the e2e suite (e2e/ide.test.mjs).

// TestIDEOffersDevTokens: with no key configured, the page has a "Sign in as"
// choice and /ide/dev-tokens serves the tokens serve logged, each working.
func TestIDEOffersDevTokens(t *testing.T) {
	base, lines := startServe(t, map[string]string{})
	logged := map[string]string{}
	for _, l := range lines {
		if l["msg"] == "development token" {
			logged[l["sub"].(string)] = l["token"].(string)
		}
	}
	res, body := ideGet(t, base+"/ide/dev-tokens")
	if res.StatusCode != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("/ide/dev-tokens: %d, Cache-Control %q; want 200, no-store", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	var got struct {
		Tokens []struct{ Sub, Scope, Token, Label string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	served := map[string]string{}
	for _, tok := range got.Tokens {
		served[tok.Sub] = tok.Token
		if tok.Label == "" {
			t.Errorf("token of %s has no label", tok.Sub)
		}
	}
	if len(served) != len(logged) || len(served) == 0 {
		t.Errorf("served tokens for %d profiles, logged %d", len(served), len(logged))
	}
	for sub, tok := range logged {
		if served[sub] != tok {
			t.Errorf("%s: served %q, logged %q", sub, served[sub], tok)
		}
	}
	if got := graphQL(t, base, served["1005"], `{ myShop { name } }`); got != `{"data":{"myShop":{"name":"Northwind Cycles"}}}` {
		t.Errorf("myShop with the served token of 1005: %s", got)
	}
	if _, page := ideGet(t, base+"/?query=x"); !strings.Contains(page, `id="shop-signin"`) || !strings.Contains(page, `data-dev-tokens="/ide/dev-tokens"`) {
		t.Errorf("the page offers no sign-in in development mode:\n%s", page)
	}
}

// TestIDEWithoutDevTokens: with a real key, HS256 or a public key, there are
// no development tokens: no sign-in on the page, and /ide/dev-tokens is not
// found.
func TestIDEWithoutDevTokens(t *testing.T) {
	_, keyFile := p256KeyFile(t)
	for name, vars := range map[string]map[string]string{
		"secret":     {"SHOP_JWT_SECRET": testSecret},
		"public key": {"SHOP_JWT_PUBLIC_KEY": keyFile},
	} {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, vars)
			if res, body := ideGet(t, base+"/ide/dev-tokens"); res.StatusCode != http.StatusNotFound || strings.Contains(body, "token") {
				t.Errorf("/ide/dev-tokens: %d %q, want 404", res.StatusCode, body)
			}
			if _, page := ideGet(t, base+"/?query=x"); strings.Contains(page, "shop-signin") || strings.Contains(page, "dev-tokens") {
				t.Errorf("the page offers a sign-in with a key configured:\n%s", page)
			}
		})
	}
}

// TestIDEKeepsHeadersOutOfTheURL: the IDE keeps the query in its URL (so /
// opens with the example) but not the headers, where bearer tokens go, nor
// in the browser's storage. e2e/ide.test.mjs checks the same in a browser.
func TestIDEKeepsHeadersOutOfTheURL(t *testing.T) {
	base, _ := startServe(t, map[string]string{})
	_, page := ideGet(t, base+"/?query=x")
	if !strings.Contains(page, `data-endpoint="/query"`) {
		t.Errorf("the IDE does not point at /query")
	}
	src := regexp.MustCompile(`src="(/ide/assets/ide\.[0-9a-f]+\.js)"`).FindStringSubmatch(page)
	if src == nil {
		t.Fatalf("no ide.js in the page:\n%s", page)
	}
	_, script := ideGet(t, base+src[1])
	if !strings.Contains(script, "onEditQuery") || !strings.Contains(script, "history.replaceState") {
		t.Errorf("the IDE no longer keeps the query in its URL")
	}
	if strings.Contains(script, "onEditHeaders") || !strings.Contains(script, "shouldPersistHeaders: false") {
		t.Errorf("the IDE keeps request headers (bearer tokens) in its URL or storage")
	}
}

func ideGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}
