package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
)

// Job kinds of the story lifecycle.
const (
	kindStoryEvent     = "story_event"
	kindReleaseEmbargo = "release_embargo"
)

// StoryEventArgs is one story change (published, updated, corrected,
// killed, withheld, restored), enqueued in the transaction that made it: the
// outbox that outbound deliveries (webhooks, WebSub pings, cache purges)
// are fed from.
type StoryEventArgs struct {
	Event      apply.EventKind `json:"event"`
	StoryID    int64           `json:"story_id"`
	VersionKey string          `json:"version_key"`
	At         time.Time       `json:"at"`
}

// Kind is the job kind River stores.
func (StoryEventArgs) Kind() string { return kindStoryEvent }

// queueEvents is the River queue story events are worked in, with
// Config.EventWorkers.
const queueEvents = "events"

// InsertOpts puts story events in their own queue, so that a burst of them
// after a large delivery neither waits behind other jobs nor holds them up.
func (StoryEventArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueEvents}
}

type storyEventWorker struct {
	river.WorkerDefaults[StoryEventArgs]
	runner *Runner
}

// Work hands the event to its consumers: it queues a webhook delivery for
// every subscriber that wants the event and asks for WebSub hub pings, in
// one transaction (Runner.fanOut). Without Outputs configured the event is
// only logged: the job row itself is the durable record that it happened.
// The job's id orders the events of one story (they are enqueued under the
// story's lock), so a late job of an older event is not delivered after a
// newer one.
func (w *storyEventWorker) Work(ctx context.Context, job *river.Job[StoryEventArgs]) error {
	w.runner.logger.InfoContext(ctx, "story event", "event", job.Args.Event, "story", job.Args.StoryID, "version", job.Args.VersionKey)
	if w.runner.cfg.Outputs == nil {
		return nil
	}
	if err := w.runner.fanOut(ctx, job.ID, &job.Args); err != nil {
		return fmt.Errorf("fan out %s event of story %d: %w", job.Args.Event, job.Args.StoryID, err)
	}
	return nil
}

// ReleaseEmbargoArgs publishes an embargoed story at its embargo time.
type ReleaseEmbargoArgs struct {
	StoryID int64 `json:"story_id"`
}

// Kind is the job kind River stores.
func (ReleaseEmbargoArgs) Kind() string { return kindReleaseEmbargo }

// InsertOpts keeps one pending release per story and time: re-scheduling
// the same embargo is a no-op, a new embargo time is its own job (the
// release checks the story's current embargo, so a stale one does nothing).
func (ReleaseEmbargoArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{
			ByArgs:  true,
			ByState: whileQueuedOrRunning(),
		},
	}
}

type releaseEmbargoWorker struct {
	river.WorkerDefaults[ReleaseEmbargoArgs]
	release func(ctx context.Context, storyID int64) error
}

func (w *releaseEmbargoWorker) Work(ctx context.Context, job *river.Job[ReleaseEmbargoArgs]) error {
	if w.release == nil {
		return fmt.Errorf("release embargo of story %d: no release function configured", job.Args.StoryID)
	}
	return w.release(ctx, job.Args.StoryID)
}

// StoryEventsTx enqueues story events in tx, in order (apply.Events). A
// batch goes to River as one insert: apply enqueues every event of a group
// commit together, and one statement per event was an eighth of ingest.
func (r *Runner) StoryEventsTx(ctx context.Context, tx store.Tx, evs ...*apply.StoryEvent) error {
	switch len(evs) {
	case 0:
		return nil
	case 1:
		ev := evs[0]
		res, err := r.insertTx(ctx, tx, StoryEventArgs{Event: ev.Kind, StoryID: ev.StoryID, VersionKey: ev.VersionKey, At: ev.At}, nil)
		if err != nil {
			return fmt.Errorf("enqueue %s event of story %d: %w", ev.Kind, ev.StoryID, err)
		}
		r.logEnqueued(ctx, res)
		return nil
	}
	params := make([]river.InsertManyParams, len(evs))
	for i, ev := range evs {
		params[i] = river.InsertManyParams{Args: StoryEventArgs{Event: ev.Kind, StoryID: ev.StoryID, VersionKey: ev.VersionKey, At: ev.At}}
	}
	// Story events are not unique jobs, so the insert that reads nothing
	// back is enough; reading the rows back was half of River's cost.
	n, err := r.insertManyFastTx(ctx, tx, params)
	if err != nil {
		return fmt.Errorf("enqueue %d story events (first: %s of story %d): %w", len(evs), evs[0].Kind, evs[0].StoryID, err)
	}
	if n != len(evs) {
		return fmt.Errorf("enqueue %d story events: %d inserted", len(evs), n)
	}
	r.logger.DebugContext(ctx, "enqueued story events", "events", len(evs))
	return nil
}

// ScheduleEmbargoReleaseTx schedules the release of an embargoed story at
// its embargo time, in tx (apply.Events). The job lives in the database,
// so the release survives restarts.
func (r *Runner) ScheduleEmbargoReleaseTx(ctx context.Context, tx store.Tx, storyID int64, at time.Time) error {
	res, err := r.insertTx(ctx, tx, ReleaseEmbargoArgs{StoryID: storyID}, &river.InsertOpts{ScheduledAt: at})
	if err != nil {
		return fmt.Errorf("schedule embargo release of story %d at %s: %w", storyID, at.Format(time.RFC3339), err)
	}
	r.logEnqueued(ctx, res)
	return nil
}

// StoryEvents returns the story events enqueued so far, oldest first, in
// whatever state their jobs are: the outbox as a log (for the desk and for
// tests). River keeps finished jobs for an hour.
func (r *Runner) StoryEvents(ctx context.Context) ([]*StoryEventArgs, error) {
	var out []*StoryEventArgs
	params := river.NewJobListParams().Kinds(kindStoryEvent).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(10000)
	res, err := r.client.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list story events: %w", err)
	}
	for _, j := range res.Jobs {
		var a StoryEventArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			return nil, fmt.Errorf("story event job %d: %w", j.ID, err)
		}
		out = append(out, &a)
	}
	return out, nil
}

var _ apply.Events = (*Runner)(nil)
