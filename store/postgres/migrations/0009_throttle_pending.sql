-- Issue 34: the attempts a throttle has counted and not yet judged (logins
-- in flight), so that a refusal caused by them alone says "busy" (too many
-- logins at once), not "too many failed attempts".
ALTER TABLE throttles ADD COLUMN IF NOT EXISTS pending INTEGER NOT NULL DEFAULT 0;
