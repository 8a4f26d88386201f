package sqlq

import "github.com/mfad/mfad"

// The one case-folded namespace of names and emails is the table logins:
// each user's folded name and folded email (one row when they are equal).
// Its primary key decides who gets a form, also between transactions that
// claim it at the same moment (PostgreSQL: the second insert waits for the
// first to commit and then fails; SQLite: the one writer), so no check
// before the insert is needed and none could be exact.

// ClaimLogins claims u's folded name and folded email for u.ID, which must
// exist: a form another user holds, as name or as email, is ErrDuplicate.
// CreateUser calls it after inserting the user's row.
func (t Tx) ClaimLogins(u *mfad.User) error {
	name, email := mfad.Fold(u.Name), mfad.Fold(u.Email)
	if _, err := t.exec(`INSERT INTO logins (folded, user_id) VALUES (?, ?)`, name, u.ID); err != nil {
		return err
	}
	if email == "" || email == name {
		return nil
	}
	_, err := t.exec(`INSERT INTO logins (folded, user_id) VALUES (?, ?)`, email, u.ID)
	return err
}

// MoveLogins releases the user's old forms and claims u's new ones, in the
// caller's transaction. UpdateUser calls it after updating the user's row.
func (t Tx) MoveLogins(u *mfad.User) error {
	if _, err := t.exec(`DELETE FROM logins WHERE user_id = ?`, u.ID); err != nil {
		return err
	}
	return t.ClaimLogins(u)
}

// UserByLogin returns the user whose folded name or folded email is the
// folded login.
func (t Tx) UserByLogin(login string) (*mfad.User, error) {
	f := mfad.Fold(login)
	if f == "" {
		return nil, mfad.ErrNoRows
	}
	return ScanUser(t.row(`SELECT `+UserColumns+` FROM logins l JOIN users u ON u.id = l.user_id
		WHERE l.folded = ?`, f))
}
