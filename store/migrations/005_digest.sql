-- 005: digest bookkeeping for channels, "Updates" and breaking alerts.
--
-- digests: one row per delivery attempt (digest, alert, preview or nothing-new), with its
-- outcome and error.  digest_items: what a *successful* delivery contained; the member
-- URLs sent let the next digest show a story that gained outlets once, under "Updates".
ALTER TABLE digests ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'digest';   -- digest | alert | preview
ALTER TABLE digests ADD COLUMN IF NOT EXISTS error VARCHAR;
ALTER TABLE digests ADD COLUMN IF NOT EXISTS n_updates INTEGER DEFAULT 0;

ALTER TABLE digest_items ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'new'; -- new | update | alert
ALTER TABLE digest_items ADD COLUMN IF NOT EXISTS member_urls VARCHAR[];


-- Per channel: the last successful run and its latest outcome (for schedules and `reewatch status`).
CREATE OR REPLACE VIEW digest_channels AS
SELECT channel,
       max(created_at) FILTER (WHERE outcome IN ('sent', 'nothing-new') AND kind = 'digest') AS last_success_at,
       max(created_at)                                                                      AS last_attempt_at,
       arg_max(outcome, created_at)                                                         AS last_outcome,
       arg_max(error, created_at)                                                           AS last_error,
       count(*) FILTER (WHERE outcome = 'failed')                                           AS failures
FROM digests
GROUP BY channel;


COMMENT ON COLUMN digests.kind IS 'digest, alert (one breaking story) or preview (written to a file, nothing marked sent).';
COMMENT ON COLUMN digests.outcome IS 'sent, failed (nothing marked sent; the next run retries), nothing-new or preview.';
COMMENT ON COLUMN digests.error IS 'Why a failed delivery failed.';
COMMENT ON COLUMN digests.n_updates IS 'Stories listed under Updates (already sent, gained articles since).';
COMMENT ON COLUMN digest_items.kind IS 'new, update or alert.';
COMMENT ON COLUMN digest_items.member_urls IS 'Article URLs of the story when sent; later members make it an update.';
COMMENT ON VIEW digest_channels IS 'Per digest channel: last success, last attempt, its outcome and error, failures.';
