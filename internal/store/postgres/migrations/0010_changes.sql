-- 0010: tell every wiredesk node when a story changes, so each can flush
-- its cache of pages, feeds and sitemaps.
--
-- NOTIFY is delivered at commit, to every session LISTENing on the channel
-- in the database, whatever its schema; the payload starts with the schema
-- so that a node reads only its own. Identical notifications within one
-- transaction are folded into one by PostgreSQL. A counter row would do the
-- same on SQLite but here would make concurrent applies wait on one row.
CREATE FUNCTION wiredesk_story_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'story_versions' THEN
        PERFORM pg_notify('wiredesk_changes', TG_TABLE_SCHEMA || ' ' || COALESCE(NEW.story_id, OLD.story_id));
    ELSE
        PERFORM pg_notify('wiredesk_changes', TG_TABLE_SCHEMA || ' ' || COALESCE(NEW.id, OLD.id));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER stories_changed AFTER INSERT OR UPDATE OR DELETE ON stories
    FOR EACH ROW EXECUTE FUNCTION wiredesk_story_changed();

-- A version recorded without changing the story (an older one arriving
-- late) still changes the story's history page and its count of versions.
CREATE TRIGGER story_versions_changed AFTER INSERT OR UPDATE ON story_versions
    FOR EACH ROW EXECUTE FUNCTION wiredesk_story_changed();
