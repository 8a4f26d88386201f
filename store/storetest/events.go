package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var eventTests = []test{
	{"Events/Filter", testEvents},
	{"Events/Limits", testEventLimits},
	{"Events/DeleteBefore", testDeleteEventsBefore},
}

// appendEvents appends n events, one a minute from t0, alternating between
// users 1 and 2, and returns them oldest first.
func appendEvents(t *testing.T, s mfad.Store, n int) []mfad.Event {
	t.Helper()
	es := make([]mfad.Event, n)
	update(t, s, func(tx mfad.Tx) error {
		for i := range es {
			es[i] = mfad.Event{
				Time: at(time.Duration(i) * time.Minute), ActorID: 7, UserID: int64(1 + i%2),
				Action: "verify", Result: "ok", RemoteAddr: "192.0.2.1", Dialect: "rest",
				Detail: fmt.Sprintf("event %d", i),
			}
			if err := tx.AppendEvent(&es[i]); err != nil {
				return err
			}
		}
		return nil
	})
	// AppendEvent sets the IDs by the commit (PostgreSQL sends the
	// inserts with it).
	for i := range es {
		if i > 0 && es[i].ID <= es[i-1].ID {
			t.Fatalf("event IDs do not rise: %d after %d", es[i].ID, es[i-1].ID)
		}
	}
	return es
}

func events(t *testing.T, s mfad.Store, f mfad.AuditFilter) []mfad.Event {
	t.Helper()
	var es []mfad.Event
	view(t, s, func(tx mfad.Tx) (err error) {
		es, err = tx.Events(f)
		return err
	})
	return es
}

// newest returns es (oldest first) newest first, keeping those keep accepts.
func newest(es []mfad.Event, keep func(i int, e mfad.Event) bool) []mfad.Event {
	var out []mfad.Event
	for i := len(es) - 1; i >= 0; i-- {
		if keep(i, es[i]) {
			out = append(out, es[i])
		}
	}
	return out
}

func testEvents(t *testing.T, s mfad.Store) {
	es := appendEvents(t, s, 10)
	all := func(int, mfad.Event) bool { return true }
	tests := []struct {
		name string
		f    mfad.AuditFilter
		want []mfad.Event
	}{
		{"all", mfad.AuditFilter{}, newest(es, all)},
		{"user 2", mfad.AuditFilter{UserID: 2}, newest(es, func(_ int, e mfad.Event) bool { return e.UserID == 2 })},
		{"since", mfad.AuditFilter{Since: es[7].Time}, newest(es, func(i int, _ mfad.Event) bool { return i >= 7 })},
		{"before id", mfad.AuditFilter{BeforeID: es[3].ID}, newest(es, func(i int, _ mfad.Event) bool { return i < 3 })},
		{"limit", mfad.AuditFilter{Limit: 3}, newest(es, all)[:3]},
		{"offset", mfad.AuditFilter{Offset: 8}, newest(es, all)[8:]},
		{"page", mfad.AuditFilter{UserID: 1, Offset: 1, Limit: 2},
			newest(es, func(_ int, e mfad.Event) bool { return e.UserID == 1 })[1:3]},
		{"none", mfad.AuditFilter{UserID: 3}, nil},
	}
	for _, tt := range tests {
		got := events(t, s, tt.f)
		if len(got) != 0 || len(tt.want) != 0 {
			equal(t, "Events("+tt.name+")", got, tt.want)
		}
	}
}

func testEventLimits(t *testing.T, s mfad.Store) {
	appendEvents(t, s, 1001)
	for _, tt := range []struct{ limit, want int }{{0, 100}, {-1, 100}, {5, 5}, {1000, 1000}, {5000, 1000}} {
		if got := events(t, s, mfad.AuditFilter{Limit: tt.limit}); len(got) != tt.want {
			t.Errorf("Events(Limit %d) gave %d; want %d", tt.limit, len(got), tt.want)
		}
	}
}

func testDeleteEventsBefore(t *testing.T, s mfad.Store) {
	es := appendEvents(t, s, 10)
	update(t, s, func(tx mfad.Tx) error {
		n, err := tx.DeleteEventsBefore(es[4].Time)
		if err != nil || n != 4 {
			t.Errorf("DeleteEventsBefore = %d, %v; want 4", n, err)
		}
		return err
	})
	equal(t, "events left", events(t, s, mfad.AuditFilter{}), newest(es, func(i int, _ mfad.Event) bool { return i >= 4 }))
}
