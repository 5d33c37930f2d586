package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// WatchChanges polls for commits on one read connection held for the watch:
// PRAGMA data_version moves when any other connection, in this process or
// another, commits to the file; only then is story_changes.seq read, which
// moves only for changes to stories and their versions (migration 0010).
func (s *Store) WatchChanges(ctx context.Context, p *store.WatchChangesParams) error {
	if p.OnChange == nil {
		return fmt.Errorf("watch sqlite changes: OnChange is required")
	}
	interval := p.PollInterval
	if interval <= 0 {
		interval = store.DefaultChangePollInterval
	}
	// data_version is per connection: the same one must be asked each time.
	conn, err := s.reader.Conn(ctx)
	if err != nil {
		return fmt.Errorf("watch sqlite changes: take a read connection: %w", err)
	}
	defer conn.Close()

	dataVersion, seq, err := readChangeMarks(ctx, conn)
	if err != nil {
		return err
	}
	if p.OnReady != nil {
		p.OnReady()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		var dv int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&dv); err != nil {
			return fmt.Errorf("watch sqlite changes: read data_version: %w", err)
		}
		if dv == dataVersion {
			continue
		}
		dataVersion = dv
		var n int64
		if err := conn.QueryRowContext(ctx, `SELECT seq FROM story_changes WHERE id = 1`).Scan(&n); err != nil {
			return fmt.Errorf("watch sqlite changes: read change counter: %w", err)
		}
		if n != seq {
			seq = n
			p.OnChange(store.Change{})
		}
	}
}

func readChangeMarks(ctx context.Context, conn *sql.Conn) (dataVersion, seq int64, err error) {
	if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&dataVersion); err != nil {
		return 0, 0, fmt.Errorf("watch sqlite changes: read data_version: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT seq FROM story_changes WHERE id = 1`).Scan(&seq); err != nil {
		return 0, 0, fmt.Errorf("watch sqlite changes: read change counter: %w", err)
	}
	return dataVersion, seq, nil
}

// sitemapEntries lists the stories ListStories lists, oldest id first. The
// headline and slugline are only needed for stories stored without a slug.
const sitemapEntries = `
	SELECT s.id, s.slug, COALESCE(json_extract(v.item, '$.headline'), ''),
	       COALESCE(json_extract(v.item, '$.slugline'), ''), s.published_at, s.updated_at
	FROM stories s
	JOIN story_versions v ON v.id = s.current_version_id
	WHERE ` + listedStory + `
	ORDER BY s.id
	LIMIT ? OFFSET ?`

const countListed = `SELECT count(*) FROM stories s WHERE ` + listedStory

// ListSitemapEntries returns a page of listed stories, oldest id first, and
// how many there are in all.
func (s *Store) ListSitemapEntries(ctx context.Context, p *store.ListSitemapEntriesParams) (*store.SitemapPage, error) {
	limit := p.Limit
	if limit <= 0 || limit > store.MaxSitemapEntries {
		limit = store.MaxSitemapEntries
	}
	// One read transaction, so the count and the page agree.
	tx, err := s.reader.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("list sitemap entries: %w", err)
	}
	defer tx.Rollback()
	var page store.SitemapPage
	if err := tx.QueryRowContext(ctx, countListed).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("list sitemap entries: count: %w", err)
	}
	rows, err := tx.QueryContext(ctx, sitemapEntries, limit, max(p.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("list sitemap entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                  store.SitemapEntry
			published, updated string
		)
		if err := rows.Scan(&e.ID, &e.Slug, &e.Headline, &e.Slugline, &published, &updated); err != nil {
			return nil, fmt.Errorf("list sitemap entries: %w", err)
		}
		if e.PublishedAt, err = parseTime(published); err != nil {
			return nil, fmt.Errorf("list sitemap entries: story %d: %w", e.ID, err)
		}
		if e.UpdatedAt, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("list sitemap entries: story %d: %w", e.ID, err)
		}
		page.Entries = append(page.Entries, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sitemap entries: %w", err)
	}
	return &page, nil
}
