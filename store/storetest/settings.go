package storetest

import (
	"testing"

	"github.com/mfad/mfad"
)

var settingTests = []test{
	{"Settings/PutGet", testSettings},
}

func testSettings(t *testing.T, s mfad.Store) {
	view(t, s, func(tx mfad.Tx) error {
		_, err := tx.Setting("policy")
		wantErr(t, "Setting(unset)", err, mfad.ErrNoRows)
		return nil
	})
	for _, v := range []string{"all", "admins", ""} {
		update(t, s, func(tx mfad.Tx) error { return tx.PutSetting("policy", v) })
		update(t, s, func(tx mfad.Tx) error { return tx.PutSetting("other", "x") })
		view(t, s, func(tx mfad.Tx) error {
			got, err := tx.Setting("policy")
			if err != nil || got != v {
				t.Errorf("Setting = %q, %v; want %q", got, err, v)
			}
			return nil
		})
	}
}
