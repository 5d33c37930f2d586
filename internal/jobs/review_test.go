package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// A held story an editor scheduled is published by a job at that time, not
// before; the job is enqueued with the schedule, in one transaction.
func TestScheduledPublicationByJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		var applier *apply.Applier
		cfg := testConfig(t, s, func(context.Context, int64) error { return nil })
		cfg.ReleaseEmbargo = func(context.Context, int64) error { return nil }
		cfg.PublishScheduled = func(ctx context.Context, id int64) error {
			_, err := applier.PublishScheduled(ctx, id)
			return err
		}
		r := migratedRunner(t, s, cfg)
		applier = apply.New(s, r, nil)
		if err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.CreateRule(ctx, &store.CreateRuleParams{Name: "hold all", Action: "hold"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		it := embargoed("sched-1", time.Now().Add(-time.Hour))
		res, err := applier.Apply(ctx, &apply.Params{Item: it, SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		if res.State != story.Held {
			t.Fatalf("state after apply = %s, want held", res.State)
		}
		at := time.Now().Add(1500 * time.Millisecond)
		if _, err := applier.Schedule(ctx, &apply.ScheduleParams{StoryID: res.StoryID, By: "ed", At: at}); err != nil {
			t.Fatal(err)
		}
		startRunner(t, r)
		deadline := time.Now().Add(waitFor)
		for {
			st, err := s.GetStory(ctx, res.StoryID)
			if err != nil {
				t.Fatal(err)
			}
			if st.State == story.Published {
				if time.Now().Before(at) {
					t.Fatalf("published at %s, before the scheduled %s", time.Now(), at)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("story still %s %s after its scheduled time", st.State, time.Since(at))
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
