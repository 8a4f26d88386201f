-- Sessions that end after a time without use (TwinCAT's auto logoff)
-- instead of at a fixed time: the idle timeout in seconds, 0 for fixed.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS idle_seconds BIGINT NOT NULL DEFAULT 0;
