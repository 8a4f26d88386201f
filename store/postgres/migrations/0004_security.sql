-- Security fixes of issue 14.
--
-- A pending enrollment records how it was started: the session that
-- prepared it (0: none) and whether that step checked the password; only
-- then may confirming it without a session hand out one. Wrong codes on it
-- are counted, and a few void it. Pending enrollments made before this
-- version have no such record, so they are dropped (they live minutes).
--
-- Throttle keys are now keyed hashes (no typed name is stored), and one
-- key covers a user's name and email, so the old rows mean nothing: they
-- are dropped, which forgets at most an hour of failures.
--
-- known_addresses keeps keyed hashes of the addresses a user logged in
-- from: the correct password from one of them is not refused for failures
-- from elsewhere.

DELETE FROM enrollments;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS session_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS password_proof BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS failures INTEGER NOT NULL DEFAULT 0;

DELETE FROM throttles;

CREATE TABLE IF NOT EXISTS known_addresses (
	user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash       BYTEA NOT NULL,
	expires_at BIGINT,
	PRIMARY KEY (user_id, hash)
);
CREATE INDEX IF NOT EXISTS known_addresses_expires_at ON known_addresses (expires_at);
