package apply_test

import (
	"context"
	"testing"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// editedStory applies version 1 of uri and marks the story edited, so
// that agency updates to it wait for an editor. It returns the story's id.
func editedStory(t *testing.T, s store.Store, a *apply.Applier, uri string) int64 {
	t.Helper()
	ctx := t.Context()
	first, err := a.Apply(ctx, &apply.Params{Item: versioned(uri, "1", "Dam holds", "The dam held."), SourceName: "wire"})
	if err != nil {
		t.Fatal(err)
	}
	id := first.StoryID
	if err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.SetEditedBy(ctx, id, "ed") }); err != nil {
		t.Fatal(err)
	}
	return id
}

// pendingHeadline is the headline of the agency update waiting on story
// id, "" when none waits.
func pendingHeadline(t *testing.T, s store.Store, id int64) string {
	t.Helper()
	st := mustStory(t, s, id)
	if st.PendingVersionID == 0 {
		return ""
	}
	versions, err := s.ListVersions(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if v.ID == st.PendingVersionID {
			return v.Item.Headline
		}
	}
	t.Fatalf("pending version %d is not among the story's versions", st.PendingVersionID)
	return ""
}

// TestOlderUpdateLeavesNewerPending: on an edited story, agency updates
// wait for an editor; one arriving late, older than the update already
// waiting, is recorded but does not take its place, so accepting the
// waiting update shows the newest text (DESIGN §4 rules 3 and 8).
func TestOlderUpdateLeavesNewerPending(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a := apply.New(s, &eventLog{}, nil)
		id := editedStory(t, s, a, "p")
		for _, v := range []struct{ version, headline string }{
			{"3", "Dam holds, river falls"},
			{"2", "Dam holds overnight"}, // older, arriving late
		} {
			res, err := a.Apply(ctx, &apply.Params{Item: versioned("p", v.version, v.headline, v.headline+"."), SourceName: "wire"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != apply.Recorded {
				t.Errorf("version %s of an edited story: %s, want recorded", v.version, res.Outcome)
			}
		}
		if got, want := pendingHeadline(t, s, id), "Dam holds, river falls"; got != want {
			t.Errorf("pending update is %q, want the newest, %q", got, want)
		}
		// A newer one still takes its place.
		if _, err := a.Apply(ctx, &apply.Params{Item: versioned("p", "4", "Dam holds, all clear", "All clear."), SourceName: "wire"}); err != nil {
			t.Fatal(err)
		}
		if got, want := pendingHeadline(t, s, id), "Dam holds, all clear"; got != want {
			t.Errorf("pending update after a newer one is %q, want %q", got, want)
		}
	})
}

// TestOlderUpdateAfterIgnoredIsNotOffered: once an editor has ignored the
// agency update waiting on an edited story, an older version arriving late
// is recorded only; offering it would put text on the desk that the agency
// had already replaced (DESIGN §4 rule 3). A newer one is offered.
func TestOlderUpdateAfterIgnoredIsNotOffered(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a := apply.New(s, &eventLog{}, nil)
		id := editedStory(t, s, a, "q")
		if _, err := a.Apply(ctx, &apply.Params{Item: versioned("q", "3", "Dam holds, river falls", "It falls."), SourceName: "wire"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.IgnoreUpdate(ctx, &apply.ReviewParams{StoryID: id, By: "ed", SeenVersion: "v:3"}); err != nil {
			t.Fatal(err)
		}
		res, err := a.Apply(ctx, &apply.Params{Item: versioned("q", "2", "Dam holds overnight", "Overnight."), SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != apply.Recorded {
			t.Errorf("late version 2: %s, want recorded", res.Outcome)
		}
		if got := pendingHeadline(t, s, id); got != "" {
			t.Errorf("after ignoring version 3, late version 2 is offered as %q; want nothing offered", got)
		}
		if _, err := a.Apply(ctx, &apply.Params{Item: versioned("q", "4", "Dam holds, all clear", "All clear."), SourceName: "wire"}); err != nil {
			t.Fatal(err)
		}
		if got, want := pendingHeadline(t, s, id), "Dam holds, all clear"; got != want {
			t.Errorf("after version 4 the pending update is %q, want %q", got, want)
		}
	})
}
