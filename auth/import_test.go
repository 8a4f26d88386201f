package auth_test

import (
	"github.com/mfad/mfad/auth"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

func TestImportFactor(t *testing.T) {
	e := newEnv(t)
	o := observe(e.svc)
	u := e.newUser("u", mfad.RoleUser)
	tok := e.session(u)
	secret, err := otp.GenerateSecret(20)
	if err != nil {
		t.Fatal(err)
	}
	key := otp.Key{Secret: secret, Algorithm: otp.SHA256, Digits: 8, Period: 60}

	// Only an administrator imports.
	wantCode(t, e.svc.ImportFactor(e.ctx, e.actor(tok), u.ID, key, false), mfad.EForbidden)
	wantCode(t, e.svc.ImportFactor(e.ctx, e.sys, 9999, key, false), mfad.ENotFound)
	wantCode(t, e.svc.ImportFactor(e.ctx, e.sys, u.ID, otp.Key{Secret: secret, Digits: 9}, false), mfad.EInvalidInput)

	if err := e.svc.ImportFactor(e.ctx, e.sys, u.ID, key, false); err != nil {
		t.Fatalf("ImportFactor: %v", err)
	}
	if e.alive(tok) {
		t.Error("the user's session survived the import")
	}
	// Codes up to now count as used; the next step's code logs in.
	u.Key = key
	ticket := e.ticket(u)
	wantCode(t, e.complete(ticket, key.Code(e.clock.Now())), mfad.EInvalidCode)
	e.clock.Add(time.Minute)
	if err := e.complete(ticket, key.Code(e.clock.Now())); err != nil {
		t.Fatalf("login with an imported key: %v", err)
	}
	st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID))
	if err != nil || !st.Enabled {
		t.Fatalf("Status after import = %+v, %v", st, err)
	}
	// Importing over an enabled factor is refused: reset first.
	wantCode(t, e.svc.ImportFactor(e.ctx, e.sys, u.ID, key, true), mfad.EConflict)

	// The secret is sealed: the stored value does not hold it.
	var f *mfad.Factor
	if err := e.store.View(e.ctx, func(tx mfad.Tx) (err error) { f, err = tx.Factor(u.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.Secret, otp.EncodeSecret(secret)) || strings.Contains(f.Secret, string(secret)) {
		t.Fatal("the imported secret is stored in the clear")
	}
	ev := e.events(u.ID)
	if ev[len(ev)-1].Action == "2fa.import" {
		t.Fatal("events are newest first")
	}
	var found bool
	for _, x := range ev {
		if x.Action == "2fa.import" && x.Result == "ok" && x.Detail == "SHA256, 8 digits, 60 s" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no 2fa.import event in %+v", ev)
	}
	if got := o.counts()["import/ok"]; got != 1 {
		t.Fatalf("observed import/ok %d times, want 1", got)
	}
}

func TestImportFactorRefusesWeakSecrets(t *testing.T) {
	e := newEnv(t)
	for name, b32 := range map[string]string{
		"64 bits":              otp.EncodeSecret([]byte("8 bytes!")),
		"Google example":       "JBSWY3DPEHPK3PXP",
		"RFC 6238 SHA-1 seed":  otp.EncodeSecret([]byte("12345678901234567890")),
		"RFC 6238 SHA-256":     otp.EncodeSecret([]byte("12345678901234567890123456789012")),
		"RFC 6238 SHA-512":     otp.EncodeSecret([]byte("1234567890123456789012345678901234567890123456789012345678901234")),
		"all zero":             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"Veeam doc example":    "KQ5P6HBW63UTX4JPMXBJXI2PQM",
		"Zimbra doc example":   "ABCDEFGHIJKLMNOP",
		"lower case, grouped":  "jbsw y3dp ehpk 3pxp",
		"one repeated non-0":   "7777777777777777",
		"Google example again": "JBSWY3DPEHPK3PXP====",
	} {
		t.Run(name, func(t *testing.T) {
			secret, err := otp.DecodeSecret(b32)
			if err != nil {
				t.Fatal(err)
			}
			u := e.newUser(strings.NewReplacer(" ", "", ",", "", "-", "").Replace(name), mfad.RoleUser)
			err = e.svc.ImportFactor(e.ctx, e.sys, u.ID, otp.Key{Secret: secret}, false)
			wantCode(t, err, mfad.EInvalidInput)
			if strings.Contains(err.Error(), strings.ToUpper(strings.ReplaceAll(b32, " ", ""))) {
				t.Fatalf("the error quotes the secret: %v", err)
			}
			if err := e.svc.ImportFactor(e.ctx, e.sys, u.ID, otp.Key{Secret: secret}, true); err != nil {
				t.Fatalf("forced: %v", err)
			}
			ev := e.events(u.ID)
			if ev[0].Action != "2fa.import" || !strings.Contains(ev[0].Detail, "forced") {
				t.Fatalf("a forced import must say so in the audit log: %+v", ev[0])
			}
		})
	}
}
