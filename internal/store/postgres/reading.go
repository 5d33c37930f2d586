package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// sqlArgs collects the arguments of a query built from parts, handing out
// their $n placeholders in order.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

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
		return listPageAfter, []any{limit, dbTime(p.Before.PublishedAt), p.Before.ID}
	}
	var (
		args      sqlArgs
		from      = storySelect
		where     = []string{listedStory}
		published = "s.published_at"
		id        = "s.id"
	)
	if p.Tag != nil {
		from += `
	JOIN story_tags t ON t.story_id = s.id`
		where = append(where, `t.kind = `+args.add(p.Tag.Kind)+` AND t.slug = `+args.add(p.Tag.Slug)+` AND t.published_at IS NOT NULL`)
		published, id = "t.published_at", "t.story_id"
	}
	if p.Section != "" {
		where = append(where, `s.section = `+args.add(p.Section))
	}
	if p.Agency != "" {
		where = append(where, `s.agency = `+args.add(p.Agency))
	}
	if p.Since != nil {
		where = append(where, published+` >= `+args.add(dbTime(*p.Since)))
	}
	if p.Before != nil {
		where = append(where, `(`+published+`, `+id+`) < (`+args.add(dbTime(p.Before.PublishedAt))+`, `+args.add(p.Before.ID)+`)`)
	}
	q := from + `
	WHERE ` + strings.Join(where, `
	  AND `) + `
	ORDER BY ` + published + ` DESC, ` + id + ` DESC
	LIMIT ` + args.add(limit)
	return q, args
}

// indexCurrent makes the story's tags and search text those of the version
// now on show. It runs in SetCurrent, the one place a version goes on show,
// so whatever puts one there (apply, an editor, a restore) keeps both right.
func (t *tx) indexCurrent(ctx context.Context, storyID, versionID int64) error {
	var js []byte
	const read = `SELECT item FROM story_versions WHERE id = $1`
	if err := t.tx.QueryRow(ctx, read, versionID).Scan(&js); err != nil {
		return fmt.Errorf("index story %d: read version %d: %w", storyID, versionID, errNoRows(err))
	}
	it, err := decodeItem(js, "", false)
	if err != nil {
		return fmt.Errorf("index story %d: %w", storyID, err)
	}
	headline, body := store.SearchText(it)
	const index = `
		INSERT INTO story_search (story_id, headline, body) VALUES ($1, $2, $3)
		ON CONFLICT (story_id) DO UPDATE SET headline = excluded.headline, body = excluded.body`
	if _, err := t.tx.Exec(ctx, index, storyID, headline, body); err != nil {
		return fmt.Errorf("index story %d: text: %w", storyID, err)
	}

	const clear = `DELETE FROM story_tags WHERE story_id = $1`
	if _, err := t.tx.Exec(ctx, clear, storyID); err != nil {
		return fmt.Errorf("index story %d: clear tags: %w", storyID, err)
	}
	tags := store.TagsOf(it)
	if len(tags) == 0 {
		return nil
	}
	kinds, slugs, names := make([]string, len(tags)), make([]string, len(tags)), make([]string, len(tags))
	for i, tag := range tags {
		kinds[i], slugs[i], names[i] = tag.Kind, tag.Slug, tag.Name
	}
	const insert = `
		INSERT INTO story_tags (story_id, kind, slug, name, published_at)
		SELECT s.id, u.kind, u.slug, u.name, s.published_at
		FROM stories s, unnest($2::text[], $3::text[], $4::text[]) AS u (kind, slug, name)
		WHERE s.id = $1`
	if _, err := t.tx.Exec(ctx, insert, storyID, kinds, slugs, names); err != nil {
		return fmt.Errorf("index story %d: tags: %w", storyID, err)
	}
	return nil
}

// getTag finds a tag on the newest visible story carrying it, whose spelling
// of the name wins.
const getTag = `
	SELECT t.name FROM story_tags t
	JOIN stories s ON s.id = t.story_id
	WHERE t.kind = $1 AND t.slug = $2 AND t.published_at IS NOT NULL
	  AND s.state = 'published' AND s.published_at IS NOT NULL
	ORDER BY t.published_at DESC, t.story_id DESC
	LIMIT 1`

// GetTag returns the tag when a visible story carries it.
func (s *Store) GetTag(ctx context.Context, ref *store.TagRef) (*store.Tag, error) {
	tag := &store.Tag{Kind: ref.Kind, Slug: ref.Slug}
	if err := s.pool.QueryRow(ctx, getTag, ref.Kind, ref.Slug).Scan(&tag.Name); err != nil {
		return nil, fmt.Errorf("get tag %s/%s: %w", ref.Kind, ref.Slug, errNoRows(err))
	}
	return tag, nil
}

// listTags counts the visible stories of every tag (of one kind when $1 is
// not ”). It reads every tag row: for a tags overview, not for each page.
// Ties are ordered by kind and slug with the C collation, as SQLite orders
// text, so both backends list alike.
const listTags = `
	SELECT t.kind, t.slug, min(t.name), count(*) AS n
	FROM story_tags t
	JOIN stories s ON s.id = t.story_id
	WHERE ($1 = '' OR t.kind = $1) AND t.published_at IS NOT NULL
	  AND s.state = 'published' AND s.published_at IS NOT NULL
	GROUP BY t.kind, t.slug
	ORDER BY n DESC, t.kind COLLATE "C", t.slug COLLATE "C"
	LIMIT $2`

