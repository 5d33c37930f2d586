package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/wiredesk/wiredesk/internal/server"
	"github.com/wiredesk/wiredesk/internal/site"
	"github.com/wiredesk/wiredesk/internal/store"
)

// withResponseCache puts h (the site, the API and everything else on the
// mux) behind the in-process response cache, and adds to tasks the watch
// that flushes it whenever the store changes, whichever process or node
// made the change. Only responses that say Cache-Control: public are kept,
// so private pages pass through; every buffered GET response still gets
// ETags, 304s and gzip. A configuration error becomes a task that fails
// at once, so serve stops with it.
func withResponseCache(h http.Handler, s store.Store, logger *slog.Logger, tasks *[]func(context.Context) error) http.Handler {
	cache := server.NewResponseCache(server.ResponseCacheConfig{})
	inv, err := site.NewCacheInvalidator(site.CacheInvalidatorConfig{Store: s, Cache: cache, Logger: logger})
	if err != nil {
		*tasks = append(*tasks, func(context.Context) error { return err })
		return h
	}
	*tasks = append(*tasks, inv.Run)
	return cache.Wrap(h)
}
