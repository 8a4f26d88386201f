package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/store/postgres/pgtest"
)

// runSplit runs the mfad command in-process and returns its standard
// output and standard error apart.
func runSplit(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// Flags may come before or after the positional arguments, as the README
// writes them.
func TestFlagsAfterArguments(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	cheap := []string{"--argon-memory", "64", "--argon-time", "1"}
	if _, errs, err := runSplit(t, "", append([]string{"init", "--data-dir", dir}, cheap...)...); err != nil {
		t.Fatalf("init: %v %s", err, errs)
	}
	for _, args := range [][]string{
		{"user", "add", "bob", "--email", "b@x.org", "--data-dir", dir},              // the README's form
		{"user", "add", "--data-dir", dir, "carol", "--admin", "--email", "c@x.org"}, // mixed
		{"user", "add", "--data-dir", dir, "--id", "77", "--", "-dash"},              // "--" ends the flags
	} {
		if _, errs, err := runSplit(t, "password-123456\n", append(append(args[:2:2], cheap...), args[2:]...)...); err != nil {
			t.Fatalf("mfad %v: %v\n%s", args, err, errs)
		}
	}
	list, errs, err := runSplit(t, "", "user", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err, errs)
	}
	for _, want := range []string{"bob", "b@x.org", "carol", "c@x.org", "-dash", "77"} {
		if !strings.Contains(list, want) {
			t.Errorf("user list lacks %q:\n%s", want, list)
		}
	}
	if !regexpLine(list, "carol", "admin") {
		t.Errorf("carol is not an admin:\n%s", list)
	}
	if out, errs, err := runSplit(t, "", "2fa", "unlock", "bob", "--data-dir", dir); err != nil || !strings.Contains(out, "bob: unlocked") {
		t.Fatalf("2fa unlock bob --data-dir: %v %s %s", err, out, errs)
	}
}

func regexpLine(text string, words ...string) bool {
	for line := range strings.Lines(text) {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return true
		}
	}
	return false
}

// A usage error is one line that says what is wrong; -h and --version work
// as people type them.
func TestUsageErrors(t *testing.T) {
	cleanEnv(t)
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args []string
		want string // in the one line on standard error
	}{
		{[]string{"user", "add"}, "missing argument (usage: mfad user add NAME"},
		{[]string{"user", "add", "a", "b"}, `unexpected argument "b"`},
		{[]string{"user", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"user", "frob"}, `unknown subcommand "frob"`},
		{[]string{"user"}, "missing subcommand"},
		{[]string{"user", "add", "bob", "--emial", "b@x.org"}, "flag provided but not defined: -emial"},
		{[]string{"user", "add", "bob", "--id", "x"}, `invalid value "x" for flag -id`},
		{[]string{"2fa", "reset"}, "missing argument (usage: mfad 2fa reset NAME)"},
		{[]string{"2fa", "off", "bob"}, `unknown subcommand "off"`},
		{[]string{"keys"}, "missing subcommand"},
		{[]string{"keys", "retire"}, "missing argument"},
		{[]string{"keys", "generate", "x"}, `unexpected argument "x"`},
		{[]string{"audit", "export", "x"}, `unexpected argument "x"`},
		{[]string{"backup"}, "missing argument (usage: mfad backup FILE)"},
		{[]string{"import"}, "missing argument"},
		{[]string{"migrate", "now"}, `unexpected argument "now"`},
		{[]string{"serve", "now"}, `unexpected argument "now"`},
		{[]string{"code", "--sekret", "x"}, "flag provided but not defined: -sekret"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"version", "x"}, `unexpected argument "x"`},
		{[]string{"load", "x"}, `unexpected argument "x"`},
		{[]string{"zimbra", "preauth-key"}, "missing argument"},
	} {
		out, errs, err := runSplit(t, "", tc.args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("mfad %v: err %v, want a usage error", tc.args, err)
		}
		if strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("mfad %v: stderr %q, stdout %q; want one line with %q", tc.args, errs, out, tc.want)
		}
	}
	assertEmpty(t, ".")

	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		out, _, err := runSplit(t, "", args...)
		if err != nil || !strings.Contains(out, "mfad keys generate") || !strings.Contains(out, "mfad init") {
			t.Errorf("mfad %v: %v\n%s", args, err, out)
		}
	}
	for _, args := range [][]string{{"serve", "-h"}, {"user", "add", "--help"}, {"code", "-h"}} {
		out, _, err := runSplit(t, "", args...)
		if err != nil || !strings.Contains(out, "-") {
			t.Errorf("mfad %v: %v\n%s", args, err, out)
		}
	}
	if out, _, _ := runSplit(t, "", "serve", "-h"); !strings.Contains(out, "-data-dir") {
		t.Errorf("serve -h does not list --data-dir:\n%s", out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		out, _, err := runSplit(t, "", args...)
		if err != nil || !strings.HasPrefix(out, "mfad ") || strings.Count(out, "\n") != 1 {
			t.Errorf("mfad %v: %v %q", args, err, out)
		}
	}
	assertEmpty(t, ".")
}

// Administration commands never create a database, a key or a data dir:
// run where no mfad lives, they fail naming the path they looked at.
func TestAdminCommandsCreateNothing(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join("mfad-data", "mfad.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "list"}, db},
		{[]string{"user", "add", "bob", "--email", "b@x.org"}, db},
		{[]string{"user", "delete", "bob"}, db},
		{[]string{"user", "passwd", "bob"}, db},
		{[]string{"2fa", "reset", "bob"}, db},
		{[]string{"2fa", "unlock", "bob"}, db},
		{[]string{"keys", "rotate"}, db},
		{[]string{"keys", "retire", "k1"}, db},
		{[]string{"audit", "export"}, db},
		{[]string{"backup", "copy.db"}, db},
		{[]string{"import", "-"}, db},
		{[]string{"migrate"}, db},
		{[]string{"zimbra", "preauth-key", "example.org"}, db},
		{[]string{"user", "list", "--data-dir", "elsewhere"}, filepath.Join("elsewhere", "mfad.db")},
		{[]string{"user", "list", "--db", "x.db"}, "x.db"},
	} {
		_, errs, err := runSplit(t, "password-123456\n", tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mfad serve") {
			t.Errorf("mfad %v: %v %s; want an error naming %s", tc.args, err, errs, tc.want)
		}
	}
	// A database without its key file is refused too, naming the key file.
	if err := os.MkdirAll("mfad-data", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runSplit(t, "", "user", "list")
	if err == nil || !strings.Contains(err.Error(), filepath.Join("mfad-data", "master.key")) {
		t.Errorf("user list without a key file: %v", err)
	}
	if err := os.RemoveAll("mfad-data"); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, dir)
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("created %s", filepath.Join(dir, e.Name()))
	}
}

// mfad migrate on a fresh PostgreSQL database whose URL names a schema
// that does not exist yet (the README's ?search_path=mfad) creates it.
func TestMigrateFreshSchema(t *testing.T) {
	base := pgtest.URL(t)
	cleanEnv(t)
	name := "mfad_cli_fresh_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	t.Cleanup(func() {
		if err := pgtest.Exec(base, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	out, errs, err := runSplit(t, "", "migrate", "--db", pgtest.WithParams(t, base, "search_path", name))
	if err != nil || !strings.Contains(out, "nothing pending") {
		t.Fatalf("mfad migrate on a fresh schema: %v\n%s%s", err, out, errs)
	}
}
