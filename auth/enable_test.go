package auth_test

import (
	"context"
	"log/slog"
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
	key := otp.Key{Secret: []byte("0123456789abcdef\xf1\x07"), Algorithm: otp.SHA1, Digits: 6, Period: 30}
	secret := otp.EncodeSecret(key.Secret)
	enable := func(password, code string) error {
		_, err := e.svc.EnableWithSecret(e.ctx, a, auth.EnableRequest{UserID: u.ID, Secret: secret, Code: code,
			Password: password})
		return err
	}
	status := func() *auth.Status {
		st, err := e.svc.Status(e.ctx, a, auth.ByID(u.ID))
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

// updateCounter counts the write transactions a service runs.
type updateCounter struct {
	mfad.Store
	n int
}

func (c *updateCounter) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	c.n++
	return c.Store.Update(ctx, fn)
}

// Enable2FA is one wire operation: prepare and confirm run in one write
// transaction, whether the code is right or wrong (they were two).
func TestEnableWithSecretOneTransaction(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("hmi", mfad.RoleUser)
	a := e.actor(e.session(u))
	counter := &updateCounter{Store: e.store}
	svc := auth.New(counter, e.ring, auth.Config{Window: 1, Password: testPasswordParams},
		auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
	svc.RegisterProfile("test", auth.Profile{})
	key := otp.Key{Secret: []byte("0123456789abcdef\xf1\x07"), Algorithm: otp.SHA1, Digits: 6, Period: 30}
	for _, tc := range []struct {
		name, code string
		want       mfad.Code
	}{
		{"wrong code", "000000", mfad.EInvalidCode},
		{"right code", key.Code(e.clock.Now()), ""},
	} {
		counter.n = 0
		_, err := svc.EnableWithSecret(e.ctx, a, auth.EnableRequest{UserID: u.ID,
			Secret: otp.EncodeSecret(key.Secret), Code: tc.code})
		if got := mfad.ErrorCode(err); got != tc.want {
			t.Fatalf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if counter.n != 1 {
			t.Errorf("%s: %d write transactions, want 1", tc.name, counter.n)
		}
	}
}
