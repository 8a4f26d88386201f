package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var deviceTests = []test{
	{"TrustedDevices/CreateListTouch", testTrustedDevices},
	{"TrustedDevices/Delete", testDeleteTrustedDevices},
	{"TrustedDevices/Errors", testTrustedDeviceErrors},
}

func newDevice(userID int64, name string) *mfad.TrustedDevice {
	return &mfad.TrustedDevice{
		UserID:    userID,
		DeviceID:  "dev-" + name,
		Hash:      hash("device-" + name),
		Name:      "Phone " + name,
		CreatedAt: t0,
		ExpiresAt: at(30 * 24 * time.Hour),
	}
}

func createDevice(t *testing.T, s mfad.Store, userID int64, name string) mfad.TrustedDevice {
	t.Helper()
	d := newDevice(userID, name)
	update(t, s, func(tx mfad.Tx) error { return tx.CreateTrustedDevice(d) })
	if d.ID == 0 {
		t.Fatalf("CreateTrustedDevice set no ID")
	}
	return *d
}

func devices(t *testing.T, s mfad.Store, userID int64) []mfad.TrustedDevice {
	t.Helper()
	var ds []mfad.TrustedDevice
	view(t, s, func(tx mfad.Tx) (err error) {
		ds, err = tx.TrustedDevices(userID)
		return err
	})
	return ds
}

func testTrustedDevices(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	a := createDevice(t, s, u.ID, "a")
	b := createDevice(t, s, u.ID, "b")
	equal(t, "TrustedDevices", devices(t, s, u.ID), []mfad.TrustedDevice{a, b})
	got := find(t, s, func(tx mfad.Tx) (*mfad.TrustedDevice, error) { return tx.TrustedDeviceByHash(hash("device-b")) })
	equal(t, "TrustedDeviceByHash", got, &b)
	a.LastUsedAt = at(time.Hour)
	update(t, s, func(tx mfad.Tx) error { return tx.TouchTrustedDevice(a.ID, a.LastUsedAt) })
	equal(t, "after TouchTrustedDevice", devices(t, s, u.ID), []mfad.TrustedDevice{a, b})
}

func testDeleteTrustedDevices(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	createDevice(t, s, u.ID, "a")
	b := createDevice(t, s, u.ID, "b")
	c := createDevice(t, s, u.ID, "c")
	o := createDevice(t, s, other.ID, "o")
	calls([]call{
		{"DeleteTrustedDevice(other user's)", func(tx mfad.Tx) error { return tx.DeleteTrustedDevice(u.ID, "dev-o") }, mfad.ErrNoRows},
		{"DeleteTrustedDevice", func(tx mfad.Tx) error { return tx.DeleteTrustedDevice(u.ID, "dev-a") }, nil},
		{"DeleteTrustedDevice again", func(tx mfad.Tx) error { return tx.DeleteTrustedDevice(u.ID, "dev-a") }, mfad.ErrNoRows},
	}).run(t, s)
	equal(t, "after DeleteTrustedDevice", devices(t, s, u.ID), []mfad.TrustedDevice{b, c})
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUserTrustedDevices(u.ID, "dev-c") })
	equal(t, "after DeleteUserTrustedDevices(except)", devices(t, s, u.ID), []mfad.TrustedDevice{c})
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUserTrustedDevices(u.ID, "") })
	if ds := devices(t, s, u.ID); len(ds) != 0 {
		t.Errorf("DeleteUserTrustedDevices(\"\") left %+v", ds)
	}
	equal(t, "other user's devices", devices(t, s, other.ID), []mfad.TrustedDevice{o})
}

func testTrustedDeviceErrors(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	createDevice(t, s, u.ID, "a")
	sameID, sameHash := newDevice(u.ID, "b"), newDevice(u.ID, "c")
	sameID.DeviceID, sameHash.Hash = "dev-a", hash("device-a")
	calls([]call{
		{"CreateTrustedDevice(taken device id)", func(tx mfad.Tx) error { return tx.CreateTrustedDevice(sameID) }, mfad.ErrDuplicate},
		{"CreateTrustedDevice(taken hash)", func(tx mfad.Tx) error { return tx.CreateTrustedDevice(sameHash) }, mfad.ErrDuplicate},
		{"CreateTrustedDevice(unknown user)", func(tx mfad.Tx) error { return tx.CreateTrustedDevice(newDevice(999, "d")) }, mfad.ErrNoRows},
		{"TrustedDeviceByHash(unknown)", func(tx mfad.Tx) error { _, err := tx.TrustedDeviceByHash(hash("x")); return err }, mfad.ErrNoRows},
		{"TrustedDeviceByHash(nil)", func(tx mfad.Tx) error { _, err := tx.TrustedDeviceByHash(nil); return err }, mfad.ErrNoRows},
		{"TouchTrustedDevice(unknown)", func(tx mfad.Tx) error { return tx.TouchTrustedDevice(999, t0) }, mfad.ErrNoRows},
		{"DeleteUserTrustedDevices(no user)", func(tx mfad.Tx) error { return tx.DeleteUserTrustedDevices(999, "") }, nil},
	}).run(t, s)
	if ds := devices(t, s, 999); len(ds) != 0 {
		t.Errorf("TrustedDevices(unknown user) = %+v", ds)
	}
}
