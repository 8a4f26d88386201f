package tchmi

import (
	"encoding/json"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// The user-management symbols of TcHmiSrv and TcHmiUserManagement that a
// 2FA server can answer: who the connection's user is, and (for admins)
// who the users are. TwinCAT's user groups do not exist in mfad; a user's
// role is shown as the group TwinCAT gives that kind of account.

// Symbols of users.
const (
	SymGetCurrentUser = "GetCurrentUser"
	SymListUserNames  = "ListUserNames"
	SymListUsers      = "ListUsers"
	SymUMListUsers    = "TcHmiUserManagement.ListUsers"
	// SymForce2FAInit is the prefix of the per-user setting
	// TcHmiSrv.Config::USERGROUPUSERS::TcHmiUserManagement::<user>::USERGROUPUSERS_FORCE_2FA_INIT.
	SymForce2FAInit = "TcHmiSrv.Config::USERGROUPUSERS::"
	force2FAInit    = "::USERGROUPUSERS_FORCE_2FA_INIT"
)

// The user domain and groups TwinCAT's answers name.
const (
	userDomain  = "TcHmiUserManagement"
	groupAdmins = "__SystemAdministrators"
	groupUsers  = "__SystemUsers"
)

func groups(role mfad.Role) []string {
	if role == mfad.RoleAdmin {
		return []string{groupAdmins}
	}
	return []string{groupUsers}
}

// currentUser is GetCurrentUser's readValue. TwinCAT also answers the
// session id (session) and locale settings: mfad never shows a session id
// to a page (its cookie is HttpOnly) and keeps no locales.
type currentUser struct {
	Name     string   `json:"name"`
	Domain   string   `json:"domain"`
	Groups   []string `json:"groups"`
	ClientIP string   `json:"clientIp"`
}

// GetCurrentUser answers the connection's user (not logged in: 4101).
func (c *call) getCurrentUser() (any, error) {
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	u, err := c.svc.GetUser(c.ctx, a, auth.ByID(a.UserID()))
	if err != nil {
		return nil, err
	}
	return currentUser{Name: u.Name, Domain: userDomain, Groups: groups(u.Role), ClientIP: c.conn.client.Addr}, nil
}

// users lists every user; the core allows admins only.
func (c *call) users() ([]auth.UserInfo, error) {
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	us, _, err := c.svc.ListUsers(c.ctx, a, auth.UserQuery{})
	return us, err
}

// ListUserNames and TcHmiUserManagement.ListUsers answer the user names.
func (c *call) listUserNames() (any, error) {
	us, err := c.users()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name
	}
	return names, nil
}

type listedUser struct {
	Name   string   `json:"name"`
	Domain string   `json:"domain"`
	Groups []string `json:"groups"`
}

// ListUsers answers each user's name, domain and groups (its version 1.0
// form).
func (c *call) listUsers() (any, error) {
	us, err := c.users()
	if err != nil {
		return nil, err
	}
	out := make([]listedUser, len(us))
	for i, u := range us {
		out[i] = listedUser{Name: u.Name, Domain: userDomain, Groups: groups(u.Role)}
	}
	return out, nil
}

// force2FAUser returns the user a USERGROUPUSERS_FORCE_2FA_INIT symbol
// names, or ok false when the symbol is not one.
func force2FAUser(symbol string) (string, bool) {
	rest, ok := strings.CutPrefix(symbol, SymForce2FAInit+userDomain+"::")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, force2FAInit)
	return name, ok && name != ""
}

// force2FAInit reads or writes USERGROUPUSERS_FORCE_2FA_INIT of a user:
// whether the user must set 2FA up (again) at the next login. It reads
// true when the user has no 2FA and the policy requires it; writing true
// resets the user's 2FA (the core's Reset, admins only: the user sets it
// up again at the next login when the policy requires 2FA); writing false
// changes nothing. Either way it answers the value now in force.
func (c *call) force2FAInit(name string) (any, error) {
	var force bool
	if !isNull(c.wv) {
		if err := json.Unmarshal(c.wv, &force); err != nil {
			return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be true or false")
		}
	}
	a, err := c.actor()
	if err != nil {
		return nil, err
	}
	var st *auth.Status
	if force {
		st, err = c.svc.Reset(c.ctx, a, auth.ByLogin(name))
	} else {
		st, err = c.svc.Status(c.ctx, a, auth.ByLogin(name))
	}
	if err != nil {
		return nil, err
	}
	return !st.Enabled && st.Required, nil
}
