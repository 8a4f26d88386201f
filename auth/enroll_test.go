package auth_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

func TestPrepareExpires(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	a := e.actor(e.session(u))
	p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(10 * time.Minute); !p.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v (10 min)", p.ExpiresAt, want)
	}
	key := keyOf(t, p)
	e.clock.Add(11 * time.Minute)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p.Token, Code: key.Code(e.clock.Now())})
	wantCode(t, err, mfad.EExpired)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: key.Code(e.clock.Now())})
	wantCode(t, err, mfad.EExpired)
	if st, err := e.svc.Status(e.ctx, a, auth.ByID(u.ID)); err != nil || st.Enabled || st.Pending {
		t.Fatalf("Status = %+v, %v; want neither enabled nor pending", st, err)
	}

	// A dialect's own pending lifetime is honoured.
	e.svc.RegisterProfile("test", auth.Profile{PendingTTL: 2 * time.Minute})
	p, err = e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(3 * time.Minute)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p.Token, Code: keyOf(t, p).Code(e.clock.Now())})
	wantCode(t, err, mfad.EExpired)
}

func TestPrepareAgainReplaces(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	a := e.actor(e.session(u))
	p1, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p1.Secret == p2.Secret || p1.Token == p2.Token {
		t.Fatal("preparing again kept the secret or the token")
	}
	k1, k2 := keyOf(t, p1), keyOf(t, p2)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p1.Token, Code: k1.Code(e.clock.Now())})
	wantCode(t, err, mfad.ENoPending)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p2.Token, Code: k1.Code(e.clock.Now())})
	wantCode(t, err, mfad.EInvalidCode)
	if _, err := e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p2.Token, Code: k2.Code(e.clock.Now())}); err != nil {
		t.Fatalf("Confirm of the second enrollment: %v", err)
	}
	// Confirmed: the enrollment is spent.
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p2.Token, Code: k2.CodeAt(k2.Step(e.clock.Now()) + 1)})
	wantCode(t, err, mfad.ENoPending)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: k2.CodeAt(k2.Step(e.clock.Now()) + 1)})
	wantCode(t, err, mfad.ENoPending)
}

func TestClientSecret(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	a := e.actor(e.session(u))
	for _, tc := range []struct {
		name   string
		secret string
		ok     bool
	}{
		{"80 bits", "GL3C7BQZHCKKPBZ2", true},
		{"80 bits, grouped lower case", "gl3c 7bqz-hckk pbz2", true},
		{"160 bits", "OQKWMGCX2KA6E554CULMFIXFYD4VFIQV", true},
		// Long enough, but anyone can compute them (issue 14).
		{"the Google Authenticator example", "JBSWY3DPEHPK3PXP", false},
		{"the RFC 6238 seed", otp.EncodeSecret([]byte("12345678901234567890")), false},
		{"the RFC 6238 SHA-256 seed", otp.EncodeSecret([]byte("12345678901234567890123456789012")), false},
		{"all zero bytes", "AAAAAAAAAAAAAAAA", false},
		{"one byte repeated", otp.EncodeSecret(bytes.Repeat([]byte{0xA5}, 20)), false},
		{"an example twice", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", false},
		{"counting bytes", otp.EncodeSecret([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), false},
		{"two distinct bytes", otp.EncodeSecret([]byte{1, 2, 1, 1, 2, 2, 1, 2, 2, 1, 1, 1, 2, 1, 2, 2, 1, 1, 2, 1}), false},
		{"72 bits", otp.EncodeSecret(bytes.Repeat([]byte{1}, 9)), false},
		{"40 bits", "JBSWY3DP", false},
		{"not base32", "JBSWY3DPEHPK3PX1", false},
		{"punctuation", "JBSWY3DP!HPK3PXP", false},
		{"truncated", "JBSWY3DPEHPK3PXPA", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID, Secret: tc.secret})
			if !tc.ok {
				wantCode(t, err, mfad.EInvalidInput)
				return
			}
			if err != nil {
				t.Fatalf("Prepare with a client secret: %v", err)
			}
			want, _ := otp.DecodeSecret(tc.secret)
			if k := keyOf(t, p); !bytes.Equal(k.Secret, want) {
				t.Fatalf("the enrollment's secret is %q, want the client's", p.Secret)
			}
		})
	}
	// A generated secret may not be made smaller than the minimum either:
	// such a profile is refused when it is registered.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a profile with 8-byte secrets was registered")
			}
		}()
		e.svc.RegisterProfile("test", auth.Profile{SecretSize: 8})
	}()
}

