-- Issue 26: the scope of the session a ticket becomes once its second
-- factor is proven ('user' for a preauth login: a session that never
-- carries administrator rights). Rows from before keep 'full'.
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS scope TEXT NOT NULL DEFAULT 'full';
