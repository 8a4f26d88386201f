// Package mfad holds the domain of the mfad two-factor authentication server:
// its entities, its error type and the Store interface that the storage
// packages implement. It imports nothing but the standard library and
// golang.org/x/text; the core service lives in package auth, the fronts
// under api/ and web/, and only cmd/mfad wires them together.
package mfad

import (
	"context"
	"time"
)

// Version is set at build time (-ldflags "-X github.com/mfad/mfad.Version=...").
var Version = "dev"

// Store is a database holding every state that decides access. All of it
// lives here, never only in one process's memory, so several mfad
// instances can share one database.
type Store interface {
	// Update runs fn in one read-write transaction and commits it durably
	// before returning (an answer that says "done" is on disk first). If fn
	// returns an error the transaction is rolled back and the error returned.
	// A store may run fn again after the database aborted its transaction
	// for a conflict (PostgreSQL: 40001, 40P01), so fn must leave no trace
	// outside tx but its results.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	Ping(ctx context.Context) error
	Close() error
}

// StoreCounts is what a store has sent its database since it opened: the
// statements by kind (select, insert, update, delete, begin, commit, ...),
// the round trips to a database server (0 for an embedded one) and the
// transactions by kind (update, view; retry: an update run again after a
// conflict). Both SQL stores implement
// StoreCounter; metrics exports it.
type StoreCounts struct {
	Statements   map[string]uint64
	RoundTrips   uint64
	Transactions map[string]uint64
}

// StoreCounter is a store that counts its statements.
type StoreCounter interface {
	StoreCounts() StoreCounts
}

