-- 004: analyst feedback on relevance and the versioned learned heads.
--
-- labels: one current label per (article, topic); re-labelling replaces it.
-- relevance_heads: every head `reewatch train` fitted, newest version wins for scoring.
CREATE TABLE IF NOT EXISTS labels (
    canonical_url VARCHAR NOT NULL,
    topic         VARCHAR NOT NULL,
    label         VARCHAR NOT NULL,      -- relevant | adjacent | irrelevant
    labelled_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (canonical_url, topic)
);

CREATE TABLE IF NOT EXISTS relevance_heads (
    version     VARCHAR NOT NULL,        -- e.g. rare-earth-trade-h3
    topic       VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,        -- 1, 2, 3… per topic
    model       VARCHAR NOT NULL,        -- the embedding model the head was fitted with
    trained_at  TIMESTAMPTZ NOT NULL,
    n_examples  INTEGER NOT NULL,        -- exemplars + analyst labels
    n_labels    INTEGER NOT NULL,        -- analyst labels among them
    head        VARCHAR NOT NULL,        -- JSON: feature names, weights, bias, version
    metrics     VARCHAR,                 -- JSON: training fit (accuracy, log-loss)
    PRIMARY KEY (topic, seq)
);
