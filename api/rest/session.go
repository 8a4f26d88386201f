package rest

import (
	"net/http"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Login statuses.
const (
	loginOK            = "ok"
	loginSetupRequired = "setup_required"
	loginSecondFactor  = "second_factor_required"
)

type loginRequest struct {
	Login        string `json:"login"`
	Password     string `json:"password"`
	Code         string `json:"code"`
	TrustedToken string `json:"trusted_token"`
}

// loginResponse is a session (status ok or setup_required) or a ticket for
// the second factor (status second_factor_required).
type loginResponse struct {
	Status string    `json:"status"`
	User   *userJSON `json:"user,omitempty"`
	*tokensJSON
	Ticket           string `json:"ticket,omitempty"`
	TicketExpiresAt  *stamp `json:"ticket_expires_at,omitempty"`
	TrustedToken     string `json:"trusted_token,omitempty"`
	DeviceID         string `json:"device_id,omitempty"`
	TrustedExpiresAt *stamp `json:"trusted_expires_at,omitempty"`
}

func (s *server) login(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("login", req.Login, "password", req.Password); err != nil {
		return err
	}
	res, err := s.svc.Login(r.Context(), a.Client(), auth.LoginRequest{Login: req.Login, Password: req.Password, Code: req.Code, TrustedToken: req.TrustedToken})
	if err != nil {
		return err
	}
	return s.writeLogin(w, res)
}

type secondFactorRequest struct {
	Ticket      string `json:"ticket"`
	Code        string `json:"code"`
	TrustDevice bool   `json:"trust_device"`
	DeviceName  string `json:"device_name"`
}

func (s *server) secondFactor(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req secondFactorRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("ticket", req.Ticket, "code", req.Code); err != nil {
		return err
	}
	res, err := s.svc.CompleteLogin(r.Context(), a.Client(), auth.TicketRequest{Ticket: req.Ticket, Code: req.Code, TrustDevice: req.TrustDevice, DeviceName: req.DeviceName})
	if err != nil {
		return err
	}
	return s.writeLogin(w, res)
}

// writeLogin answers a login result, with the user as the core saw them
// in the login's transaction (no second read).
func (s *server) writeLogin(w http.ResponseWriter, res *auth.LoginResult) error {
	if res.Tokens == nil {
		exp := stamp(res.TicketExpires)
		return writeJSON(w, http.StatusOK, loginResponse{Status: loginSecondFactor, Ticket: res.Ticket, TicketExpiresAt: &exp})
	}
	out := loginResponse{Status: loginOK, User: new(userOf(res.User)), tokensJSON: new(tokensOf(res.Tokens))}
	if res.SetupRequired {
		out.Status = loginSetupRequired
	}
	if t := res.Trusted; t != nil {
		out.TrustedToken, out.DeviceID, out.TrustedExpiresAt = t.Token, t.DeviceID, new(stamp(t.Expires))
	}
	return writeJSON(w, http.StatusOK, out)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *server) refresh(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req refreshRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("refresh_token", req.RefreshToken); err != nil {
		return err
	}
	t, err := s.svc.Refresh(r.Context(), a.Client(), req.RefreshToken)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, tokensOf(t))
}

func (s *server) logout(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	if err := s.svc.Logout(r.Context(), a.Client(), auth.LogoutRequest{Access: httpx.Bearer(r)}); err != nil {
		return err
	}
	noContent(w)
	return nil
}

type meResponse struct {
	User      userJSON   `json:"user"`
	TwoFactor statusJSON `json:"two_factor"`
}

func (s *server) me(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	st, err := s.svc.Status(r.Context(), a, auth.ByID(a.UserID()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, meResponse{userOf(&st.User), statusOf2FA(st)})
}

type codeRequest struct {
	Code string `json:"code"`
}

// verify authenticates its bearer token itself, in the transaction of the
// verification (route.ownAuth): one transaction per step-up.
func (s *server) verify(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	token := httpx.Bearer(r)
	if token == "" {
		return mfad.Errorf(mfad.EUnauthenticated, "authentication required")
	}
	var req codeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("code", req.Code); err != nil {
		return err
	}
	if err := s.svc.StepUp(r.Context(), a.Client(), token, req.Code); err != nil {
		return err
	}
	noContent(w)
	return nil
}
