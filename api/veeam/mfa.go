package veeam

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// enableRequest is the body of enableMfa. recreate is a boolean in the v1
// documentation and the string "true" or "false" in later ones: both are
// accepted (see parseRecreate).
type enableRequest struct {
	Recreate json.RawMessage `json:"recreate"`
}

type enableResponse struct {
	UserID       any      `json:"userId"` // the version's id form
	QRString     string   `json:"qrString"`
	SecretKey    string   `json:"secretKey"`
	ScratchCodes []string `json:"scratchCodes"`
	Token        string   `json:"token"`
}

// enableMFA serves POST /users/{id}/enableMfa: it prepares a new
// secret and scratch codes, in force only after acceptMfa. Without
// recreate, a user who already has MFA on is refused (409); with it, the
// enrolled factor stays in force until the new one is accepted, and for
// one's own account the core asks for a recent second factor.
func (s *server) enableMFA(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := v.userID(r)
	if err != nil {
		return err
	}
	var req enableRequest
	if err := httpx.DecodeOptionalJSON(r, &req); err != nil {
		return err
	}
	recreate, err := parseRecreate(req.Recreate)
	if err != nil {
		return err
	}
	p, err := s.svc.Prepare(r.Context(), a, auth.PrepareRequest{UserID: id, Recreate: recreate})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, enableResponse{
		UserID: v.idOf(p.UserID), QRString: qrString(p.URI), SecretKey: p.Secret, ScratchCodes: p.ScratchCodes, Token: p.Token,
	})
	return nil
}

// parseRecreate reads recreate: absent or null is false; true, false, and
// the strings "true" and "false" in any case are what they say.
func parseRecreate(raw json.RawMessage) (bool, error) {
	switch v := string(bytes.TrimSpace(raw)); v {
	case "", "null", "false":
		return false, nil
	case "true":
		return true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
	}
	return false, mfad.Errorf(mfad.EInvalidInput, `recreate must be true or false (a boolean or the string "true" or "false")`)
}

// qrString is the core's otpauth URI with '@' written %40. Both forms mean
// the same to authenticator apps; Veeam writes the '@' of its labels as
// "&40", a broken escape that mfad does not copy. Nothing else in the URI
// can hold an '@': the secret is base32 and the other parameters are fixed.
func qrString(uri string) string { return strings.ReplaceAll(uri, "@", "%40") }

type acceptRequest struct {
	Code  string `json:"code"`
	Token string `json:"token"`
}

// acceptMFA serves POST /users/{id}/acceptMfa: the code must be a current
// TOTP code of the prepared secret (a scratch code from the same answer
// proves nothing and is refused by the core). It answers the version's no
// content.
func (s *server) acceptMFA(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := v.userID(r)
	if err != nil {
		return err
	}
	var req acceptRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	switch {
	case req.Code == "":
		return mfad.Errorf(mfad.EInvalidInput, "code is required")
	case req.Token == "":
		return mfad.Errorf(mfad.EInvalidInput, "token is required")
	}
	// One core call: it answers 403 or 404 for the id of the path before
	// it looks at the token.
	if _, err := s.svc.Confirm(r.Context(), a, auth.ConfirmRequest{UserID: id, Token: req.Token, Code: req.Code}); err != nil {
		return err
	}
	empty(w, v.noContent)
	return nil
}

// disableMFA serves POST /users/{id}/disableMfa. Veeam sends no
// body, so there is neither password nor code: for one's own account the
// session's second factor must be recent; an admin acting on another user
// resets that user's MFA (the core decides and audits both).
func (s *server) disableMFA(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := v.userID(r)
	if err != nil {
		return err
	}
	if err := httpx.DecodeOptionalJSON(r, &struct{}{}); err != nil {
		return err
	}
	if err := s.svc.Disable(r.Context(), a, auth.DisableRequest{UserID: id}); err != nil {
		return err
	}
	empty(w, v.noContent)
	return nil
}