// TestConfirmBySecret is TwinCAT's flow: the client makes the secret and
// confirms by sending it back with a code and the password.
func TestConfirmBySecret(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	a := e.actor(e.session(u))
	e.svc.RegisterProfile("test", auth.Profile{PasswordToEnable: true})
	secret := "LMMUYGT5YP6KMOS3TN6RF47AMI7ZS4BP"
	if _, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID, Secret: secret}); err != nil {
		t.Fatal(err)
	}
	raw, _ := otp.DecodeSecret(secret)
	key := otp.Key{Secret: raw}
	code := key.Code(e.clock.Now())
	req := auth.ConfirmRequest{UserID: u.ID, Secret: secret, Code: code, Password: u.Password}

	bad := req
	bad.Password = "not the password"
	_, err := e.svc.Confirm(e.ctx, a, bad)
	wantCode(t, err, mfad.EInvalidLogin)
	bad = req
	bad.Password = ""
	_, err = e.svc.Confirm(e.ctx, a, bad)
	wantCode(t, err, mfad.EInvalidLogin)
	bad = req
	bad.Secret = otp.EncodeSecret(bytes.Repeat([]byte{0x3D}, 10))
	_, err = e.svc.Confirm(e.ctx, a, bad)
	wantCode(t, err, mfad.ENoPending)
	bad = req
	bad.Code = wrongCode(code)
	_, err = e.svc.Confirm(e.ctx, a, bad)
	wantCode(t, err, mfad.EInvalidCode)
	if st, err := e.svc.Status(e.ctx, a, auth.ByID(u.ID)); err != nil || st.Enabled {
		t.Fatalf("refused confirmations enabled 2FA: %+v, %v", st, err)
	}

	req.Secret = strings.ToLower(secret) // as typed
	if _, err := e.svc.Confirm(e.ctx, a, req); err != nil {
		t.Fatalf("Confirm by secret: %v", err)
	}
	if st, err := e.svc.Status(e.ctx, a, auth.ByID(u.ID)); err != nil || !st.Enabled {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	u.Key = key
	e.session(u)
}

// TestConfirmByToken is Zimbra's two-step enable: the password makes the
// enrollment, and the enrollment token with a code, without a session,
// enables it and answers with a new session, revoking all others.
func TestConfirmByToken(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	v := e.newUser("v", mfad.RoleUser)
	old := e.session(u)

	anon := auth.Anonymous(remote)
	_, err := e.svc.Prepare(e.ctx, anon, auth.PrepareRequest{Login: u.Name, Password: "wrong password"})
	wantCode(t, err, mfad.EInvalidLogin)
	e.svc.RegisterProfile("test", auth.Profile{Scratch: &mfad.ScratchForm{Count: 10, Length: 8, Alphabet: mfad.Base32Alphabet},
		SessionOnConfirm: true})
	p, err := e.svc.Prepare(e.ctx, anon, auth.PrepareRequest{Login: u.Name, Password: u.Password})
	if err != nil {
		t.Fatalf("Prepare with the password: %v", err)
	}
	key := keyOf(t, p)
	req := auth.ConfirmRequest{Token: p.Token, Login: u.Name, Code: key.Code(e.clock.Now())}

	// The token must belong to the named account.
	bad := req
	bad.Login = v.Name
	_, err = e.svc.Confirm(e.ctx, anon, bad)
	wantCode(t, err, mfad.EUnauthenticated)
	bad.Login = "nobody"
	_, err = e.svc.Confirm(e.ctx, anon, bad)
	wantCode(t, err, mfad.EUnauthenticated)
	// A forged token names nothing.
	bad = req
	bad.Token = flip(p.Token)
	_, err = e.svc.Confirm(e.ctx, anon, bad)
	wantCode(t, err, mfad.ENoPending)
	// Without a token, an anonymous caller is nobody.
	bad = req
	bad.Token, bad.UserID = "", u.ID
	_, err = e.svc.Confirm(e.ctx, anon, bad)
	wantCode(t, err, mfad.EUnauthenticated)
	// A pending scratch code proves nothing.
	bad = req
	bad.Code = p.ScratchCodes[0]
	_, err = e.svc.Confirm(e.ctx, anon, bad)
	wantCode(t, err, mfad.EInvalidCode)
	if !e.alive(old) {
		t.Fatal("a refused confirmation revoked a session")
	}

	c, err := e.svc.Confirm(e.ctx, anon, req)
	if err != nil {
		t.Fatalf("Confirm by token: %v", err)
	}
	if c.Tokens == nil || c.Tokens.Scope != mfad.ScopeFull || !e.alive(c.Tokens) {
		t.Fatalf("Confirm with NewSession = %+v, want a live full session", c)
	}
	checkForm(t, c.ScratchCodes, mfad.ScratchForm{Count: 10, Length: 8, Alphabet: mfad.Base32Alphabet})
	if e.alive(old) {
		t.Error("an older session survived Confirm with NewSession")
	}
	// The new session's second factor is proven now.
	if _, err := e.svc.ScratchCodes(e.ctx, e.actor(c.Tokens), u.ID, ""); err != nil {
		t.Errorf("ScratchCodes right after Confirm: %v", err)
	}
	// Base32 scratch codes work, in any case.
	u.Key, u.Scratch = key, c.ScratchCodes
	if _, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: strings.ToLower(u.Scratch[0])}); err != nil {
		t.Fatalf("a lower-case base32 scratch code: %v", err)
	}
	// Regenerating keeps the form.
	codes, err := e.svc.RegenerateScratchCodes(e.ctx, e.actor(c.Tokens), u.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	checkForm(t, codes, mfad.ScratchForm{Count: 10, Length: 8, Alphabet: mfad.Base32Alphabet})
}

