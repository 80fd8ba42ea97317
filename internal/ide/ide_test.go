package ide

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// manifest is vendor/manifest.json, as internal/ide/gen writes it.
type manifest struct {
	Packages []struct {
		Name, Version, Integrity string
		Files                    []struct {
			Name, From, SHA512 string
			Size               int
		}
	}
}

// TestVendoredAssets: the committed vendor/ is what the lock file pins. Each
// package in the manifest has the lock file's version and tarball integrity
// (which gen checked the tarball against when it copied the files), each
// vendored file still has the hash gen recorded, and vendor/ holds nothing
// else. It needs no network: a stale or edited vendor/ fails here, and
// `go generate ./internal/ide` brings it up to date.
func TestVendoredAssets(t *testing.T) {
	var m manifest
	readJSON(t, "vendor/manifest.json", &m)
	var lock struct {
		Packages map[string]struct{ Version, Integrity string }
	}
	readJSON(t, "npm/package-lock.json", &lock)
	var pkg struct{ Dependencies map[string]string }
	readJSON(t, "npm/package.json", &pkg)

	want := []string{"manifest.json"}
	var names []string
	for _, p := range m.Packages {
		names = append(names, p.Name)
		locked := lock.Packages["node_modules/"+p.Name]
		if p.Version != locked.Version || p.Integrity != locked.Integrity || p.Version != pkg.Dependencies[p.Name] {
			t.Errorf("%s: manifest has %s %s, lock file %s %s, package.json %s: run go generate ./internal/ide",
				p.Name, p.Version, p.Integrity, locked.Version, locked.Integrity, pkg.Dependencies[p.Name])
		}
		for _, f := range p.Files {
			want = append(want, f.Name)
			b, err := os.ReadFile("vendor/" + f.Name)
			if err != nil {
				t.Error(err)
				continue
			}
			sum := sha512.Sum512(b)
			if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != f.SHA512 || len(b) != f.Size {
				t.Errorf("vendor/%s: %s, %d bytes; the manifest says %s, %d bytes (from %s@%s %s)", f.Name, got, len(b), f.SHA512, f.Size, p.Name, p.Version, f.From)
			}
		}
	}
	for dep := range pkg.Dependencies {
		if !slices.Contains(names, dep) {
			t.Errorf("package.json pins %s, which vendor/ does not hold", dep)
		}
	}
	entries, err := os.ReadDir("vendor")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("vendor/ holds %q, the manifest lists %q", got, want)
	}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPage(t *testing.T) {
	const example = "query Example { shops { totalCount } }"
	h := Handler(Options{Endpoint: "/query", ExampleQuery: example, DemoProfiles: []string{"1001", "1099"}})

	rec := get(t, h, "/")
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusFound || loc != "/?query=query+Example+%7B+shops+%7B+totalCount+%7D+%7D" {
		t.Errorf("GET /: %d to %q, want 302 to the example query", rec.Code, loc)
	}

	rec = get(t, h, "/?query=x")
	page := rec.Body.String()
	for header, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"Content-Security-Policy": CSP,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := rec.Header().Get(header); got != want {
			t.Errorf("page: %s %q, want %q", header, got, want)
		}
	}
	for _, want := range []string{`data-endpoint="/query"`, "<code>1001</code>", "<code>1099</code>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "shop-signin") || strings.Contains(page, "dev-tokens") {
		t.Errorf("page offers a sign-in without development tokens")
	}
	// Every script is a file of the page's origin: none inline, none elsewhere.
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1)
	if len(scripts) != 4 {
		t.Errorf("page has %d scripts, want 4 (React, ReactDOM, GraphiQL, ide.js): %q", len(scripts), scripts)
	}
	for _, s := range scripts {
		if !regexp.MustCompile(`^<script defer src="/ide/assets/[^"]+" integrity="sha384-[^"]+"></script>$`).MatchString(s + "</script>") {
			t.Errorf("script %s is not one of the page's own files", s)
		}
	}
	for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if ref[1] != "data:," && (!strings.HasPrefix(ref[1], "/") || strings.HasPrefix(ref[1], "//")) {
			t.Errorf("page refers to %s, not a path of its own origin", ref[1])
		}
	}

	// The assets: hashed names, their content types, cached for good,
	// compressed for browsers that take it.
	urls := regexp.MustCompile(`(?:src|href)="(/ide/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(urls) != 6 {
		t.Fatalf("page links %d assets, want 6", len(urls))
	}
	for _, u := range urls {
		rec := get(t, h, u[1])
		body := rec.Body.Bytes()
		wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[path.Ext(u[1])]
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != wantType || rec.Header().Get("Cache-Control") != AssetCacheControl {
			t.Errorf("%s: %d, %q, %q; want 200, %q, %q", u[1], rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), wantType, AssetCacheControl)
		}
		sum := sha256.Sum256(body)
		if !strings.Contains(u[1], "."+hex.EncodeToString(sum[:8])+".") {
			t.Errorf("%s: the name does not carry the content's hash", u[1])
		}
		if rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed for a client that did not ask", u[1])
		}
		if !strings.Contains(u[1], "graphiql.min.") {
			continue
		}
		rec = get(t, h, u[1], "Accept-Encoding", "gzip, br")
		zr, err := gzip.NewReader(rec.Body)
		if err != nil || rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s with Accept-Encoding gzip: %q, %v", u[1], rec.Header().Get("Content-Encoding"), err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, body) {
			t.Errorf("%s: gzipped body differs", u[1])
		}
	}

	for _, target := range []string{"/ide/assets/graphiql.min.js", "/ide/assets/nope.0123456789abcdef.js", "/ide/dev-tokens", "/ide/", "/ide/assets/"} {
		if rec := get(t, h, target); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", target, rec.Code)
		}
	}
}

func TestDevTokens(t *testing.T) {
	h := Handler(Options{Endpoint: "/query", DevTokens: []DevToken{
		{Subject: "1001", Token: "t1001"},
		{Subject: "staff", Scope: "shop:admin", Token: "tstaff", Label: "staff (shop:admin)"},
	}})
	if page := get(t, h, "/?query=x").Body.String(); !strings.Contains(page, `<select id="shop-signin"`) || !strings.Contains(page, `data-dev-tokens="/ide/dev-tokens"`) {
		t.Errorf("page offers no sign-in with development tokens:\n%s", page)
	}
	rec := get(t, h, "/ide/dev-tokens")
	want := `{"tokens":[{"sub":"1001","token":"t1001","label":"1001"},{"sub":"staff","scope":"shop:admin","token":"tstaff","label":"staff (shop:admin)"}]}`
	if rec.Code != http.StatusOK || rec.Body.String() != want || rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("/ide/dev-tokens: %d %s (%q, %q), want 200 %s, no-store", rec.Code, rec.Body, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"), want)
	}
}
