package cloudreve

import (
	"net/http"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// checkEmail applies Cloudreve's binding "required,email" to a login: users
// log in by email in this dialect.
func checkEmail(email string) error {
	if err := required("Email", email); err != nil {
		return err
	}
	if at := strings.IndexByte(email, '@'); at <= 0 || at == len(email)-1 {
		return mfad.Errorf(mfad.EInvalidInput, "%s", msgEmailFormat)
	}
	return nil
}

// GET /session/prepare?email= tells the login page which methods to offer.
// mfad answers the same for every address (password, no WebAuthn), so it
// does not tell who has an account.
func (s *server) prepareLogin(w http.ResponseWriter, r *http.Request, _ auth.Actor) error {
	if err := checkEmail(r.URL.Query().Get("email")); err != nil {
		return err
	}
	return ok(w, prepareLoginResponse{PasswordEnabled: true})
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// POST /session/token {email, password}: the token pair, or code 203 with
// the 2FA session id (mfad's login ticket) in data.
func (s *server) login(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkEmail(req.Email); err != nil {
		return err
	}
	if err := required("Password", req.Password); err != nil {
		return err
	}
	res, err := s.svc.Login(r.Context(), a.Client(), auth.LoginRequest{Login: req.Email, Password: req.Password})
	if err != nil {
		return err
	}
	return loggedIn(w, res)
}

// loggedIn answers a login result: the ticket as Cloudreve's 2FA session
// id, or the user and token pair.
func loggedIn(w http.ResponseWriter, res *auth.LoginResult) error {
	if res.Tokens == nil {
		write(w, envelope{Code: codeContinue, Data: res.Ticket})
		return nil
	}
	return ok(w, loginResponse{User: userOf(res.User), Token: tokenOf(res.Tokens)})
}

type otpRequest struct {
	OTP       string `json:"otp"`
	SessionID string `json:"session_id"`
}

// POST /session/token/2fa {otp, session_id}: the token pair.
func (s *server) login2FA(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req otpRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := required("OTP", req.OTP, "SessionID", req.SessionID); err != nil {
		return err
	}
	res, err := s.svc.CompleteLogin(r.Context(), a.Client(), auth.TicketRequest{Ticket: req.SessionID, Code: req.OTP})
	if err != nil {
		return err
	}
	return loggedIn(w, res)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// POST /session/token/refresh {refresh_token}: a new token pair.
func (s *server) refresh(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req refreshRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := required("RefreshToken", req.RefreshToken); err != nil {
		return err
	}
	t, err := s.svc.Refresh(r.Context(), a.Client(), req.RefreshToken)
	if err != nil {
		return err
	}
	return ok(w, tokenOf(t))
}

// DELETE /session/token {refresh_token}: sign out. Cloudreve's web client
// sends only the refresh token (no Authorization header): the core ends the
// session that holds it. A request with a bearer token and no body signs
// out that session. The answer is Cloudreve's {"code":0,"data":"","msg":""}.
func (s *server) signOut(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req refreshRequest
	present, err := decodeOptional(r, &req)
	if err != nil {
		return err
	}
	if bearer := httpx.Bearer(r); bearer != "" && !present {
		return s.endSession(w, r, a.Client(), bearer)
	}
	if err := required("RefreshToken", req.RefreshToken); err != nil {
		return err
	}
	if err := s.svc.Logout(r.Context(), a.Client(), auth.LogoutRequest{Refresh: req.RefreshToken}); err != nil {
		return err
	}
	return ok(w, "")
}

func (s *server) endSession(w http.ResponseWriter, r *http.Request, c auth.Client, access string) error {
	if err := s.svc.Logout(r.Context(), c, auth.LogoutRequest{Access: access}); err != nil {
		return err
	}
	return ok(w, "")
}
