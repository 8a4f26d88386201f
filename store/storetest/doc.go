// Package storetest is the conformance suite of mfad.Store: every store
// (store/sqlite, store/postgres) calls Run from its own tests and must pass
// all of it.
//
// The suite holds each store to the contracts of mfad.Tx and to these rules,
// which the interface leaves to the stores:
//
//   - A method that reads, changes or deletes one row named by its key
//     returns mfad.ErrNoRows when that row does not exist; so of two
//     transactions deleting one ticket or enrollment, exactly one succeeds.
//     Methods over sets (DeleteUserSessions, DeleteScratchCodes, ...) never
//     do. Inserting a row for a user that does not exist is ErrNoRows too.
//   - AdvanceStep and UseScratchCode report false, not an error, for a
//     missing factor or code; UseScratchCode refuses the zero time.
//   - RotateRefresh of a token that is not current (used, unknown or
//     expired) is ErrNoRows and changes nothing; UsedRefresh tells a used
//     one (when, with which key, for which session) while its session
//     lives. Revoking a session for a reused token is the core's call.
//   - Times come back in UTC, to the nanosecond; the zero time comes back
//     as time.Time{}. Empty hashes come back nil. A zero expiry counts as
//     expired for DeleteExpired.
//   - ListUsers with Limit 0 returns all users, by id; Events with Limit 0
//     returns 100, never more than 1000, and AuditFilter.Since is
//     inclusive.
//   - SealedValues leaves out empty values (an enrollment without scratch
//     codes); UpdateSealed of a row that is gone is ErrNoRows.
//   - DeleteUser also deletes the "user:<id>" throttle; the audit log stays.
//   - View runs a read-only transaction: writes in it fail.
//
// The concurrency contracts run real goroutines on real transactions: one
// winner for a TOTP step, a scratch code, a refresh token, a ticket or an
// enrollment, and lockout and ticket counters that lose no increment.
package storetest
