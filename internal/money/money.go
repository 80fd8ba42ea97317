// Package money handles amounts exactly: as integer minor units of an ISO 4217
// currency (cents for USD, yen for JPY, fils for KWD), parsed from and
// formatted to decimal strings with exactly the currency's minor digits. No
// floating point is involved anywhere.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Errors returned by Parse, wrapped with details; test with errors.Is.
var (
	// ErrSyntax: the amount is not a plain decimal number.
	ErrSyntax = errors.New("not a decimal number")
	// ErrNegative: the amount is a well-formed but negative decimal.
	ErrNegative = errors.New("negative amount")
	// ErrCurrency: the code is not a circulating ISO 4217 currency.
	ErrCurrency = errors.New("not a circulating ISO 4217 currency")
	// ErrPrecision: the amount has more decimals than the currency's minor unit.
	ErrPrecision = errors.New("too many decimal places")
	// ErrRange: the amount in minor units does not fit in an int64.
	ErrRange = errors.New("amount too large")
)

// Digits returns the ISO 4217 minor unit of a circulating currency: 2 for USD,
// 0 for JPY, 3 for KWD. Codes are upper case; ok is false for anything else,
// including XXX, XTS, precious metals, funds and withdrawn currencies.
func Digits(code string) (digits int, ok bool) {
	digits, ok = table[code]
	return digits, ok
}

// Parse converts a decimal amount in the currency code to minor units:
// "19.9" USD is 1990, "1500" JPY is 1500, "1.25" KWD is 1250.
//
// The accepted form is deliberately narrow, the way a merchant writes a price
// and the way Format prints one: ASCII digits, then optionally a point and at
// least one digit, with at most the currency's minor digits ("19.999" USD and
// "1500.0" JPY are errors even when the extra digits are zeros, as ISO 4217
// defines no such amounts). Rejected: signs ("+1", "-1"), exponents ("1e3"), a
// bare point at either end ("1.", ".5"), grouping ("1,000", "1_000"), spaces.
// Leading zeros are harmless and accepted ("007.50" is 750).
//
// Syntax is checked before the currency, so a caller that reports an unknown
// currency separately can still tell the merchant the amount is malformed.
func Parse(s, code string) (minor int64, err error) {
	intPart, frac, err := split(s)
	if err != nil {
		return 0, err
	}
	d, ok := table[code]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrCurrency, code)
	}
	if len(frac) > d {
		return 0, fmt.Errorf("%w: %s allows at most %d", ErrPrecision, code, d)
	}
	var v int64
	for _, part := range [...]string{intPart, frac, strings.Repeat("0", d-len(frac))} {
		for i := 0; i < len(part); i++ {
			digit := int64(part[i] - '0')
			if v > (math.MaxInt64-digit)/10 {
				return 0, fmt.Errorf("%w: %q", ErrRange, s)
			}
			v = v*10 + digit
		}
	}
	return v, nil
}

// split checks the syntax of s and returns its integer and fraction digits.
func split(s string) (intPart, frac string, err error) {
	unsigned, negative := strings.CutPrefix(s, "-")
	intPart, frac, hasPoint := strings.Cut(unsigned, ".")
	if !allDigits(intPart) || hasPoint && !allDigits(frac) {
		return "", "", fmt.Errorf("%w: %q", ErrSyntax, s)
	}
	if negative {
		return "", "", fmt.Errorf("%w: %q", ErrNegative, s)
	}
	// A value of thousands of digits is not a price; stop before the loop
	// in Parse does any work on it. 19 digits cover every int64.
	if len(strings.TrimLeft(intPart, "0")) > 19 {
		return "", "", fmt.Errorf("%w: %q", ErrRange, s)
	}
	return intPart, frac, nil
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Format prints minor units of the currency code with exactly its minor
// digits: 1990 USD is "19.90", 1500 JPY is "1500", 1250 KWD is "1.250".
// Negative amounts get a leading "-". A code Digits does not know is printed
// with 2 digits, ISO 4217's most common minor unit; stored amounts never have
// such a code, since every write path validates the currency first.
func Format(minor int64, code string) string {
	d, ok := table[code]
	if !ok {
		d = 2
	}
	var abs uint64
	sign := ""
	if minor < 0 {
		sign = "-"
		abs = uint64(-(minor + 1)) + 1 // no overflow for math.MinInt64
	} else {
		abs = uint64(minor)
	}
	s := strconv.FormatUint(abs, 10)
	if d == 0 {
		return sign + s
	}
	if len(s) <= d {
		s = strings.Repeat("0", d-len(s)+1) + s
	}
	return sign + s[:len(s)-d] + "." + s[len(s)-d:]
}
