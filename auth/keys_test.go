package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/seal"
)

func TestCheckKeys(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys on a new database: %v", err)
	}
	if err := e.svc.CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys again with the same ring: %v", err)
	}
	for name, ring := range map[string]*seal.Ring{
		"another key under the same id": newRing(t, "k1"),
		"another key":                   newRing(t, "k2"),
	} {
		if err := e.service(ring).CheckKeys(e.ctx); err == nil {
			t.Errorf("CheckKeys with %s passed", name)
		}
	}
	// The refused rings recorded nothing: the right one still passes.
	if err := e.svc.CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys with the right ring after wrong ones: %v", err)
	}
	// A ring with a new key added passes, and so does the new key alone
	// afterwards (once every value is re-sealed it is all that is needed).
	k2, err := seal.GenerateKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	ring12, err := e.ring.With(k2)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.service(ring12).CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys with a new key added: %v", err)
	}
	ring2, err := ring12.Without("k1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.service(ring2).CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys with the new key alone: %v", err)
	}
	if err := e.service(newRing(t, "k2")).CheckKeys(e.ctx); err == nil {
		t.Error("CheckKeys with another key under the new key's id passed")
	}
}

func TestRotateKeys(t *testing.T) {
	e := newEnv(t)
	old := e.svc
	if err := old.CheckKeys(e.ctx); err != nil {
		t.Fatal(err)
	}
	u, _ := e.enrolledUser("u") // a factor secret and 10 scratch codes
	v := e.newUser("v", mfad.RoleUser)
	pv, err := e.svc.Prepare(e.ctx, e.sys, auth.PrepareRequest{UserID: v.ID}) // a pending secret and pending codes
	if err != nil {
		t.Fatal(err)
	}

	k2, err := seal.GenerateKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	ring12, err := e.ring.With(k2)
	if err != nil {
		t.Fatal(err)
	}
	both := e.service(ring12)
	if err := both.CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys with both keys: %v", err)
	}
	n, err := both.RotateKeys(e.ctx)
	if err != nil {
		t.Fatalf("RotateKeys: %v", err)
	}
	if n != 13 {
		t.Errorf("RotateKeys re-sealed %d values, want 13 (1 secret + 10 codes + 1 pending secret + 1 pending set)", n)
	}
	if n, err := both.RotateKeys(e.ctx); err != nil || n != 0 {
		t.Errorf("a second RotateKeys re-sealed %d values, %v; want 0", n, err)
	}

	// Retire the old key: everything still opens with the new one alone.
	ring2, err := ring12.Without("k1")
	if err != nil {
		t.Fatal(err)
	}
	e.svc = e.service(ring2)
	if err := e.svc.CheckKeys(e.ctx); err != nil {
		t.Fatalf("CheckKeys with the new key alone: %v", err)
	}
	tok := e.session(u) // the factor secret
	if _, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: u.Scratch[0]}); err != nil {
		t.Fatalf("a scratch code after rotation: %v", err)
	}
	shown, err := e.svc.ScratchCodes(e.ctx, e.actor(tok), u.ID, "")
	if err != nil || len(shown) != 9 {
		t.Fatalf("ScratchCodes after rotation: %v, %v", shown, err)
	}
	c, err := e.svc.Confirm(e.ctx, e.actor(e.session(v)), auth.ConfirmRequest{Token: pv.Token, Code: keyOf(t, pv).Code(e.clock.Now())})
	if err != nil {
		t.Fatalf("Confirm of an enrollment prepared before rotation: %v", err)
	}
	if !sameSet(c.ScratchCodes, pv.ScratchCodes) {
		t.Errorf("pending scratch codes changed in rotation")
	}

	// The old key alone opens nothing any more: the values really moved.
	_, err = old.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u)})
	wantCode(t, err, mfad.EInternal)
}
