// Package jobs runs wiredesk's background work on River, on SQLite or PostgreSQL: the job kinds, their workers and the client that works them.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// Defaults for the zero values of Config.
const (
	DefaultScanInterval      = time.Second
	DefaultScanBatch         = 500
	DefaultFetchPollInterval = 250 * time.Millisecond
	DefaultWorkers           = 4
	DefaultPollWorkers       = 50
	DefaultEventWorkers      = 32
	DefaultStopTimeout       = 10 * time.Second
)

// riverFetchCooldown is River's own default minimum gap between two fetches;
// River refuses a poll interval shorter than the cooldown, so a shorter
// FetchPollInterval lowers the cooldown with it.
const riverFetchCooldown = 100 * time.Millisecond

// hardStopGrace is how long Run still waits, after StopTimeout has cancelled
// the contexts of running jobs, for them to return.
const hardStopGrace = 5 * time.Second

// ErrRiverSchemaOutdated: River's tables are missing or behind this binary;
// run `wiredesk migrate`.
var ErrRiverSchemaOutdated = errors.New("job queue schema is not up to date: run `wiredesk migrate`")

// Config configures a Runner. The zero value of every optional field means
// its default.
type Config struct {
	// Logger receives the runner's and River's logs. Default: logs are
	// discarded.
	Logger *slog.Logger
	// Store is where schedule_polls looks for due sources. Required.
	Store store.Store
	// Poll fetches one source and records the outcome on it, including its
	// next attempt time (store.RecordPoll). Required.
	Poll func(ctx context.Context, sourceID int64) error
	// ReleaseEmbargo publishes an embargoed story whose time has come
	// (apply.Applier.ReleaseEmbargo). Required by Run; a Runner used only
	// to migrate or to enqueue may leave it nil.
	ReleaseEmbargo func(ctx context.Context, storyID int64) error
	// PublishScheduled publishes a held story an editor scheduled
	// (apply.Applier.PublishScheduled). Default nil: such jobs fail and
	// are retried until it is set.
	PublishScheduled func(ctx context.Context, storyID int64) error
	// ScanInterval is how often due sources are looked for. Default 1s.
	ScanInterval time.Duration
	// ScanBatch is how many due sources one transaction of a scan claims
	// and enqueues; a scan goes on until it finds fewer. Default 500
	// (DefaultScanBatch, applied where it is used).
	ScanBatch int
	// FetchPollInterval is how often River looks for new jobs when nothing
	// told it about one. Default 250ms, so the demo is snappy on SQLite,
	// which has no LISTEN/NOTIFY.
	FetchPollInterval time.Duration
	// Workers is how many jobs run at once. Default 4.
	Workers int
	// PollWorkers is how many polls run at once, in a queue of their own
	// so that polls and other jobs never wait for each other. Polls mostly
	// wait on the network, and River starts at most this many per fetch of
	// jobs, so it bounds polls per second. Default 50
	// (DefaultPollWorkers, applied where it is used).
	PollWorkers int
	// EventWorkers is how many story events are worked at once, in a queue
	// of their own. River fetches at most this many per fetch, at most ten
	// fetches a second, so it bounds how fast events reach webhooks: with
	// the default queue's 4 workers that was 40 a second, far below what
	// ingest produces, and polls queued behind them. Default 32
	// (DefaultEventWorkers, applied where it is used).
	EventWorkers int
	// StopTimeout is how long Run lets running jobs finish once its context
	// is done before their contexts are cancelled too. Default 10s.
	StopTimeout time.Duration
	// Outputs turns story events into webhook deliveries and WebSub hub
	// pings. Default nil: story events are only logged.
	Outputs *OutputsConfig
}

// withDefaults returns the configuration with every unset optional field set
// to its default.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ScanInterval == 0 {
		c.ScanInterval = DefaultScanInterval
	}
	if c.FetchPollInterval == 0 {
		c.FetchPollInterval = DefaultFetchPollInterval
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	c.Outputs = c.Outputs.withDefaults()
	return c
}

