package veeam

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// tokenResponse is the answer of the token endpoint, v8.1's Login schema.
// With tokens, every field but mfa_token is set: the tokens, and whose they
// are (userId in v8.1's UUID form, username, roleName, userType,
// mfa_enabled). For a user whose second factor is asked for,
// access_token, token_type and refresh_token are null, mfa_enabled is true,
// mfa_token is the login ticket to send back with grant_type=Mfa, and
// expires_in, .issued and .expires describe that ticket.
type tokenResponse struct {
	AccessToken  *string `json:"access_token"`
	TokenType    *string `json:"token_type"`
	RefreshToken *string `json:"refresh_token"`
	ExpiresIn    int64   `json:"expires_in"`
	Issued       string  `json:".issued"`
	Expires      string  `json:".expires"`
	UserID       string  `json:"userId,omitempty"`
	Username     string  `json:"username,omitempty"`
	RoleName     string  `json:"roleName,omitempty"`
	UserType     string  `json:"userType,omitempty"`
	MFAEnabled   bool    `json:"mfa_enabled"`
	MFAToken     string  `json:"mfa_token,omitempty"`
	// ShortLived is false: refresh tokens live --refresh-ttl whatever
	// short_lived_refresh_token asks (written only with tokens).
	ShortLived *bool `json:"shortLived,omitempty"`
}

// The token request parameters mfad reads. Names are matched without
// regard to case: the v1 documentation writes Username and Password, later
// ones username and password.
const (
	pGrantType    = "grant_type"
	pUsername     = "username"
	pPassword     = "password"
	pRefreshToken = "refresh_token"
	pMFAToken     = "mfa_token"
	pMFACode      = "mfa_code"
)

var tokenParams = []string{pGrantType, pUsername, pPassword, pRefreshToken, pMFAToken, pMFACode}

// token serves POST /api/oauth2/token.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBody)
	c := httpx.Client(r, Dialect)
	res, err := s.grant(r, c)
	if err != nil {
		writeTokenError(w, r, err)
		return
	}
	writeOAuth(w, http.StatusOK, res)
}

// logout serves DELETE /api/oauth2/token: the bearer token's session ends
// (one core call) and the answer is 204. Query parameters (v8.1 documents
// api-version) are not read.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Logout(r.Context(), httpx.Client(r, Dialect), auth.LogoutRequest{Access: httpx.Bearer(r)}); err != nil {
		writeProblem(w, r, err)
		return
	}
	empty(w, http.StatusNoContent)
}

func (s *server) grant(r *http.Request, c auth.Client) (*tokenResponse, error) {
	p, err := parseTokenForm(r)
	if err != nil {
		return nil, err
	}
	grant := p[pGrantType]
	switch {
	case grant == "":
		return nil, mfad.Errorf(mfad.EInvalidInput, "grant_type is required")
	case strings.EqualFold(grant, "Password"):
		if err := required(p, pUsername, pPassword); err != nil {
			return nil, err
		}
		res, err := s.svc.Login(r.Context(), c, auth.LoginRequest{Login: p[pUsername], Password: p[pPassword]})
		if err != nil {
			return nil, err
		}
		if res.Tokens == nil {
			return s.mfaAnswer(res), nil
		}
		return s.tokensAnswer(res.Tokens), nil
	case strings.EqualFold(grant, "Mfa"):
		if err := required(p, pMFAToken, pMFACode); err != nil {
			return nil, err
		}
		res, err := s.svc.CompleteLogin(r.Context(), c, auth.TicketRequest{Ticket: p[pMFAToken], Code: p[pMFACode]})
		if err != nil {
			return nil, err
		}
		return s.tokensAnswer(res.Tokens), nil
	case strings.EqualFold(grant, "Refresh_token"):
		if err := required(p, pRefreshToken); err != nil {
			return nil, err
		}
		t, err := s.svc.Refresh(r.Context(), c, p[pRefreshToken])
		if err != nil {
			return nil, err
		}
		return s.tokensAnswer(t), nil
	}
	return nil, errUnsupportedGrant
}

func (s *server) tokensAnswer(t *auth.Tokens) *tokenResponse {
	now := s.svc.Now()
	bearer, short := "bearer", false
	return &tokenResponse{
		AccessToken: &t.Access, TokenType: &bearer, RefreshToken: &t.Refresh,
		ExpiresIn: seconds(t.AccessExpires.Sub(now)), Issued: stamp(now), Expires: stamp(t.AccessExpires),
		UserID: uuidOf(t.User.ID), Username: t.User.Name, RoleName: roleName(t.User.Role), UserType: userType,
		MFAEnabled: t.User.MFAEnabled, ShortLived: &short,
	}
}

func (s *server) mfaAnswer(res *auth.LoginResult) *tokenResponse {
	now := s.svc.Now()
	return &tokenResponse{
		ExpiresIn: seconds(res.TicketExpires.Sub(now)), Issued: stamp(now), Expires: stamp(res.TicketExpires),
		MFAEnabled: true, MFAToken: res.Ticket,
	}
}

// seconds rounds d up to whole seconds, never below 0.
func seconds(d time.Duration) int64 {
	return int64(max(0, (d+time.Second-1)/time.Second))
}

// stamp is a time on the wire: RFC 3339 in UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// parseTokenForm reads the form-encoded body of a token request and
// returns the parameters mfad reads, by lower-cased name. Unknown
// parameters are ignored (RFC 6749 §3.2); a known one given twice, in any
// case, is refused (§3.2 as well). Parameters in the URL query are not
// read: credentials belong in the body.
func parseTokenForm(r *http.Request) (map[string]string, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, mfad.Errorf(mfad.EInvalidInput, "the token request must be application/x-www-form-urlencoded")
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, mfad.Errorf(mfad.EInvalidInput, "request body larger than %d bytes", httpx.MaxBody)
		}
		return nil, mfad.Errorf(mfad.EInvalidInput, "could not read the request body")
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, mfad.Errorf(mfad.EInvalidInput, "malformed form-encoded body")
	}
	out := make(map[string]string, len(tokenParams))
	for name, vs := range vals {
		lower := strings.ToLower(name)
		known := false
		for _, p := range tokenParams {
			known = known || p == lower
		}
		if !known {
			continue
		}
		if _, dup := out[lower]; dup || len(vs) != 1 {
			return nil, mfad.Errorf(mfad.EInvalidInput, "parameter %s is given more than once", lower)
		}
		out[lower] = vs[0]
	}
	return out, nil
}

// required checks that the named parameters are present and not empty.
func required(p map[string]string, names ...string) error {
	for _, n := range names {
		if p[n] == "" {
			return mfad.Errorf(mfad.EInvalidInput, "%s is required", n)
		}
	}
	return nil
}
