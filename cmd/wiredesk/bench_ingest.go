package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
)

// ingestFigures is one store's ingest run.
type ingestFigures struct {
	items, created, updated, recorded, unchanged, skipped int
	inPipeline, wall                                      time.Duration
	rss, peak                                             float64
	dbBytes                                               int64
}

// benchIngest pushes cfg.items corpus deliveries through the pipeline
// `wiredesk serve` uses (archive, decode, apply with its job enqueues,
// store, with the group commit running) into a fresh store of each kind,
// from each number of concurrent senders in cfg.workers.
func benchIngest(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	sec := &benchSection{
		title:  fmt.Sprintf("Ingest end to end (%d items, one delivery each)", cfg.items),
		header: []string{"store", "concurrent deliveries", "items/s in the pipeline", "time in the pipeline", "wall time", "new / updated / recorded / unchanged / skipped", "RSS at the end", "peak RSS", "database size"},
		notes: []string{fmt.Sprintf("Corpus seed %d, default mix (updates, corrections, kills, embargoes, near-duplicates, late versions), "+
			"all four formats, one item per delivery (the hardest case: a feed poll brings many items per delivery). "+
			"Deliveries are sent by that many goroutines at once through ingest.Pipeline.Deliver with the pipeline's group commit running, as in `wiredesk serve`; "+
			"with several senders, versions of one story may arrive out of order, as they can from agencies, so the outcome counts differ while the stories end the same. "+
			"\"In the pipeline\" is the time from the first delivery sent to the last answered, the corpus generated meanwhile by one more goroutine; "+
			"wall time also includes opening the store. RSS is this process's resident memory, peak over the whole run so far.", cfg.seed)},
	}
	for _, storeName := range cfg.stores {
		for _, workers := range cfg.workers {
			f, err := ingestInto(ctx, env, cfg, storeName, workers)
			if err != nil {
				return sec, fmt.Errorf("%s: %w", storeName, err)
			}
			sec.rows = append(sec.rows, []string{
				storeName,
				fmt.Sprint(workers),
				fmt.Sprintf("%.0f", float64(f.items)/f.inPipeline.Seconds()),
				f.inPipeline.Round(100 * time.Millisecond).String(),
				f.wall.Round(100 * time.Millisecond).String(),
				fmt.Sprintf("%d / %d / %d / %d / %d", f.created, f.updated, f.recorded, f.unchanged, f.skipped),
				fmt.Sprintf("%.0f MiB", f.rss),
				fmt.Sprintf("%.0f MiB", f.peak),
				fmt.Sprintf("%.0f MiB", float64(f.dbBytes)/(1<<20)),
			})
		}
	}
	return sec, nil
}

func ingestInto(ctx context.Context, env *cmdEnv, cfg *benchConfig, storeName string, workers int) (*ingestFigures, error) {
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var (
		b       *backend
		cleanup func() error
		dbSize  func() int64
	)
	switch storeName {
	case "sqlite":
		dir, err := os.MkdirTemp("", "wiredesk-bench-")
		if err != nil {
			return nil, err
		}
		b, err = openBackend(ctx, Config{Data: dir}, logger)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		cleanup = func() error {
			err := b.store.Close()
			os.RemoveAll(dir)
			return err
		}
		dbSize = func() int64 {
			var n int64
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if fi, err := os.Stat(filepath.Join(dir, "wiredesk.db"+suffix)); err == nil {
					n += fi.Size()
				}
			}
			return n
		}
	case "postgres":
		var err error
		b, cleanup, err = benchPostgres(ctx, cfg.databaseURL)
		if err != nil {
			return nil, err
		}
		pg := b.store.(*postgres.Store)
		dbSize = func() int64 {
			var n int64
			_ = pg.Pool().QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
				FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`, pg.Schema()).Scan(&n)
			return n
		}
	}
	defer func() {
		if err := cleanup(); err != nil {
			fmt.Fprintln(env.stderr, "bench:", err)
		}
	}()
	if err := b.migrate(ctx, logger); err != nil {
		return nil, err
	}
	// As in `wiredesk ingest`: the runner enqueues but does not run, so
	// the events and embargo releases wait in the database.
	runner, err := b.newJobs(jobs.Config{Logger: logger, Store: b.store, Poll: noPoll})
	if err != nil {
		return nil, err
	}
	pipeline := ingest.NewPipeline(b.store, apply.New(b.store, runner, nil), logger, nil)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	grouped := make(chan error, 1)
	go func() { grouped <- pipeline.Run(runCtx) }()

	f := &ingestFigures{}
	bar := newProgress(env.stderr, fmt.Sprintf("ingest %s, %d at once", storeName, workers), cfg.items)
	wallStart := time.Now()
	var (
		mu        sync.Mutex
		firstErr  error
		wg        sync.WaitGroup
		sent      = make(chan *corpus.Delivery, workers)
		delivered int
		start     time.Time
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range sent {
				res, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: fmt.Sprintf("bench:%d", d.Seq), Body: d.Body, Agency: d.Item.Source.Agency})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("delivery %d (%s, %s): %w", d.Seq, d.Format, d.Kind, err)
				}
				if err == nil {
					f.items += res.Items
					f.created += res.Created
					f.updated += res.Updated
					f.recorded += res.Recorded
					f.unchanged += res.Unchanged
					f.skipped += len(res.Skipped)
				}
				delivered++
				bar.update(delivered)
				mu.Unlock()
			}
		}()
	}
	// The corpus is generated as it is sent, by this goroutine: kept
	// whole in memory it would be the biggest thing in the process.
	err = corpus.New(corpus.Config{Seed: cfg.seed, Items: cfg.items}).Each(func(d *corpus.Delivery) error {
		if start.IsZero() {
			start = time.Now()
		}
		select {
		case sent <- d:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(sent)
	wg.Wait()
	f.inPipeline = time.Since(start)
	bar.done(f.items)
	f.wall = time.Since(wallStart)
	stop()
	if gerr := <-grouped; gerr != nil && err == nil {
		err = gerr
	}
	if err == nil {
		err = firstErr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	f.rss, f.peak = processMemory()
	f.dbBytes = dbSize()
	return f, nil
}
