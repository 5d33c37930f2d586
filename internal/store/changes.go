package store

import (
	"context"
	"time"
)

// ChangeStore is what the outputs' caches need from the store: word that
// stories changed, committed by any process or node, and a lean listing of
// every listed story for the sitemaps.
type ChangeStore interface {
	// WatchChanges watches for committed changes to stories and their
	// versions, by this process or any other writing to the same database,
	// until ctx ends (it then returns ctx's error) or the watch breaks (it
	// returns why; the caller may watch again). It calls p.OnReady once
	// the watch is in place: changes committed before that moment may have
	// been missed, so a cache flushes then. It calls p.OnChange after each
	// change it sees, from the watching goroutine; several changes close
	// together may be reported once.
	WatchChanges(ctx context.Context, p *WatchChangesParams) error
	// ListSitemapEntries returns a page of the stories ListStories lists
	// (visible, one per cluster), oldest id first so that a page's content
	// stays put as new stories arrive, with the total count.
	ListSitemapEntries(ctx context.Context, p *ListSitemapEntriesParams) (*SitemapPage, error)
}

// DefaultChangePollInterval is WatchChangesParams.PollInterval when unset.
const DefaultChangePollInterval = 50 * time.Millisecond

// WatchChangesParams configures a watch.
type WatchChangesParams struct {
	// OnReady is called once the watch is in place. Optional.
	OnReady func()
	// OnChange is called after committed changes. Required.
	OnChange func(Change)
	// PollInterval is how often a backend that cannot be told about
	// commits (SQLite, written by other processes too) looks for them.
	// Default DefaultChangePollInterval (50ms); PostgreSQL is told at
	// once and ignores it.
	PollInterval time.Duration
}

// Change is one change seen by WatchChanges.
type Change struct {
	// StoryID is the story that changed, 0 when the backend cannot tell
	// (it then means "something changed").
	StoryID int64
}

// ListSitemapEntriesParams pages through listed stories by offset.
type ListSitemapEntriesParams struct {
	Offset int
	// Limit is the page size. Default and maximum 50,000, the most one
	// sitemap file may hold.
	Limit int
}

// MaxSitemapEntries is the most URLs one sitemap file may list.
const MaxSitemapEntries = 50000

// SitemapPage is one page of sitemap entries.
type SitemapPage struct {
	// Total counts every listed story, for the sitemap index.
	Total   int
	Entries []*SitemapEntry
}

// SitemapEntry is what a sitemap needs of a story: enough to build its
// canonical URL, and when it last changed.
type SitemapEntry struct {
	ID int64
	// Slug, Headline and Slugline build the page's slug as the site does.
	Slug        string
	Headline    string
	Slugline    string
	PublishedAt time.Time
	UpdatedAt   time.Time
}
