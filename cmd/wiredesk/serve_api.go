package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/wiredesk/wiredesk/internal/api"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/webhook"
)

// outputsConfig is what the job runner needs to turn story events into
// webhook deliveries and WebSub hub pings (public_url, websub_hub).
func outputsConfig(cfg Config, logger *slog.Logger) *jobs.OutputsConfig {
	return &jobs.OutputsConfig{
		Sender:    webhook.New(webhook.Config{Timeout: 10 * time.Second, Logger: logger}),
		PublicURL: cfg.PublicURL,
		WebSubHub: cfg.WebSubHub,
	}
}

// mountAPI registers the JSON API (/api/v1/..., /api/openapi.json).
func mountAPI(mux *http.ServeMux, s store.Store, cfg Config, logger *slog.Logger) error {
	a, err := api.New(api.Config{Store: s, Logger: logger, BaseURL: cfg.PublicURL})
	if err != nil {
		return err
	}
	a.Register(mux)
	return nil
}
