package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// listStoriesQuery is the ListStories query for p: the two fixed queries
// when nothing filters, else the same query narrowed by each filter. A tag
// filter walks story_tags_newest, whose rows carry the story's publication
// time, so the keyset and the order are on the tag's columns; a section or
// agency filter is an equality on the leading column of its own
// newest-first index; Since bounds the walk from below.
func listStoriesQuery(p *store.ListStoriesParams, limit int) (string, []any) {
	if p.Section == "" && p.Agency == "" && p.Tag == nil && p.Since == nil {
		if p.Before == nil {
			return listFirstPage, []any{limit}
		}
		return listPageAfter, []any{formatTime(dbTime(p.Before.PublishedAt)), p.Before.ID, limit}
	}
	var (
		from      = storySelect
		where     = []string{listedStory}
		args      []any
		published = "s.published_at"
		id        = "s.id"
		addFilter = func(term string, vs ...any) { where = append(where, term); args = append(args, vs...) }
	)
	if p.Tag != nil {
		from += `
	JOIN story_tags t ON t.story_id = s.id`
		addFilter(`t.kind = ? AND t.slug = ? AND t.published_at IS NOT NULL`, p.Tag.Kind, p.Tag.Slug)
		published, id = "t.published_at", "t.story_id"
	}
	if p.Section != "" {
		addFilter(`s.section = ?`, p.Section)
	}
	if p.Agency != "" {
		addFilter(`s.agency = ?`, p.Agency)
	}
	if p.Since != nil {
		addFilter(published+` >= ?`, formatTime(dbTime(*p.Since)))
	}
	if p.Before != nil {
		addFilter(`(`+published+`, `+id+`) < (?, ?)`, formatTime(dbTime(p.Before.PublishedAt)), p.Before.ID)
	}
	q := from + `
	WHERE ` + strings.Join(where, `
	  AND `) + `
	ORDER BY ` + published + ` DESC, ` + id + ` DESC
	LIMIT ?`
	return q, append(args, limit)
}

// indexCurrent makes the story's tags and search text those of the version
// now on show. It runs in SetCurrent, the one place a version goes on show,
// so whatever puts one there (apply, an editor, a restore) keeps both right.
func (t *tx) indexCurrent(ctx context.Context, storyID, versionID int64) error {
	it := t.inserted(versionID)
	if it == nil {
		var js string
		const read = `SELECT item FROM story_versions WHERE id = ?`
		if err := t.QueryRowContext(ctx, read, versionID).Scan(&js); err != nil {
			return fmt.Errorf("index story %d: read version %d: %w", storyID, versionID, errNoRows(err))
		}
		var err error
		if it, err = decodeItem(js, "", false); err != nil {
			return fmt.Errorf("index story %d: %w", storyID, err)
		}
	}
	headline, body := store.SearchText(it)
	t.indexSearch(storyID, headline, body)

	const clear = `DELETE FROM story_tags WHERE story_id = ?`
	if _, err := t.ExecContext(ctx, clear, storyID); err != nil {
		return fmt.Errorf("index story %d: clear tags: %w", storyID, err)
	}
	tags := store.TagsOf(it)
	if len(tags) == 0 {
		return nil
	}
	rows := make([][3]string, len(tags))
	for i, tag := range tags {
		rows[i] = [3]string{tag.Kind, tag.Slug, tag.Name}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("index story %d: encode tags: %w", storyID, err)
	}
	const insert = `
		INSERT INTO story_tags (story_id, kind, slug, name, published_at)
		SELECT s.id, j.value ->> 0, j.value ->> 1, j.value ->> 2, s.published_at
		FROM stories s, json_each(?) j
		WHERE s.id = ?`
	if _, err := t.ExecContext(ctx, insert, string(b), storyID); err != nil {
		return fmt.Errorf("index story %d: tags: %w", storyID, err)
	}
	return nil
}

// getTag finds a tag on the newest visible story carrying it, whose spelling
// of the name wins.
const getTag = `
	SELECT t.name FROM story_tags t
	JOIN stories s ON s.id = t.story_id
	WHERE t.kind = ? AND t.slug = ? AND t.published_at IS NOT NULL
	  AND s.state = 'published' AND s.published_at IS NOT NULL
	ORDER BY t.published_at DESC, t.story_id DESC
	LIMIT 1`