// TestScratchCodeIsNoConfirmCode: the pending scratch codes cannot enable
// 2FA, whatever their form, and they are not valid before Confirm.
func TestScratchCodeIsNoConfirmCode(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	a := e.actor(e.session(u))
	// Scratch codes of 6 digits look just like TOTP codes.
	e.svc.RegisterProfile("test", auth.Profile{Scratch: &mfad.ScratchForm{Count: 10, Length: 6, Alphabet: mfad.Digits}})
	p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	key := keyOf(t, p)
	step := key.Step(e.clock.Now())
	for _, sc := range p.ScratchCodes[:4] { // the fifth wrong code voids the enrollment
		if sc == key.CodeAt(step-1) || sc == key.CodeAt(step) || sc == key.CodeAt(step+1) {
			continue // a few chances in 10^5: the scratch code is also a TOTP code now
		}
		_, err := e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: sc})
		wantCode(t, err, mfad.EInvalidCode)
	}
	if st, err := e.svc.Status(e.ctx, a, auth.ByID(u.ID)); err != nil || st.Enabled {
		t.Fatalf("a scratch code enabled 2FA: %+v, %v", st, err)
	}
}

func TestQRCode(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	p, err := e.svc.Prepare(e.ctx, e.actor(e.session(u)), auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	png, err := p.QRPNG(256)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("QRPNG: %d bytes, %v", len(png), err)
	}
	svg, err := p.QRSVG()
	if err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("QRSVG: %d bytes, %v", len(svg), err)
	}
	key := keyOf(t, p)
	if key.Issuer != "mfad" || key.Account != u.Email {
		t.Errorf("URI issuer %q account %q, want mfad and %q", key.Issuer, key.Account, u.Email)
	}
}

// TestConfirmUnknownUser: a confirm that names a user who does not exist is
// "not found" whatever the token, decided by the core in the confirming
// transaction (Veeam's acceptMfa used to ask for the user first, a second
// core call), and nobody's enrollment is touched.
func TestConfirmUnknownUser(t *testing.T) {
	e := newEnv(t)
	admin := e.actor(e.session(e.newUser("admin", mfad.RoleAdmin)))
	u := e.newUser("u", mfad.RoleUser)
	p, err := e.svc.Prepare(e.ctx, admin, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	code := keyOf(t, p).Code(e.clock.Now())
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"a forged token", "not-a-token"},
		{"another user's token", p.Token},
	} {
		_, err := e.svc.Confirm(e.ctx, admin, auth.ConfirmRequest{UserID: 9999, Token: tc.token, Code: code})
		checkCode(t, tc.name, err, mfad.ENotFound)
	}
	if st, err := e.svc.Status(e.ctx, admin, auth.ByID(u.ID)); err != nil || st.Enabled || !st.Pending {
		t.Fatalf("Status = %+v, %v; want the enrollment still pending", st, err)
	}
	if _, err := e.svc.Confirm(e.ctx, admin, auth.ConfirmRequest{UserID: u.ID, Token: p.Token, Code: code}); err != nil {
		t.Fatalf("the right user: %v", err)
	}
}
