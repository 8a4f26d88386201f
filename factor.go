package mfad

import (
	"strconv"
	"time"
)

// Factor is a user's enabled TOTP second factor. A user has at most one.
type Factor struct {
	UserID    int64
	Secret    string // sealed
	Algorithm string // "SHA1", "SHA256", "SHA512"
	Digits    int
	Period    int   // seconds
	LastStep  int64 // the last accepted time step; codes at or before it are replays
	// ClockOffset is the step of the last accepted code less the server's
	// step then (-1, 0, +1 in the default window): the phone's clock drift,
	// shown to the user and to admins.
	ClockOffset int
	Scratch     ScratchForm
	EnabledAt   time.Time
	Dialect     string // the front that enabled it
}

// ScratchForm is the shape of a user's scratch codes. A dialect may ask for its
// own at enrollment (Zimbra: 10 x 8 base32 characters; Veeam: 5 x 8 digits);
// regenerating keeps the form.
type ScratchForm struct {
	Count    int
	Length   int
	Alphabet string
}

// Digits is the alphabet of numeric scratch codes.
const Digits = "0123456789"

// Base32Alphabet is Zimbra's scratch-code alphabet.
const Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// DefaultScratchForm is 10 codes of 8 digits (docs/architecture.md §2).
var DefaultScratchForm = ScratchForm{Count: 10, Length: 8, Alphabet: Digits}

// Enrollment is a pending 2FA setup: a secret and scratch codes that become
// the user's factor only when confirmed with a current code. A user has at
// most one; preparing again replaces it.
type Enrollment struct {
	UserID    int64
	TokenHash []byte // hash of the enrollment token that names it
	Secret    string // sealed
	Algorithm string
	Digits    int
	Period    int
	Scratch   string // sealed, the pending scratch codes joined by ","
	Form      ScratchForm
	CreatedBy int64 // the acting user: an admin preparing on a user's behalf
	Dialect   string
	CreatedAt time.Time
	ExpiresAt time.Time
	// SessionID is the session that prepared it (0: none); an enrollment
	// confirmed without a session counts only while that session is valid.
	SessionID int64
	// PasswordProof is set when the step that prepared it checked the
	// user's password (Zimbra's first enable step): only then may
	// confirming it hand out a new session.
	PasswordProof bool
	Failures      int // wrong codes so far; a few void it
}

// ScratchCode is one single-use recovery code, sealed (not hashed) because
// Zimbra clients can ask to see the codes again.
type ScratchCode struct {
	ID     int64
	UserID int64
	Code   string // sealed
	UsedAt time.Time
}

// SealAD is the associated data that binds a sealed value to its row, so a
// sealed value copied to another row or column does not open.
func SealAD(kind string, userID int64) []byte {
	return []byte("mfad:" + kind + ":" + strconv.FormatInt(userID, 10))
}

// Kinds of sealed values, for SealAD and key rotation.
const (
	SealFactorSecret     = "factor-secret"
	SealEnrollmentSecret = "enrollment-secret"
	SealEnrollmentCodes  = "enrollment-scratch"
	SealScratchCode      = "scratch-code"
)

// Sealed is one sealed value in the store, for key rotation.
type Sealed struct {
	Kind   string // one of the Seal* kinds
	UserID int64
	RowID  int64 // scratch code id; 0 for the others
	Value  string
}