// validate reports what is missing or out of range, after defaults are set.
func (c *Config) validate() error {
	var problems []string
	if c.Store == nil {
		problems = append(problems, "Store is required")
	}
	if c.Poll == nil {
		problems = append(problems, "Poll is required")
	}
	if c.ScanInterval < 0 {
		problems = append(problems, fmt.Sprintf("ScanInterval %s is negative", c.ScanInterval))
	}
	// River's own lower bound on its poll interval.
	if c.FetchPollInterval < time.Millisecond {
		problems = append(problems, fmt.Sprintf("FetchPollInterval %s is under 1ms", c.FetchPollInterval))
	}
	if c.ScanBatch < 0 {
		problems = append(problems, fmt.Sprintf("ScanBatch %d is negative", c.ScanBatch))
	}
	if c.PollWorkers < 0 {
		problems = append(problems, fmt.Sprintf("PollWorkers %d is negative", c.PollWorkers))
	}
	if c.EventWorkers < 0 {
		problems = append(problems, fmt.Sprintf("EventWorkers %d is negative", c.EventWorkers))
	}
	if c.Workers < 0 {
		problems = append(problems, fmt.Sprintf("Workers %d is negative", c.Workers))
	}
	if c.StopTimeout < 0 {
		problems = append(problems, fmt.Sprintf("StopTimeout %s is negative", c.StopTimeout))
	}
	if err := c.Outputs.validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("jobs config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// riverClient is what the Runner uses of River's client. River's client type
// is generic over the driver's transaction type; both instantiations satisfy
// this, so everything past the constructors is written once.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// riverMigrator is what the Runner uses of River's migrator, for the same
// reason as riverClient.
type riverMigrator interface {
	Migrate(ctx context.Context, direction rivermigrate.Direction, opts *rivermigrate.MigrateOpts) (*rivermigrate.MigrateResult, error)
	Validate(ctx context.Context, opts *rivermigrate.ValidateOpts) (*rivermigrate.ValidateResult, error)
}

// Runner owns a River client: it registers wiredesk's job kinds, migrates
// River's tables and works jobs until its context ends.
type Runner struct {
	cfg      Config
	logger   *slog.Logger
	client   riverClient
	migrator riverMigrator
	// insertTx enqueues a job inside a store transaction; it unwraps the
	// store's transaction into the driver's.
	insertTx func(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// insertManyTx is insertTx for a batch (schedule_polls).
	insertManyTx func(ctx context.Context, tx store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// insertManyFastTx is insertManyTx that reads nothing back, for jobs
	// without uniqueness (story events).
	insertManyFastTx func(ctx context.Context, tx store.Tx, params []river.InsertManyParams) (int, error)
	driver           string
	// stopping is set once Run begins to stop River; River's logger
	// reads it (stopQuietHandler).
	stopping atomic.Bool
}

// NewSQLite returns a Runner whose jobs live in the SQLite store's database.
// River uses the store's single writer connection, so a job can be enqueued
// in the same transaction as the state change that causes it, and River never
// meets SQLITE_BUSY from a second writer of its own.
func NewSQLite(s *sqlite.Store, cfg Config) (*Runner, error) {
	if s == nil {
		return nil, errors.New("new sqlite job runner: store is nil")
	}
	return newRunner(riversqlite.New(s.WriterDB()), riverSettings[*sql.Tx]{
		name: "sqlite",
		// SQLite has no LISTEN/NOTIFY: River's SQLite listener emulates it by
		// polling a table every 50ms on the one writer connection, queueing
		// in front of the store's writes. Polling for jobs every
		// FetchPollInterval instead costs less and is as fast for the demo.
		pollOnly: true,
		txOf:     sqlite.TxOf,
	}, cfg)
}

// NewPostgres returns a Runner whose jobs live in the PostgreSQL store's
// schema. Several processes may run one each on the same schema: River
// elects one leader to run schedule_polls, and poll_source jobs are unique
// per source.
func NewPostgres(s *postgres.Store, cfg Config) (*Runner, error) {
	if s == nil {
		return nil, errors.New("new postgres job runner: store is nil")
	}
	return newRunner(riverpgxv5.New(s.Pool()), riverSettings[pgx.Tx]{
		name:   "postgres",
		schema: s.Schema(),
		txOf:   postgres.TxOf,
	}, cfg)
}

// riverSettings is what differs between the two backends besides the driver.
type riverSettings[TTx any] struct {
	name     string
	schema   string
	pollOnly bool
	txOf     func(store.Tx) (TTx, bool)
}

// newRunner builds the River client and migrator on either driver.
func newRunner[TTx any](driver riverdriver.Driver[TTx], settings riverSettings[TTx], cfg Config) (*Runner, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new %s job runner: %w", settings.name, err)
	}
	logger := cfg.Logger.With("component", "jobs", "driver", settings.name)
	r := &Runner{cfg: cfg, logger: logger, driver: settings.name}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &pollSourceWorker{poll: cfg.Poll}); err != nil {
		return nil, fmt.Errorf("new %s job runner: register poll_source: %w", settings.name, err)
	}
	if err := river.AddWorkerSafely(workers, &schedulePollsWorker{runner: r}); err != nil {
		return nil, fmt.Errorf("new %s job runner: register schedule_polls: %w", settings.name, err)
	}
	if err := river.AddWorkerSafely(workers, &storyEventWorker{runner: r}); err != nil {
		return nil, fmt.Errorf("new %s job runner: register story_event: %w", settings.name, err)
	}
	if err := river.AddWorkerSafely(workers, &releaseEmbargoWorker{release: cfg.ReleaseEmbargo}); err != nil {
		return nil, fmt.Errorf("new %s job runner: register release_embargo: %w", settings.name, err)
	}
	if err := river.AddWorkerSafely(workers, &publishScheduledWorker{publish: cfg.PublishScheduled}); err != nil {
		return nil, fmt.Errorf("new %s job runner: register publish_scheduled: %w", settings.name, err)
	}
	if err := addOutputWorkers(workers, r); err != nil {
		return nil, fmt.Errorf("new %s job runner: %w", settings.name, err)
	}

	riverLogger := slog.New(stopQuietHandler{Handler: cfg.Logger.Handler(), stopping: &r.stopping}).
		With("component", "river", "driver", settings.name)
	client, err := river.NewClient(driver, &river.Config{
		// Finished jobs are only kept for looking into recent trouble;
		// schedule_polls alone finishes one job per ScanInterval.
		CompletedJobRetentionPeriod: time.Hour,
		FetchCooldown:               min(riverFetchCooldown, cfg.FetchPollInterval),
		FetchPollInterval:           cfg.FetchPollInterval,
		Logger:                      riverLogger,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(
				river.PeriodicInterval(cfg.ScanInterval),
				func() (river.JobArgs, *river.InsertOpts) { return SchedulePollsArgs{}, nil },
				&river.PeriodicJobOpts{ID: kindSchedulePolls, RunOnStart: true},
			),
		},
		PollOnly: settings.pollOnly,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.Workers},
			queuePoll:          {MaxWorkers: cmp.Or(cfg.PollWorkers, DefaultPollWorkers)},
			queueEvents:        {MaxWorkers: cmp.Or(cfg.EventWorkers, DefaultEventWorkers)},
			queueSchedule:      {MaxWorkers: 1},
		},
		Schema:          settings.schema,
		SoftStopTimeout: cfg.StopTimeout,
		Workers:         workers,
	})
	if err != nil {
		return nil, fmt.Errorf("new %s job runner: river client: %w", settings.name, err)
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{
		Logger: riverLogger,
		Schema: settings.schema,
	})
	if err != nil {
		return nil, fmt.Errorf("new %s job runner: river migrator: %w", settings.name, err)
	}

	r.client = client
	r.migrator = migrator
	r.insertTx = func(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		driverTx, ok := settings.txOf(tx)
		if !ok {
			return nil, fmt.Errorf("transaction %T is not a %s store transaction", tx, settings.name)
		}
		return client.InsertTx(ctx, driverTx, args, opts)
	}
	r.insertManyTx = func(ctx context.Context, tx store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
		driverTx, ok := settings.txOf(tx)
		if !ok {
			return nil, fmt.Errorf("transaction %T is not a %s store transaction", tx, settings.name)
		}
		return client.InsertManyTx(ctx, driverTx, params)
	}
	r.insertManyFastTx = func(ctx context.Context, tx store.Tx, params []river.InsertManyParams) (int, error) {
		driverTx, ok := settings.txOf(tx)
		if !ok {
			return 0, fmt.Errorf("transaction %T is not a %s store transaction", tx, settings.name)
		}
		return client.InsertManyFastTx(ctx, driverTx, params)
	}
	return r, nil
}

