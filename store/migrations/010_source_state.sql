-- 010: nothing lost between runs (issue #19).
-- sources.backlog: a GDELT source's windows left unread (JSON [[start, end], ...], ISO times);
-- sources.backoff_until: the source is not read before this (GDELT asked us to slow down);
-- link_backlog: unseen links a source listed that no run has handled yet (past the per-source
-- link cap, or a failed page waiting for its retry), until they age out (store/backlog.py);
-- failed_links: pages whose fetch failed, with the retry count, and those given up.
ALTER TABLE sources ADD COLUMN IF NOT EXISTS backlog VARCHAR;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS backoff_until TIMESTAMPTZ;

CREATE TABLE IF NOT EXISTS link_backlog (
    source       VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    title        VARCHAR,
    published_at TIMESTAMPTZ,
    added_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, url)
);

CREATE OR REPLACE VIEW failed_links AS
WITH failures AS (
    SELECT url,
           count(*)                           AS failures,
           max(fetched_at)                    AS last_attempt_at,
           arg_max(error_class, fetched_at)   AS last_error_class,
           arg_max(error, fetched_at)         AS last_error
    FROM fetches
    WHERE NOT ok
    GROUP BY url
)
SELECT b.source, f.url, f.failures, f.last_attempt_at, f.last_error_class, f.last_error, false AS gave_up
FROM failures f
JOIN (SELECT url, min(source) AS source FROM link_backlog GROUP BY url) b ON b.url = f.url
WHERE NOT EXISTS (SELECT 1 FROM seen_urls s WHERE s.url = f.url)
UNION ALL
SELECT s.source, s.url, coalesce(f.failures, 0), f.last_attempt_at, f.last_error_class,
       coalesce(f.last_error, s.reason), true AS gave_up
FROM seen_urls s
LEFT JOIN failures f ON f.url = s.url
WHERE s.outcome = 'gave_up';

COMMENT ON COLUMN sources.backlog IS 'GDELT: time windows left unread, read oldest first by the next runs (JSON pairs of ISO times).';
COMMENT ON COLUMN sources.backoff_until IS 'The source is not read before this time (a throttle answer asked us to slow down).';
COMMENT ON TABLE link_backlog IS 'Unseen links a source listed and no run has handled yet (past the per-source cap, or a failed page waiting for its retry); dropped after 7 days.';
COMMENT ON COLUMN link_backlog.added_at IS 'When the link first waited; its age counts from published_at, else from this.';
COMMENT ON VIEW failed_links IS 'Pages whose fetch failed: still to be retried (1 h, 6 h, 24 h after each failure), or given up.';
COMMENT ON COLUMN failed_links.failures IS 'Failed fetches of the page (one per run that tried it).';
COMMENT ON COLUMN failed_links.gave_up IS 'True once the retries are spent: recorded in seen_urls with outcome gave_up.';
