-- 014: a lead is any headline stored without a page text (issue #20's headline-only input): an
-- aggregator's item (011), or an imported text record whose text is only its headline (and a
-- dateline).  Nothing is stored differently; the descriptions say what 'lead' now covers.
COMMENT ON COLUMN documents.kind IS 'article: the page''s text; lead: a headline without a page text: an aggregator''s item (headline, outlet, snippet, link) whose page was not fetched, or an imported record whose text is only a headline.';
COMMENT ON COLUMN articles.kind IS 'article, or lead: a headline without a page text (an aggregator''s item whose page was not fetched, or an imported headline-only record).';
