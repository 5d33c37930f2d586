package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

func embargoed(uri string, until time.Time) *story.Item {
	return &story.Item{
		URI: uri, Version: "1", PubStatus: story.Usable, Type: "text", Embargoed: &until,
		Headline: "Results embargoed until noon", BodyText: "Quarterly results of the harbour authority.",
		BodyHTML: "<p>Quarterly results of the harbour authority.</p>",
		Source:   story.ItemSource{Format: "ninjs", Agency: "Example Press"},
	}
}

// An embargoed story is invisible until its time, then a scheduled job
// publishes it; the job is in the database, so a runner started after the
// item was applied (a restart) still releases it.
func TestEmbargoReleasedByScheduledJob(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		var applier *apply.Applier
		cfg := testConfig(t, s, func(context.Context, int64) error { return nil })
		cfg.ReleaseEmbargo = func(ctx context.Context, id int64) error {
			_, err := applier.ReleaseEmbargo(ctx, id)
			return err
		}
		r := migratedRunner(t, s, cfg)
		applier = apply.New(s, r, nil)

		until := time.Now().Add(1500 * time.Millisecond)
		res, err := applier.Apply(ctx, &apply.Params{Item: embargoed("emb-1", until)})
		if err != nil {
			t.Fatal(err)
		}
		if res.State != story.Embargoed {
			t.Fatalf("state after apply = %s, want embargoed", res.State)
		}
		if list, _ := s.ListStories(ctx, &store.ListStoriesParams{}); len(list) != 0 {
			t.Fatalf("embargoed story listed before its time: %d stories", len(list))
		}
		// Only now does a runner start: as after a restart.
		startRunner(t, r)
		deadline := time.Now().Add(waitFor)
		for {
			st, err := s.GetStory(ctx, res.StoryID)
			if err != nil {
				t.Fatal(err)
			}
			if st.State == story.Published {
				if time.Now().Before(until) {
					t.Fatalf("published at %s, before the embargo %s", time.Now(), until)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("story still %s %s after its embargo", st.State, time.Since(until))
			}
			time.Sleep(50 * time.Millisecond)
		}
		if list, _ := s.ListStories(ctx, &store.ListStoriesParams{}); len(list) != 1 {
			t.Errorf("released story not listed: %d stories", len(list))
		}
	})
}

// A kill enqueues a killed event in the same transaction; a rolled back
// apply enqueues nothing.
func TestKillEnqueuesEventInSameTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := migratedRunner(t, s, testConfig(t, s, func(context.Context, int64) error { return nil }))
		a := apply.New(s, r, nil)
		it := embargoed("kill-1", time.Now().Add(-time.Hour))
		if _, err := a.Apply(ctx, &apply.Params{Item: it}); err != nil {
			t.Fatal(err)
		}
		kill := *it
		kill.Version, kill.PubStatus, kill.EdNote = "2", story.Canceled, "Legal: do not use."
		res, err := a.Apply(ctx, &apply.Params{Item: &kill})
		if err != nil {
			t.Fatal(err)
		}
		if res.Event != apply.EventKilled || res.State != story.Killed {
			t.Fatalf("kill: event %q state %s, want killed", res.Event, res.State)
		}
		st, err := s.GetStory(ctx, res.StoryID)
		if err != nil {
			t.Fatal(err)
		}
		if st.StateReason != "Legal: do not use." {
			t.Errorf("state reason %q, want the agency's note", st.StateReason)
		}
		events := storyEvents(t, r)
		want := []string{"published", "killed"}
		if len(events) != len(want) || events[0] != want[0] || events[1] != want[1] {
			t.Errorf("events enqueued = %v, want %v", events, want)
		}
	})
}

func storyEvents(t *testing.T, r *jobs.Runner) []string {
	t.Helper()
	evs, err := r.StoryEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, string(e.Event))
	}
	return kinds
}

// TestStoryEventsEnqueuedTogetherInOrder: the events of several stories
// applied in one transaction are enqueued in the order they were raised,
// each once, and a transaction rolled back enqueues none.
func TestStoryEventsEnqueuedTogetherInOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r := migratedRunner(t, s, testConfig(t, s, func(context.Context, int64) error { return nil }))
		a := apply.New(s, r, nil)
		past := time.Now().Add(-time.Hour)
		first, second := embargoed("batch-1", past), embargoed("batch-2", past)
		kill := *first
		kill.Version, kill.PubStatus = "2", story.Canceled
		errRollback := errors.New("roll back")
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := a.ApplyTx(ctx, tx, []*apply.Params{{Item: embargoed("rolled-back", past)}}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want the rollback error", err)
		}
		var res []*apply.Result
		err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			res, err = a.ApplyTx(ctx, tx, []*apply.Params{{Item: first}, {Item: second}, {Item: &kill}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := r.StoryEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, fmt.Sprintf("%s %d", e.Event, e.StoryID))
		}
		want := []string{
			fmt.Sprintf("published %d", res[0].StoryID),
			fmt.Sprintf("published %d", res[1].StoryID),
			fmt.Sprintf("killed %d", res[0].StoryID),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("story events (-want +got):\n%s", diff)
		}
	})
}
