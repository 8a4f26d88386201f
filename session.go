package mfad

import "time"

// Scope says what a session may do.
type Scope string

const (
	ScopeFull   Scope = "full"
	ScopeEnroll Scope = "enroll" // policy requires 2FA the user lacks: may only enroll
	// ScopeUser may do what a full session may, except what needs an
	// administrator: the session of a login vouched for by another system
	// (Zimbra's preauth), whose key must not be a way to an admin's rights.
	ScopeUser Scope = "user"
)

// Session is a logged-in client. Its tokens are stored as hashes only.
type Session struct {
	ID             int64
	UserID         int64
	AccessHash     []byte
	AccessExpires  time.Time
	RefreshHash    []byte
	RefreshExpires time.Time
	Scope          Scope
	SecondFactorAt time.Time // when this session last proved a second factor; zero if never
	Dialect        string
	RemoteAddr     string
	CreatedAt      time.Time
	// IdleTimeout, when set, makes the session end after this long without
	// use instead of at a fixed time: each use extends AccessExpires (and
	// RefreshExpires with it) to now + IdleTimeout. 0: fixed lifetimes.
	IdleTimeout time.Duration
}

// UsedRefresh is what the store keeps of a refresh token rotated away: the
// session it belonged to, when it was rotated, and the key the next pair
// was derived from (so that the core can answer a parallel refresh with
// the same pair within its reuse interval).
type UsedRefresh struct {
	SessionID int64
	RotatedAt time.Time
	Key       []byte
	// Age is how long ago it was rotated, on the store's clock: on
	// PostgreSQL the database server's, so that instances whose clocks
	// differ judge the reuse interval alike (issue 26).
	Age time.Duration
}

// Ticket is a login that passed the password and awaits a second factor.
type Ticket struct {
	ID         int64
	Hash       []byte
	UserID     int64
	Failures   int
	Dialect    string
	RemoteAddr string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	Scope      Scope // of the session it becomes; empty reads as full
}

// TrustedDevice lets a user skip the second factor on one device for a while
// (Zimbra's trusted devices).
type TrustedDevice struct {
	ID         int64
	UserID     int64
	DeviceID   string // the client-visible id
	Hash       []byte // hash of the trusted token
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
}

// AppPassword is a named password for a client that cannot do 2FA (Zimbra's
// app-specific passwords), stored as a hash.
type AppPassword struct {
	ID         int64
	UserID     int64
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Throttle is the failure record of one throttle key (an account or a client
// address) for password attempts.
type Throttle struct {
	Key      string
	Failures int
	Until    time.Time // no attempt before this time
	Updated  time.Time
	Pending  int // of Failures, the attempts counted and not judged yet (in flight)
}
