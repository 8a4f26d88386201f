package rest

import (
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// stamp is a time on the wire: RFC 3339 in UTC, to the second, or null for
// the zero time.
type stamp time.Time

func (t stamp) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format(time.RFC3339) + `"`), nil
}

type userJSON struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Role       mfad.Role `json:"role"`
	MFAEnabled bool      `json:"mfa_enabled"`
	Locked     bool      `json:"locked"`
}

func userOf(u *auth.UserInfo) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, MFAEnabled: u.MFAEnabled, Locked: u.Locked}
}

type tokensJSON struct {
	AccessToken      string     `json:"access_token"`
	RefreshToken     string     `json:"refresh_token"`
	TokenType        string     `json:"token_type"`
	AccessExpiresAt  stamp      `json:"access_expires_at"`
	RefreshExpiresAt stamp      `json:"refresh_expires_at"`
	Scope            mfad.Scope `json:"scope"`
}

func tokensOf(t *auth.Tokens) tokensJSON {
	return tokensJSON{AccessToken: t.Access, RefreshToken: t.Refresh, TokenType: "Bearer",
		AccessExpiresAt: stamp(t.AccessExpires), RefreshExpiresAt: stamp(t.RefreshExpires), Scope: t.Scope}
}

type statusJSON struct {
	UserID                int64       `json:"user_id"`
	Enabled               bool        `json:"enabled"`
	EnabledAt             stamp       `json:"enabled_at"`
	Pending               bool        `json:"pending"`
	PendingExpiresAt      stamp       `json:"pending_expires_at"`
	Required              bool        `json:"required"`
	Asked                 bool        `json:"asked"`
	ScratchCodesRemaining int         `json:"scratch_codes_remaining"`
	Locked                bool        `json:"locked"`
	HardLocked            bool        `json:"hard_locked"`
	LockedUntil           stamp       `json:"locked_until"`
	Policy                auth.Policy `json:"policy"`
	ClockDriftSeconds     int         `json:"clock_drift_seconds"` // the phone's clock at the last accepted code: + ahead, - behind
	ClockDrift            string      `json:"clock_drift"`         // the same in words; "" in step
}

func statusOf2FA(st *auth.Status) statusJSON {
	return statusJSON{UserID: st.UserID, Enabled: st.Enabled, EnabledAt: stamp(st.EnabledAt),
		Pending: st.Pending, PendingExpiresAt: stamp(st.PendingExpires), Required: st.Required, Asked: st.Asked,
		ScratchCodesRemaining: st.ScratchRemaining, Locked: st.Locked, HardLocked: st.HardLocked,
		LockedUntil: stamp(st.LockedUntil), Policy: st.Policy,
		ClockDriftSeconds: int(st.ClockDrift.Seconds()), ClockDrift: auth.DriftText(st.ClockDrift)}
}

// confirmedJSON is the answer to confirm: the scratch codes, and a
// warning when the code matched only a neighbouring step.
type confirmedJSON struct {
	ScratchCodes      []string `json:"scratch_codes"`
	ClockDriftSeconds int      `json:"clock_drift_seconds"`
	Warning           string   `json:"warning,omitempty"`
}

func confirmedOf(c *auth.Confirmed) confirmedJSON {
	out := confirmedJSON{ScratchCodes: scratchOf(c.ScratchCodes).ScratchCodes, ClockDriftSeconds: int(c.ClockDrift.Seconds())}
	if t := auth.DriftText(c.ClockDrift); t != "" {
		out.Warning = "2FA is on, but " + t + ": set the phone's time automatically, or its codes may soon fail"
	}
	return out
}

type scratchJSON struct {
	ScratchCodes []string `json:"scratch_codes"`
}

func scratchOf(codes []string) scratchJSON {
	if codes == nil {
		codes = []string{}
	}
	return scratchJSON{codes}
}
