package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// TwinCAT's Enable2FA in one core call: a wrong password prepares nothing, a
// wrong code leaves 2FA off, the right ones turn it on, and a second call
// on an enrolled user is a conflict.
func TestEnableWithSecret(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("hmi", mfad.RoleUser)
	a := e.actor(e.session(u))
	e.svc.RegisterProfile("test", auth.Profile{PasswordToEnable: true})
	key := otp.Key{Secret: []byte("0123456789abcdef"), Algorithm: otp.SHA1, Digits: 6, Period: 30}
	secret := otp.EncodeSecret(key.Secret)
	enable := func(password, code string) error {
		_, err := e.svc.EnableWithSecret(e.ctx, a, auth.EnableRequest{UserID: u.ID, Secret: secret, Code: code,
			Password: password})
		return err
	}
	status := func() *auth.Status {
		st, err := e.svc.Status(e.ctx, a, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	wantCode(t, enable("wrong password!", key.Code(e.clock.Now())), mfad.EInvalidLogin)
	if st := status(); st.Pending || st.Enabled {
		t.Fatalf("a wrong password must prepare nothing: %+v", st)
	}
	wantCode(t, enable(u.Password, "000000"), mfad.EInvalidCode)
	if status().Enabled {
		t.Fatal("enabled with a wrong code")
	}
	if err := enable(u.Password, key.Code(e.clock.Now())); err != nil {
		t.Fatalf("EnableWithSecret: %v", err)
	}
	if st := status(); !st.Enabled || st.ScratchRemaining != 10 {
		t.Fatalf("after enabling: %+v", st)
	}
	wantCode(t, enable(u.Password, key.Code(e.clock.Now())), mfad.EConflict)
}
