package money

import (
	"errors"
	"math"
	"strings"
	"testing"

	"golang.org/x/text/currency"
)

func TestDigits(t *testing.T) {
	tests := []struct {
		code   string
		want   int
		wantOK bool
	}{
		{"USD", 2, true},
		{"EUR", 2, true},
		{"GBP", 2, true},
		{"JPY", 0, true},
		{"KRW", 0, true},
		{"CLP", 0, true},
		{"ISK", 0, true},
		{"XAF", 0, true},
		{"KWD", 3, true},
		{"BHD", 3, true},
		{"JOD", 3, true},
		{"OMR", 3, true},
		{"TND", 3, true},
		{"LYD", 3, true},
		{"IQD", 3, true},
		{"IDR", 2, true},
		{"XCG", 2, true},
		{"ZWG", 2, true},
		{"usd", 0, false}, // codes are upper case
		{"US", 0, false},
		{"USDD", 0, false},
		{"", 0, false},
		{"XXX", 0, false}, // no currency
		{"XTS", 0, false}, // testing
		{"XAU", 0, false}, // gold
		{"XAG", 0, false},
		{"XPT", 0, false},
		{"XPD", 0, false},
		{"XDR", 0, false}, // unit of account
		{"XSU", 0, false},
		{"XUA", 0, false},
		{"CLF", 0, false}, // funds
		{"UYW", 0, false},
		{"USN", 0, false},
		{"BOV", 0, false},
		{"HRK", 0, false}, // withdrawn
		{"BGN", 0, false},
		{"ANG", 0, false},
		{"DEM", 0, false},
		{"ABC", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, ok := Digits(tt.code)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Digits(%q) = %d, %t; want %d, %t", tt.code, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestDigitsAgainstCLDR compares the table with golang.org/x/text/currency's
// list of currencies in use (CLDR 32). Every difference must be one listed
// here, each checked against ISO 4217, so a slip in the table shows up.
func TestDigitsAgainstCLDR(t *testing.T) {
	// CLDR's display digits differ from ISO 4217's minor unit for these;
	// the value is ISO's.
	isoDiffers := map[string]int{
		"AFN": 2, "ALL": 2, "AMD": 2, "COP": 2, "GYD": 2, "IDR": 2, "IQD": 3, "IRR": 2,
		"KPW": 2, "LAK": 2, "LBP": 2, "MGA": 2, "MMK": 2, "MNT": 2, "MUR": 2, "PKR": 2,
		"RSD": 2, "SOS": 2, "SYP": 2, "TZS": 2, "UZS": 2, "YER": 2,
	}
	withdrawn := map[string]bool{"ANG": true, "BGN": true, "CUC": true, "HRK": true, "MRO": true, "SLL": true, "VEF": true}
	// Introduced after CLDR 32, or (SVC) tender that CLDR lists as not in use.
	newer := map[string]bool{"MRU": true, "SLE": true, "SVC": true, "VED": true, "VES": true, "XCG": true, "ZWG": true}

	cldr := map[string]bool{}
	for it := currency.Query(); it.Next(); {
		code := it.Unit().String()
		cldr[code] = true
		d, ok := table[code]
		if !ok {
			if !withdrawn[code] {
				t.Errorf("CLDR lists %s in use but the table lacks it", code)
			}
			continue
		}
		cldrDigits, _ := currency.Standard.Rounding(it.Unit())
		want := cldrDigits
		if iso, ok := isoDiffers[code]; ok {
			want = iso
		}
		if d != want {
			t.Errorf("table[%s] = %d, want %d (CLDR says %d)", code, d, want, cldrDigits)
		}
	}
	for code := range table {
		if !cldr[code] && !newer[code] {
			t.Errorf("table has %s, which CLDR does not list as in use", code)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		s, code string
		want    int64
		wantErr error
	}{
		{"19.9", "USD", 1990, nil},
		{"19.90", "USD", 1990, nil},
		{"199.00", "USD", 19900, nil},
		{"0", "USD", 0, nil},
		{"0.00", "USD", 0, nil},
		{"0.01", "USD", 1, nil},
		{"007.50", "EUR", 750, nil},
		{"1500", "JPY", 1500, nil},
		{"1.25", "KWD", 1250, nil},
		{"1.250", "KWD", 1250, nil},
		{"0.001", "BHD", 1, nil},
		{"92233720368547758.07", "USD", math.MaxInt64, nil},
		{"9223372036854775807", "JPY", math.MaxInt64, nil},
		{"00000000000000000000001", "JPY", 1, nil},

		{"", "USD", 0, ErrSyntax},
		{"1.", "USD", 0, ErrSyntax},
		{".5", "USD", 0, ErrSyntax},
		{".", "USD", 0, ErrSyntax},
		{"1e3", "USD", 0, ErrSyntax},
		{"1E3", "USD", 0, ErrSyntax},
		{"+1", "USD", 0, ErrSyntax},
		{" 1", "USD", 0, ErrSyntax},
		{"1 ", "USD", 0, ErrSyntax},
		{"1,000", "USD", 0, ErrSyntax},
		{"1_000", "USD", 0, ErrSyntax},
		{"1.2.3", "USD", 0, ErrSyntax},
		{"0x10", "USD", 0, ErrSyntax},
		{"NaN", "USD", 0, ErrSyntax},
		{"Inf", "USD", 0, ErrSyntax},
		{"١٢", "USD", 0, ErrSyntax}, // Arabic-Indic digits are not ASCII digits
		{"--1", "USD", 0, ErrSyntax},
		{"-", "USD", 0, ErrSyntax},
		{"-1", "USD", 0, ErrNegative},
		{"-0.50", "USD", 0, ErrNegative},
		{"-0", "USD", 0, ErrNegative},
		{"1", "XXX", 0, ErrCurrency},
		{"1", "XAU", 0, ErrCurrency},
		{"1", "usd", 0, ErrCurrency},
		{"1", "", 0, ErrCurrency},
		{"x", "XXX", 0, ErrSyntax}, // syntax is reported before the currency
		{"19.999", "USD", 0, ErrPrecision},
		{"19.900", "USD", 0, ErrPrecision},
		{"1500.0", "JPY", 0, ErrPrecision},
		{"1.2345", "KWD", 0, ErrPrecision},
		{"92233720368547758.08", "USD", 0, ErrRange},
		{"9223372036854775808", "JPY", 0, ErrRange},
		{"99999999999999999999", "JPY", 0, ErrRange},
		{strings.Repeat("9", 10000), "JPY", 0, ErrRange},
	}
	for _, tt := range tests {
		name := tt.s + " " + tt.code
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.s, tt.code)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q, %q) error = %v, want %v", tt.s, tt.code, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %q) = %d, want %d", tt.s, tt.code, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		minor int64
		code  string
		want  string
	}{
		{1990, "USD", "19.90"},
		{19900, "USD", "199.00"},
		{0, "USD", "0.00"},
		{1, "USD", "0.01"},
		{10, "USD", "0.10"},
		{100, "USD", "1.00"},
		{1500, "JPY", "1500"},
		{0, "JPY", "0"},
		{1250, "KWD", "1.250"},
		{1, "KWD", "0.001"},
		{-1990, "USD", "-19.90"},
		{-1, "KWD", "-0.001"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
		{math.MinInt64, "USD", "-92233720368547758.08"},
		{1990, "ZZZ", "19.90"}, // unknown: ISO's common 2 digits
	}
	for _, tt := range tests {
		t.Run(tt.want+" "+tt.code, func(t *testing.T) {
			if got := Format(tt.minor, tt.code); got != tt.want {
				t.Errorf("Format(%d, %q) = %q, want %q", tt.minor, tt.code, got, tt.want)
			}
		})
	}
}

// FuzzParse checks that Parse and Format agree: whatever Parse accepts,
// Format prints with exactly the currency's digits and Parse reads back to the
// same minor units; and the printed form is s itself up to leading zeros and
// trailing fraction zeros. The seed corpus in testdata/fuzz/FuzzParse runs
// with every go test.
func FuzzParse(f *testing.F) {
	f.Add("19.9", "USD")
	f.Add("1500", "JPY")
	f.Add("1.25", "KWD")
	f.Fuzz(func(t *testing.T, s, code string) {
		minor, err := Parse(s, code)
		if err != nil {
			return
		}
		if minor < 0 {
			t.Fatalf("Parse(%q, %q) = %d, want non-negative", s, code, minor)
		}
		d, _ := Digits(code)
		out := Format(minor, code)
		_, frac, _ := strings.Cut(out, ".")
		if len(frac) != d {
			t.Errorf("Format(%d, %q) = %q, want %d decimals", minor, code, out, d)
		}
		back, err := Parse(out, code)
		if err != nil || back != minor {
			t.Fatalf("Parse(Format(%d, %q) = %q) = %d, %v; want %d", minor, code, out, back, err, minor)
		}
		if want := canonical(s, d); out != want {
			t.Errorf("Format(Parse(%q, %q)) = %q, want %q", s, code, out, want)
		}
	})
}

// canonical is s without leading integer zeros and with its fraction padded
// to d digits: what Format must print for it.
func canonical(s string, d int) string {
	i, frac, _ := strings.Cut(s, ".")
	i = strings.TrimLeft(i, "0")
	if i == "" {
		i = "0"
	}
	if d == 0 {
		return i
	}
	return i + "." + frac + strings.Repeat("0", d-len(frac))
}
