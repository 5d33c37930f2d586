package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/demo"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/server"
	"github.com/wiredesk/wiredesk/internal/site"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// backend is an open store and the job runner that shares its database.
type backend struct {
	store   store.Store
	newJobs func(jobs.Config) (*jobs.Runner, error)
}

func openBackend(ctx context.Context, cfg Config, logger *slog.Logger) (*backend, error) {
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, postgres.Config{URL: cfg.DatabaseURL, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return &backend{store: s, newJobs: func(c jobs.Config) (*jobs.Runner, error) { return jobs.NewPostgres(s, c) }}, nil
	}
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(cfg.Data, "wiredesk.db"), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open SQLite store in %s: %w", cfg.Data, err)
	}
	return &backend{store: s, newJobs: func(c jobs.Config) (*jobs.Runner, error) { return jobs.NewSQLite(s, c) }}, nil
}

// openChecked is what every command working on an existing database starts
// with: the configuration, a logger, and the backend, refused unless its
// schema is this binary's. The caller closes the store.
func openChecked(ctx context.Context, env *cmdEnv, cf *configFlags) (*backend, Config, *slog.Logger, error) {
	cfg, err := cf.load(env.getenv)
	if err != nil {
		return nil, cfg, nil, err
	}
	logger := env.logger(cfg.LogLevel)
	b, err := openBackend(ctx, cfg, logger)
	if err != nil {
		return nil, cfg, nil, err
	}
	if err := b.store.CheckSchema(ctx); err != nil {
		b.store.Close()
		return nil, cfg, nil, err
	}
	return b, cfg, logger, nil
}

// migrate brings both wiredesk's schema and River's up to date.
func (b *backend) migrate(ctx context.Context, logger *slog.Logger) error {
	if err := b.store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}
	r, err := b.newJobs(jobs.Config{Logger: logger, Store: b.store, Poll: noPoll})
	if err != nil {
		return err
	}
	if err := r.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