// Migrate applies River's own migrations to the database, after the store's.
// Running it again when they are applied does nothing.
func (r *Runner) Migrate(ctx context.Context) error {
	res, err := r.migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate %s job queue: %w", r.driver, err)
	}
	for _, v := range res.Versions {
		r.logger.InfoContext(ctx, "applied job queue migration", "version", v.Version, "name", v.Name)
	}
	return nil
}

// Run works jobs until ctx is done, then stops taking new ones and lets
// running ones finish: within StopTimeout, after which their contexts are
// cancelled too. It returns nil on a clean stop.
func (r *Runner) Run(ctx context.Context) error {
	if r.cfg.ReleaseEmbargo == nil {
		return errors.New("run job queue: Config.ReleaseEmbargo is required to work jobs")
	}
	// Without this check River would start and then log errors about
	// missing tables every FetchPollInterval.
	check, err := r.migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("check %s job queue schema: %w", r.driver, err)
	}
	if !check.OK {
		return fmt.Errorf("%w (%s)", ErrRiverSchemaOutdated, strings.Join(check.Messages, "; "))
	}

	// River hard-stops when the context given to Start ends; the stop here
	// is the graceful one, so River gets a context that outlives ctx.
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start %s job queue: %w", r.driver, err)
	}
	r.logger.InfoContext(ctx, "job queue started")
	// River staggers the start of its leader's maintenance services, the
	// periodic enqueuer among them, by up to a second each: the first
	// scheduled scan can come four seconds after start. Scanning now makes
	// due sources poll at once. Every node may do this: scans are unique
	// while one is queued, and so are polls per source.
	res, err := r.client.Insert(ctx, SchedulePollsArgs{}, nil)
	switch {
	case err == nil:
		r.logEnqueued(ctx, res)
	case ctx.Err() == nil:
		r.logger.WarnContext(ctx, "first scan for due sources not enqueued; the periodic one will follow", "error", err)
	}
	<-ctx.Done()
	r.stopping.Store(true)

	// SoftStopTimeout makes River cancel running jobs after StopTimeout;
	// the grace on top bounds the wait for jobs that ignore cancellation.
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.StopTimeout+hardStopGrace)
	defer cancel()
	if err := r.client.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop %s job queue: %w", r.driver, err)
	}
	r.logger.InfoContext(stopCtx, "job queue stopped")
	return nil
}

