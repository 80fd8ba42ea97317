package rollout

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLanguage(t *testing.T) {
	for header, want := range map[string]string{
		"en-US,fr;q=0.8":         "en",
		"en":                     "en",
		"EN-us":                  "en",
		" de-CH ":                "de",
		"zh-Hant-TW, en;q=0.1":   "zh",
		"fr;q=0.5, en;q=0.9":     "fr", // the first tag, whatever the weights
		"en-US,en;q=0.9,fr;q=zz": "en", // a malformed tail is not read
		"en-US;q=abc":            "en",
		"*":                      "", // a wildcard names no language
		"*, fr;q=0.5":            "",
		"":                       "",
		"garbage;;q=x":           "", // malformed
		"x-klingon":              "", // private use: no known language
		"; q=1":                  "",
		",en":                    "",
		"en;q=0, fr":             "", // the first tag, refused
		"en;q=0.0":               "",
		"en;q=0.5":               "en",
		"und":                    "",   // no language of its own
		"en-US-foobar":           "en", // an unknown variant keeps the tag
	} {
		if got := ParseLanguage(header); got != want {
			t.Errorf("ParseLanguage(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestParseCountryAndPlatform(t *testing.T) {
	for in, want := range map[string]string{"US": "US", "us": "US", " gb ": "GB", "ZZ": "", "EU": "", "USA": "", "": "", "1A": "", "XX": ""} {
		if got := ParseCountry(in); got != want {
			t.Errorf("ParseCountry(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"ios": "ios", "iOS": "ios", "Android": "android", "web": "web", "windows": "", "": ""} {
		if got := ParsePlatform(in); got != want {
			t.Errorf("ParsePlatform(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromRequest(t *testing.T) {
	r := httptest.NewRequest("POST", "/query", nil)
	r.Header.Set("X-Viewer-Country", "us")
	r.Header.Set("Accept-Language", "en-US,fr;q=0.8")
	r.Header.Set("X-Client-Platform", "IOS")
	if got, want := FromRequest(r), (Viewer{"US", "en", "ios"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestRules(t *testing.T) {
	pilot, err := ParseRules("us", "EN", "ios", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Rules{Countries: []string{"US"}, Languages: []string{"en"}, Platforms: []string{"ios"}}); !cmp.Equal(pilot, want) {
		t.Fatalf("pilot rules %+v, want %+v", pilot, want)
	}
	merchants, _ := ParseRules("", "", "", "1001, 1002")
	us := Viewer{"US", "en", "ios"}
	tests := []struct {
		name  string
		rules Rules
		v     Viewer
		owner string
		want  bool
	}{
		{"open rules, no headers", Rules{}, Viewer{}, "1", true},
		{"pilot viewer", pilot, us, "1", true},
		{"other country", pilot, Viewer{"FR", "en", "ios"}, "1", false},
		{"missing country", pilot, Viewer{"", "en", "ios"}, "1", false},
		{"other language", pilot, Viewer{"US", "es", "ios"}, "1", false},
		{"missing language", pilot, Viewer{"US", "", "ios"}, "1", false},
		{"other platform", pilot, Viewer{"US", "en", "android"}, "1", false},
		{"missing platform", pilot, Viewer{"US", "en", ""}, "1", false},
		{"listed merchant", merchants, Viewer{}, "1002", true},
		{"unlisted merchant", merchants, Viewer{}, "1003", false},
	}
	for _, tt := range tests {
		if got := tt.rules.Allows(tt.v, tt.owner); got != tt.want {
			t.Errorf("%s: Allows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseRulesErrors(t *testing.T) {
	for _, args := range [][4]string{{"USA", "", "", ""}, {"", "en-US", "", ""}, {"", "", "windows", ""}, {"ZZ", "", "", ""}, {"", "123", "", ""}} {
		if _, err := ParseRules(args[0], args[1], args[2], args[3]); err == nil {
			t.Errorf("ParseRules%q succeeded", args)
		}
	}
	if r, err := ParseRules(" , ", "", "", ""); err != nil || !r.Open() {
		t.Errorf("blank lists: %+v %v, want open rules", r, err)
	}
}

func TestContext(t *testing.T) {
	pilot, _ := ParseRules("US", "en", "ios", "")
	var got []bool
	for _, country := range []string{"US", "FR"} {
		r := httptest.NewRequest("POST", "/query", nil)
		r.Header.Set("X-Viewer-Country", country)
		r.Header.Set("Accept-Language", "en")
		r.Header.Set("X-Client-Platform", "ios")
		got = append(got, Allows(NewContext(r.Context(), FromRequest(r), pilot), "1001"))
	}
	if want := []bool{true, false}; !cmp.Equal(got, want) {
		t.Errorf("allowed %v, want %v", got, want)
	}
	if Allows(context.Background(), "1") {
		t.Errorf("a context without rules allows; it must allow nothing (fail closed)")
	}
	if !Allows(NewContext(context.Background(), Viewer{}, Rules{}), "1") {
		t.Errorf("open rules in the context should allow everything")
	}
}