// ListTags returns the most used tags, p.Limit (default 20, at most 200).
func (s *Store) ListTags(ctx context.Context, p *store.ListTagsParams) ([]*store.TagCount, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	rows, err := s.pool.Query(ctx, listTags, p.Kind, limit)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	tags, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.TagCount, error) {
		var tc store.TagCount
		err := row.Scan(&tc.Kind, &tc.Slug, &tc.Name, &tc.Stories)
		return &tc, err
	})
	if err != nil {
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

// ListSections returns the sections of visible stories, sorted bytewise
// (as SQLite does, whatever the database's collation).
func (s *Store) ListSections(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, listSections)
	if err != nil {
		return nil, fmt.Errorf("list sections: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list sections: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// Options of ts_headline: the headline whole with every match marked, and
// up to two fragments of the text around the matches (about 32 words, as
// SQLite's snippet gives).
const (
	headlineOptions = `HighlightAll=true, StartSel=` + store.MatchStart + `, StopSel=` + store.MatchEnd
	snippetOptions  = `StartSel=` + store.MatchStart + `, StopSel=` + store.MatchEnd +
		`, MaxWords=32, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`
)

// searchQuery ranks the stories matching the reader's words for a news
// site: those whose headline holds every word (the document's weight-A
// lexemes, ts_filter's, match the query) first, then the others, each
// group newest first (published_at, then id), as SQLite's search does. Not
// ts_rank: SQLite's bm25 costs too much on a large archive, and the two
// backends rank alike. The GIN index finds the matches among every story
// with a version on show; the visibility and one-per-cluster terms, the
// story list's, keep the ones readers may see. ts_headline, which reads the
// whole text, runs for the page's rows only.
func searchQuery(p *store.SearchParams, terms []string, limit, offset int) (string, []any) {
	var args sqlArgs
	query := args.add(strings.Join(terms, " "))
	where := []string{`f.document @@ q.query`, listedStory}
	if p.Section != "" {
		where = append(where, `s.section = `+args.add(p.Section))
	}
	if p.Agency != "" {
		where = append(where, `s.agency = `+args.add(p.Agency))
	}
	if p.Since != nil {
		where = append(where, `s.published_at >= `+args.add(dbTime(*p.Since)))
	}
	q := `
	WITH q AS (SELECT plainto_tsquery('simple', ` + query + `) AS query),
	hits AS (
	    SELECT s.id, s.published_at, ts_filter(f.document, '{a}') @@ q.query AS headline_hit
	    FROM q, story_search f
	    JOIN stories s ON s.id = f.story_id
	    WHERE ` + strings.Join(where, `
	      AND `) + `
	    ORDER BY headline_hit DESC, s.published_at DESC, s.id DESC
	    LIMIT ` + args.add(limit) + ` OFFSET ` + args.add(offset) + `
	)
	SELECT h.id,
	       ts_headline('simple', f.headline, q.query, ` + args.add(headlineOptions) + `),
	       ts_headline('simple', f.body, q.query, ` + args.add(snippetOptions) + `)
	FROM q, hits h
	JOIN story_search f ON f.story_id = h.id
	ORDER BY h.headline_hit DESC, h.published_at DESC, h.id DESC`
	return q, args
}

// storiesByID reads the stories with the given ids.
const storiesByID = storySelect + ` WHERE s.id = ANY($1)`

// SearchStories returns one page of the visible stories matching every word
// of p.Query, in searchQuery's order; none for a query without words.
func (s *Store) SearchStories(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error) {
	terms := store.SearchTerms(p.Query)
	if len(terms) == 0 {
		return &store.SearchResult{}, nil
	}
	limit, offset := p.Page()
	q, args := searchQuery(p, terms, limit+1, offset)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", p.Query, err)
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.SearchHit, error) {
		var (
			id                int64
			headline, snippet string
		)
		if err := row.Scan(&id, &headline, &snippet); err != nil {
			return nil, err
		}
		return &store.SearchHit{
			Story:    &story.Story{ID: id},
			Headline: store.SplitMarked(headline),
			Snippet:  store.SplitMarked(snippet),
		}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", p.Query, err)
	}
	res := &store.SearchResult{}
	if len(hits) > limit {
		hits, res.More = hits[:limit], true
	}
	if len(hits) == 0 {
		return res, nil
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.Story.ID
	}
	rows, err = s.pool.Query(ctx, storiesByID, ids)
	if err != nil {
		return nil, fmt.Errorf("search %q: read stories: %w", p.Query, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*story.Story, error) { return scanStory(row) })
	if err != nil {
		return nil, fmt.Errorf("search %q: read stories: %w", p.Query, err)
	}
	stories := make(map[int64]*story.Story, len(list))
	for _, st := range list {
		stories[st.ID] = st
	}
	res.Hits = store.FillHits(hits, stories)
	return res, nil
}
