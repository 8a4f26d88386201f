-- Issue 23: the clock offset (in steps) of the last accepted code, written
-- with last_step by the same UPDATE.
ALTER TABLE factors ADD COLUMN IF NOT EXISTS clock_offset INTEGER NOT NULL DEFAULT 0;
