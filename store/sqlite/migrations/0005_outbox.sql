-- Notifications of issue 22: the transactional outbox. The core writes a
-- row per event and target in the transaction of the change it reports;
-- every instance's worker claims due rows (lease_until: a claim holds the
-- row until then, so a crashed claimer's rows come back), delivers them
-- and records the outcome. Times are nanoseconds, 0 for none (not NULL, so
-- the claim compares plain integers). No foreign key on user_id: a
-- webhook still hears of a user deleted since.

CREATE TABLE outbox (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	target      TEXT NOT NULL,
	user_id     INTEGER NOT NULL,
	time        INTEGER NOT NULL,
	remote_addr TEXT NOT NULL,
	dialect     TEXT NOT NULL,
	detail      TEXT NOT NULL,
	state       TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     INTEGER NOT NULL DEFAULT 0,
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	done_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_user_id ON outbox (user_id, id);
