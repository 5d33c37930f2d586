package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// testSourceScheduling covers what the scheduler and source management
// need of the store: credentials, the adaptive interval, the due-source
// claim, the WebSub lease, the cursor of cursor feeds, removal and the
// items-per-day count.
func testSourceScheduling(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("AuthRoundTrip", func(t *testing.T) { testSourceAuth(t, open) })
	t.Run("CurrentInterval", func(t *testing.T) { testCurrentInterval(t, open) })
	t.Run("FeedTTL", func(t *testing.T) { testFeedTTL(t, open) })
	t.Run("ClaimDueSources", func(t *testing.T) { testClaimDueSources(t, open) })
	t.Run("SetPushActive", func(t *testing.T) { testSetPushActive(t, open) })
	t.Run("SetSourceCursor", func(t *testing.T) { testSetSourceCursor(t, open) })
	t.Run("DeleteSource", func(t *testing.T) { testDeleteSource(t, open) })
	t.Run("CountSourceItems", func(t *testing.T) { testCountSourceItems(t, open) })
}

func testSourceAuth(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	auth := store.SourceAuth{Kind: "header", Username: "", Secret: "s3cret", Name: "X-Api-Key"}
	created, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "ap", URL: "https://api.example/feed", Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth, created.Auth); diff != "" {
		t.Errorf("created Auth (-want +got):\n%s", diff)
	}
	got, err := s.GetSource(ctx, "ap")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth, got.Auth); diff != "" {
		t.Errorf("stored Auth (-want +got):\n%s", diff)
	}
	// Reconfiguring replaces the credentials, clearing them too.
	cleared, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "ap", URL: "https://api.example/feed"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.SourceAuth{}, cleared.Auth); diff != "" {
		t.Errorf("Auth after an upsert without credentials (-want +got):\n%s", diff)
	}
}

func testCurrentInterval(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "a", URL: "https://wire.example/a", Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if src.CurrentInterval != 0 {
		t.Errorf("new source CurrentInterval = %s, want 0", src.CurrentInterval)
	}
	steps := []struct {
		name string
		p    store.RecordPollParams
		want time.Duration
	}{
		{"success sets it", store.RecordPollParams{CurrentInterval: 2 * time.Minute}, 2 * time.Minute},
		{"zero keeps it", store.RecordPollParams{}, 2 * time.Minute},
		{"failure sets it", store.RecordPollParams{Err: "HTTP 500", CurrentInterval: 3 * time.Minute}, 3 * time.Minute},
		{"failure with zero keeps it", store.RecordPollParams{Err: "HTTP 500"}, 3 * time.Minute},
	}
	for i, st := range steps {
		p := st.p
		p.SourceID, p.At, p.NextAttemptAt = src.ID, at.Add(time.Duration(i)*time.Minute), at.Add(time.Hour)
		got, err := s.RecordPoll(ctx, &p)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.CurrentInterval != st.want {
			t.Errorf("%s: CurrentInterval = %s, want %s", st.name, got.CurrentInterval, st.want)
		}
	}
}

func testFeedTTL(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "rss", URL: "https://wire.example/rss"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		p    store.RecordPollParams
		want time.Duration
	}{
		{"a full response sets it", store.RecordPollParams{FeedTTL: 30 * time.Minute}, 30 * time.Minute},
		{"not modified keeps it", store.RecordPollParams{NotModified: true}, 30 * time.Minute},
		{"a failure keeps it", store.RecordPollParams{Err: "HTTP 500", FeedTTL: time.Minute}, 30 * time.Minute},
		{"a full response without one clears it", store.RecordPollParams{}, 0},
	}
	for i, st := range steps {
		p := st.p
		p.SourceID, p.At = src.ID, at.Add(time.Duration(i)*time.Minute)
		got, err := s.RecordPoll(ctx, &p)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got.FeedTTL != st.want {
			t.Errorf("%s: FeedTTL = %s, want %s", st.name, got.FeedTTL, st.want)
		}
	}
}

func claim(t *testing.T, s store.Store, p *store.ClaimDueSourcesParams) []*store.DueSource {
	t.Helper()
	var due []*store.DueSource
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		due, err = tx.ClaimDueSources(ctx, p)
		return err
	})
	if err != nil {
		t.Fatalf("ClaimDueSources: %v", err)
	}
	return due
}

