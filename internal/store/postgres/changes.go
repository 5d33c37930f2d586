package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store"
)

// changesChannel is the channel migration 0010's triggers notify on, with
// the payload "<schema> <story id>".
const changesChannel = "wiredesk_changes"

// WatchChanges LISTENs for the notifications the stories and story_versions
// triggers send at every commit, on every node. It uses a connection of its
// own, outside the pool: a LISTENing session must stay open as long as the
// watch does, and must not be handed to other work afterwards.
func (s *Store) WatchChanges(ctx context.Context, p *store.WatchChangesParams) error {
	if p.OnChange == nil {
		return fmt.Errorf("watch postgres changes: OnChange is required")
	}
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("watch postgres changes: connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	// Notifications carry the schema of the table that changed: nodes of
	// other wiredesk databases sharing the server's database (and test
	// schemas) notify on the same channel.
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("watch postgres changes: read schema: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return fmt.Errorf("watch postgres changes: listen: %w", err)
	}
	if p.OnReady != nil {
		p.OnReady()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("watch postgres changes: wait for notification: %w", err)
		}
		gotSchema, id, ok := strings.Cut(n.Payload, " ")
		if !ok || gotSchema != schema {
			continue
		}
		storyID, _ := strconv.ParseInt(id, 10, 64)
		p.OnChange(store.Change{StoryID: storyID})
	}
}

// sitemapEntries lists the stories ListStories lists, oldest id first. The
// headline and slugline are only needed for stories stored without a slug.
const sitemapEntries = `
	SELECT s.id, s.slug, COALESCE(v.item->>'headline', ''), COALESCE(v.item->>'slugline', ''),
	       s.published_at, s.updated_at
	FROM stories s
	JOIN story_versions v ON v.id = s.current_version_id
	WHERE ` + listedStory + `
	ORDER BY s.id
	LIMIT $1 OFFSET $2`

const countListed = `SELECT count(*) FROM stories s WHERE ` + listedStory

// ListSitemapEntries returns a page of listed stories, oldest id first, and
// how many there are in all.
func (s *Store) ListSitemapEntries(ctx context.Context, p *store.ListSitemapEntriesParams) (*store.SitemapPage, error) {
	limit := p.Limit
	if limit <= 0 || limit > store.MaxSitemapEntries {
		limit = store.MaxSitemapEntries
	}
	// One snapshot, so the count and the page agree.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("list sitemap entries: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var page store.SitemapPage
	if err := tx.QueryRow(ctx, countListed).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("list sitemap entries: count: %w", err)
	}
	rows, err := tx.Query(ctx, sitemapEntries, limit, max(p.Offset, 0))
	if err != nil {
		return nil, fmt.Errorf("list sitemap entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e store.SitemapEntry
		if err := rows.Scan(&e.ID, &e.Slug, &e.Headline, &e.Slugline, &e.PublishedAt, &e.UpdatedAt); err != nil {
			return nil, fmt.Errorf("list sitemap entries: %w", err)
		}
		e.PublishedAt, e.UpdatedAt = e.PublishedAt.UTC(), e.UpdatedAt.UTC()
		page.Entries = append(page.Entries, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sitemap entries: %w", err)
	}
	return &page, nil
}
