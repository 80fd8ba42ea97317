package model

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Input scalars accept any well-formed value of their kind; the business rules
// (https only, the currency's minor digits, a real currency) are checked by
// validation so that every problem can be reported together (SPEC §6).

// Decimal is a decimal number as a string, e.g. "19.90".
type Decimal string

// MarshalGQL writes the decimal as a JSON string.
func (d Decimal) MarshalGQL(w io.Writer) { writeString(w, string(d)) }

// UnmarshalGQL accepts a string of digits with an optional sign and fraction.
func (d *Decimal) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return badInput("Decimal must be a string such as \"19.90\", got %T", v)
	}
	if !isDecimal(s) {
		return badInput("Decimal must be a decimal number such as \"19.90\", got %q", s)
	}
	*d = Decimal(s)
	return nil
}

func isDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && frac == "") {
		return false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

// CurrencyCode is an ISO 4217 currency code such as "USD".
type CurrencyCode string

// MarshalGQL writes the code as a JSON string.
func (c CurrencyCode) MarshalGQL(w io.Writer) { writeString(w, string(c)) }

// UnmarshalGQL accepts any three ASCII letters; whether it is a real currency
// is validation's concern.
func (c *CurrencyCode) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || len(s) != 3 || strings.IndexFunc(s, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') }) >= 0 {
		return badInput("CurrencyCode must be three letters such as \"USD\", got %v", v)
	}
	*c = CurrencyCode(strings.ToUpper(s))
	return nil
}

// URL is an absolute URL.
type URL string

// MarshalGQL writes the URL as a JSON string.
func (u URL) MarshalGQL(w io.Writer) { writeString(w, string(u)) }

// UnmarshalGQL accepts any absolute URL; https-only is validation's concern.
func (u *URL) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return badInput("URL must be a string, got %T", v)
	}
	p, err := url.Parse(s)
	if err != nil || !p.IsAbs() {
		return badInput("URL must be an absolute URL such as \"https://shop.example/\", got %q", s)
	}
	*u = URL(s)
	return nil
}

// MarshalDateTime writes t as RFC 3339 in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		writeString(w, t.UTC().Format(time.RFC3339Nano))
	})
}

// UnmarshalDateTime reads an RFC 3339 timestamp.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, badInput("DateTime must be an RFC 3339 string, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badInput("DateTime must be an RFC 3339 timestamp such as \"2026-01-02T15:04:05Z\", got %q", s)
	}
	return t.UTC(), nil
}

func writeString(w io.Writer, s string) { graphql.MarshalString(s).MarshalGQL(w) }

// badInput is a malformed input value: a *gqlerror.Error, which gqlgen
// passes through with the argument's path and the error presenter shows as
// BAD_USER_INPUT, rather than a plain error, which would be an internal one.
func badInput(format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": "BAD_USER_INPUT"},
	}
}
