-- SQLite's 0007 gives it the logins table PostgreSQL has had since 0001
-- (the one namespace of names and emails, store/internal/sqlq/logins.go);
-- here only the table's comment changes, so versions stay the same in
-- both stores.
COMMENT ON TABLE logins IS 'the one case-folded namespace of user names and emails; the primary key decides who gets a form';
