package auth

import (
	"fmt"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// Profile is what one API dialect asks of the core where products differ:
// the form of its enrollment, its lifetimes and which proofs its protocol
// asks for. A front registers its profile once, when it is wired
// (RegisterProfile); every call then takes the profile of its Client's
// Dialect, so no call carries security settings of its own. Zero fields
// take the Config's values; a dialect nobody registered gets the Config's
// values for everything.
type Profile struct {
	SecretSize int               // bytes of a secret the core makes; 0: 20 (otp.DefaultSecretSize)
	PendingTTL time.Duration     // lifetime of a prepared enrollment; 0: Config.PendingTTL
	Scratch    *mfad.ScratchForm // scratch codes made at enrollment (Count 0: none); nil: Config.Scratch
	TicketTTL  time.Duration     // lifetime of a login ticket; 0: Config.TicketTTL
	AccessTTL  time.Duration     // lifetime of an access token; 0: Config.AccessTTL (Config.DialectAccessTTL overrides it)
	RefreshTTL time.Duration     // lifetime of a refresh token; 0: Config.RefreshTTL
	// MaxSessionAge is the absolute lifetime of the dialect's sessions,
	// from their login: no use, renewal or refresh (through any front)
	// keeps one past it. 0: Config.MaxSessionAge.
	MaxSessionAge time.Duration

	// PasswordToDisable: turning one's own 2FA off needs the password as
	// well as a code (docs/architecture.md §1.7).
	PasswordToDisable bool
	// PasswordToEnable: confirming an enrollment, and EnableWithSecret,
	// need the password as well as the code (TwinCAT's Enable2FA).
	PasswordToEnable bool
	// KeepEnrolled: preparing 2FA for a user who has it on is refused
	// (EConflict) unless the request says Recreate, instead of preparing
	// a replacement (Zimbra's and TwinCAT's enable, Veeam's enableMfa).
	KeepEnrolled bool
	// SessionOnConfirm: confirming answers with a fresh session, and every
	// other session of the user ends (Zimbra's EnableTwoFactorAuth).
	SessionOnConfirm bool
	// IdleSessions: the dialect's sessions end after a time without use
	// instead of at a fixed time, and each use renews them (TwinCAT's auto
	// logoff; its clients have no refresh token). The idle timeout is
	// AccessTTL, or Config.PersistentIdleTTL for a login that asks to be
	// persistent (LoginRequest.Persistent).
	IdleSessions bool
	// NoEnrollSession: when policy requires a user to set up 2FA first, a
	// login answers SetupRequired without an enroll-only session (Zimbra
	// answers a fault and the client enables 2FA with the password).
	NoEnrollSession bool
}

// RegisterProfile sets the profile of dialect. Fronts call it once, when
// they are wired, before they serve; a second call replaces the profile. A
// profile the core could not honour (a scratch form out of bounds, a
// secret shorter than MinSecretBits) panics: it is a programming error
// found at start, not a client's.
func (s *Service) RegisterProfile(dialect string, p Profile) {
	if p.Scratch != nil {
		if err := checkForm(*p.Scratch); err != nil {
			panic(fmt.Sprintf("auth: profile of %s: %v", dialect, err))
		}
		form := *p.Scratch
		p.Scratch = &form
	}
	if p.SecretSize != 0 && (p.SecretSize*8 < s.cfg.MinSecretBits || p.SecretSize > 64) {
		panic(fmt.Sprintf("auth: profile of %s: secret size must be between %d and 64 bytes", dialect, (s.cfg.MinSecretBits+7)/8))
	}
	s.profilesMu.Lock()
	defer s.profilesMu.Unlock()
	if s.profiles == nil {
		s.profiles = map[string]Profile{}
	}
	s.profiles[dialect] = p
}

// profileOf returns the effective profile of dialect: what was registered,
// its zero fields filled from the Config.
func (s *Service) profileOf(dialect string) Profile {
	s.profilesMu.RLock()
	p := s.profiles[dialect]
	s.profilesMu.RUnlock()
	if d := s.cfg.DialectAccessTTL[dialect]; d > 0 {
		p.AccessTTL = d // the operator's setting
	}
	fill := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	fill(&p.PendingTTL, s.cfg.PendingTTL)
	fill(&p.TicketTTL, s.cfg.TicketTTL)
	fill(&p.AccessTTL, s.cfg.AccessTTL)
	fill(&p.RefreshTTL, s.cfg.RefreshTTL)
	fill(&p.MaxSessionAge, s.cfg.MaxSessionAge)
	if p.SecretSize == 0 {
		p.SecretSize = otp.DefaultSecretSize
	}
	if p.Scratch == nil {
		form := s.cfg.Scratch
		p.Scratch = &form
	}
	return p
}
