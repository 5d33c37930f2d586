package apply_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// A batch and what runs after it commit together: when After fails, none of
// the batch's items is stored, and a retry stores each once.
func TestApplyAllCommitsWithAfter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := apply.New(s, nil, nil)
		batch := []*apply.Params{
			{Item: item("p1", "One", "First story of the page."), SourceName: "ap"},
			{Item: item("p2", "Two", "Second story of the page."), SourceName: "ap"},
		}
		boom := errors.New("cursor write failed")
		_, err := a.ApplyAll(ctx, &apply.ApplyAllParams{Items: batch, After: func(context.Context, store.Tx) error { return boom }})
		if !errors.Is(err, boom) {
			t.Fatalf("ApplyAll with failing After: err %v, want %v", err, boom)
		}
		if n, err := s.CountStories(ctx); err != nil || n != 0 {
			t.Fatalf("after a failed batch: %d stories (err %v), want 0", n, err)
		}
		var afterRan int
		res, err := a.ApplyAll(ctx, &apply.ApplyAllParams{Items: batch, After: func(context.Context, store.Tx) error { afterRan++; return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if afterRan == 0 {
			t.Error("After did not run")
		}
		if len(res) != 2 || res[0].Outcome != apply.Created || res[1].Outcome != apply.Created {
			t.Errorf("results %+v, want two Created", res)
		}
		if n, err := s.CountStories(ctx); err != nil || n != 2 {
			t.Errorf("after the retry: %d stories (err %v), want 2", n, err)
		}
	})
}

func TestApplyAllRefusesItemWithoutIdentity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := apply.New(s, nil, nil)
		_, err := a.ApplyAll(ctx, &apply.ApplyAllParams{Items: []*apply.Params{
			{Item: item("ok", "Fine", "A fine story.")},
			{Item: item("", "No id", "No id here.")},
		}})
		if !errors.Is(err, apply.ErrNoIdentity) {
			t.Fatalf("err %v, want ErrNoIdentity", err)
		}
		if n, _ := s.CountStories(ctx); n != 0 {
			t.Errorf("%d stories stored from a refused batch, want 0", n)
		}
	})
}

// A story is filed under the section its first version's subjects name,
// and keeps it through updates.
func TestApplyFilesSection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := apply.New(s, nil, nil)
		first := item("s1", "Cup final", "The cup final ended level.")
		first.Subjects = []story.Entity{{Scheme: "medtop", Code: "15000000", Name: "sport"}}
		res, err := a.Apply(ctx, &apply.Params{Item: first})
		if err != nil {
			t.Fatal(err)
		}
		update := item("s1", "Cup final goes to replay", "The cup final goes to a replay.")
		update.Subjects = []story.Entity{{Scheme: "medtop", Code: "11000000", Name: "politics"}}
		if _, err := a.Apply(ctx, &apply.Params{Item: update}); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetStory(ctx, res.StoryID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Section != "sport" {
			t.Errorf("section %q, want sport (from the first version, kept through the update)", got.Section)
		}
	})
}
