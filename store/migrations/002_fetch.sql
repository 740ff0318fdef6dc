-- 002: fetch state beyond ETag/Last-Modified.
-- next_attempt_at: a failing source is skipped until then (growing interval);
-- last_warning: a read that worked only in part (malformed XML recovered, windows unread);
-- cursor: where an incremental query stopped (GDELT: ISO time up to which it was read).
ALTER TABLE sources ADD COLUMN IF NOT EXISTS next_attempt_at TIMESTAMPTZ;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS last_warning VARCHAR;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS cursor VARCHAR;
