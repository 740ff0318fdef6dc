-- 007: recent_relevant_stories(days), the fast way to ask "relevant stories active in the
-- last N days" on a large archive.
--
--     SELECT * FROM recent_relevant_stories(7) LIMIT 20;
--
-- Same rows, columns and order as
--     SELECT * FROM relevant_stories WHERE last_updated_at >= now() - INTERVAL (N) DAY
-- i.e. every relevant story with at least one member first seen in the last N days, with
-- all of its members (also older ones) aggregated.  The view aggregates every stored
-- article before the time filter (8.5 s at 1M articles, docs/benchmarks.md); this macro
-- first takes the story ids from documents in the window (documents are appended in
-- first_seen_at order, so DuckDB's zone maps skip the older row groups), then reads and
-- aggregates only those stories' members, joined to relevance on the default topic alone
-- (no topics map).  Keep the aggregates in step with the stories view of 006_views.sql;
-- tests/test_recent_stories.py compares the two.

CREATE OR REPLACE MACRO recent_relevant_stories(days) AS TABLE
WITH default_topic AS (
    SELECT coalesce((SELECT value FROM meta WHERE key = 'default_topic'), 'rare-earth-trade') AS topic
),
recent AS (
    SELECT DISTINCT story_id
    FROM documents
    WHERE first_seen_at >= now() - to_days(CAST(days AS INTEGER))
),
members AS (
    SELECT d.story_id, d.url, d.title, d.first_seen_at, d.published_at, d.duplicate_of,
           coalesce(d.site_name, d.site) AS outlet,
           r.score                       AS relevance_score,
           r.label                       AS relevance_label,
           r.reasons                     AS relevance_reasons
    FROM documents d
    SEMI JOIN recent w ON w.story_id = d.story_id
    LEFT JOIN relevance r
      ON r.canonical_url = d.canonical_url
     AND r.topic = (SELECT topic FROM default_topic)
),
-- The label decides first (a cheap aggregate), so the costly ones below (lists, arg_min
-- over structs) run only for the relevant stories: a quarter of them at 1M (bench/scaling.py).
relevant AS (
    SELECT story_id
    FROM members
    GROUP BY story_id
    HAVING arg_max(relevance_label, relevance_score) = 'relevant'
),
stories AS (
    SELECT story_id,
           min(first_seen_at)                                              AS first_seen_at,
           max(first_seen_at)                                              AS last_updated_at,
           arg_min(url, (duplicate_of IS NOT NULL, first_seen_at, url))    AS representative_url,
           arg_min(title, (duplicate_of IS NOT NULL, first_seen_at, url))  AS headline,
           count(*)                                                        AS member_count,
           count(*) FILTER (WHERE duplicate_of IS NULL)                    AS original_count,
           list(DISTINCT outlet ORDER BY outlet)                           AS outlets,
           max(relevance_score)                                            AS relevance_score,
           arg_max(relevance_label, relevance_score)                       AS relevance_label,
           arg_max(relevance_reasons, relevance_score)                     AS reasons,
           count(DISTINCT outlet)                                          AS outlet_count,
           arg_min(outlet, (first_seen_at, url))                           AS first_outlet,
           min(published_at)                                               AS first_published_at,
           list(url ORDER BY first_seen_at, url)                           AS urls
    FROM members
    SEMI JOIN relevant USING (story_id)
    GROUP BY story_id
)
SELECT * FROM stories
WHERE relevance_label = 'relevant'
ORDER BY relevance_score DESC, member_count DESC, first_seen_at DESC;
