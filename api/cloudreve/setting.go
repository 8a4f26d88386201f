package cloudreve

import (
	"github.com/mfad/mfad"
	"net/http"

	"github.com/mfad/mfad/auth"
)

// GET /user/setting: the user's settings; two_fa_enabled is the one that
// means something here.
func (s *server) settings(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	st, err := s.svc.Status(r.Context(), a, auth.ByID(a.UserID()))
	if err != nil {
		return err
	}
	return ok(w, userSettings{TwoFAEnabled: st.Enabled})
}

// GET /user/setting/2fa: a fresh TOTP secret in data (base32, 20 bytes),
// pending for 600 s; the client builds the otpauth URI itself. No scratch
// codes are made: Cloudreve has none.
func (s *server) init2FA(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	p, err := s.svc.Prepare(r.Context(), a, auth.PrepareRequest{UserID: a.UserID()})
	if err != nil {
		return err
	}
	return ok(w, p.Secret)
}

// patchSetting holds the fields of Cloudreve's PatchUserSetting that mfad
// acts on. The others (nick, language, preferred_theme, version_retention_*,
// disable_view_sync, share_links_in_profile, ...) are accepted and ignored:
// mfad keeps no such settings.
type patchSetting struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
	TwoFAEnabled    *bool   `json:"two_fa_enabled"`
	TwoFACode       *string `json:"two_fa_code"`
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// PATCH /user/setting: {two_fa_enabled:true, two_fa_code} enables the
// prepared secret, {two_fa_enabled:false, two_fa_code} turns 2FA off, and
// {current_password, new_password} changes the password, in Cloudreve's
// order (password first). Success is {"code":0,"msg":""}.
func (s *server) patchSettings(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req patchSetting
	if err := decode(r, &req); err != nil {
		return err
	}
	changePassword := req.CurrentPassword != nil && req.NewPassword != nil
	if changePassword && req.TwoFAEnabled != nil {
		// One core call per request: a password changed and then a
		// refused code would be half done (Cloudreve's settings page
		// sends them apart, so no client of it sends both).
		return mfad.Errorf(mfad.EInvalidInput, "change the password and two-factor authentication in separate requests")
	}
	switch {
	case changePassword:
		if err := required("NewPassword", *req.NewPassword); err != nil {
			return err
		}
		pc := auth.PasswordChange{UserID: a.UserID(), Current: *req.CurrentPassword, New: *req.NewPassword, Code: deref(req.TwoFACode)}
		if err := s.svc.ChangePassword(r.Context(), a, pc); err != nil {
			return err
		}
	case req.TwoFAEnabled != nil:
		code := deref(req.TwoFACode)
		var err error
		if *req.TwoFAEnabled {
			_, err = s.svc.Confirm(r.Context(), a, auth.ConfirmRequest{UserID: a.UserID(), Code: code})
		} else {
			err = s.svc.Disable(r.Context(), a, auth.DisableRequest{UserID: a.UserID(), Code: code})
		}
		if err != nil {
			return err
		}
	}
	return ok(w, nil)
}
