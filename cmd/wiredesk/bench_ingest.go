package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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
// `wiredesk ingest` uses (archive, decode, apply with its job enqueues,
// store) into a fresh store of each kind, one delivery after another.
func benchIngest(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	sec := &benchSection{
		title:  fmt.Sprintf("Ingest end to end (%d items, one delivery each)", cfg.items),
		header: []string{"store", "items/s in the pipeline", "time in the pipeline", "wall time", "new / updated / recorded / unchanged / skipped", "RSS at the end", "peak RSS", "database size"},
		notes: []string{fmt.Sprintf("Corpus seed %d, default mix (updates, corrections, kills, embargoes, near-duplicates, late versions), "+
			"all four formats. \"In the pipeline\" is the time spent in ingest.Pipeline.Deliver, the way `wiredesk ingest` calls it; "+
			"wall time also includes generating the corpus. RSS is this process's resident memory, peak over the whole run so far.", cfg.seed)},
	}
	for _, storeName := range cfg.stores {
		f, err := ingestInto(ctx, env, cfg, storeName)
		if err != nil {
			return sec, fmt.Errorf("%s: %w", storeName, err)
		}
		sec.rows = append(sec.rows, []string{
			storeName,
			fmt.Sprintf("%.0f", float64(f.items)/f.inPipeline.Seconds()),
			f.inPipeline.Round(100 * time.Millisecond).String(),
			f.wall.Round(100 * time.Millisecond).String(),
			fmt.Sprintf("%d / %d / %d / %d / %d", f.created, f.updated, f.recorded, f.unchanged, f.skipped),
			fmt.Sprintf("%.0f MiB", f.rss),
			fmt.Sprintf("%.0f MiB", f.peak),
			fmt.Sprintf("%.0f MiB", float64(f.dbBytes)/(1<<20)),
		})
	}
	return sec, nil
}

func ingestInto(ctx context.Context, env *cmdEnv, cfg *benchConfig, storeName string) (*ingestFigures, error) {
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

	f := &ingestFigures{}
	bar := newProgress(env.stderr, "ingest "+storeName, cfg.items)
	wallStart := time.Now()
	err = corpus.New(corpus.Config{Seed: cfg.seed, Items: cfg.items}).Each(func(d *corpus.Delivery) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		res, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: fmt.Sprintf("bench:%d", d.Seq), Body: d.Body, Agency: d.Item.Source.Agency})
		f.inPipeline += time.Since(start)
		if err != nil {
			return fmt.Errorf("delivery %d (%s, %s): %w", d.Seq, d.Format, d.Kind, err)
		}
		f.items += res.Items
		f.created += res.Created
		f.updated += res.Updated
		f.recorded += res.Recorded
		f.unchanged += res.Unchanged
		f.skipped += len(res.Skipped)
		bar.update(d.Seq + 1)
		return nil
	})
	bar.done(f.items)
	f.wall = time.Since(wallStart)
	if err != nil {
		return nil, err
	}
	f.rss, f.peak = processMemory()
	f.dbBytes = dbSize()
	return f, nil
}
