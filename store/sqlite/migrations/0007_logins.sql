-- The one case-folded namespace of names and emails becomes the table
-- logins, as on PostgreSQL since its 0001, so both stores run the same SQL
-- for it (store/internal/sqlq/logins.go): each user's folded name and
-- folded email (one row when they are equal); the primary key decides who
-- gets a form. The rows come from the folded columns of users, which
-- already kept the namespace (no form is held twice). Those columns stay
-- (NOT NULL UNIQUE, dropping them would rebuild users) and are still
-- written.
CREATE TABLE logins (
	folded  TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX logins_user_id ON logins (user_id);

INSERT INTO logins (folded, user_id) SELECT name_folded, id FROM users;
INSERT INTO logins (folded, user_id) SELECT email_folded, id FROM users
	WHERE email_folded IS NOT NULL AND email_folded <> name_folded;
