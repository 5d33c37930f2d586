-- 0010: a counter of committed story changes, for the outputs' caches.
--
-- `wiredesk serve` caches pages, feeds and sitemaps; `wiredesk ingest` may
-- write the same file from another process. The watcher polls PRAGMA
-- data_version, which moves on any commit by another connection (the job
-- queue's and the source scheduler's included), and then reads seq, which
-- only these triggers move: caches are flushed for story changes only.
CREATE TABLE story_changes (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
) STRICT;

INSERT INTO story_changes (id, seq) VALUES (1, 0);

CREATE TRIGGER stories_changed_insert AFTER INSERT ON stories
BEGIN
    UPDATE story_changes SET seq = seq + 1 WHERE id = 1;
END;

CREATE TRIGGER stories_changed_update AFTER UPDATE ON stories
BEGIN
    UPDATE story_changes SET seq = seq + 1 WHERE id = 1;
END;

CREATE TRIGGER stories_changed_delete AFTER DELETE ON stories
BEGIN
    UPDATE story_changes SET seq = seq + 1 WHERE id = 1;
END;

-- A version recorded without changing the story (an older one arriving
-- late) still changes the story's history page and its count of versions.
CREATE TRIGGER story_versions_changed_insert AFTER INSERT ON story_versions
BEGIN
    UPDATE story_changes SET seq = seq + 1 WHERE id = 1;
END;

CREATE TRIGGER story_versions_changed_update AFTER UPDATE ON story_versions
BEGIN
    UPDATE story_changes SET seq = seq + 1 WHERE id = 1;
END;