// Tx is one transaction. Methods that find one row return ErrNoRows when
// there is none; inserts that break a uniqueness rule return ErrDuplicate.
// Hashes are compared by the database on equality only: they are SHA-256 of
// 256-bit random tokens, so the comparison leaks nothing useful.
type Tx interface {
	// Users. Names and emails are stored as given; lookups use Fold(...)
	// and the store keeps the folded forms in one unique namespace.
	CreateUser(u *User) error // sets u.ID (unless set: ids are then kept)
	UserByID(id int64) (*User, error)
	UserByLogin(login string) (*User, error) // by folded name or email
	ListUsers(f UserFilter) ([]*User, int, error)
	UpdateUser(u *User) error  // name, email, role, password hash and time
	DeleteUser(id int64) error // and every row that belongs to the user
	CountUsers() (int, error)

	// Second-factor lockout counters on the user row. RecordMFAFailure
	// increments the failure count atomically and asks lock (with the new
	// count) what lock to set; it returns the updated user.
	RecordMFAFailure(userID int64, lock func(failures int) (until time.Time, hard bool)) (*User, error)
	ResetMFAFailures(userID int64) error // also lifts both locks

	// Factors.
	Factor(userID int64) (*Factor, error)
	PutFactor(f *Factor) error // insert or replace the user's factor
	DeleteFactor(userID int64) error
	// AdvanceStep records step as the last accepted one if it is newer:
	// UPDATE ... SET last_step = step WHERE user_id = ? AND last_step < step.
	// It reports whether it did; false means a replay. Two transactions
	// racing on the same step get exactly one true.
	AdvanceStep(userID, step int64, offset int) (bool, error)
	CountFactors() (int, error)

	// Pending enrollments, one per user.
	Enrollment(userID int64) (*Enrollment, error)
	EnrollmentByToken(hash []byte) (*Enrollment, error)
	PutEnrollment(e *Enrollment) error // insert or replace the user's (Failures starts at 0)
	DeleteEnrollment(userID int64) error
	// AddEnrollmentFailure counts one wrong code on the user's pending
	// enrollment atomically and returns the new count.
	AddEnrollmentFailure(userID int64) (int, error)

	// Scratch codes. UseScratchCode marks one used if it is not yet
	// (UPDATE ... WHERE id = ? AND used_at IS NULL) and reports whether it did.
	ScratchCodes(userID int64) ([]ScratchCode, error) // unused ones only
	ReplaceScratchCodes(userID int64, codes []ScratchCode) error
	UseScratchCode(id int64, at time.Time) (bool, error)
	DeleteScratchCodes(userID int64) error

	// Sessions.
	CreateSession(s *Session) error // sets s.ID
	SessionByAccess(hash []byte) (*Session, error)
	SessionByID(id int64) (*Session, error)
	// RotateRefresh replaces the refresh and access tokens of the session
	// that holds oldRefresh with those of s, if that token is current and
	// has not expired at now, and records oldRefresh as used at now with
	// key (what the core derived the new pair from). Otherwise ErrNoRows:
	// whether a used token revokes its session is the core's decision. A
	// store whose database has a clock (PostgreSQL) records the rotation on
	// that clock, moved by how far now is from this machine's clock (0 but
	// for a test's fake clock), so that instances agree.
	RotateRefresh(oldRefresh []byte, now time.Time, s *Session, key []byte) (*Session, error)
	// UsedRefresh returns the record of a refresh token rotated away (kept
	// while its session lives), its Age at now on the clock RotateRefresh
	// wrote with; ErrNoRows if there is none.
	UsedRefresh(hash []byte, now time.Time) (*UsedRefresh, error)
	SetSecondFactorAt(sessionID int64, at time.Time) error
	// SessionForVerify returns, in one read, the session holding the
	// access-token hash, its user and the user's factor, for a verification
	// in this transaction: ErrNoRows if any of the three is missing. No
	// other transaction changes or deletes the session before this one
	// ends (PostgreSQL: the row is locked; SQLite: the write lock).
	SessionForVerify(accessHash []byte) (*Session, *User, *Factor, error)
	SetSessionScope(sessionID int64, scope Scope) error
	// ExtendSession moves the access and refresh expiry of a session to
	// until, if that is later than both are now (it never shortens one).
	ExtendSession(sessionID int64, until time.Time) error
	DeleteSession(id int64) error
	DeleteUserSessions(userID, exceptID int64) error // exceptID 0: all

	// Login tickets.
	CreateTicket(t *Ticket) error // sets t.ID
	TicketByHash(hash []byte) (*Ticket, error)
	// TicketForVerify is SessionForVerify for a login ticket: the ticket,
	// its user and the user's factor in one read, the ticket locked, so
	// that of two uses of one ticket the second waits and then finds none.
	TicketForVerify(hash []byte) (*Ticket, *User, *Factor, error)
	AddTicketFailure(id int64) (int, error) // returns the new count
	DeleteTicket(id int64) error
	DeleteUserTickets(userID int64) error

	// Trusted devices.
	CreateTrustedDevice(d *TrustedDevice) error // sets d.ID
	TrustedDevices(userID int64) ([]TrustedDevice, error)
	TrustedDeviceByHash(hash []byte) (*TrustedDevice, error)
	TouchTrustedDevice(id int64, at time.Time) error
	DeleteTrustedDevice(userID int64, deviceID string) error
	DeleteUserTrustedDevices(userID int64, exceptDeviceID string) error // "": all

	// App passwords.
	CreateAppPassword(p *AppPassword) error // sets p.ID; ErrDuplicate for a taken name
	AppPasswords(userID int64) ([]AppPassword, error)
	TouchAppPassword(id int64, at time.Time) error
	DeleteAppPassword(userID int64, name string) error
	DeleteUserAppPasswords(userID int64) error

	// Password throttles, keyed by keyed hashes of an account or a client
	// address (the core makes the keys; no typed name is stored).
	Throttle(key string) (*Throttle, error)
	// ChangeThrottle changes the throttle of key atomically: it locks the
	// row (making an empty one, Failures 0, if there is none), hands it to
	// fn, and stores what fn leaves, deleting the row if fn leaves it
	// empty (no failures, no wait). If fn fails nothing is stored and its
	// error is returned. Racing calls on one key queue on the row lock and
	// each sees the changes of those before it, across instances, so an
	// attempt can be counted before the password is hashed.
	ChangeThrottle(key string, fn func(t *Throttle) error) (*Throttle, error)
	DeleteThrottle(key string) error // and the keys under it ("key:...")

	// Known addresses: keyed hashes of the client addresses a user has
	// logged in from, so that failures from elsewhere never refuse her.
	// RememberAddress inserts or refreshes one, until expires.
	RememberAddress(userID int64, hash []byte, expires time.Time) error
	KnownAddress(userID int64, hash []byte, now time.Time) (bool, error) // an unexpired one

	// Audit log.
	AppendEvent(e *Event) error // sets e.ID by the time the transaction commits
	Events(f AuditFilter) ([]Event, error)
	DeleteEventsBefore(t time.Time) (int, error)

	// Notification outbox (notify.go). EnqueueNotification inserts a
	// pending row and sets its ID. ClaimNotifications leases up to limit
	// pending rows that are due at now and not leased, until leaseUntil,
	// counting an attempt on each; instances claiming at once get
	// different rows. FinishNotification records a delivery's outcome
	// (state pending again at next, sent or failed) and frees the lease.
	EnqueueNotification(n *Notification) error
	ClaimNotifications(now, leaseUntil time.Time, limit int) ([]Notification, error)
	FinishNotification(id int64, state, lastError string, next, at time.Time) error
	Notifications(f NotificationFilter) ([]Notification, error)
	DeleteNotificationsBefore(t time.Time) (int, error) // sent and failed ones done before t

	// Settings: small named values (the 2FA policy, key check values).
	Setting(key string) (string, error)
	PutSetting(key, value string) error

	// Sealed values, for key rotation.
	SealedValues() ([]Sealed, error)
	UpdateSealed(s Sealed) error

	// DeleteExpired removes sessions, tickets, enrollments, trusted
	// devices and known addresses whose time is past.
	DeleteExpired(now time.Time) error
}

// ErrReused is the core's answer to a refresh token used again after its
// reuse interval: its session is revoked, since one of its holders is not
// the owner.
var ErrReused = Errorf(EUnauthenticated, "refresh token reused; session revoked")
