-- 009: dedup_features, what dedup computed from each article's title and text (triage/features.py),
-- stored when the article is decided so that loading the archive reads them instead of recomputing
-- them from the text on every run (~4.5 ms per real article: ~45 s per run at 10.2k stored).
-- Rows of an older FEATURES_VERSION, and articles without a row (stored before 009, imported, or
-- re-extracted), are recomputed at load and written back by the ingest.
CREATE TABLE IF NOT EXISTS dedup_features (
    canonical_url VARCHAR PRIMARY KEY,   -- documents.canonical_url
    version       INTEGER NOT NULL,      -- triage.features.FEATURES_VERSION that computed the row
    minhash       BLOB NOT NULL,         -- MinHash of the word 5-gram set: 128 little-endian uint16
    shingles      INTEGER NOT NULL,      -- size of that 5-gram set
    term_hashes   BLOB NOT NULL,         -- content-term hashes, sorted: little-endian uint32
    term_counts   BLOB NOT NULL,         -- their counts: little-endian uint16
    event_keys    VARCHAR[] NOT NULL,    -- names and numbers of title and lead (# marks a number)
    sentences     VARCHAR[] NOT NULL     -- statement sentences for the rewrite alignment
);
