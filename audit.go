package mfad

import "time"

// Event is one audit record: who did what to whom, when, from where, through
// which front, and how it ended.
type Event struct {
	ID         int64
	Time       time.Time
	ActorID    int64 // 0: anonymous or the system
	UserID     int64 // the user acted on; 0 if none
	Action     string
	Result     string // "ok" or an error code, "replay" for a replayed code
	RemoteAddr string
	Dialect    string
	Detail     string // never a secret, code, password or token
	// ActorName and UserName are the names of ActorID and UserID as they
	// are now, filled by the core when the filter asks (WithNames); not
	// stored. Empty for 0 or a user since deleted.
	ActorName, UserName string
}

// AuditFilter selects events, newest first.
type AuditFilter struct {
	UserID        int64 // 0: all users
	Since         time.Time
	BeforeID      int64 // paging: events with a smaller id
	Offset, Limit int
	WithNames     bool // the core fills ActorName and UserName, in the same read
}
