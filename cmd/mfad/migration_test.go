package main

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/mfad/mfad/otp"
)

// gaExport builds Google Authenticator's "Transfer accounts" URI from its
// published MigrationPayload schema: each account is secret (1), name (2),
// issuer (3), algorithm (4: 1 SHA1, 2 SHA256), digits (5: 1 six, 2 eight),
// type (6: 1 HOTP, 2 TOTP); then version (2), batch size (3), index (4), id (5).
func gaExport(accounts ...struct {
	secret       []byte
	name, issuer string
	alg, digits  uint64
	hotp         bool
}) string {
	var p []byte
	for _, a := range accounts {
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, a.secret)
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, a.name)
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, a.issuer)
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		b = protowire.AppendVarint(b, a.alg)
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, a.digits)
		b = protowire.AppendTag(b, 6, protowire.VarintType)
		b = protowire.AppendVarint(b, map[bool]uint64{false: 2, true: 1}[a.hotp])
		p = protowire.AppendTag(p, 1, protowire.BytesType)
		p = protowire.AppendBytes(p, b)
	}
	for num, v := range []uint64{2: 1, 3: 1, 4: 0, 5: 4242} {
		if num >= 2 {
			p = protowire.AppendTag(p, protowire.Number(num), protowire.VarintType)
			p = protowire.AppendVarint(p, v)
		}
	}
	return "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(p))
}

type acct = struct {
	secret       []byte
	name, issuer string
	alg, digits  uint64
	hotp         bool
}

// TestImportSkipsHOTP (issue 30, item 2): an export with an HOTP account
// among TOTP ones imports the TOTP accounts, reports the skipped one and
// succeeds; one with nothing usable fails, saying so.
func TestImportSkipsHOTP(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if _, errs, err := opsRun(t, dir, "", 1, "init"); err != nil {
		t.Fatal(err, errs)
	}
	for _, u := range []string{"alice", "dave"} {
		if _, errs, err := opsRun(t, dir, u+"-password-1\n", 2, "user", "add", u); err != nil {
			t.Fatal(err, errs)
		}
	}
	s1, _ := otp.GenerateSecret(20)
	s2, _ := otp.GenerateSecret(20)
	out, errs, err := opsRun(t, dir, gaExport(acct{s1, "alice", "", 1, 1, false}, acct{s2, "dave", "", 1, 1, true})+"\n", 1, "import", "-")
	if err != nil || !strings.Contains(out, "line 1: alice: 2FA on") || !strings.Contains(out, "imported 1 of 2 (1 skipped, 0 refused)") ||
		!strings.Contains(errs, "line 1: dave: skipped: not a TOTP account (HOTP counters are not supported)") {
		t.Fatalf("import: %v\n%s\n%s", err, out, errs)
	}
	_, errs, err = opsRun(t, dir, gaExport(acct{s2, "dave", "", 1, 1, true})+"\n", 1, "import", "-")
	if err == nil || !strings.Contains(err.Error(), "nothing imported") || !strings.Contains(errs, "dave: skipped") {
		t.Fatalf("an export of HOTP only: %v\n%s", err, errs)
	}
}

// TestImportGoogleAuthenticator: an export of three accounts imports two
// users (sealed, as any import) and refuses a published example secret.
func TestImportGoogleAuthenticator(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if _, errs, err := opsRun(t, dir, "", 1, "init"); err != nil {
		t.Fatal(err, errs)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, errs, err := opsRun(t, dir, u+"-password-1\n", 2, "user", "add", "--email", u+"@example.org", u); err != nil {
			t.Fatal(err, errs)
		}
	}
	aliceSecret, _ := otp.GenerateSecret(20)
	bobSecret, _ := otp.GenerateSecret(32)
	example, _ := otp.DecodeSecret("JBSWY3DPEHPK3PXP")
	in := gaExport(acct{aliceSecret, "Old:alice", "Old", 1, 1, false}, acct{bobSecret, "bob@example.org", "", 2, 2, false}, acct{example, "carol", "", 1, 1, false}) + "\n"
	out, errs, err := opsRun(t, dir, in, 1, "import", "-")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 not imported") {
		t.Fatalf("import: %v\n%s\n%s", err, out, errs)
	}
	for _, want := range []string{"line 1: alice: 2FA on (SHA1, 6 digits, 30 s)", "line 1: bob@example.org: 2FA on (SHA256, 8 digits, 30 s)", "imported 2 of 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "carol: not imported: refusing a weak secret") {
		t.Errorf("the example secret was not refused:\n%s", errs)
	}
	for _, s := range []string{otp.EncodeSecret(aliceSecret), otp.EncodeSecret(bobSecret)} {
		if strings.Contains(out+errs, s) {
			t.Fatal("import printed a secret")
		}
	}
	// A broken export imports nothing and names the line.
	if _, _, err := opsRun(t, dir, "# export\notpauth-migration://offline?data=AAAA\n", 1, "import", "-"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("broken export: %v", err)
	}
}
