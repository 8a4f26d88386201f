package auth_test

import (
	"reflect"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestNoStoredRowLeaves walks every result of every exported method of
// the Service and fails on a store row that carries a hash or a sealed
// secret: fronts get views (UserInfo, DeviceInfo...), never mfad.User with
// its password hash.
func TestNoStoredRowLeaves(t *testing.T) {
	rows := map[reflect.Type]bool{}
	for _, v := range []any{mfad.User{}, mfad.Factor{}, mfad.Session{}, mfad.Ticket{}, mfad.TrustedDevice{},
		mfad.AppPassword{}, mfad.Enrollment{}, mfad.ScratchCode{}} {
		rows[reflect.TypeOf(v)] = true
	}
	svc := reflect.TypeOf(&auth.Service{})
	for i := range svc.NumMethod() {
		m := svc.Method(i)
		for j := range m.Type.NumOut() {
			if path := findRow(m.Type.Out(j), rows, map[reflect.Type]bool{}); path != "" {
				t.Errorf("Service.%s returns %s", m.Name, path)
			}
		}
	}
}

// findRow returns where in t a row type stands, or "".
func findRow(t reflect.Type, rows, seen map[reflect.Type]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	if rows[t] {
		return t.String()
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		if p := findRow(t.Elem(), rows, seen); p != "" {
			return t.String() + " -> " + p
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if p := findRow(t.Field(i).Type, rows, seen); p != "" {
				return t.String() + "." + t.Field(i).Name + " -> " + p
			}
		}
	}
	return ""
}

// TestActorSealed: no field of auth.Actor is exported, so only the core
// (Authenticate, a password proof, System, Anonymous...) makes an actor; a
// front cannot make itself an administrator or another user.
func TestActorSealed(t *testing.T) {
	at := reflect.TypeOf(auth.Actor{})
	for i := range at.NumField() {
		if f := at.Field(i); f.IsExported() {
			t.Errorf("auth.Actor.%s is exported", f.Name)
		}
	}
}
