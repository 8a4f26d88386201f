package auth_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// TestNoSecretInErrors makes many calls fail with secrets, codes, passwords
// and tokens in their input, and checks that no error shows any of them.
func TestNoSecretInErrors(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	var errs []error
	var secrets []string
	fail := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		errs = append(errs, err)
	}
	keep := func(s ...string) { secrets = append(secrets, s...) }

	u := e.newUser("u", mfad.RoleUser)
	keep(u.Password)
	tok := e.session(u)
	keep(tok.Access, tok.Refresh)
	a := e.actor(tok)

	// Client-supplied secrets, good and bad.
	secret := otp.EncodeSecret([]byte("0123456789abcdefghi\x9c"))
	short := otp.EncodeSecret([]byte("012345678"))
	keep(secret, strings.ToLower(secret), short, secret[:16])
	for _, s := range []string{short, secret + "1", secret[:10] + "!" + secret[10:], secret + "A"} {
		_, err := e.svc.Prepare(ctx, a, auth.PrepareRequest{UserID: u.ID, Secret: s})
		fail("Prepare with a bad secret", err)
	}
	p, err := e.svc.Prepare(ctx, a, auth.PrepareRequest{UserID: u.ID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	keep(p.Token)
	keep(p.ScratchCodes...)
	key := keyOf(t, p)
	code := key.Code(e.clock.Now())
	keep(code, wrongCode(code))
	other := otp.EncodeSecret([]byte("9876543210abcdefghi\x9d"))
	keep(other)

	_, err = e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: wrongCode(code)})
	fail("Confirm with a wrong code", err)
	_, err = e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Secret: other, Code: code})
	fail("Confirm with a wrong secret", err)
	e.svc.RegisterProfile("test", auth.Profile{PasswordToEnable: true})
	_, err = e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Secret: secret, Code: code, Password: "Wrong-Horse-Battery"})
	e.svc.RegisterProfile("test", auth.Profile{})
	keep("Wrong-Horse-Battery")
	fail("Confirm with a wrong password", err)
	_, err = e.svc.Confirm(ctx, auth.Anonymous(remote), auth.ConfirmRequest{Token: flip(p.Token), Code: code})
	keep(flip(p.Token))
	fail("Confirm with a forged token", err)
	_, err = e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: p.ScratchCodes[0]})
	fail("Confirm with a scratch code", err)
	if _, err := e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Secret: secret, Code: code}); err != nil {
		t.Fatal(err)
	}
	u.Key, u.Scratch = key, p.ScratchCodes

	// Logins.
	for _, pw := range []string{"Not-The-Password-1", u.Password + "x", strings.ToUpper(u.Password), " " + u.Password, "Not-The-Password-2", "Not-The-Password-3"} {
		keep(pw)
		_, err := e.svc.Login(ctx, remote, auth.LoginRequest{Login: u.Name, Password: pw})
		fail("Login with a wrong password", err)
	}
	_, err = e.svc.Login(ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password}) // throttled now
	fail("Login while throttled", err)
	e.clock.Add(e.svc.Config().TicketTTL)
	ticket := e.ticket(u)
	keep(ticket)
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: code}) // a replay
	fail("CompleteLogin with the confirming code", err)
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: flip(ticket), Code: e.next(u)})
	keep(flip(ticket), e.next(u))
	fail("CompleteLogin with a forged ticket", err)
	_, err = e.svc.Login(ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password, Code: wrongCode(e.next(u))})
	keep(wrongCode(e.next(u)))
	fail("Login with a wrong code", err)
	if _, err := e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: u.Scratch[1]}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: u.Scratch[1]})
	fail("CompleteLogin with a used scratch code", err)
	for range 5 {
		_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: "12-34 56"})
	}
	keep("123456")
	fail("CompleteLogin while locked", err)
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.next(u)})
	fail("CompleteLogin while locked", err)

	// Tokens.
	for _, s := range []string{flip(tok.Access), tok.Refresh} {
		_, err := e.svc.Authenticate(ctx, remote, s)
		keep(s)
		fail("Authenticate with a forged token", err)
	}
	_, err = e.svc.Refresh(ctx, remote, flip(tok.Refresh))
	keep(flip(tok.Refresh))
	fail("Refresh with a forged token", err)
	_, err = e.svc.Refresh(ctx, remote, tok.Access)
	fail("Refresh with an access token", err)

	// Passwords being set.
	for _, pw := range []string{"short7!", strings.Repeat("long password ", 100)} {
		keep(pw)
		_, err := e.svc.CreateUser(ctx, e.sys, auth.NewUser{Name: "w", Password: pw})
		fail("CreateUser with a bad password", err)
		err = e.svc.ChangePassword(ctx, e.sys, auth.PasswordChange{UserID: u.ID, New: pw})
		fail("ChangePassword with a bad password", err)
	}
	err = e.svc.ChangePassword(ctx, e.actor(tok), auth.PasswordChange{UserID: u.ID, Current: "Guessed-Current-1", New: "whatever new one"})
	keep("Guessed-Current-1")
	fail("ChangePassword with a wrong current password", err)
	_, err = e.svc.ProtocolAuth(ctx, e.sys, u.Name, "Some-App-Password")
	keep("Some-App-Password")
	fail("ProtocolAuth with a wrong password", err)

	for _, err := range errs {
		for _, s := range []string{err.Error(), mfad.ErrorMessage(err)} {
			for _, sec := range secrets {
				if len(sec) >= 6 && strings.Contains(s, sec) {
					t.Errorf("error %q shows the secret %q", s, sec)
				}
			}
			if bytes.Contains([]byte(s), key.Secret) {
				t.Errorf("error %q shows the raw secret", s)
			}
		}
	}
	if len(errs) < 30 {
		t.Errorf("only %d errors checked", len(errs))
	}
}
