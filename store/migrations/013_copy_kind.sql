-- 013: what kind of copy an article is (issue #20).
-- documents.copy_kind: for an article with duplicate_of set, how it was recognised (url, content,
-- near copy, paraphrase, rewrite, translation; triage/dedup.py); NULL for an original and for
-- copies stored before this column.  The articles view (latest definition: 011) is re-created
-- with it, unchanged otherwise; CREATE OR REPLACE drops its descriptions, so those are given again.
ALTER TABLE documents ADD COLUMN copy_kind VARCHAR;

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
       CAST(timezone('UTC', d.first_seen_at) AS DATE)     AS first_seen_day,
       d.kind,
       d.paywalled,
       d.copy_kind
FROM documents d
LEFT JOIN relevance r
  ON r.canonical_url = d.canonical_url
 AND r.topic = (SELECT topic FROM default_topic)
LEFT JOIN topic_maps t ON t.canonical_url = d.canonical_url;

COMMENT ON COLUMN documents.copy_kind IS 'How this copy was recognised: url, content, near copy, paraphrase, rewrite or translation; NULL for an original.';

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
COMMENT ON COLUMN articles.kind IS 'article, or lead: an aggregator''s item (the outlet''s headline and snippet, the aggregator''s link) whose page was not fetched.';
COMMENT ON COLUMN articles.paywalled IS 'True when the page gave only a teaser (paywall); text is the teaser.';
COMMENT ON COLUMN articles.copy_kind IS 'How this copy was recognised (url, content, near copy, paraphrase, rewrite, translation); NULL for an original.';
