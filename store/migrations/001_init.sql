-- 001: the foundation schema.
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS sources (
    name                 VARCHAR PRIMARY KEY,
    kind                 VARCHAR NOT NULL,
    url                  VARCHAR NOT NULL,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    last_attempt_at      TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error_class     VARCHAR,
    last_error           VARCHAR
);

-- One row per HTTP/file request, successful or not.
CREATE TABLE IF NOT EXISTS fetches (
    run_id      VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    status      INTEGER,
    ok          BOOLEAN NOT NULL,
    error_class VARCHAR,
    error       VARCHAR,
    nbytes      BIGINT NOT NULL,
    ms          DOUBLE NOT NULL,
    attempts    INTEGER NOT NULL,
    fetched_at  TIMESTAMPTZ NOT NULL
);

-- Every URL ever handled, so a re-run fetches no stored page (articles and non-articles).
CREATE TABLE IF NOT EXISTS seen_urls (
    url           VARCHAR PRIMARY KEY,
    canonical_url VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    outcome       VARCHAR NOT NULL,   -- article | no_article
    reason        VARCHAR,
    first_seen_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS documents (
    canonical_url VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,
    title         VARCHAR NOT NULL,
    text          VARCHAR NOT NULL,
    site          VARCHAR NOT NULL,
    site_name     VARCHAR,
    lang          VARCHAR,
    author        VARCHAR,
    published_at  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ,
    first_seen_at TIMESTAMPTZ NOT NULL,
    source        VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,
    duplicate_of  VARCHAR,            -- url of the article this one copies
    story_id      VARCHAR NOT NULL,
    raw_html_z    BLOB                -- zlib-compressed HTML, for `reewatch reextract`
);

CREATE TABLE IF NOT EXISTS embeddings (
    canonical_url VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,
    vector        FLOAT[] NOT NULL,
    PRIMARY KEY (canonical_url, model)
);

CREATE TABLE IF NOT EXISTS relevance (
    canonical_url VARCHAR NOT NULL,
    topic         VARCHAR NOT NULL,
    score         DOUBLE NOT NULL,
    label         VARCHAR NOT NULL,
    reasons       VARCHAR[] NOT NULL,
    model_version VARCHAR NOT NULL,
    scored_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (canonical_url, topic)
);

-- What each digest contained (exactly-once bookkeeping).
CREATE TABLE IF NOT EXISTS digests (
    digest_id  VARCHAR PRIMARY KEY,
    channel    VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    n_stories  INTEGER NOT NULL,
    target     VARCHAR,
    outcome    VARCHAR NOT NULL       -- sent | failed | preview
);

CREATE TABLE IF NOT EXISTS digest_items (
    digest_id     VARCHAR NOT NULL,
    channel       VARCHAR NOT NULL,
    story_id      VARCHAR NOT NULL,
    member_count  INTEGER NOT NULL,
    sent_at       TIMESTAMPTZ NOT NULL
);

-- Views for people and downstream SQL -----------------------------------------------

CREATE OR REPLACE VIEW articles AS
SELECT d.url, d.canonical_url, d.title, d.text, d.site, d.site_name, d.lang, d.author,
       d.published_at, d.updated_at, d.first_seen_at, d.source, d.content_hash,
       d.story_id, d.duplicate_of,
       r.score AS relevance_score, r.label AS relevance_label, r.reasons AS relevance_reasons,
       (SELECT map_from_entries(list(struct_pack(k := r2.topic, v := r2.score)))
          FROM relevance r2 WHERE r2.canonical_url = d.canonical_url) AS topics
FROM documents d
LEFT JOIN relevance r
  ON r.canonical_url = d.canonical_url
 AND r.topic = coalesce((SELECT value FROM meta WHERE key = 'default_topic'), 'rare-earth-trade');

CREATE OR REPLACE VIEW stories AS
SELECT story_id,
       min(first_seen_at)                                   AS first_seen_at,
       max(first_seen_at)                                   AS last_updated_at,
       arg_min(url, (duplicate_of IS NOT NULL, first_seen_at, url)) AS representative_url,
       arg_min(title, (duplicate_of IS NOT NULL, first_seen_at, url)) AS headline,
       count(*)                                             AS member_count,
       count(*) FILTER (WHERE duplicate_of IS NULL)         AS original_count,
       list(DISTINCT coalesce(site_name, site) ORDER BY coalesce(site_name, site)) AS outlets,
       max(relevance_score)                                 AS relevance_score,
       arg_max(relevance_label, relevance_score)            AS relevance_label,
       arg_max(relevance_reasons, relevance_score)          AS reasons
FROM articles
GROUP BY story_id;

CREATE OR REPLACE VIEW relevant_stories AS
SELECT * FROM stories WHERE relevance_label = 'relevant'
ORDER BY relevance_score DESC, member_count DESC, first_seen_at DESC;
