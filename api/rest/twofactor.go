package rest

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/mfad/mfad/auth"
)

// qrSize is the width and height of the PNG QR code, in pixels.
const qrSize = 256

func (s *server) status(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	st, err := s.svc.Status(r.Context(), a, auth.ByID(id))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, statusOf2FA(st))
}

type prepareRequest struct {
	Secret string `json:"secret"` // a client-made base32 secret; "" makes one
	Code   string `json:"code"`   // re-enrolling an enrolled user is sensitive
	// The TOTP parameters, among those the operator allows; zero: defaults.
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
}

type prepareResponse struct {
	Secret          string `json:"secret"`
	OTPAuthURI      string `json:"otpauth_uri"`
	QRPNG           string `json:"qr_png"`
	QRSVG           string `json:"qr_svg"`
	EnrollmentToken string `json:"enrollment_token"`
	ExpiresAt       stamp  `json:"expires_at"`
}

// prepare starts an enrollment. Its scratch codes are shown at confirm in
// this API, once they are valid.
func (s *server) prepare(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req prepareRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	p, err := s.svc.Prepare(r.Context(), a, auth.PrepareRequest{UserID: id, Secret: req.Secret, Code: req.Code,
		Algorithm: req.Algorithm, Digits: req.Digits, Period: req.Period})
	if err != nil {
		return err
	}
	png, err := p.QRPNG(qrSize)
	if err != nil {
		return err
	}
	svg, err := p.QRSVG()
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, prepareResponse{Secret: p.Secret, OTPAuthURI: p.URI,
		QRPNG: base64.StdEncoding.EncodeToString(png), QRSVG: string(svg),
		EnrollmentToken: p.Token, ExpiresAt: stamp(p.ExpiresAt)})
}

type confirmRequest struct {
	EnrollmentToken string `json:"enrollment_token"`
	Code            string `json:"code"`
}

func (s *server) confirm(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req confirmRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("code", req.Code); err != nil {
		return err
	}
	c, err := s.svc.Confirm(r.Context(), a, auth.ConfirmRequest{UserID: id, Token: req.EnrollmentToken, Code: req.Code})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, confirmedOf(c))
}

type disableRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// disable turns 2FA off. The password is always asked for; an admin
// acting on another user's account gets a reset from the core, which needs
// no password.
func (s *server) disable(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req disableRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	err = s.svc.Disable(r.Context(), a, auth.DisableRequest{UserID: id, Password: req.Password, Code: req.Code})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}

func (s *server) reset(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.adminAction(w, r, a, func(ctx context.Context, a auth.Actor, id int64) error {
		_, err := s.svc.Reset(ctx, a, auth.ByID(id))
		return err
	})
}

func (s *server) unlock(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.adminAction(w, r, a, s.svc.Unlock)
}

// adminAction runs a core call on the user of the path with an empty body.
func (s *server) adminAction(w http.ResponseWriter, r *http.Request, a auth.Actor,
	call func(ctx context.Context, a auth.Actor, userID int64) error) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	if err := call(r.Context(), a, id); err != nil {
		return err
	}
	noContent(w)
	return nil
}

type optionalCodeRequest struct {
	Code string `json:"code"`
}

func (s *server) viewScratch(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.scratch(w, r, a, s.svc.ScratchCodes)
}

func (s *server) regenerateScratch(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	return s.scratch(w, r, a, s.svc.RegenerateScratchCodes)
}

// scratch shows or regenerates scratch codes: sensitive actions that take
// an optional code.
func (s *server) scratch(w http.ResponseWriter, r *http.Request, a auth.Actor,
	call func(ctx context.Context, a auth.Actor, userID int64, code string) ([]string, error)) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req optionalCodeRequest
	if err := decodeOptional(r, &req); err != nil {
		return err
	}
	codes, err := call(r.Context(), a, id, req.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, scratchOf(codes))
}
