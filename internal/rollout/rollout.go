// Package rollout decides who sees a Shop Module: the viewer's context, which
// the gateway forwards in headers (SPEC §7), against the rollout rules
// (countries, languages, platforms, merchants). It reads no database: the
// rules cost no SQL statement.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// Headers the gateway forwards.
const (
	HeaderCountry  = "X-Viewer-Country"
	HeaderLanguage = "Accept-Language"
	HeaderPlatform = "X-Client-Platform"
)

// Platforms a client may name in X-Client-Platform.
var Platforms = []string{"ios", "android", "web"}

// Viewer is what the gateway tells about who is looking. An empty field is a
// value that was missing or could not be understood.
type Viewer struct {
	Country  string // ISO 3166-1 alpha-2, upper case: "US"
	Language string // primary language subtag, lower case: "en"
	Platform string // "ios", "android" or "web"
}

// FromRequest reads the viewer's context from the request's headers.
func FromRequest(r *http.Request) Viewer {
	return Viewer{
		Country:  ParseCountry(r.Header.Get(HeaderCountry)),
		Language: ParseLanguage(r.Header.Get(HeaderLanguage)),
		Platform: ParsePlatform(r.Header.Get(HeaderPlatform)),
	}
}

// ParseCountry returns an ISO 3166-1 alpha-2 country code in upper case, or
// "" when s is not one (case does not matter; "ZZ", "EU" and made-up codes
// are not countries).
func ParseCountry(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 2 {
		return ""
	}
	r, err := language.ParseRegion(s)
	if err != nil || !r.IsCountry() {
		return ""
	}
	return r.String()
}

// ParseLanguage returns the primary language of the first tag of an
// Accept-Language header (SPEC §7): "en" from "en-US,fr;q=0.8", "fr" from
// "fr;q=0.5, en". The other tags are not read (clients list their preferred
// language first), so a malformed tail does not hide the viewer's language.
// A first tag that is a wildcard, names no language of its own ("und",
// private use), is malformed or has q=0 ("not this one") gives "".
func ParseLanguage(header string) string {
	first, _, _ := strings.Cut(header, ",")
	tag, params, _ := strings.Cut(first, ";")
	for _, p := range strings.Split(params, ";") {
		if q, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
			if w, err := strconv.ParseFloat(q, 64); err == nil && w == 0 {
				return ""
			}
		}
	}
	t, err := language.Parse(strings.TrimSpace(tag))
	var unknownPart language.ValueError
	if err != nil && !errors.As(err, &unknownPart) {
		return "" // malformed; an unknown variant or extension keeps the tag
	}
	// Exact: the tag names its language, rather than x/text guessing one.
	base, conf := t.Base()
	if conf != language.Exact {
		return ""
	}
	return base.String()
}

// ParsePlatform returns "ios", "android" or "web" (any case), or "".
func ParsePlatform(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(Platforms, s) {
		return s
	}
	return ""
}

// Rules restrict who sees Shop Modules. An empty list leaves its dimension
// open; where a list is set, a viewer whose value is missing or not listed
// sees no shop.
type Rules struct {
	Countries []string // ISO 3166-1 alpha-2
	Languages []string // primary language subtags
	Platforms []string // ios, android, web
	Merchants []string // profile ids allowed to show a shop
}

// ParseRules reads the comma lists of the rollout flags, checking and
// normalising each entry.
func ParseRules(countries, languages, platforms, merchants string) (Rules, error) {
	var r Rules
	var errs []string
	for _, c := range split(countries) {
		if cc := ParseCountry(c); cc != "" {
			r.Countries = append(r.Countries, cc)
		} else {
			errs = append(errs, fmt.Sprintf("country %q is not an ISO 3166-1 alpha-2 code", c))
		}
	}
	for _, l := range split(languages) {
		tag, err := language.Parse(l)
		base, conf := tag.Base()
		if err != nil || conf == language.No || strings.Contains(l, "-") || base.String() == "und" {
			errs = append(errs, fmt.Sprintf("language %q is not a primary language subtag such as en", l))
			continue
		}
		r.Languages = append(r.Languages, base.String())
	}
	for _, p := range split(platforms) {
		if pp := ParsePlatform(p); pp != "" {
			r.Platforms = append(r.Platforms, pp)
		} else {
			errs = append(errs, fmt.Sprintf("platform %q is not one of %s", p, strings.Join(Platforms, ", ")))
		}
	}
	r.Merchants = split(merchants)
	if len(errs) > 0 {
		return Rules{}, fmt.Errorf("rollout: %s", strings.Join(errs, "; "))
	}
	return r, nil
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Allows reports whether v may see the shop of owner.
func (r Rules) Allows(v Viewer, owner string) bool {
	return allowed(r.Countries, v.Country) && allowed(r.Languages, v.Language) &&
		allowed(r.Platforms, v.Platform) && allowed(r.Merchants, owner)
}

func allowed(list []string, v string) bool {
	return len(list) == 0 || (v != "" && slices.Contains(list, v))
}

// Open reports whether the rules restrict nothing.
func (r Rules) Open() bool {
	return len(r.Countries)+len(r.Languages)+len(r.Platforms)+len(r.Merchants) == 0
}

type ctxKey struct{}

type request struct {
	viewer Viewer
	rules  Rules
}

// NewContext returns ctx carrying the viewer and the rules that apply.
func NewContext(ctx context.Context, v Viewer, r Rules) context.Context {
	return context.WithValue(ctx, ctxKey{}, request{v, r})
}

// Allows reports whether the request's viewer may see owner's shop under the
// request's rules. A context without them (no NewContext)
// allows nothing: a missing decision never shows a shop.
func Allows(ctx context.Context, owner string) bool {
	req, ok := ctx.Value(ctxKey{}).(request)
	return ok && req.rules.Allows(req.viewer, owner)
}
