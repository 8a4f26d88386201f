// Package sqlq holds SQL that both SQL stores run as it is, written with
// "?" placeholders (PostgreSQL's store rewrites them with Rebind), and the
// scan destinations of the rows it returns.
package sqlq

import (
	"strconv"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/column"
)

// Rebind returns q with its "?" placeholders numbered $1, $2, ... as
// PostgreSQL wants them. The SQL of mfad holds no "?" in a literal.
func Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Columns of the tables a joined read returns, qualified with the aliases
// s (sessions), k (tickets), u (users) and f (factors).
const (
	SessionColumns = `s.id, s.user_id, s.access_hash, s.access_expires, s.refresh_hash, s.refresh_expires,
	s.scope, s.second_factor_at, s.dialect, s.remote_addr, s.created_at`
	TicketColumns = `k.id, k.hash, k.user_id, k.failures, k.dialect, k.remote_addr, k.created_at, k.expires_at, k.scope`
	UserColumns   = `u.id, u.name, u.email, u.role, u.password_hash, u.created_at, u.password_changed_at,
	u.mfa_failures, u.mfa_locked_until, u.mfa_hard_locked`
	FactorColumns = `f.user_id, f.secret, f.algorithm, f.digits, f.period, f.last_step,
	f.scratch_count, f.scratch_length, f.scratch_alphabet, f.enabled_at, f.dialect, f.clock_offset`
)

// SessionForVerifySQL reads a session by its access-token hash with its user
// and the user's factor, in one statement; lock is appended (PostgreSQL:
// " FOR UPDATE OF s", SQLite: "", its write transaction locks the file).
func SessionForVerifySQL(lock string) string {
	return `SELECT ` + SessionColumns + `, ` + UserColumns + `, ` + FactorColumns + `
	FROM sessions s JOIN users u ON u.id = s.user_id JOIN factors f ON f.user_id = s.user_id
	WHERE s.access_hash = ?` + lock
}

// TicketForVerifySQL reads a login ticket by its hash with its user and the
// user's factor, in one statement; lock as in SessionForVerifySQL.
func TicketForVerifySQL(lock string) string {
	return `SELECT ` + TicketColumns + `, ` + UserColumns + `, ` + FactorColumns + `
	FROM tickets k JOIN users u ON u.id = k.user_id JOIN factors f ON f.user_id = k.user_id
	WHERE k.hash = ?` + lock
}

// Session returns the scan destinations of SessionColumns.
func Session(x *mfad.Session) []any {
	return []any{&x.ID, &x.UserID, column.Bytes{B: &x.AccessHash}, column.Time{T: &x.AccessExpires},
		column.Bytes{B: &x.RefreshHash}, column.Time{T: &x.RefreshExpires}, column.Named[mfad.Scope]{P: &x.Scope},
		column.Time{T: &x.SecondFactorAt}, &x.Dialect, &x.RemoteAddr, column.Time{T: &x.CreatedAt}}
}

// Ticket returns the scan destinations of TicketColumns.
func Ticket(k *mfad.Ticket) []any {
	return []any{&k.ID, column.Bytes{B: &k.Hash}, &k.UserID, &k.Failures, &k.Dialect, &k.RemoteAddr,
		column.Time{T: &k.CreatedAt}, column.Time{T: &k.ExpiresAt}, column.Named[mfad.Scope]{P: &k.Scope}}
}

// User returns the scan destinations of UserColumns.
func User(u *mfad.User) []any {
	return []any{&u.ID, &u.Name, column.String{S: &u.Email}, column.Named[mfad.Role]{P: &u.Role}, &u.PasswordHash,
		column.Time{T: &u.CreatedAt}, column.Time{T: &u.PasswordChangedAt},
		&u.MFAFailures, column.Time{T: &u.MFALockedUntil}, &u.MFAHardLocked}
}

// Factor returns the scan destinations of FactorColumns.
func Factor(f *mfad.Factor) []any {
	return []any{&f.UserID, &f.Secret, &f.Algorithm, &f.Digits, &f.Period, &f.LastStep,
		&f.Scratch.Count, &f.Scratch.Length, &f.Scratch.Alphabet, column.Time{T: &f.EnabledAt}, &f.Dialect, &f.ClockOffset}
}

// Join concatenates scan destinations.
func Join(dests ...[]any) []any {
	var out []any
	for _, d := range dests {
		out = append(out, d...)
	}
	return out
}
