package mfad

import (
	"strings"
	"time"

	"golang.org/x/text/cases"
)

// Role is what a user may do beyond their own account.
type Role string

const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleUser || r == RoleAdmin }

// User is an account. Name and Email share one case-folded namespace, so no
// name may equal another user's email: fronts that log in by name and fronts
// that log in by email must never reach two different accounts.
type User struct {
	ID                int64
	Name              string
	Email             string // optional
	Role              Role
	PasswordHash      string // PHC string; never leaves the core
	CreatedAt         time.Time
	PasswordChangedAt time.Time

	// Second-factor lockout (docs/architecture.md §2): consecutive failures, a temporary
	// lock and a hard lock that only an admin lifts.
	MFAFailures    int
	MFALockedUntil time.Time
	MFAHardLocked  bool
}

// Fold returns the form of a name or email under which uniqueness and
// lookups work: Unicode case folding of the trimmed string.
func Fold(s string) string {
	return cases.Fold().String(strings.TrimSpace(s))
}

// UserFilter selects users for ListUsers.
type UserFilter struct {
	Offset, Limit int
}
