-- The refresh-token reuse interval: when a refresh token was rotated away,
-- and the key the core derived the next pair from, so that the same token
-- presented again shortly after (a client refreshing from parallel
-- requests) gets that pair instead of revoking the session. Rows from
-- before have neither: their reuse revokes, as before.
ALTER TABLE used_refresh_tokens ADD COLUMN IF NOT EXISTS rotated_at BIGINT;
ALTER TABLE used_refresh_tokens ADD COLUMN IF NOT EXISTS next_key BYTEA;