func testClaimDueSources(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	now := at
	ids := map[string]int64{}
	add := func(name string, p store.UpsertSourceParams) {
		t.Helper()
		p.Name, p.URL = name, "https://wire.example/"+name
		src, err := s.UpsertSource(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = src.ID
	}
	next := func(name string, nextAt time.Time) {
		t.Helper()
		if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: ids[name], At: now.Add(-time.Hour), NextAttemptAt: nextAt}); err != nil {
			t.Fatal(err)
		}
	}
	add("overdue-2m", store.UpsertSourceParams{})
	next("overdue-2m", now.Add(-2*time.Minute))
	add("overdue-1m", store.UpsertSourceParams{})
	next("overdue-1m", now.Add(-time.Minute))
	add("due-now", store.UpsertSourceParams{})
	next("due-now", now)
	add("later", store.UpsertSourceParams{})
	next("later", now.Add(time.Second))
	add("paused", store.UpsertSourceParams{Paused: true})
	next("paused", now.Add(-time.Hour))
	add("removed", store.UpsertSourceParams{})
	next("removed", now.Add(-time.Hour))
	if err := s.DeleteSource(ctx, &store.DeleteSourceParams{Name: "removed", At: now}); err != nil {
		t.Fatal(err)
	}
	// Never polled, first attempt spread into the future or left at once.
	add("new-jittered", store.UpsertSourceParams{FirstAttemptAt: now.Add(3 * time.Second)})
	add("new-at-once", store.UpsertSourceParams{})
	newAtOnce, err := s.GetSource(ctx, "new-at-once")
	if err != nil {
		t.Fatal(err)
	}

	name := map[int64]string{}
	for n, id := range ids {
		name[id] = n
	}
	names := func(due []*store.DueSource) []string {
		var out []string
		for _, d := range due {
			out = append(out, name[d.ID])
		}
		return out
	}

	lease := 2 * time.Minute
	first := claim(t, s, &store.ClaimDueSourcesParams{Now: now, Limit: 3, Lease: lease})
	// A never-attempted source is due from its creation time, which is
	// after the overdue ones' due times here only if the clock says so;
	// compare sets rather than rely on it.
	got := map[string]time.Time{}
	for _, d := range first {
		got[name[d.ID]] = d.DueAt
	}
	if len(first) != 3 {
		t.Fatalf("first claim with Limit 3 gave %v, want 3 sources", names(first))
	}
	second := claim(t, s, &store.ClaimDueSourcesParams{Now: now, Limit: 10, Lease: lease})
	for _, d := range second {
		if _, dup := got[name[d.ID]]; dup {
			t.Errorf("source %s claimed twice within its lease", name[d.ID])
		}
		got[name[d.ID]] = d.DueAt
	}
	want := map[string]time.Time{
		"overdue-2m":  now.Add(-2 * time.Minute),
		"overdue-1m":  now.Add(-time.Minute),
		"due-now":     now,
		"new-at-once": newAtOnce.CreatedAt,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimed sources and due times (-want +got):\n%s", diff)
	}
	// Most overdue first within a claim.
	for i := 1; i < len(first); i++ {
		if first[i].DueAt.Before(first[i-1].DueAt) {
			t.Errorf("claim not ordered by due time: %v", names(first))
		}
	}
	// The claim keeps the due time as the next attempt: it is when the
	// poll was due.
	src, err := s.GetSource(ctx, "overdue-2m")
	if err != nil {
		t.Fatal(err)
	}
	if src.NextAttemptAt == nil || !src.NextAttemptAt.Equal(now.Add(-2*time.Minute)) {
		t.Errorf("claimed source NextAttemptAt = %v, want %v", src.NextAttemptAt, now.Add(-2*time.Minute))
	}
	// A poll's outcome ends the claim: due again at its next attempt,
	// however soon, not at the end of the lease.
	next("due-now", now.Add(time.Second))
	again := claim(t, s, &store.ClaimDueSourcesParams{Now: now.Add(lease - time.Microsecond), Limit: 10, Lease: lease})
	if diff := cmp.Diff([]string{"due-now", "later", "new-jittered"}, names(again)); diff != "" {
		t.Errorf("claim just before the lease ends (-want +got):\n%s", diff)
	}
	after := claim(t, s, &store.ClaimDueSourcesParams{Now: now.Add(lease), Limit: 10, Lease: lease})
	if diff := cmp.Diff([]string{"overdue-2m", "overdue-1m", "new-at-once"}, names(after)); diff != "" {
		t.Errorf("claim when the first lease ends (-want +got):\n%s", diff)
	}

	// Ending claims early: claimable again from the time given, not before;
	// other claims are left alone.
	retryAt := now.Add(lease + 5*time.Second)
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.EndSourceClaims(ctx, &store.EndSourceClaimsParams{SourceIDs: []int64{ids["overdue-2m"], ids["new-at-once"]}, At: retryAt})
	})
	if err != nil {
		t.Fatalf("EndSourceClaims: %v", err)
	}
	if got := names(claim(t, s, &store.ClaimDueSourcesParams{Now: retryAt.Add(-time.Microsecond), Limit: 10, Lease: lease})); len(got) != 0 {
		t.Errorf("claim before the ended claims' time gave %v, want none", got)
	}
	reclaimed := names(claim(t, s, &store.ClaimDueSourcesParams{Now: retryAt, Limit: 10, Lease: lease}))
	slices.Sort(reclaimed)
	if diff := cmp.Diff([]string{"new-at-once", "overdue-2m"}, reclaimed); diff != "" {
		t.Errorf("claim at the ended claims' time (-want +got):\n%s", diff)
	}
}

