package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
)

// searchDoc is a story's search text waiting to be written to story_search.
type searchDoc struct {
	Headline string `json:"h"`
	Body     string `json:"b"`
}

// indexSearch queues the story's new search text; the transaction writes
// every queued text just before it commits (flushSearch).
//
// Why not at once: FTS5 keeps a transaction's new postings in memory and
// writes them as one segment, but it must flush them to disk whenever a
// later statement in the transaction opens a statement savepoint, which
// nearly every write does. Writing each story's text where it changed made
// one small segment per story (and the merging that follows); writing them
// together at the end makes one per transaction.
func (t *tx) indexSearch(storyID int64, headline, body string) {
	if t.search == nil {
		t.search = make(map[int64]searchDoc)
	}
	t.search[storyID] = searchDoc{Headline: headline, Body: body}
}

// flushSearch replaces the search text of every story queued by
// indexSearch, in two statements whatever their number.
func (t *tx) flushSearch(ctx context.Context) error {
	if len(t.search) == 0 {
		return nil
	}
	docs, err := json.Marshal(t.search)
	if err != nil {
		return fmt.Errorf("index %d stories for search: encode: %w", len(t.search), err)
	}
	const (
		unindex = `DELETE FROM story_search WHERE rowid IN (SELECT CAST(key AS INTEGER) FROM json_each(?))`
		index   = `INSERT INTO story_search (rowid, headline, body)
			SELECT CAST(key AS INTEGER), value ->> 'h', value ->> 'b' FROM json_each(?)`
	)
	if _, err := t.ExecContext(ctx, unindex, string(docs)); err != nil {
		return fmt.Errorf("index %d stories for search: remove old text: %w", len(t.search), err)
	}
	if _, err := t.ExecContext(ctx, index, string(docs)); err != nil {
		return fmt.Errorf("index %d stories for search: %w", len(t.search), err)
	}
	clear(t.search)
	return nil
}
