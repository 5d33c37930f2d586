package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
)

// webSubWiring is what the WebSub subscriber takes from serve.
type webSubWiring struct {
	Mux      *http.ServeMux
	Store    store.Store
	Pipeline *ingest.Pipeline
	Fetcher  *fetch.Client
	Config   Config
	Logger   *slog.Logger
	Metrics  prometheus.Registerer
	// Tasks receives the subscriber's Run.
	Tasks *[]func(context.Context) error
}

// mountWebSub adds the WebSub callback routes (/websub/{source}/{token})
// and the subscriber's renewal loop. Without public_url hubs cannot reach
// us, so there is no subscriber and every source is polled.
func mountWebSub(w *webSubWiring) error {
	if w.Config.PublicURL == "" {
		w.Logger.Info("websub subscriber off: set public_url so hubs can reach this server")
		return nil
	}
	enabled := map[string]bool{}
	for _, sc := range w.Config.Sources {
		if sc.WebSub != nil {
			enabled[sc.Name] = *sc.WebSub
		}
	}
	sub, err := ingest.NewSubscriber(ingest.SubscriberConfig{
		Store: w.Store, Pipeline: w.Pipeline, Fetcher: w.Fetcher, PublicURL: w.Config.PublicURL,
		Enabled: func(name string) bool {
			on, set := enabled[name]
			return on || !set
		},
		Logger: w.Logger, Metrics: w.Metrics,
	})
	if err != nil {
		return err
	}
	sub.Register(w.Mux)
	*w.Tasks = append(*w.Tasks, sub.Run)
	return nil
}
