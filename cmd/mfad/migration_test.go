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
// type (6: 2 TOTP); then version (2), batch size (3), index (4), id (5).
func gaExport(accounts ...struct {
	secret       []byte
	name, issuer string
	alg, digits  uint64
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
		b = protowire.AppendVarint(b, 2)
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
	type acct = struct {
		secret       []byte
		name, issuer string
		alg, digits  uint64
	}
	in := gaExport(acct{aliceSecret, "Old:alice", "Old", 1, 1}, acct{bobSecret, "bob@example.org", "", 2, 2}, acct{example, "carol", "", 1, 1}) + "\n"
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
