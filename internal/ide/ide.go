// Package ide serves the GraphQL IDE (GraphiQL) at / from the binary itself:
// the page, GraphiQL and React from their npm packages (vendored by
// go generate, embedded here), and the page's own script and styles. Nothing
// the page loads comes from another host, and its Content-Security-Policy
// says so to the browser, so the IDE works offline and in networks that reach
// nothing but the gateway.
//
// In development mode (no key configured) the page also offers the server's
// development tokens: a "Sign in as" choice that puts one in GraphiQL's
// headers editor. The tokens are served by /ide/dev-tokens, which exists only
// then.
package ide

//go:generate go run ./gen

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
)

// files are the IDE's assets: the vendored third-party builds and the page's
// own script and styles. Licences and the manifest stay out: they are not
// served.
//
//go:embed vendor/*.js vendor/*.css static
var files embed.FS

// CSP is the page's Content-Security-Policy: everything from the page's own
// origin, no inline script, images and GraphiQL's fonts also as data: URLs
// (its stylesheet embeds them), and no framing. Inline styles are allowed:
// GraphiQL's dialogs insert <style> elements whose content varies (the
// scrollbar's width), so no hash could allow them.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// AssetCacheControl is sent with the assets, whose URLs carry a hash of their
// content: a new build is a new URL.
const AssetCacheControl = "public, max-age=31536000, immutable"

// DevToken is a development token the page offers.
type DevToken struct {
	Subject string `json:"sub"`
	Scope   string `json:"scope,omitempty"`
	Token   string `json:"token"`
	// Label is what the page shows for it.
	Label string `json:"label"`
}

// Options configures the IDE.
type Options struct {
	// Endpoint is the path GraphiQL sends operations to.
	Endpoint string
	// ExampleQuery is what / opens with.
	ExampleQuery string
	// DemoProfiles are the demo data's profile ids, shown on the page.
	DemoProfiles []string
	// DevTokens are the server's development tokens: set only in development
	// mode. Without them the page has no sign-in choice and /ide/dev-tokens is
	// not found.
	DevTokens []DevToken
}

// asset is one file served under /ide/assets/.
type asset struct {
	body        []byte
	contentType string
	integrity   string // sha384, for the page's integrity attributes

	gzipOnce sync.Once
	gzipped  []byte // nil: not worth it
}

type handler struct {
	page      []byte
	example   string
	assets    map[string]*asset // by hashed name
	devTokens []byte            // JSON; nil outside development mode
}

// Handler serves GET / (the page; without a query string, a redirect that
// opens it with the example query), /ide/assets/… and /ide/dev-tokens.
func Handler(o Options) http.Handler {
	h := &handler{example: o.ExampleQuery, assets: map[string]*asset{}}
	urls := map[string]string{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name, a := hashedName(path.Base(p), b)
		h.assets[name] = a
		urls[path.Base(p)] = "/ide/assets/" + name
		return nil
	})
	if err != nil {
		panic(err) // embedded files: cannot fail
	}
	if len(o.DevTokens) > 0 {
		tokens := slices.Clone(o.DevTokens)
		for i, t := range tokens {
			if t.Label == "" {
				tokens[i].Label = t.Subject
			}
		}
		h.devTokens, _ = json.Marshal(struct {
			Tokens []DevToken `json:"tokens"`
		}{tokens})
	}
	var buf bytes.Buffer
	err = pageTemplate.Execute(&buf, map[string]any{
		"Endpoint":     o.Endpoint,
		"DemoProfiles": o.DemoProfiles,
		"Dev":          len(o.DevTokens) > 0,
		"Asset":        func(name string) string { return urls[name] },
		"Integrity": func(name string) string {
			return h.assets[strings.TrimPrefix(urls[name], "/ide/assets/")].integrity
		},
	})
	if err != nil {
		panic(err) // a fixed template and data
	}
	h.page = buf.Bytes()
	return h
}

// hashedName names an asset after its content: graphiql.min.js becomes
// graphiql.min.0123456789abcdef.js.
func hashedName(base string, b []byte) (string, *asset) {
	sum := sha256.Sum256(b)
	ext := path.Ext(base)
	a := &asset{body: b, contentType: "application/octet-stream"}
	switch ext {
	case ".js":
		a.contentType = "text/javascript; charset=utf-8"
	case ".css":
		a.contentType = "text/css; charset=utf-8"
	}
	sri := sha512.Sum384(b)
	a.integrity = "sha384-" + base64.StdEncoding.EncodeToString(sri[:])
	return strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:8]) + ext, a
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch p := r.URL.Path; {
	case p == "/":
		h.servePage(w, r)
	case p == "/ide/dev-tokens" && h.devTokens != nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(h.devTokens)
	case strings.HasPrefix(p, "/ide/assets/") && h.assets[strings.TrimPrefix(p, "/ide/assets/")] != nil:
		h.assets[strings.TrimPrefix(p, "/ide/assets/")].serve(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.RawQuery == "" {
		// GraphiQL keeps the query in the page's URL: this is how it opens
		// with the example.
		http.Redirect(w, r, "/?"+url.Values{"query": {h.example}}.Encode(), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", CSP)
	// The URL holds the query: keep it from other sites.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Write(h.page)
}

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("Cache-Control", AssetCacheControl)
	w.Header().Set("Vary", "Accept-Encoding")
	// GraphiQL is a megabyte and a half: compressed once, on first use, for
	// every browser that takes gzip.
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.body)
		zw.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gzipped = buf.Bytes()
		}
	})
	if a.gzipped != nil && acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(a.gzipped)
		return
	}
	w.Write(a.body)
}

func acceptsGzip(r *http.Request) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(e), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// pageTemplate is the IDE's page. It has no inline script: the page's own
// code is static/ide.js, so the CSP can forbid inline scripts.
var pageTemplate = template.Must(template.New("ide").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop subgraph · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{call .Asset "graphiql.min.css"}}" integrity="{{call .Integrity "graphiql.min.css"}}">
<link rel="stylesheet" href="{{call .Asset "ide.css"}}" integrity="{{call .Integrity "ide.css"}}">
<script defer src="{{call .Asset "react.production.min.js"}}" integrity="{{call .Integrity "react.production.min.js"}}"></script>
<script defer src="{{call .Asset "react-dom.production.min.js"}}" integrity="{{call .Integrity "react-dom.production.min.js"}}"></script>
<script defer src="{{call .Asset "graphiql.min.js"}}" integrity="{{call .Integrity "graphiql.min.js"}}"></script>
<script defer src="{{call .Asset "ide.js"}}" integrity="{{call .Integrity "ide.js"}}"></script>
</head>
<body data-endpoint="{{.Endpoint}}"{{if .Dev}} data-dev-tokens="/ide/dev-tokens"{{end}}>
<header class="shop-bar">
  <strong class="shop-title">Shop subgraph</strong>
  {{- if .DemoProfiles}}
  <span class="shop-profiles">Demo profiles:{{range .DemoProfiles}} <code>{{.}}</code>{{end}}</span>
  {{- end}}
  {{- if .Dev}}
  <label class="shop-signin">Sign in as
    <select id="shop-signin" disabled><option value="">anonymous</option></select>
  </label>
  <span class="shop-dev">development mode: no key configured</span>
  {{- end}}
</header>
<main id="graphiql"><div class="shop-loading">Loading…</div></main>
</body>
</html>
`))
