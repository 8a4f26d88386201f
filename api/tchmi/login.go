package tchmi

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Login {userName, password, twoFactorToken?} answers the session id (the
// session's access token). With 2FA on and no twoFactorToken it answers
// TWO_FACTOR_TOKEN_REQUIRED, so that the client asks for the code and sends
// Login again. Unless persistPreviousSession is true, a session the
// connection held before is logged out.
func (c *call) login() (any, error) {
	var in struct {
		UserName               *string `json:"userName"`
		Password               *string `json:"password"`
		TwoFactorToken         *string `json:"twoFactorToken"`
		Persistent             bool    `json:"persistent"`
		PersistPreviousSession bool    `json:"persistPreviousSession"`
		MaintenanceMode        bool    `json:"maintenanceMode"`
	}
	if err := decodeValue(c.wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"userName", in.UserName}, field{"password", in.Password}); err != nil {
		return nil, err
	}
	// TwinCAT's sessions end after a time without use (its profile's
	// IdleSessions); a persistent login idles longer.
	req := auth.LoginRequest{Login: *in.UserName, Password: *in.Password, Code: str(in.TwoFactorToken),
		Persistent: in.Persistent}
	if prev := c.conn.held(); prev != nil && !in.PersistPreviousSession {
		req.Replace = prev.Access // ended by the core in the login's transaction
	}
	res, err := c.svc.Login(c.ctx, c.conn.client, req)
	if err != nil {
		return nil, err
	}
	if res.Tokens == nil {
		return nil, mfad.Errorf(mfad.EStepUp, "two-factor authentication is on: send Login again with twoFactorToken")
	}
	c.conn.hold(res.Tokens)
	return res.Tokens.Access, nil
}

// Logout ends the connection's session.
func (c *call) logout() (any, error) {
	t := c.conn.held()
	if t == nil {
		return nil, mfad.Errorf(mfad.EUnauthenticated, "no session")
	}
	err := c.svc.Logout(c.ctx, c.conn.client, auth.LogoutRequest{Access: t.Access})
	c.conn.release() // ended here or before: the connection holds it no more
	if err != nil {
		return nil, err
	}
	return nil, nil
}
