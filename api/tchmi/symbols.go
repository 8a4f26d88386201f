package tchmi

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Symbols mfad serves.
const (
	SymLogin          = "Login"
	SymLogout         = "Logout"
	SymEnable2FA      = "TcHmiUserManagement.Enable2FA"
	SymDisable2FA     = "TcHmiUserManagement.Disable2FA"
	SymGet2FAStatus   = "TcHmiUserManagement.Get2FAStatus"
	SymChangePassword = "TcHmiUserManagement.ChangePassword"
	SymReset2FA       = "TcHmiUserManagement.Reset2FA"
	SymConfig2FA      = "TcHmiUserManagement.Config::ENABLE_TWO_FACTOR_AUTHENTICATION"
)

// Get2FAStatus values (TcHmiUserManagement's enumeration).
const (
	Status2FAEnabled         = 0 // enabled and required: cannot be turned off
	Status2FACanBeEnabled    = 1 // off (also when policy requires it: the session may then only enroll)
	Status2FACannotBeEnabled = 2 // never answered by mfad: every user may turn 2FA on
	Status2FACanBeDisabled   = 3 // enabled and optional
	Status2FANotRequired     = 4 // enabled, but not asked for on this connection (remote-only policy, local client)
)

// Config::ENABLE_TWO_FACTOR_AUTHENTICATION values.
const (
	PolicyAlwaysOff  = 0 // ALWAYS_OFF_2FA: auth.PolicyOff
	PolicyAlwaysOn   = 1 // ALWAYS_ON_2FA: auth.PolicyAll (auth.PolicyAdmins reads as 1 too)
	PolicyRemoteOnly = 2 // REMOTE_2FA: auth.PolicyRemote
)

// Profile is TwinCAT's: no scratch codes (the length and alphabet only
// make the form valid), and Enable2FA and Disable2FA both take the
// password as well as a code; Enable2FA refuses a user who has 2FA on.
var Profile = auth.Profile{
	Scratch:           &mfad.ScratchForm{Count: 0, Length: 8, Alphabet: mfad.Digits},
	PasswordToDisable: true,
	PasswordToEnable:  true,
	KeepEnrolled:      true,
	IdleSessions:      true, // TwinCAT's auto logoff: sessions end after a time without use
}

// call is one command being run: the request's context, the command's
// writeValue and the connection it runs on. Symbol handlers are methods of
// call; they translate the writeValue into one core call and its answer
// into a readValue, and reach the connection's state only through call's
// methods (actor, and the session the connection holds).
type call struct {
	ctx  context.Context
	svc  *auth.Service
	conn *Session
	wv   json.RawMessage
}

// actor authenticates the connection's session for this command.
func (c *call) actor() (auth.Actor, error) { return c.conn.actor(c.ctx) }

type handler func(c *call) (any, error)

var symbols = map[string]handler{
	SymLogin:          (*call).login,
	SymLogout:         (*call).logout,
	SymEnable2FA:      (*call).enable2FA,
	SymDisable2FA:     (*call).disable2FA,
	SymGet2FAStatus:   (*call).status,
	SymChangePassword: (*call).changePassword,
	SymReset2FA:       (*call).reset2FA,
	SymConfig2FA:      (*call).config2FA,
	SymGetCurrentUser: (*call).getCurrentUser,
	SymListUserNames:  (*call).listUserNames,
	SymListUsers:      (*call).listUsers,
	SymUMListUsers:    (*call).listUserNames,
	SymUnsubscribe:    (*call).unsubscribe,
}

// handlerOf returns the handler of a symbol: one of the table, or the
// per-user USERGROUPUSERS_FORCE_2FA_INIT setting.
func handlerOf(symbol string) (handler, bool) {
	if h, ok := symbols[symbol]; ok {
		return h, true
	}
	if name, ok := force2FAUser(symbol); ok {
		return func(c *call) (any, error) { return c.force2FAInit(name) }, true
	}
	return nil, false
}

// Symbols lists the symbols mfad serves, sorted.
func Symbols() []string {
	out := make([]string, 0, len(symbols))
	for s := range symbols {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
