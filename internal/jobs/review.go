package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
)

// kindPublishScheduled publishes a held story an editor scheduled.
const kindPublishScheduled = "publish_scheduled"

// PublishScheduledArgs publishes a held story at the time an editor
// scheduled it for.
type PublishScheduledArgs struct {
	StoryID int64 `json:"story_id"`
}

// Kind is the job kind River stores.
func (PublishScheduledArgs) Kind() string { return kindPublishScheduled }

// InsertOpts keeps one pending publication per story and time, like the
// embargo release: the work checks the story's current schedule, so a job
// left from an earlier schedule does nothing.
func (PublishScheduledArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{
			ByArgs:  true,
			ByState: whileQueuedOrRunning(),
		},
	}
}

type publishScheduledWorker struct {
	river.WorkerDefaults[PublishScheduledArgs]
	publish func(ctx context.Context, storyID int64) error
}

func (w *publishScheduledWorker) Work(ctx context.Context, job *river.Job[PublishScheduledArgs]) error {
	if w.publish == nil {
		return fmt.Errorf("publish scheduled story %d: no publish function configured", job.Args.StoryID)
	}
	return w.publish(ctx, job.Args.StoryID)
}

// SchedulePublishTx schedules the publication of a held story at `at`, in
// tx (apply.ReviewScheduler).
func (r *Runner) SchedulePublishTx(ctx context.Context, tx store.Tx, storyID int64, at time.Time) error {
	res, err := r.insertTx(ctx, tx, PublishScheduledArgs{StoryID: storyID}, &river.InsertOpts{ScheduledAt: at})
	if err != nil {
		return fmt.Errorf("schedule publication of story %d at %s: %w", storyID, at.Format(time.RFC3339), err)
	}
	r.logEnqueued(ctx, res)
	return nil
}

var _ apply.ReviewScheduler = (*Runner)(nil)