func testSetPushActive(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "hubbed", URL: "https://wire.example/h"})
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: src.ID, At: at, NextAttemptAt: later}); err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	if err := s.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID, Until: until}); err != nil {
		t.Fatalf("SetPushActive: %v", err)
	}
	got, err := s.GetSourceByID(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&until, got.PushActiveUntil); diff != "" {
		t.Errorf("PushActiveUntil (-want +got):\n%s", diff)
	}
	if !got.NextAttemptAt.Equal(later) {
		t.Errorf("starting push moved NextAttemptAt to %v, want it kept at %v", got.NextAttemptAt, later)
	}

	// Push ends: the lease is cleared and polling takes over at once.
	before := time.Now().Add(-time.Second)
	if err := s.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID}); err != nil {
		t.Fatalf("SetPushActive (end): %v", err)
	}
	got, err = s.GetSourceByID(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PushActiveUntil != nil {
		t.Errorf("PushActiveUntil after ending push = %v, want nil", got.PushActiveUntil)
	}
	if got.NextAttemptAt == nil || got.NextAttemptAt.After(time.Now()) || got.NextAttemptAt.Before(before) {
		t.Errorf("NextAttemptAt after ending push = %v, want about now", got.NextAttemptAt)
	}

	if err := s.SetPushActive(ctx, &store.SetPushActiveParams{SourceID: src.ID + 1000, Until: until}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPushActive on an unknown source: %v, want ErrNotFound", err)
	}
}

func testSetSourceCursor(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "ap", URL: "https://api.example/feed"})
	if err != nil {
		t.Fatal(err)
	}
	set := func(cursor string, fail error) error {
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.SetSourceCursor(ctx, &store.SetSourceCursorParams{SourceID: src.ID, Cursor: cursor}); err != nil {
				return err
			}
			return fail
		})
	}
	cursorOf := func() string {
		t.Helper()
		got, err := s.GetSourceByID(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Cursor
	}
	if err := set("https://api.example/feed?page=2", nil); err != nil {
		t.Fatalf("SetSourceCursor: %v", err)
	}
	if got := cursorOf(); got != "https://api.example/feed?page=2" {
		t.Errorf("Cursor = %q after commit", got)
	}
	boom := errors.New("boom")
	if err := set("https://api.example/feed?page=3", boom); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if got := cursorOf(); got != "https://api.example/feed?page=2" {
		t.Errorf("Cursor = %q after a rolled back transaction, want page=2 kept", got)
	}
	// The cursor survives a reconfiguration and a success that says nothing of it.
	if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "ap", URL: "https://api.example/feed", Interval: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: src.ID, At: at}); err != nil {
		t.Fatal(err)
	}
	if got := cursorOf(); got != "https://api.example/feed?page=2" {
		t.Errorf("Cursor = %q after upsert and poll, want page=2 kept", got)
	}
	if err := set("", nil); err != nil {
		t.Fatal(err)
	}
	if got := cursorOf(); got != "" {
		t.Errorf("Cursor = %q after clearing", got)
	}
}

