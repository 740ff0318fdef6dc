-- 006: documented views for everyday questions (articles, stories, relevant_stories,
-- daily_volume, source_health).  They read only columns created in 001_init.sql, so the
-- other migrations may add columns freely.  Days are UTC calendar days.

CREATE OR REPLACE VIEW articles AS
WITH default_topic AS (
    SELECT coalesce((SELECT value FROM meta WHERE key = 'default_topic'), 'rare-earth-trade') AS topic
),
topic_maps AS (
    SELECT canonical_url, map_from_entries(list(struct_pack(k := topic, v := score) ORDER BY topic)) AS topics
    FROM relevance
    GROUP BY canonical_url
)
SELECT d.url, d.canonical_url, d.title, d.text, d.site, d.site_name, d.lang, d.author,
       d.published_at, d.updated_at, d.first_seen_at, d.source, d.content_hash,
       d.story_id, d.duplicate_of,
       r.score                                            AS relevance_score,
       r.label                                            AS relevance_label,
       r.reasons                                          AS relevance_reasons,
       t.topics                                           AS topics,
       coalesce(d.site_name, d.site)                      AS outlet,
       d.duplicate_of IS NOT NULL                         AS is_copy,
       CAST(timezone('UTC', d.first_seen_at) AS DATE)     AS first_seen_day
FROM documents d
LEFT JOIN relevance r
  ON r.canonical_url = d.canonical_url
 AND r.topic = (SELECT topic FROM default_topic)
LEFT JOIN topic_maps t ON t.canonical_url = d.canonical_url;

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
FROM articles
GROUP BY story_id;

CREATE OR REPLACE VIEW relevant_stories AS
SELECT * FROM stories
WHERE relevance_label = 'relevant'
ORDER BY relevance_score DESC, member_count DESC, first_seen_at DESC;

CREATE OR REPLACE VIEW daily_volume AS
WITH dated AS (
    SELECT canonical_url, story_id, duplicate_of,
           CAST(timezone('UTC', coalesce(published_at, first_seen_at)) AS DATE) AS day
    FROM documents
),
story_start AS (
    SELECT story_id, min(day) AS first_day FROM dated GROUP BY story_id
)
SELECT d.day                                                          AS day,
       r.topic                                                        AS topic,
       count(*)                                                       AS articles,
       count(*) FILTER (WHERE d.duplicate_of IS NULL)                 AS originals,
       count(DISTINCT d.story_id)                                     AS stories,
       count(DISTINCT d.story_id) FILTER (WHERE d.day = s.first_day)  AS new_stories,
       count(*) FILTER (WHERE r.label = 'relevant')                   AS relevant,
       count(*) FILTER (WHERE r.label = 'adjacent')                   AS adjacent,
       count(*) FILTER (WHERE r.label = 'irrelevant')                 AS irrelevant,
       avg(r.score)                                                   AS mean_score
FROM dated d
JOIN story_start s ON s.story_id = d.story_id
JOIN relevance r ON r.canonical_url = d.canonical_url
GROUP BY ALL
ORDER BY day DESC, topic;

CREATE OR REPLACE VIEW source_health AS
WITH names AS (
    SELECT name AS source FROM sources
    UNION SELECT source FROM fetches
    UNION SELECT source FROM documents
),
recent_fetches AS (
    SELECT source,
           count(*)                      AS fetches_24h,
           count(*) FILTER (WHERE NOT ok) AS errors_24h,
           median(ms)                    AS median_ms_24h
    FROM fetches
    WHERE fetched_at >= now() - INTERVAL 1 DAY
    GROUP BY source
),
stored AS (
    SELECT source,
           count(*)                                                              AS articles,
           count(*) FILTER (WHERE first_seen_at >= now() - INTERVAL 7 DAY)       AS articles_7d,
           count(*) FILTER (WHERE relevance_label = 'relevant')                  AS relevant,
           max(first_seen_at)                                                    AS last_article_at
    FROM articles
    GROUP BY source
)
SELECT n.source,
       s.kind,
       s.url,
       s.last_attempt_at,
       s.last_success_at,
       coalesce(s.consecutive_failures, 0) AS consecutive_failures,
       s.last_error_class,
       s.last_error,
       coalesce(f.fetches_24h, 0)          AS fetches_24h,
       coalesce(f.errors_24h, 0)           AS errors_24h,
       f.median_ms_24h,
       coalesce(a.articles, 0)             AS articles,
       coalesce(a.articles_7d, 0)          AS articles_7d,
       coalesce(a.relevant, 0)             AS relevant,
       a.last_article_at,
       -- 'failing' from 3 consecutive failed cycles: one or two failures are usually a
       -- transient timeout or 5xx, three in a row (45 minutes at the default 15-minute
       -- schedule) is worth a look.
       CASE
           WHEN s.name IS NULL THEN 'not configured'
           WHEN s.consecutive_failures >= 3 THEN 'failing'
           WHEN s.consecutive_failures > 0 THEN 'degraded'
           WHEN s.last_success_at IS NULL THEN 'never succeeded'
           ELSE 'ok'
       END                                 AS status
FROM names n
LEFT JOIN sources s ON s.name = n.source
LEFT JOIN recent_fetches f ON f.source = n.source
LEFT JOIN stored a ON a.source = n.source
ORDER BY n.source;

-- Descriptions (read back by store/schema_doc.py into docs/schema.md) ---------------------

