package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
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

// queuePoll is the River queue polls run in, with Config.PollWorkers.
const queuePoll = "poll"

// queueSchedule is the River queue the scans for due sources run in, one
// at a time.
const queueSchedule = "schedule"

// pollLease is how long a source claimed by a scan stays out of the next
// scans when its poll records nothing (the process died, the database was
// down): then it is due again. A poll that runs ends the claim itself.
const pollLease = 2 * time.Minute

// maxBatchesPerScan bounds one scan, so that a scan finishes and the next
// one, a ScanInterval later, goes on; with the default batch that is
// 10,000 sources a scan.
const maxBatchesPerScan = 20

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
// before it could record anything (the database is down), the source is
// due again once its claim (pollLease) is over.
func (PollSourceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 1,
		Queue:       queuePoll,
		UniqueOpts: river.UniqueOpts{
			ByArgs:  true,
			ByState: whileQueuedOrRunning(),
		},
	}
}

// pollAgain is what a poll that did not start says about when to try
// again (ingest.HostBusyError): the job is put back in the queue for that
// long rather than counted as a failure.
type pollAgain interface {
	PollAgainIn() time.Duration
}

type pollSourceWorker struct {
	river.WorkerDefaults[PollSourceArgs]
	poll func(ctx context.Context, sourceID int64) error
}

func (w *pollSourceWorker) Work(ctx context.Context, job *river.Job[PollSourceArgs]) error {
	err := w.poll(ctx, job.Args.SourceID)
	var again pollAgain
	if errors.As(err, &again) {
		// Snoozing does not use up the job's one attempt, and the job
		// stays unique for its source meanwhile.
		return river.JobSnooze(max(again.PollAgainIn(), 0))
	}
	if err != nil {
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
//
// A scan runs in a queue of its own: River works a queue in order, so in
// the default one it waited behind every story event queued before it (a
// burst of new items stopped all polling), and in the poll queue behind
// the polls the last scan queued.
func (SchedulePollsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 1,
		Queue:       queueSchedule,
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
	_, err := w.runner.scheduleDue(ctx, time.Now())
	return err
}

// scheduleDue claims the sources due at now, a batch at a time, and
// enqueues a poll of each in the transaction that claims it: a claimed
// source always has its poll queued, and a scan that fails leaves no claim.
// The store's due index makes a scan cost what is due, not how many
// sources there are. It returns how many sources it claimed.
// claimRetry is how soon a source whose poll could not be queued is
// claimed again.
const claimRetry = 2 * time.Second

func (r *Runner) scheduleDue(ctx context.Context, now time.Time) (int, error) {
	batch := cmp.Or(r.cfg.ScanBatch, DefaultScanBatch)
	total := 0
	for range maxBatchesPerScan {
		var claimed int
		err := r.cfg.Store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			due, err := tx.ClaimDueSources(ctx, &store.ClaimDueSourcesParams{Now: now, Limit: batch, Lease: pollLease})
			if err != nil {
				return err
			}
			claimed = len(due)
			if len(due) == 0 {
				return nil
			}
			params := make([]river.InsertManyParams, len(due))
			for i, d := range due {
				params[i] = river.InsertManyParams{Args: PollSourceArgs{SourceID: d.ID}}
			}
			res, err := r.insertManyTx(ctx, tx, params)
			if err != nil {
				return fmt.Errorf("enqueue %d polls: %w", len(params), err)
			}
			// A poll that ended a moment ago may still count as running to
			// River, whose completions are written in batches: the new job
			// is then skipped as its duplicate, and without a job to end
			// it the claim would keep the source unpolled for the whole
			// lease. Such claims end shortly, for the next scans to retry.
			var skipped []int64
			for _, j := range res {
				r.logEnqueued(ctx, j)
				if !j.UniqueSkippedAsDuplicate {
					continue
				}
				// The job returned is the earlier one; its args name the
				// source (results need not come back in insert order).
				var args PollSourceArgs
				if err := json.Unmarshal(j.Job.EncodedArgs, &args); err != nil {
					return fmt.Errorf("read poll job %d: %w", j.Job.ID, err)
				}
				skipped = append(skipped, args.SourceID)
			}
			if len(skipped) > 0 {
				return tx.EndSourceClaims(ctx, &store.EndSourceClaimsParams{SourceIDs: skipped, At: now.Add(claimRetry)})
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("schedule polls: %w", err)
		}
		total += claimed
		if claimed < batch {
			break
		}
	}
	return total, nil
}
