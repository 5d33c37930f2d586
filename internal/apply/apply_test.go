package apply_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

func item(uri, headline, body string) *story.Item {
	return &story.Item{
		URI: uri, PubStatus: story.Usable, Type: "text", Headline: headline,
		BodyHTML: "<p>" + body + "</p>", BodyText: body,
		Source: story.ItemSource{Format: "rss", Agency: "Test Agency", SHA256: "00"},
	}
}

func TestApply(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		a := apply.New(s, nil, func() time.Time { clock = clock.Add(time.Second); return clock })

		steps := []struct {
			name        string
			item        *story.Item
			wantOutcome apply.Outcome
			wantStory   string // which earlier step's story it must land in; "" = new
		}{
			{"first version", item("a1", "Harbour closed by storm", "The harbour closed."), apply.Created, ""},
			{"same again", item("a1", "Harbour closed by storm", "The harbour closed."), apply.Unchanged, "first version"},
			{"new text", item("a1", "Harbour stays closed", "The harbour stays closed."), apply.Updated, "first version"},
			{"old text re-sent", item("a1", "Harbour closed by storm", "The harbour closed."), apply.Unchanged, "first version"},
			{"another story", item("b2", "Ferry resumes", "Ferries run."), apply.Created, ""},
		}
		ids := map[string]int64{}
		for _, st := range steps {
			res, err := a.Apply(ctx, &apply.Params{Item: st.item, SourceName: "test"})
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if res.Outcome != st.wantOutcome {
				t.Errorf("%s: outcome %s, want %s", st.name, res.Outcome, st.wantOutcome)
			}
			if st.wantStory != "" && res.StoryID != ids[st.wantStory] {
				t.Errorf("%s: story %d, want %d (%s)", st.name, res.StoryID, ids[st.wantStory], st.wantStory)
			}
			ids[st.name] = res.StoryID
		}
		if ids["another story"] == ids["first version"] {
			t.Error("two agency ids were folded into one story")
		}
		n, err := s.CountStories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("CountStories = %d, want 2", n)
		}
		got, err := s.GetStory(ctx, ids["first version"])
		if err != nil {
			t.Fatal(err)
		}
		if got.Current.Headline != "Harbour stays closed" {
			t.Errorf("current headline %q, want the update's", got.Current.Headline)
		}
		if got.Slug != "harbour-closed-by-storm" {
			t.Errorf("slug %q changed with the update; the URL must stay the same", got.Slug)
		}
		if got.Versions != 2 {
			t.Errorf("Versions = %d, want 2", got.Versions)
		}
		if !got.State.Visible() || got.PublishedAt.IsZero() {
			t.Errorf("story state %s, published %v: want published", got.State, got.PublishedAt)
		}
	})
}

func TestApplyRefusesEmptyIdentity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		a := apply.New(s, nil, nil)
		for _, it := range []*story.Item{item("", "No id", "x"), item("  ", "Blank id", "x")} {
			_, err := a.Apply(context.Background(), &apply.Params{Item: it})
			if !errors.Is(err, apply.ErrNoIdentity) {
				t.Errorf("Apply(uri %q) error = %v, want ErrNoIdentity", it.URI, err)
			}
		}
		noAgency := item("c3", "No agency", "x")
		noAgency.Source.Agency = ""
		if _, err := a.Apply(context.Background(), &apply.Params{Item: noAgency}); !errors.Is(err, apply.ErrNoIdentity) {
			t.Errorf("Apply without agency error = %v, want ErrNoIdentity", err)
		}
		if n, _ := s.CountStories(context.Background()); n != 0 {
			t.Errorf("CountStories = %d, want 0", n)
		}
	})
}

// Several workers applying the same item at once, as two nodes polling one
// feed would, must leave one story with one version.
func TestApplyConcurrentSameItem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		a := apply.New(s, nil, nil)
		var wg sync.WaitGroup
		outcomes := make([]apply.Outcome, 8)
		errs := make([]error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := a.Apply(context.Background(), &apply.Params{Item: item("race", "Same story", "Same text.")})
				errs[i] = err
				if err == nil {
					outcomes[i] = res.Outcome
				}
			}()
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("worker %d: %v", i, err)
			}
			if outcomes[i] == apply.Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d workers created the story, want 1 (outcomes %v)", created, outcomes)
		}
		n, _ := s.CountStories(context.Background())
		if n != 1 {
			t.Errorf("CountStories = %d, want 1", n)
		}
	})
}

// Duplicates fold into one cluster (DESIGN §4 rule 9), and what carries no
// story text never does: bodies without words, and kill notices, which read
// alike for unrelated stories.
func TestApplyClusters(t *testing.T) {
	body := "The harbour authority closed the port to all shipping as the storm pushed gusts along the coast, leaving three inbound ferries at anchor in the sound. Schools sent pupils home at midday and rail services north of the city were suspended."
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		a := apply.New(s, nil, nil)
		applyItem := func(agency, uri, text string, status story.PubStatus) int64 {
			t.Helper()
			it := item(uri, "Headline "+uri, text)
			it.Source.Agency, it.PubStatus, it.BodyText = agency, status, text
			res, err := a.Apply(ctx, &apply.Params{Item: it})
			if err != nil {
				t.Fatal(err)
			}
			return res.StoryID
		}
		cluster := func(id int64) int64 {
			t.Helper()
			st, err := s.GetStory(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return st.ClusterID
		}
		first := applyItem("Alpha Wire", "a-1", "PORT ALDER, Nov 29 (AW) - "+body, story.Usable)
		same := applyItem("Beta News", "b-1", "PORT ALDER (BN) - "+body, story.Usable)
		near := applyItem("Gamma Press", "g-1", body+" A spokesman for the harbour authority said the port would reopen on Tuesday.", story.Usable)
		other := applyItem("Beta News", "b-2", "The council approved the budget for next year after a long debate about school buildings and the cost of the new bridge across the river.", story.Usable)
		dateline := applyItem("Alpha Wire", "a-2", "PORT ALDER, Nov 29 (AW) -", story.Usable)
		dateline2 := applyItem("Beta News", "b-3", "PORT ALDER (BN) -", story.Usable)
		kill1 := applyItem("Alpha Wire", "a-3", "This story has been withdrawn by the agency. Do not use.", story.Canceled)
		kill2 := applyItem("Beta News", "b-4", "This story has been withdrawn by the agency. Do not use.", story.Canceled)

		if c := cluster(first); c == 0 || cluster(same) != c || cluster(near) != c {
			t.Errorf("clusters: first %d, identical copy %d, near copy %d; want one cluster", cluster(first), cluster(same), cluster(near))
		}
		for name, id := range map[string]int64{"different story": other, "dateline-only body": dateline, "second dateline-only body": dateline2, "kill notice": kill1, "second kill notice": kill2} {
			if c := cluster(id); c != 0 {
				t.Errorf("%s joined cluster %d", name, c)
			}
		}
		got, err := s.GetStory(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"Beta News", "Gamma Press"}; !slices.Equal(got.AlsoReportedBy, want) {
			t.Errorf("AlsoReportedBy = %v, want %v", got.AlsoReportedBy, want)
		}
	})
}
