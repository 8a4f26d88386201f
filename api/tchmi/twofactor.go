package tchmi

import (
	"bytes"
	"encoding/json"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Enable2FA {password, secret, twoFactorToken} turns 2FA on with the
// client's own secret: the core prepares it (refusing if 2FA is on already)
// and confirms it with the password and a current code at once.
func (c *call) enable2FA() (any, error) {
	var in struct {
		Password       *string `json:"password"`
		Secret         *string `json:"secret"`
		TwoFactorToken *string `json:"twoFactorToken"`
	}
	if err := decodeValue(c.wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"password", in.Password}, field{"secret", in.Secret}, field{"twoFactorToken", in.TwoFactorToken}); err != nil {
		return nil, err
	}
	if *in.Secret == "" {
		// The core would make a secret; TwinCAT's client brings its own.
		return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue field \"secret\" must not be empty")
	}
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	_, err = c.svc.EnableWithSecret(c.ctx, a, auth.EnableRequest{UserID: a.UserID(), Secret: *in.Secret, Code: *in.TwoFactorToken,
		Password: *in.Password})
	if err != nil {
		return nil, err
	}
	return true, nil
}

// Disable2FA {password, twoFactorToken} turns 2FA off.
func (c *call) disable2FA() (any, error) {
	var in struct {
		Password       *string `json:"password"`
		TwoFactorToken *string `json:"twoFactorToken"`
	}
	if err := decodeValue(c.wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"password", in.Password}, field{"twoFactorToken", in.TwoFactorToken}); err != nil {
		return nil, err
	}
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	err = c.svc.Disable(c.ctx, a, auth.DisableRequest{UserID: a.UserID(), Password: *in.Password, Code: *in.TwoFactorToken})
	if err != nil {
		return nil, err
	}
	return true, nil
}

// Get2FAStatus answers 0..4 for the connection's user, or for the user a
// string writeValue names (the core lets only admins see others).
func (c *call) status() (any, error) {
	var name string
	if !isNull(c.wv) {
		if err := json.Unmarshal(c.wv, &name); err != nil {
			return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be a user name")
		}
	}
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	ref := auth.ByLogin(name)
	if name == "" {
		ref = auth.ByID(a.UserID())
	}
	st, err := c.svc.Status(c.ctx, a, ref)
	if err != nil {
		return nil, err
	}
	return statusValue(st), nil
}

// statusValue maps the core's status, judged for this connection's
// client, to TcHmi's enumeration.
func statusValue(st *auth.Status) int {
	switch {
	case !st.Enabled:
		return Status2FACanBeEnabled
	case !st.Asked:
		return Status2FANotRequired
	case st.Required:
		return Status2FAEnabled
	}
	return Status2FACanBeDisabled
}

// ChangePassword {currentPassword, newPassword, twoFactorToken} changes the
// connection's user's password; with 2FA on the core wants the code (or a
// second factor proven on this session in the last minutes).
func (c *call) changePassword() (any, error) {
	var in struct {
		CurrentPassword *string `json:"currentPassword"`
		NewPassword     *string `json:"newPassword"`
		TwoFactorToken  *string `json:"twoFactorToken"`
	}
	if err := decodeValue(c.wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"currentPassword", in.CurrentPassword}, field{"newPassword", in.NewPassword}); err != nil {
		return nil, err
	}
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	err = c.svc.ChangePassword(c.ctx, a, auth.PasswordChange{UserID: a.UserID(), Current: *in.CurrentPassword,
		New: *in.NewPassword, Code: str(in.TwoFactorToken)})
	return nil, err
}

// Reset2FA "user" removes that user's 2FA (the core allows admins only).
func (c *call) reset2FA() (any, error) {
	var name string
	if isNull(c.wv) || json.Unmarshal(c.wv, &name) != nil || name == "" {
		return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be the user name")
	}
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	if _, err := c.svc.Reset(c.ctx, a, auth.ByLogin(name)); err != nil {
		return nil, err
	}
	return true, nil
}

// policies maps the values of Config::ENABLE_TWO_FACTOR_AUTHENTICATION to
// the core's policy.
var policies = map[string]auth.Policy{
	"0": auth.PolicyOff,
	"1": auth.PolicyAll,
	"2": auth.PolicyRemote,
}

// policyValue is the config value of a policy. The core's "admins" policy
// has no TwinCAT value and reads as 1: a client that writes back what it
// read must never weaken the policy.
func policyValue(p auth.Policy) int {
	switch p {
	case auth.PolicyOff:
		return PolicyAlwaysOff
	case auth.PolicyRemote:
		return PolicyRemoteOnly
	}
	return PolicyAlwaysOn
}

// Config::ENABLE_TWO_FACTOR_AUTHENTICATION reads the policy or, with a
// writeValue, sets it (the core allows admins only) and reads it back.
func (c *call) config2FA() (any, error) {
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	if !isNull(c.wv) {
		p, ok := policies[string(bytes.TrimSpace(c.wv))]
		if !ok {
			return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be 0 (off), 1 (always) or 2 (remote connections only)")
		}
		if err := c.svc.SetPolicy(c.ctx, a, p); err != nil {
			return nil, err
		}
		return policyValue(p), nil // the value it now holds, as it was set
	}
	p, err := c.svc.Policy(c.ctx, a)
	if err != nil {
		return nil, err
	}
	return policyValue(p), nil
}