func testDeleteSource(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "gone", URL: "https://wire.example/gone"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Origin: src.URL, Body: []byte("payload"), ReceivedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	var storyID int64
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "A", URI: "urn:kept", State: story.Published, At: at})
		if err != nil {
			return err
		}
		storyID = st.ID
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1",
			Item: &story.Item{URI: "urn:kept", Headline: "Kept", PubStatus: story.Usable}, DeliveryID: &d.ID, SourceName: "gone", ReceivedAt: at, Applied: true})
		if err != nil {
			return err
		}
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: story.Published, PublishedAt: &at, At: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: src.ID, At: at, Err: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteSource(ctx, &store.DeleteSourceParams{Name: "gone", At: at}); err != nil {
		t.Fatalf("DeleteSource: %v", err)
	}
	if _, err := s.GetSource(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSource after delete: %v, want ErrNotFound", err)
	}
	if _, err := s.GetSourceByID(ctx, src.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSourceByID after delete: %v, want ErrNotFound", err)
	}
	list, err := s.ListSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("ListSources after delete lists %d sources, want 0", len(list))
	}
	if err := s.DeleteSource(ctx, &store.DeleteSourceParams{Name: "gone", At: at}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteSource: %v, want ErrNotFound", err)
	}
	// Stories and the archive stay.
	st, err := s.GetStory(ctx, storyID)
	if err != nil {
		t.Fatalf("GetStory after source delete: %v", err)
	}
	if st.State != story.Published {
		t.Errorf("story state after source delete = %s, want published", st.State)
	}
	if _, err := s.GetDelivery(ctx, d.ID); err != nil {
		t.Errorf("GetDelivery after source delete: %v", err)
	}

	// Adding it again revives the row, its health fresh.
	back, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "gone", URL: "https://wire.example/back"})
	if err != nil {
		t.Fatalf("UpsertSource after delete: %v", err)
	}
	if back.ID != src.ID || back.State != store.SourceNew || back.ConsecutiveFailures != 0 || back.LastError != "" || back.LastAttemptAt != nil {
		t.Errorf("revived source = id %d state %s failures %d error %q attempt %v; want id %d, new, 0, empty, nil",
			back.ID, back.State, back.ConsecutiveFailures, back.LastError, back.LastAttemptAt, src.ID)
	}
}

func testCountSourceItems(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	var ids []int64
	for _, n := range []string{"busy", "quiet", "idle"} {
		src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: n, URL: "https://wire.example/" + n})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, src.ID)
	}
	busy, quiet := ids[0], ids[1]
	deliver := func(sourceID int64, when time.Time, versions int) {
		t.Helper()
		d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &sourceID, Body: fmt.Appendf(nil, "%d-%s", sourceID, when), ReceivedAt: when})
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range versions {
				uri := fmt.Sprintf("urn:%d:%d:%d", sourceID, when.Unix(), i)
				st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "A", URI: uri, State: story.Published, At: when})
				if err != nil {
					return err
				}
				if _, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1",
					Item: &story.Item{URI: uri}, DeliveryID: &d.ID, ReceivedAt: when}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	deliver(busy, at.Add(-2*time.Hour), 3)
	deliver(busy, at.Add(-time.Hour), 2)
	deliver(busy, at.Add(-25*time.Hour), 7) // older than a day
	deliver(quiet, at.Add(-time.Minute), 1)

	got, err := s.CountSourceItems(ctx, &store.CountSourceItemsParams{Since: at.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatalf("CountSourceItems: %v", err)
	}
	if diff := cmp.Diff(map[int64]int{busy: 5, quiet: 1}, got); diff != "" {
		t.Errorf("items per source over a day (-want +got):\n%s", diff)
	}
}
