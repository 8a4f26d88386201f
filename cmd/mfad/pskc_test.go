package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfad/mfad/otp"
)

// TestImportPSKC: RFC 6030's encrypted example opens with its pre-shared
// key and is skipped as an HOTP key (nothing imported: an error); a plain TOTP file imports its user;
// an encrypted file without the key imports nothing.
func TestImportPSKC(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if _, errs, err := opsRun(t, dir, "", 1, "init"); err != nil {
		t.Fatal(err, errs)
	}
	if _, errs, err := opsRun(t, dir, "alice-password-1\n", 2, "user", "add", "alice"); err != nil {
		t.Fatal(err, errs)
	}
	keyFile := filepath.Join(t.TempDir(), "psk.hex")
	if err := os.WriteFile(keyFile, []byte("12345678901234567890123456789012\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rfc := filepath.Join("..", "..", "otp", "testdata", "rfc6030-figure6.pskcxml")
	out, errs, err := opsRun(t, dir, "", 1, "import", "--pskc-key-file", keyFile, rfc)
	if err == nil || !strings.Contains(errs, "line 1: : skipped: an HOTP (counter) key: mfad is TOTP only") || !strings.Contains(err.Error(), "nothing imported") {
		t.Errorf("RFC example: %v\n%s\n%s", err, out, errs)
	}
	if _, _, err := opsRun(t, dir, "", 1, "import", rfc); err == nil || !strings.Contains(err.Error(), "pre-shared key") {
		t.Errorf("encrypted file without a key: %v", err)
	}
	secret, _ := otp.GenerateSecret(20)
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage>
<Key Id="7" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Issuer>Vendor</Issuer>
<Data><Secret><PlainValue>` + base64.StdEncoding.EncodeToString(secret) + `</PlainValue></Secret></Data>
<UserId>alice</UserId></Key></KeyPackage></KeyContainer>`
	out, errs, err = opsRun(t, dir, doc, 1, "import", "-")
	if err != nil || !strings.Contains(out, "alice: 2FA on (SHA1, 6 digits, 30 s)") {
		t.Fatalf("plain TOTP file: %v\n%s\n%s", err, out, errs)
	}

	// Issue 30, item 3: RFC 6030 Figure 7, whose key is derived from the
	// password "qwerty" (PBKDF2), opens with --pskc-password-file (its one
	// key is HOTP: skipped); without the password it says what it needs.
	fig7 := filepath.Join("..", "..", "otp", "testdata", "rfc6030-figure7.pskcxml")
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte("qwerty\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, err = opsRun(t, dir, "", 1, "import", "--pskc-password-file", pwFile, fig7)
	if err == nil || !strings.Contains(errs, "skipped: an HOTP (counter) key") {
		t.Errorf("Figure 7 with its password: %v\n%s", err, errs)
	}
	if _, _, err := opsRun(t, dir, "", 1, "import", fig7); err == nil || !strings.Contains(err.Error(), "derived from a password (PBKDF2): give the password") {
		t.Errorf("Figure 7 without its password: %v", err)
	}
	if strings.Contains(out+errs, base64.StdEncoding.EncodeToString(secret)) {
		t.Fatal("import printed a secret")
	}
}
