-- 0005: what readers browse and search by: the tags of each story's version
-- on show, the agency listing, and full-text search over visible stories.

-- The tags (store.TagsOf) of each story's current version, replaced by
-- SetCurrent whenever the version on show changes. published_at repeats the
-- story's, kept equal by the trigger below, so that a tag page walks one
-- index newest first and stops at its page size, however many stories carry
-- the tag; the story's state is checked on the stories row it joins.
CREATE TABLE story_tags (
    story_id     INTEGER NOT NULL REFERENCES stories (id),
    kind         TEXT    NOT NULL,
    slug         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    published_at TEXT,
    PRIMARY KEY (story_id, kind, slug)
) STRICT, WITHOUT ROWID;

CREATE INDEX story_tags_newest ON story_tags (kind, slug, published_at DESC, story_id DESC)
    WHERE published_at IS NOT NULL;

-- A story's first publication can come after its tags were written (an
-- embargo released by SetState).
CREATE TRIGGER story_tags_published AFTER UPDATE OF published_at ON stories
WHEN NEW.published_at IS NOT OLD.published_at
BEGIN
    UPDATE story_tags SET published_at = NEW.published_at WHERE story_id = NEW.id;
END;

-- One agency's stories, newest first (ListStoriesParams.Agency).
CREATE INDEX stories_agency_newest ON stories (agency, published_at DESC, id DESC)
    WHERE state = 'published' AND published_at IS NOT NULL;

-- Full-text search: one row per story with a version on show (rowid = story
-- id), its current headline and text, written by SetCurrent with the tags.
-- A search joins stories and keeps the visible ones, so a kill, a withhold
-- or an embargo takes a story out of the results in the transaction that
-- makes it, and a restore brings it back, without touching this index.
-- unicode61 splits words at anything but letters, numbers and marks, in
-- every script that separates words with spaces, and folds case and
-- diacritics, so "koln" finds "Köln"; agency copy comes in many languages,
-- so no one language's stemmer is applied to all of it.
CREATE VIRTUAL TABLE story_search USING fts5(
    headline, body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Stories stored before this migration: their text is indexed here, their
-- tags with their next version on show (tag slugs are computed in Go, by
-- story.Slug). The body is the plain text every decoder extracts, else the
-- description, as SetCurrent indexes it.
INSERT INTO story_search (rowid, headline, body)
SELECT s.id,
       coalesce(json_extract(v.item, '$.headline'), ''),
       coalesce(nullif(trim(coalesce(json_extract(v.item, '$.body_text'), '')), ''), json_extract(v.item, '$.description'), '')
FROM stories s
JOIN story_versions v ON v.id = s.current_version_id;
