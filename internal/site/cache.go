package site

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/server"
	"github.com/wiredesk/wiredesk/internal/store"
)

// Cache-Control of the site's answers. Lists change with every story, so
// they are kept briefly; browsers and proxies may show a stale copy while
// they fetch the next. wiredesk's own response cache keeps them until the
// store changes (or max-age passes), which is what makes a kill reach
// readers at once: a downstream cache can hold a killed story at most
// max-age plus stale-while-revalidate.
const (
	listCacheControl  = "public, max-age=30, stale-while-revalidate=30"
	storyCacheControl = "public, max-age=60, stale-while-revalidate=60"
	// A withdrawn story stays withdrawn unless an editor restores it.
	goneCacheControl     = "public, max-age=60"
	notFoundCacheControl = "public, max-age=30"
)

// withCacheControl gives a route's responses its Cache-Control, which the
// handler may replace (the stylesheet, error pages).
func withCacheControl(pattern string, h http.Handler) http.Handler {
	cc := routeCacheControl(pattern)
	if cc == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cc)
		h.ServeHTTP(w, r)
	})
}

// routeCacheControl is the Cache-Control a route pattern's responses get:
// story pages one, lists (home, sections, tags, search, feeds, sitemaps)
// another; none for routes that set their own or that answer only errors.
func routeCacheControl(pattern string) string {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		return ""
	}
	if method != http.MethodGet {
		return ""
	}
	switch {
	case strings.HasPrefix(path, "/static/"):
		return ""
	case strings.HasPrefix(path, "/story/"):
		return storyCacheControl
	}
	return listCacheControl
}

// errorCacheControl is the Cache-Control of an error page.
func errorCacheControl(status int) string {
	switch status {
	case http.StatusGone:
		return goneCacheControl
	case http.StatusNotFound:
		return notFoundCacheControl
	}
	return "no-store"
}

// ChangeWatcher is the store's watch for changes: *sqlite.Store and
// *postgres.Store satisfy it.
type ChangeWatcher interface {
	WatchChanges(ctx context.Context, p *store.WatchChangesParams) error
}

// Defaults of CacheInvalidatorConfig fields.
const (
	DefaultWatchRetryMin = 100 * time.Millisecond
	DefaultWatchRetryMax = 10 * time.Second
)

// CacheInvalidatorConfig configures a CacheInvalidator.
type CacheInvalidatorConfig struct {
	// Store is watched for changes. Required.
	Store ChangeWatcher
	// Cache is flushed on every change. Required.
	Cache *server.ResponseCache
	// Logger receives broken watches. Default: a text logger on stderr at
	// level Warn.
	Logger *slog.Logger
	// PollInterval is passed to the store's watch (SQLite polls). Default
	// store.DefaultChangePollInterval (50ms).
	PollInterval time.Duration
	// RetryMin and RetryMax bound the wait before watching again after the
	// watch broke, doubling from one to the other. Defaults
	// DefaultWatchRetryMin (100ms) and DefaultWatchRetryMax (10s).
	RetryMin, RetryMax time.Duration
}

func (c *CacheInvalidatorConfig) validate() error {
	if c.Store == nil || c.Cache == nil {
		return errors.New("cache invalidator config: Store and Cache are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if c.PollInterval <= 0 {
		c.PollInterval = store.DefaultChangePollInterval
	}
	if c.RetryMin <= 0 {
		c.RetryMin = DefaultWatchRetryMin
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(DefaultWatchRetryMax, c.RetryMin)
	}
	return nil
}

// CacheInvalidator flushes a response cache whenever the store reports a
// change, from this node or any other. While its watch is down, changes go
// unseen, so the cache is suspended (it serves and keeps nothing) until the
// watch is back, and flushed then.
type CacheInvalidator struct {
	cfg CacheInvalidatorConfig
}

// NewCacheInvalidator returns an invalidator; Run starts it.
func NewCacheInvalidator(cfg CacheInvalidatorConfig) (*CacheInvalidator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &CacheInvalidator{cfg: cfg}, nil
}

// Run watches the store until ctx ends, watching again with capped backoff
// whenever the watch breaks. It returns nil once ctx ends.
func (i *CacheInvalidator) Run(ctx context.Context) error {
	wait := i.cfg.RetryMin
	for {
		ready := false
		err := i.cfg.Store.WatchChanges(ctx, &store.WatchChangesParams{
			OnReady:      func() { ready = true; i.cfg.Cache.Resume() },
			OnChange:     func(store.Change) { i.cfg.Cache.Flush() },
			PollInterval: i.cfg.PollInterval,
		})
		i.cfg.Cache.Suspend()
		if ctx.Err() != nil {
			return nil
		}
		if ready {
			wait = i.cfg.RetryMin
		}
		i.cfg.Logger.WarnContext(ctx, "response cache off: watch for store changes broke; watching again",
			slog.Duration("retry_in", wait), slog.Any("err", err))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, i.cfg.RetryMax)
	}
}