func cmdMigrate(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("migrate", env)
	var cf configFlags
	cf.register(fs, false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(env.getenv)
	if err != nil {
		return err
	}
	logger := env.logger(cfg.LogLevel)
	b, err := openBackend(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer b.store.Close()
	if err := b.migrate(ctx, logger); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, "database is up to date")
	return nil
}

// demoAgencyName is the fictional agency of `wiredesk demo`.
const demoSourceName = "demo"

func cmdServe(ctx context.Context, env *cmdEnv, args []string, demoMode bool) error {
	name := "serve"
	if demoMode {
		name = "demo"
	}
	fs := newFlagSet(name, env)
	var cf configFlags
	cf.register(fs, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(env.getenv)
	if err != nil {
		return err
	}
	logger := env.logger(cfg.LogLevel)
	b, err := openBackend(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer b.store.Close()

	if demoMode {
		// The demo is zero set-up: it migrates its own embedded store.
		if err := b.migrate(ctx, logger); err != nil {
			return err
		}
	} else if err := b.store.CheckSchema(ctx); err != nil {
		return fmt.Errorf("check database schema: %w", err)
	}
	if err := configureSources(ctx, b.store, cfg.Sources, env.getenv); err != nil {
		return err
	}

	var tasks []func(context.Context) error
	if demoMode {
		agency := demo.New(demo.Config{Logger: logger})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("demo agency: %w", err)
		}
		feedURL := "http://" + ln.Addr().String() + demo.FeedPath
		if _, err := b.store.UpsertSource(ctx, &store.UpsertSourceParams{
			Name: demoSourceName, URL: feedURL, Agency: demo.AgencyName,
			Interval: 2 * time.Second, AllowPrivate: true,
		}); err != nil {
			return fmt.Errorf("configure demo source: %w", err)
		}
		tasks = append(tasks, agency.Run, func(ctx context.Context) error { return serveListener(ctx, ln, agency.Handler()) })
		logger.Info("demo agency is on the wire", "feed", feedURL)
	}

	// The runner and the applier need each other: the applier enqueues
	// jobs through the runner, the runner's jobs call back into the
	// applier and the poller. The closures break the cycle.
	var (
		applier *apply.Applier
		poller  *ingest.Poller
	)
	runner, err := b.newJobs(jobs.Config{
		Logger: logger, Store: b.store, ScanInterval: time.Duration(cfg.PollScan),
		Poll:    func(ctx context.Context, id int64) error { return poller.Poll(ctx, id) },
		Outputs: outputsConfig(cfg, logger),
		ReleaseEmbargo: func(ctx context.Context, id int64) error {
			_, err := applier.ReleaseEmbargo(ctx, id)
			return err
		},
		PublishScheduled: func(ctx context.Context, id int64) error {
			_, err := applier.PublishScheduled(ctx, id)
			return err
		},
	})
	if err != nil {
		return err
	}
	applier = apply.New(b.store, runner, nil)
	fetcher := fetch.New(fetch.Config{Timeout: time.Duration(cfg.FetchTimeout), MaxBytes: cfg.FetchMaxBytes, Logger: logger})
	pipeline := ingest.NewPipeline(b.store, applier, logger, nil)
	// Polls, pushes, WebSub and drop folders share the group commit.
	tasks = append(tasks, pipeline.Run)
	sm, err := newServeMetrics(b.store, logger)
	if err != nil {
		return err
	}
	poller, err = ingest.NewPoller(ingest.PollerConfig{Store: b.store, Fetcher: fetcher, Pipeline: pipeline, Logger: logger, Metrics: sm.poll})
	if err != nil {
		return err
	}
	for _, dc := range cfg.DropFolders {
		df, err := ingest.NewDropFolder(ingest.DropFolderConfig{Dir: dc.Dir, Agency: dc.Agency, Pipeline: pipeline, Logger: logger})
		if err != nil {
			return fmt.Errorf("drop folder %s: %w", dc.Dir, err)
		}
		tasks = append(tasks, df.Run)
	}
	st, err := site.New(site.Config{Store: b.store, Logger: logger, SiteName: cfg.SiteName, Provenance: cfg.Provenance, PublicURL: cfg.PublicURL, WebSubHub: cfg.WebSubHub})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	st.Register(mux)
	if err := mountDesk(ctx, &deskWiring{Mux: mux, Store: b.store, Applier: applier, Fetcher: fetcher, Config: cfg, Logger: logger, Demo: demoMode, Tasks: &tasks}); err != nil {
		return err
	}
	sm.register(mux)
	secrets := map[string]string{}
	for _, sc := range cfg.Sources {
		if sc.PushSecret != "" {
			secrets[sc.Name] = sc.PushSecret
		}
	}
	push, err := ingest.NewPush(ingest.PushConfig{
		Store: b.store, Pipeline: pipeline, Logger: logger,
		Secret: func(name string) (string, bool) { s, ok := secrets[name]; return s, ok },
	})
	if err != nil {
		return err
	}
	push.Register(mux)
	if err := mountAPI(mux, b.store, cfg, logger); err != nil {
		return err
	}
	if err := mountWebSub(&webSubWiring{Mux: mux, Store: b.store, Pipeline: pipeline, Fetcher: fetcher, Config: cfg, Logger: logger, Metrics: sm.reg, Tasks: &tasks}); err != nil {
		return err
	}
	srv := server.New(server.Config{Addr: cfg.Addr, Handler: withResponseCache(mux, b.store, logger, &tasks), Logger: logger, Ready: b.store.Ping})
	tasks = append(tasks, runner.Run, srv.Run)
	logger.Info("wiredesk is starting", "addr", cfg.Addr, "store", storeName(cfg))
	return runAll(ctx, tasks...)
}

// serveListener serves h on ln until ctx ends. The demo agency uses it: it
// stands for an agency elsewhere, so it has its own loopback listener.
func serveListener(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
		srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// noPoll stands in for the poller in runners that only migrate or enqueue.
func noPoll(context.Context, int64) error { return nil }

func intervalOrDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return 60 * time.Second
	}
	return d
}

func storeName(cfg Config) string {
	if cfg.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite:" + cfg.Data
}

// runAll runs tasks until ctx ends or one fails; then it cancels the rest
// and waits for all of them. It returns the first failure.
func runAll(ctx context.Context, tasks ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := t(ctx); err != nil && !errors.Is(err, context.Canceled) {
				once.Do(func() { first = err })
			}
			cancel()
		}()
	}
	wg.Wait()
	return first
}
