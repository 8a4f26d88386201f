package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var throttleTests = []test{
	{"Throttles/PutGetDelete", testThrottles},
}

func throttle(t *testing.T, s mfad.Store, key string) *mfad.Throttle {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.Throttle, error) { return tx.Throttle(key) })
}

func testThrottles(t *testing.T, s mfad.Store) {
	if th := throttle(t, s, "user:1"); th != nil {
		t.Fatalf("empty store has throttle %+v", th)
	}
	a := &mfad.Throttle{Key: "user:1", Failures: 3, Until: at(time.Second), Updated: t0}
	b := &mfad.Throttle{Key: "addr:192.0.2.1", Failures: 1, Updated: t0}
	update(t, s, func(tx mfad.Tx) error { return tx.PutThrottle(a) })
	update(t, s, func(tx mfad.Tx) error { return tx.PutThrottle(b) })
	equal(t, "Throttle", throttle(t, s, "user:1"), a)
	a2 := &mfad.Throttle{Key: "user:1", Failures: 4, Until: at(2 * time.Second), Updated: at(time.Second)}
	update(t, s, func(tx mfad.Tx) error { return tx.PutThrottle(a2) })
	equal(t, "replaced Throttle", throttle(t, s, "user:1"), a2)
	calls([]call{
		{"DeleteThrottle", func(tx mfad.Tx) error { return tx.DeleteThrottle("user:1") }, nil},
		{"DeleteThrottle again", func(tx mfad.Tx) error { return tx.DeleteThrottle("user:1") }, mfad.ErrNoRows},
	}).run(t, s)
	if th := throttle(t, s, "user:1"); th != nil {
		t.Errorf("deleted throttle still there: %+v", th)
	}
	equal(t, "other Throttle", throttle(t, s, "addr:192.0.2.1"), b)
}
