-- 008: story_rollup, the stories view kept as a table, maintained on write, so that
-- "relevant stories of the last N days" reads only rollup rows (issue #9: <= 100 ms at 1M
-- stored articles; 007's macro still joined every relevance row: 238-392 ms).
--
-- One definition of the story aggregate: the `stories` view below.  store/rollup.py
-- refreshes the rollup rows of the stories a write touched (DELETE + INSERT … SELECT * FROM
-- stories WHERE story_id in the touched ids) inside the writer's transaction: save_batch
-- (ingest and import), save_scores/rescore, re-extraction, and a change of the default topic.
-- tests/test_recent_stories.py and tests/test_story_rollup.py compare the rollup with the view.

-- Documents with their default-topic relevance: what a story aggregates, without the
-- `topics` map of the articles view (which groups every relevance row, 0.4 s at 1M, even when
-- only a few stories are asked for).
CREATE OR REPLACE VIEW story_members AS
SELECT d.story_id, d.canonical_url, d.url, d.title, d.first_seen_at, d.published_at, d.duplicate_of,
       coalesce(d.site_name, d.site) AS outlet,
       r.score                       AS relevance_score,
       r.label                       AS relevance_label,
       r.reasons                     AS relevance_reasons
FROM documents d
LEFT JOIN relevance r
  ON r.canonical_url = d.canonical_url
 AND r.topic = coalesce((SELECT value FROM meta WHERE key = 'default_topic'), 'rare-earth-trade');

-- Same columns, rows and meaning as 006's definition; it now reads story_members, so a
-- filter on story_id reaches the documents scan (a refresh of a few stories costs a scan
-- of documents.story_id and relevance, not the whole aggregate).
CREATE OR REPLACE VIEW stories AS
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
FROM story_members
GROUP BY story_id;

-- A refresh looks up the default-topic relevance of a few hundred members; without an index
-- on the URL alone (the primary key is (canonical_url, topic)) that scans every relevance
-- URL: 189 ms per 256-article batch at 1M stored articles, 83 ms with it (bench/scaling.py).
CREATE INDEX IF NOT EXISTS relevance_canonical_url ON relevance (canonical_url);

-- The rollup, backfilled from the view (an upgraded file gets every story).  No key or
-- index: rows are appended in last_updated_at order here and by every refresh (a touched
-- story is deleted and re-inserted at the end), so DuckDB's zone maps on last_updated_at
-- skip the older row groups of a "last N days" filter.
CREATE TABLE story_rollup AS
SELECT * FROM stories ORDER BY last_updated_at, story_id;

-- Same rows, columns and order as
--     SELECT * FROM relevant_stories WHERE last_updated_at >= now() - INTERVAL (N) DAY
-- i.e. every relevant story with a member first seen in the last N days, all of its members
-- (also older ones) aggregated; read from the rollup.
CREATE OR REPLACE MACRO recent_relevant_stories(days) AS TABLE
SELECT * FROM story_rollup
WHERE last_updated_at >= now() - to_days(CAST(days AS INTEGER))
  AND relevance_label = 'relevant'
ORDER BY relevance_score DESC, member_count DESC, first_seen_at DESC;

-- Descriptions (CREATE OR REPLACE VIEW drops those of 006) --------------------------------

COMMENT ON VIEW story_members IS 'One row per stored article with what its story aggregates: default-topic relevance, outlet.';
COMMENT ON COLUMN story_members.outlet IS 'site_name, else the host.';
COMMENT ON COLUMN story_members.relevance_score IS 'Score 0-1 for the default topic (meta.default_topic).';

COMMENT ON TABLE story_rollup IS 'The stories view as a table, refreshed for the touched stories by every write (store/rollup.py); read by recent_relevant_stories(days).';

COMMENT ON VIEW stories IS 'One row per story (a cluster of articles about the same event).';
COMMENT ON COLUMN stories.first_seen_at IS 'When the first member was stored.';
COMMENT ON COLUMN stories.last_updated_at IS 'When the latest member was stored.';
COMMENT ON COLUMN stories.representative_url IS 'Earliest original (non-copy) article of the story.';
COMMENT ON COLUMN stories.headline IS 'Title of the representative article.';
COMMENT ON COLUMN stories.member_count IS 'Articles in the story, copies included.';
COMMENT ON COLUMN stories.original_count IS 'Articles in the story that are not copies.';
COMMENT ON COLUMN stories.outlets IS 'Distinct outlets that carried the story, sorted.';
COMMENT ON COLUMN stories.relevance_score IS 'Highest default-topic score among the members.';
COMMENT ON COLUMN stories.relevance_label IS 'Label of the highest-scoring member.';
COMMENT ON COLUMN stories.reasons IS 'Reasons of the highest-scoring member.';
COMMENT ON COLUMN stories.outlet_count IS 'Number of distinct outlets.';
COMMENT ON COLUMN stories.first_published_at IS 'Earliest publication time among the members.';
COMMENT ON COLUMN stories.first_outlet IS 'Outlet of the first-seen member: who broke the story (as seen by reewatch).';
COMMENT ON COLUMN stories.urls IS 'Member URLs in first-seen order.';