COMMENT ON TABLE meta IS 'Key/value settings of this database (default_topic).';
COMMENT ON TABLE sources IS 'Configured sources with their fetch state (ETag, Last-Modified) and health.';
COMMENT ON TABLE fetches IS 'One row per HTTP/file request, successful or not.';
COMMENT ON TABLE seen_urls IS 'Every URL ever handled (articles and non-articles), so a re-run fetches no stored page.';
COMMENT ON TABLE documents IS 'Stored articles, keyed by canonical URL; the first stored version wins.';
COMMENT ON TABLE embeddings IS 'Embedding vector per article and model, used by near-duplicate and same-story detection.';
COMMENT ON TABLE relevance IS 'Relevance of each article to each topic: score 0-1, label, reasons.';
COMMENT ON TABLE digests IS 'Digests composed and where they went.';
COMMENT ON TABLE digest_items IS 'Which stories each digest contained (exactly-once bookkeeping).';
COMMENT ON TABLE schema_migrations IS 'Migrations applied to this file (store/migrations/NNN_name.sql).';

COMMENT ON VIEW articles IS 'One row per stored article with its default-topic relevance and all topic scores.';
COMMENT ON COLUMN articles.url IS 'The URL the article was fetched from (or imported with).';
COMMENT ON COLUMN articles.canonical_url IS 'Normalised URL: the key of the article.';
COMMENT ON COLUMN articles.text IS 'Main text, boilerplate removed.';
COMMENT ON COLUMN articles.site IS 'Host name of the canonical URL.';
COMMENT ON COLUMN articles.site_name IS 'The publication''s own name (og:site_name), when the page gives one.';
COMMENT ON COLUMN articles.lang IS 'Language code detected or declared, when known.';
COMMENT ON COLUMN articles.published_at IS 'Publication time from the page or feed, when known.';
COMMENT ON COLUMN articles.first_seen_at IS 'When reewatch first stored the article.';
COMMENT ON COLUMN articles.source IS 'Configured source (or import) that found it.';
COMMENT ON COLUMN articles.content_hash IS 'Hash of the normalised text (exact-copy detection).';
COMMENT ON COLUMN articles.story_id IS 'The story (same-event cluster) the article belongs to.';
COMMENT ON COLUMN articles.duplicate_of IS 'URL of the article this one copies, or NULL for an original.';
COMMENT ON COLUMN articles.relevance_score IS 'Score 0-1 for the default topic (meta.default_topic).';
COMMENT ON COLUMN articles.relevance_label IS 'relevant, adjacent or irrelevant for the default topic.';
COMMENT ON COLUMN articles.relevance_reasons IS 'Why the article got its default-topic score.';
COMMENT ON COLUMN articles.topics IS 'MAP topic -> score for every scored topic.';
COMMENT ON COLUMN articles.outlet IS 'The outlet name for people: site_name, else the host.';
COMMENT ON COLUMN articles.is_copy IS 'True when duplicate_of is set.';
COMMENT ON COLUMN articles.first_seen_day IS 'UTC day on which reewatch first stored the article.';

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

COMMENT ON VIEW relevant_stories IS 'Stories labelled relevant, best first (score, then size, then recency).';

COMMENT ON VIEW daily_volume IS 'Per UTC day of publication (else first sight) and topic: articles, stories and labels; articles with no score for a topic are not counted.';
COMMENT ON COLUMN daily_volume.day IS 'UTC day of publication, else of first sight.';
COMMENT ON COLUMN daily_volume.topic IS 'Topic profile the counts are for.';
COMMENT ON COLUMN daily_volume.articles IS 'Articles scored for the topic that day, copies included.';
COMMENT ON COLUMN daily_volume.relevant IS 'Articles labelled relevant for the topic.';
COMMENT ON COLUMN daily_volume.originals IS 'Articles that are not copies.';
COMMENT ON COLUMN daily_volume.stories IS 'Distinct stories with an article that day.';
COMMENT ON COLUMN daily_volume.new_stories IS 'Stories whose earliest article is from that day.';
COMMENT ON COLUMN daily_volume.mean_score IS 'Mean relevance score for the topic.';

COMMENT ON VIEW source_health IS 'Per source (configured, fetched or imported): state, last 24 h of fetches, articles stored, status.';
COMMENT ON COLUMN source_health.source IS 'Source name (sources.name, fetches.source or documents.source).';
COMMENT ON COLUMN source_health.consecutive_failures IS 'Failed cycles in a row (0 after a success).';
COMMENT ON COLUMN source_health.median_ms_24h IS 'Median request time in the last 24 hours, ms.';
COMMENT ON COLUMN source_health.articles IS 'Articles stored from this source.';
COMMENT ON COLUMN source_health.relevant IS 'Of them, relevant to the default topic.';
COMMENT ON COLUMN source_health.last_article_at IS 'When the latest article from this source was stored.';
COMMENT ON COLUMN source_health.fetches_24h IS 'Requests in the last 24 hours.';
COMMENT ON COLUMN source_health.errors_24h IS 'Failed requests in the last 24 hours.';
COMMENT ON COLUMN source_health.articles_7d IS 'Articles first stored in the last 7 days.';
COMMENT ON COLUMN source_health.status IS 'ok, degraded (failed last time), failing (3+ failures in a row), never succeeded, or not configured (imported or removed).';