// EnqueuePoll asks for a poll of the source now. When a poll of it is
// already queued or running, that one stands for this one and nothing is
// added. Inside a store transaction use EnqueuePollTx instead: on SQLite,
// EnqueuePoll would wait forever for the one writer connection that the
// transaction holds.
func (r *Runner) EnqueuePoll(ctx context.Context, sourceID int64) error {
	res, err := r.client.Insert(ctx, PollSourceArgs{SourceID: sourceID}, nil)
	if err != nil {
		return fmt.Errorf("enqueue poll of source %d: %w", sourceID, err)
	}
	r.logEnqueued(ctx, res)
	return nil
}

// EnqueuePollTx asks for a poll of the source once tx commits; if tx rolls
// back, so does the poll. tx must come from the same store the Runner was
// built on.
func (r *Runner) EnqueuePollTx(ctx context.Context, tx store.Tx, sourceID int64) error {
	res, err := r.insertTx(ctx, tx, PollSourceArgs{SourceID: sourceID}, nil)
	if err != nil {
		return fmt.Errorf("enqueue poll of source %d in transaction: %w", sourceID, err)
	}
	r.logEnqueued(ctx, res)
	return nil
}

func (r *Runner) logEnqueued(ctx context.Context, res *rivertype.JobInsertResult) {
	r.logger.DebugContext(ctx, "enqueued job",
		"kind", res.Job.Kind, "job_id", res.Job.ID, "already_queued", res.UniqueSkippedAsDuplicate)
}
