package cli

import (
	"flag"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// allSettings binds every setting of the table to c.
func allSettings(c *config) *flagSet {
	fs := newFlagSet(serveCmd|importCmd|tokenCmd, "all", c)
	fs.SetOutput(io.Discard)
	return fs
}

// lookup returns the flag that holds setting s.
func (fs *flagSet) lookup(s setting) *flag.Flag {
	if s.flag == "" {
		return fs.envOnly.Lookup(s.env)
	}
	return fs.Lookup(s.flag)
}

// TestREADMEConfiguration: the README's configuration table lists exactly
// the settings of the table, each with its flag, its variable and its
// default.
func TestREADMEConfiguration(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Configuration\n")
	section, _, _ = strings.Cut(section, "\n## ")
	code := regexp.MustCompile("`([^`]*)`")
	first := func(cell string) string {
		if m := code.FindStringSubmatch(cell); m != nil {
			return m[1]
		}
		return ""
	}
	type row struct{ flag, envCell, def string }
	rows := map[string]row{} // by variable
	for line := range strings.Lines(section) {
		cells := strings.Split(line, "|") // "", flag, env, default, meaning, ""
		if !strings.HasPrefix(line, "| ") || len(cells) < 5 || strings.HasPrefix(line, "| flag |") {
			continue
		}
		env := first(cells[2])
		if _, dup := rows[env]; dup {
			t.Errorf("README: %s listed twice", env)
		}
		rows[env] = row{flag: first(cells[1]), envCell: cells[2], def: first(cells[3])}
	}

	var c config
	settings := c.settings()
	fs := allSettings(&c)
	for _, s := range settings {
		r, ok := rows[s.env]
		delete(rows, s.env)
		if !ok {
			t.Errorf("README lacks %s (-%s)", s.env, s.flag)
			continue
		}
		if want := "-" + s.flag; s.flag == "" && r.flag != "" || s.flag != "" && r.flag != want {
			t.Errorf("README: %s is the variable of %q, want %q", s.env, r.flag, want)
		}
		if s.alt != "" && !strings.Contains(r.envCell, "`"+s.alt+"`") {
			t.Errorf("README: %s's row does not say that %s stands in for it", s.env, s.alt)
		}
		if s.dest.list && !strings.Contains(r.envCell, "space-separated") {
			t.Errorf("README: %s's row does not say that it is space-separated", s.env)
		}
		// The README's default, set on a fresh flag, reads as the table's:
		// 5m is 5m0s.
		want := fs.lookup(s).DefValue
		got := r.def
		if got != "" {
			var fresh config
			f := allSettings(&fresh).lookup(s)
			if err := f.Value.Set(got); err != nil {
				t.Errorf("README: %s's default %q: %v", s.env, got, err)
			}
			got = f.Value.String()
		}
		if got != want {
			t.Errorf("README: %s's default is %q, the table's %q", s.env, r.def, want)
		}
	}
	for env, r := range rows {
		t.Errorf("README lists %s (%s), which is no setting", env, r.flag)
	}
}

// TestSettingsHelp: each flag's help names its variable, from the table;
// the settings without a flag are listed under their variables.
func TestSettingsHelp(t *testing.T) {
	var c config
	for _, s := range c.settings() {
		if strings.Contains(s.usage, "(env") {
			t.Errorf("-%s's usage names a variable by hand: %q", s.flag, s.usage)
		}
	}
	for _, cmd := range []struct {
		name string
		in   command
	}{{"serve", serveCmd}, {"import", importCmd}, {"import-catalog", importCmd}, {"token", tokenCmd}} {
		var help strings.Builder
		if err := Run(t.Context(), []string{cmd.name, "-h"}, env(nil), io.Discard, &help); err != nil {
			t.Fatal(err)
		}
		for _, s := range c.settings() {
			want := "(env " + s.env
			if s.flag == "" {
				want = "\n  " + s.env + "\n"
			}
			if got := strings.Contains(help.String(), want); got != (s.in&cmd.in != 0) {
				t.Errorf("%s -h: has %q: %v, want %v", cmd.name, want, got, !got)
			}
		}
	}
}

// TestSettingsPrecedence: the flag wins over the variable, the variable over
// the default; PORT stands in for SHOP_ADDR; DATABASE_REPLICA_URL holds
// several URLs, which -db-replica replaces.
func TestSettingsPrecedence(t *testing.T) {
	const r1, r2, r3 = "postgres://a/shop", "postgres://b/shop", "postgres://c/shop"
	for _, tt := range []struct {
		name     string
		args     []string
		vars     map[string]string
		addr     string
		depth    int
		replicas []string
	}{
		{"defaults", nil, nil, ":8080", 15, nil},
		{"env", nil, map[string]string{"SHOP_ADDR": ":9", "SHOP_MAX_DEPTH": "7", "DATABASE_REPLICA_URL": r1 + "  " + r2}, ":9", 7, []string{r1, r2}},
		{"flag over env", []string{"-addr", ":10", "-max-depth", "8", "-db-replica", r3}, map[string]string{"SHOP_ADDR": ":9", "SHOP_MAX_DEPTH": "deep", "DATABASE_REPLICA_URL": r1}, ":10", 8, []string{r3}},
		{"PORT", nil, map[string]string{"PORT": "3000"}, ":3000", 15, nil},
		{"SHOP_ADDR over PORT", nil, map[string]string{"PORT": "3000", "SHOP_ADDR": ":9"}, ":9", 15, nil},
		{"flag over PORT", []string{"-addr", ":10"}, map[string]string{"PORT": "3000"}, ":10", 15, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c config
			fs := newFlagSet(serveCmd, "serve", &c)
			if err := fs.parse(tt.args, env(tt.vars), io.Discard); err != nil {
				t.Fatal(err)
			}
			if c.srv.Addr != tt.addr || c.srv.GraphQL.Limits.MaxDepth != tt.depth || !slices.Equal(c.srv.Replicas, tt.replicas) {
				t.Errorf("addr %q, max depth %d, replicas %q; want %q, %d, %q", c.srv.Addr, c.srv.GraphQL.Limits.MaxDepth, c.srv.Replicas, tt.addr, tt.depth, tt.replicas)
			}
		})
	}

	// A URL that is not a replica's is refused without being quoted: it may
	// hold a password.
	var c config
	err := newFlagSet(serveCmd, "serve", &c).parse(nil, env(map[string]string{"DATABASE_REPLICA_URL": "mysql://u:hunter2@h/db"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_REPLICA_URL") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("DATABASE_REPLICA_URL=mysql://…: %v, want an error naming the variable, not its value", err)
	}
}
