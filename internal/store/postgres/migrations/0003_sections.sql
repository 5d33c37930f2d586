-- 0003: the section a story is filed under on the site and in the feeds
-- (home, /section/{name}): set when the story is applied, from the routing
-- rules or else from the item's subjects (story.SectionFor), and by editors.
ALTER TABLE stories ADD COLUMN section TEXT NOT NULL DEFAULT '';

-- A section page is the newest-first listing narrowed to one section.
CREATE INDEX stories_section_newest ON stories (section, published_at DESC, id DESC)
    WHERE state = 'published' AND published_at IS NOT NULL;