// GetTag returns the tag when a visible story carries it.
func (s *Store) GetTag(ctx context.Context, ref *store.TagRef) (*store.Tag, error) {
	tag := &store.Tag{Kind: ref.Kind, Slug: ref.Slug}
	if err := s.reader.QueryRowContext(ctx, getTag, ref.Kind, ref.Slug).Scan(&tag.Name); err != nil {
		return nil, fmt.Errorf("get tag %s/%s: %w", ref.Kind, ref.Slug, errNoRows(err))
	}
	return tag, nil
}

// listTags counts the visible stories of every tag (of one kind when ?1 is
// not ”). It reads every tag row: for a tags overview, not for each page.
const listTags = `
	SELECT t.kind, t.slug, min(t.name), count(*) AS n
	FROM story_tags t
	JOIN stories s ON s.id = t.story_id
	WHERE (?1 = '' OR t.kind = ?1) AND t.published_at IS NOT NULL
	  AND s.state = 'published' AND s.published_at IS NOT NULL
	GROUP BY t.kind, t.slug
	ORDER BY n DESC, t.kind, t.slug
	LIMIT ?2`

// ListTags returns the most used tags, p.Limit (default 20, at most 200).
func (s *Store) ListTags(ctx context.Context, p *store.ListTagsParams) ([]*store.TagCount, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	rows, err := s.reader.QueryContext(ctx, listTags, p.Kind, limit)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	defer rows.Close()
	var tags []*store.TagCount
	for rows.Next() {
		var tc store.TagCount
		if err := rows.Scan(&tc.Kind, &tc.Slug, &tc.Name, &tc.Stories); err != nil {
			return nil, fmt.Errorf("list tags: %w", err)
		}
		tags = append(tags, &tc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return tags, nil
}

// listSections skips from one section to the next through
// stories_section_newest, one index search per section, instead of reading
// every visible story: it runs for the navigation of every page.
const listSections = `
	WITH RECURSIVE sections (name) AS (
	    SELECT min(section) FROM stories
	    WHERE state = 'published' AND published_at IS NOT NULL AND section > ''
	  UNION ALL
	    SELECT (SELECT min(section) FROM stories
	            WHERE state = 'published' AND published_at IS NOT NULL AND section > sections.name)
	    FROM sections WHERE name IS NOT NULL
	)
	SELECT name FROM sections WHERE name IS NOT NULL`

// ListSections returns the sections of visible stories, sorted.
func (s *Store) ListSections(ctx context.Context) ([]string, error) {
	rows, err := s.reader.QueryContext(ctx, listSections)
	if err != nil {
		return nil, fmt.Errorf("list sections: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list sections: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sections: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// ftsQuery is the FTS5 query for the reader's words: each one a quoted
// string (any double quote doubled, though SearchTerms leaves none), all of
// them required.
func ftsQuery(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(quoted, " ")
}

// searchWindow bounds how many matches a search ranks: the most recently
// stored searchWindow visible stories that match (the story id, which is
// the index's rowid, grows as stories are first stored). A product choice
// made for speed: joining and filtering a match costs microseconds, and in
// the benchmark corpus a common word matches a third of all stories, so
// ranking every match took hundreds of milliseconds at 200,000 stories;
// a reader searching a news archive mostly wants what is recent. A query
// with fewer matches is ranked whole, in exactly the order of an unbounded
// search. It is above store.MaxSearchOffset+MaxSearchLimit, so every page
// a reader can ask for lies inside it.
const searchWindow = 2000

// searchQuery ranks the stories matching an FTS5 query (match) for a news
// site: those whose headline holds every word (the same query under a
// column filter) first, then the others, each group newest first
// (published_at, then id), as PostgreSQL's search does. It returns each hit's id, its headline with
// every match marked and a snippet of its text around the best matches (at
// most 32 words). The index holds every story with a version on show; the
// visibility and one-per-cluster terms, the story list's, keep the ones
// readers may see.
//
// Not bm25, though FTS5 has it: bm25 weighs each word by the number of
// stories holding it, which FTS5 counts on every query by reading the
// word's whole list of matches, however small the window; at 1,000,000
// stories that cost 65 ms per word, above the 50 ms a search may take.
//
// FTS5 walks the matches newest first (rowid DESC, which it does without
// a sort) and stops after searchWindow visible ones. The headline matches
// among them are read once, newest first, from the headline query's lists
// bounded below by the window's oldest rowid, so that walk too ends at the
// window (a per-row lookup of the headline query by rowid took 0.4-2.2 s
// at 1,000,000 stories, an unbounded walk 150 ms). highlight() and snippet() read and tokenize the whole text, so
// they run on a second pass over the page's rows only, each found again
// by rowid in the same match.
func searchQuery(p *store.SearchParams, match string, limit, offset int) (string, []any) {
	headline := `{headline} : (` + match + `)`
	where := []string{`story_search MATCH ?`, listedStory}
	args := []any{match}
	if p.Section != "" {
		where, args = append(where, `s.section = ?`), append(args, p.Section)
	}
	if p.Agency != "" {
		where, args = append(where, `s.agency = ?`), append(args, p.Agency)
	}
	if p.Since != nil {
		where, args = append(where, `s.published_at >= ?`), append(args, formatTime(dbTime(*p.Since)))
	}
	q := `
	WITH recent AS MATERIALIZED (
	    SELECT s.id, s.published_at
	    FROM story_search
	    JOIN stories s ON s.id = story_search.rowid
	    WHERE ` + strings.Join(where, `
	      AND `) + `
	    ORDER BY story_search.rowid DESC
	    LIMIT ` + strconv.Itoa(searchWindow) + `
	), in_headline AS MATERIALIZED (
	    SELECT rowid AS id FROM story_search
	    WHERE story_search MATCH ? AND rowid >= (SELECT min(id) FROM recent)
	), page AS MATERIALIZED (
	    SELECT id, published_at, id IN in_headline AS headline_hit FROM recent
	    ORDER BY headline_hit DESC, published_at DESC, id DESC
	    LIMIT ? OFFSET ?
	)
	SELECT page.id,
	       highlight(story_search, 0, char(57344), char(57345)),
	       snippet(story_search, 1, char(57344), char(57345), '…', 32)
	FROM page
	JOIN story_search ON story_search.rowid = page.id
	WHERE story_search MATCH ?
	ORDER BY page.headline_hit DESC, page.published_at DESC, page.id DESC`
	return q, append(args, headline, limit, offset, match)
}

// storiesByID reads the stories whose ids are in a JSON array.
const storiesByID = storySelect + ` WHERE s.id IN (SELECT value FROM json_each(?))`

// SearchStories returns one page of the visible stories matching every word
// of p.Query, in searchQuery's order; none for a query without words.
func (s *Store) SearchStories(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error) {
	terms := store.SearchTerms(p.Query)
	if len(terms) == 0 {
		return &store.SearchResult{}, nil
	}
	limit, offset := p.Page()
	q, args := searchQuery(p, ftsQuery(terms), limit+1, offset)
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", p.Query, err)
	}
	defer rows.Close()
	var (
		hits []*store.SearchHit
		ids  []int64
	)
	for rows.Next() {
		var (
			id                int64
			headline, snippet sql.NullString
		)
		if err := rows.Scan(&id, &headline, &snippet); err != nil {
			return nil, fmt.Errorf("search %q: %w", p.Query, err)
		}
		hits = append(hits, &store.SearchHit{
			Story:    &story.Story{ID: id},
			Headline: store.SplitMarked(headline.String),
			Snippet:  store.SplitMarked(snippet.String),
		})
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search %q: %w", p.Query, err)
	}
	res := &store.SearchResult{}
	if len(hits) > limit {
		hits, ids, res.More = hits[:limit], ids[:limit], true
	}
	if len(ids) == 0 {
		return res, nil
	}
	stories, err := s.storiesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", p.Query, err)
	}
	res.Hits = store.FillHits(hits, stories)
	return res, nil
}

func (s *Store) storiesByID(ctx context.Context, ids []int64) (map[int64]*story.Story, error) {
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("encode story ids: %w", err)
	}
	rows, err := s.reader.QueryContext(ctx, storiesByID, string(b))
	if err != nil {
		return nil, fmt.Errorf("read stories: %w", err)
	}
	defer rows.Close()
	stories := make(map[int64]*story.Story, len(ids))
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			return nil, fmt.Errorf("read stories: %w", err)
		}
		stories[st.ID] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stories: %w", err)
	}
	return stories, nil
}
