package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

func testChanges(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("WatchChanges", func(t *testing.T) { testWatchChanges(t, open) })
	t.Run("ListSitemapEntries", func(t *testing.T) { testListSitemapEntries(t, open) })
}

// testWatchChanges: a watch reports a committed story change within a
// second, reports nothing for writes that do not touch stories, and ends
// with its context.
func testWatchChanges(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx, cancel := context.WithCancel(t.Context())
	ready := make(chan struct{})
	changes := make(chan store.Change, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.WatchChanges(ctx, &store.WatchChangesParams{
			OnReady:      func() { close(ready) },
			OnChange:     func(c store.Change) { changes <- c },
			PollInterval: 10 * time.Millisecond,
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("WatchChanges ended before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("WatchChanges not ready within 10s")
	}

	// A write to something else than stories is not a story change.
	if _, err := s.UpsertSource(t.Context(), &store.UpsertSourceParams{Name: "not-a-story", URL: "https://wire.example/feed", Interval: time.Minute}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changes:
		t.Errorf("change %+v reported after a write to sources only", c)
	case <-time.After(300 * time.Millisecond):
	}

	var id int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		id, err = publish(ctx, tx, "watched", story.Published, ptr(at))
		return err
	})
	select {
	case c := <-changes:
		if c.StoryID != 0 && c.StoryID != id {
			t.Errorf("change reported for story %d, want %d (or 0: unknown)", c.StoryID, id)
		}
	case <-time.After(time.Second):
		t.Fatal("no change reported within 1s of a committed story")
	}

	// A kill is a change too.
	drain(changes)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Killed, Reason: "legal", At: at})
	})
	select {
	case <-changes:
	case <-time.After(time.Second):
		t.Fatal("no change reported within 1s of a kill")
	}

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchChanges after its context ended: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchChanges did not return within 10s of its context ending")
	}
}

func drain(c chan store.Change) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// testListSitemapEntries: listed stories only (visible, one per cluster),
// oldest id first, paged by offset, with the total.
func testListSitemapEntries(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	ids := map[string]int64{}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, sd := range []struct {
			uri   string
			state story.State
		}{
			{"first", story.Published}, {"killed", story.Killed}, {"second", story.Published},
			{"withheld", story.WithheldState}, {"third", story.Published}, {"copy-of-first", story.Published},
			{"fourth", story.Published},
		} {
			id, err := publish(ctx, tx, sd.uri, sd.state, ptr(at.Add(time.Duration(i)*time.Minute)))
			if err != nil {
				return fmt.Errorf("seed %s: %w", sd.uri, err)
			}
			ids[sd.uri] = id
		}
		// A cluster is listed once, as its smallest visible id.
		_, err := tx.MergeClusters(ctx, []int64{ids["first"], ids["copy-of-first"]})
		return err
	})

	type entry struct {
		ID          int64
		Slug        string
		Headline    string
		PublishedAt time.Time
	}
	want := func(uris ...string) []entry {
		var out []entry
		for _, u := range uris {
			var mins time.Duration
			switch u {
			case "second":
				mins = 2
			case "third":
				mins = 4
			case "fourth":
				mins = 6
			}
			out = append(out, entry{ID: ids[u], Slug: story.Slug(u), Headline: u, PublishedAt: at.Add(mins * time.Minute)})
		}
		return out
	}
	for _, tc := range []struct {
		name          string
		offset, limit int
		want          []entry
	}{
		{"all", 0, 0, want("first", "second", "third", "fourth")},
		{"first page", 0, 3, want("first", "second", "third")},
		{"second page", 3, 3, want("fourth")},
		{"past the end", 6, 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListSitemapEntries(ctx, &store.ListSitemapEntriesParams{Offset: tc.offset, Limit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 4 {
				t.Errorf("Total = %d, want 4", page.Total)
			}
			var got []entry
			for _, e := range page.Entries {
				got = append(got, entry{ID: e.ID, Slug: e.Slug, Headline: e.Headline, PublishedAt: e.PublishedAt})
				if !e.UpdatedAt.Equal(at) {
					t.Errorf("story %d: UpdatedAt %v, want %v (set by SetCurrent)", e.ID, e.UpdatedAt, at)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}
