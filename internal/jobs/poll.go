package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/wiredesk/wiredesk/internal/store"
)

// Job kinds as stored in River's tables; renaming one orphans queued jobs.
const (
	kindPollSource    = "poll_source"
	kindSchedulePolls = "schedule_polls"
)

// whileQueuedOrRunning returns the states in which a job blocks an
// identical one. River needs at least these four; finished jobs (completed,
// discarded, cancelled) are left out so that a source can be polled again as
// soon as its last poll is over.
func whileQueuedOrRunning() []rivertype.JobState {
	return []rivertype.JobState{
		rivertype.JobStateAvailable,
		rivertype.JobStatePending,
		rivertype.JobStateRunning,
		rivertype.JobStateScheduled,
	}
}

// PollSourceArgs asks for one fetch of one source.
type PollSourceArgs struct {
	SourceID int64 `json:"source_id"`
}

// Kind is the job kind River stores.
func (PollSourceArgs) Kind() string { return kindPollSource }

// InsertOpts makes a poll unique per source while one is queued or running,
// across every process on the database, so one source is never fetched
// twice at once.
//
// A poll is attempted once. A failed fetch is already recorded on the
// source, with its next attempt set by the source's own backoff
// (NextAttemptAt), and schedule_polls enqueues the source again when that
// time comes. River's retries would poll on a second, unrelated schedule,
// hammering a failing feed and counting each failure twice. If Poll fails
// before it could record anything (the database is down), the source stays
// due and the next scan retries it, one ScanInterval later.
func (PollSourceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{
			ByArgs:  true,
			ByState: whileQueuedOrRunning(),
		},
	}
}

type pollSourceWorker struct {
	river.WorkerDefaults[PollSourceArgs]
	poll func(ctx context.Context, sourceID int64) error
}

func (w *pollSourceWorker) Work(ctx context.Context, job *river.Job[PollSourceArgs]) error {
	if err := w.poll(ctx, job.Args.SourceID); err != nil {
		// Returned so River keeps it on the discarded job for inspection.
		return fmt.Errorf("poll source %d: %w", job.Args.SourceID, err)
	}
	return nil
}

// SchedulePollsArgs asks for one scan for due sources. River's leader
// enqueues it every ScanInterval.
type SchedulePollsArgs struct{}

// Kind is the job kind River stores.
func (SchedulePollsArgs) Kind() string { return kindSchedulePolls }

// InsertOpts keeps one scan at most queued or running, so slow scans do not
// pile up behind each other; a scan is not retried because the next one is
// at most ScanInterval away.
func (SchedulePollsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{
			ByState: whileQueuedOrRunning(),
		},
	}
}

type schedulePollsWorker struct {
	river.WorkerDefaults[SchedulePollsArgs]
	runner *Runner
}

func (w *schedulePollsWorker) Work(ctx context.Context, job *river.Job[SchedulePollsArgs]) error {
	sources, err := w.runner.cfg.Store.ListSources(ctx)
	if err != nil {
		return fmt.Errorf("schedule polls: list sources: %w", err)
	}
	due := dueSources(sources, time.Now())
	if len(due) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(due))
	for i, id := range due {
		params[i] = river.InsertManyParams{Args: PollSourceArgs{SourceID: id}}
	}
	res, err := w.runner.client.InsertMany(ctx, params)
	if err != nil {
		return fmt.Errorf("schedule polls: enqueue %d: %w", len(params), err)
	}
	for _, r := range res {
		w.runner.logEnqueued(ctx, r)
	}
	return nil
}

// dueSources returns the ids of the sources to poll at now: not paused, and
// never attempted or with their next attempt not after now.
func dueSources(sources []*store.Source, now time.Time) []int64 {
	var due []int64
	for _, s := range sources {
		if s.Paused {
			continue
		}
		if s.NextAttemptAt != nil && s.NextAttemptAt.After(now) {
			continue
		}
		due = append(due, s.ID)
	}
	return due
}
