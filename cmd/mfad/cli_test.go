package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/otp"
)

// mfadRun runs the mfad command in-process and returns its output.
func mfadRun(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func TestCodeCommand(t *testing.T) {
	key := otp.Key{Secret: []byte("12345678901234567890")}
	secret := otp.EncodeSecret(key.Secret)
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"stdin base32", secret + "\n", []string{"code"}},
		{"stdin lower case with spaces", strings.ToLower(secret[:4] + " " + secret[4:]), []string{"code"}},
		{"flag", "", []string{"code", "--secret", secret}},
		{"otpauth URI", key.URI(), []string{"code"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := mfadRun(t, tc.stdin, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSpace(out)
			// The code of now, or of the step just before if the
			// second turned while the command ran.
			now := time.Now()
			if got != key.Code(now) && got != key.Code(now.Add(-30*time.Second)) {
				t.Fatalf("mfad code printed %q, want %q", got, key.Code(now))
			}
		})
	}
	if _, err := mfadRun(t, "not base32!", "code"); err == nil {
		t.Fatal("a bad secret must fail")
	}
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("MFAD_PASSWORD", "")
	dd := []string{"--data-dir", dir, "--argon-memory", "64", "--argon-time", "1"}
	cmd := func(stdin string, args ...string) string {
		t.Helper()
		out, err := mfadRun(t, stdin, append(append(args[:2:2], dd...), args[2:]...)...)
		if err != nil {
			t.Fatalf("mfad %v: %v\n%s", args, err, out)
		}
		return out
	}
	if out, err := mfadRun(t, "", append([]string{"init"}, dd...)...); err != nil {
		t.Fatalf("mfad init: %v\n%s", err, out)
	}
	cmd("bob-password-1\n", "user", "add", "--email", "bob@example.org", "--id", "1001", "bob")
	cmd("root-password-1\n", "user", "add", "--admin", "root")
	list := cmd("", "user", "list")
	for _, want := range []string{"1001", "bob@example.org", "root", "admin"} {
		if !strings.Contains(list, want) {
			t.Errorf("user list lacks %q:\n%s", want, list)
		}
	}
	if out, err := mfadRun(t, "x\n", append([]string{"user", "add"}, append(dd, "BOB@EXAMPLE.ORG")...)...); err == nil {
		t.Fatalf("a name equal to another user's email must be refused:\n%s", out)
	}
	cmd("new-password-2\n", "user", "passwd", "bob")
	cmd("", "2fa", "unlock", "bob")
	cmd("", "2fa", "reset", "bob")
	cmd("", "user", "delete", "bob")
	if list := cmd("", "user", "list"); strings.Contains(list, "bob") {
		t.Fatalf("bob still listed after delete:\n%s", list)
	}
	// The key file is private, and the database holds no password.
	info, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", info, err)
	}
	db, _ := os.ReadFile(filepath.Join(dir, "mfad.db"))
	if bytes.Contains(db, []byte("root-password-1")) {
		t.Fatal("a password is in the database file")
	}
}

func TestKeysRotate(t *testing.T) {
	dir := t.TempDir()
	dd := []string{"--data-dir", dir, "--argon-memory", "64", "--argon-time", "1"}
	if out, err := mfadRun(t, "", append([]string{"init"}, dd...)...); err != nil {
		t.Fatalf("mfad init: %v\n%s", err, out)
	}
	if out, err := mfadRun(t, "pw-123456789\n", append([]string{"user", "add"}, append(dd, "carol")...)...); err != nil {
		t.Fatal(err, out)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "master.key"))
	out, err := mfadRun(t, "", append([]string{"keys", "rotate"}, dd...)...)
	if err != nil {
		t.Fatal(err, out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "master.key"))
	if got, want := len(keyLines(after)), len(keyLines(before))+1; got != want {
		t.Fatalf("rotate left %d keys, want %d:\n%s\n->\n%s", got, want, before, after)
	}
	old := strings.Fields(keyLines(before)[0])[0]
	// Issue 30, item 6: an id the ring does not hold is named as unknown.
	if out, err := mfadRun(t, "", append(append([]string{"keys", "retire"}, dd...), "k1700000000")...); err == nil ||
		!strings.Contains(fmt.Sprint(out, err), `no key "k1700000000" in the key ring`) {
		t.Fatalf("retiring an unknown key: %v\n%s", err, out)
	}
	if out, err := mfadRun(t, "", append(append([]string{"keys", "retire"}, dd...), old)...); err != nil {
		t.Fatalf("retiring the old key after rotation: %v\n%s", err, out)
	}
	// A wrong key ring no longer hears of the retired key.
	other := filepath.Join(t.TempDir(), "other.key")
	gen, err := mfadRun(t, "", "keys", "generate")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte(gen), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := mfadRun(t, "", append([]string{"user", "list", "--key-file", other}, dd...)...); err == nil || !strings.Contains(fmt.Sprint(out, err), "wrong master key") || strings.Contains(fmt.Sprint(out, err), old) {
		t.Fatalf("a wrong key ring after retire: %v\n%s", err, out)
	}
	// The database still opens with the remaining key.
	if out, err := mfadRun(t, "", append([]string{"user", "list"}, dd...)...); err != nil || !strings.Contains(out, "carol") {
		t.Fatalf("after retire: %v\n%s", err, out)
	}
}

// keyLines returns the key lines of a key ring file.
func keyLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
