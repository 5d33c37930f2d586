-- 0005: what readers browse and search by: the tags of each story's version
-- on show, the agency listing, and full-text search over visible stories.

-- The tags (store.TagsOf) of each story's current version, replaced by
-- SetCurrent whenever the version on show changes. published_at repeats the
-- story's, kept equal by the trigger below, so that a tag page walks one
-- index newest first and stops at its page size, however many stories carry
-- the tag; the story's state is checked on the stories row it joins.
CREATE TABLE story_tags (
    story_id     bigint      NOT NULL REFERENCES stories (id),
    kind         text        NOT NULL,
    slug         text        NOT NULL,
    name         text        NOT NULL,
    published_at timestamptz,
    PRIMARY KEY (story_id, kind, slug)
);

CREATE INDEX story_tags_newest ON story_tags (kind, slug, published_at DESC, story_id DESC)
    WHERE published_at IS NOT NULL;

-- A story's first publication can come after its tags were written (an
-- embargo released by SetState).
CREATE FUNCTION story_tags_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE story_tags SET published_at = NEW.published_at WHERE story_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER story_tags_published AFTER UPDATE OF published_at ON stories
    FOR EACH ROW WHEN (NEW.published_at IS DISTINCT FROM OLD.published_at)
    EXECUTE FUNCTION story_tags_published();

-- One agency's stories, newest first (ListStoriesParams.Agency).
CREATE INDEX stories_agency_newest ON stories (agency, published_at DESC, id DESC)
    WHERE state = 'published' AND published_at IS NOT NULL;

-- Full-text search: one row per story with a version on show, its current
-- headline (weight A) and text (weight B), written by SetCurrent with the
-- tags. The text is kept here, NUL-free, for ts_headline: the item JSON may
-- hold \u0000, which ->> refuses. A search joins stories and keeps the
-- visible ones, so a kill, a withhold or an embargo takes a story out of
-- the results in the transaction that makes it, and a restore brings it
-- back, without touching this index.
--
-- The 'simple' configuration lowercases words and stems none: agency copy
-- comes in many languages, a story's language tag is often missing or
-- wrong, and a query must find a word however the story it is in was
-- tagged. English stemming applied to German or Spanish copy would mangle
-- it; per-language configurations would need the reader's query parsed once
-- per language, without knowing which the reader meant.
CREATE TABLE story_search (
    story_id bigint PRIMARY KEY REFERENCES stories (id),
    headline text   NOT NULL,
    body     text   NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', headline), 'A') || setweight(to_tsvector('simple', body), 'B')
    ) STORED
);

CREATE INDEX story_search_document ON story_search USING gin (document);

-- Stories stored before this migration: their text is indexed here, their
-- tags with their next version on show (tag slugs are computed in Go, by
-- story.Slug). The body is the plain text every decoder extracts, else the
-- description, as SetCurrent indexes it. \u0000 escapes (not preceded by
-- another backslash) are dropped from the JSON text before ->> reads it.
INSERT INTO story_search (story_id, headline, body)
SELECT s.id, coalesce(j.item->>'headline', ''),
       coalesce(nullif(trim(coalesce(j.item->>'body_text', '')), ''), j.item->>'description', '')
FROM stories s
JOIN story_versions v ON v.id = s.current_version_id
CROSS JOIN LATERAL (
    SELECT regexp_replace(v.item::text, '(?<!\\)((?:\\\\)*)\\u0000', '\1', 'g')::json AS item
) j;
