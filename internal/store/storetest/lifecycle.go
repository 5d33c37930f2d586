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

// errAny stands for "some error" in tables of calls that must fail without
// a sentinel to act on.
var errAny = errors.New("any error")

// checkErr reports whether err is what want asks for: nil, errAny for any
// error, or a sentinel.
func checkErr(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errAny:
		return err != nil
	}
	return errors.Is(err, want)
}

// seedStory creates the story (agency, uri) with one version ("v:1") on
// show in state, first published at published (nil for none).
func seedStory(ctx context.Context, tx store.Tx, agency, uri string, state story.State, published *time.Time) (storyID, versionID int64, err error) {
	st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: agency, URI: uri, Slug: story.Slug(uri), State: state, At: at})
	if err != nil {
		return 0, 0, err
	}
	v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1",
		Item: &story.Item{URI: uri, PubStatus: story.Usable, Headline: uri}, ReceivedAt: at, Applied: true})
	if err != nil {
		return 0, 0, err
	}
	err = tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: state, PublishedAt: published, At: at})
	return st.ID, v.ID, err
}

// inTx runs fn in its own transaction and fails the test on an error.
func inTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
}

// lifecycleView is the part of a story the lifecycle primitives change.
type lifecycleView struct {
	State             story.State
	StateReason       string
	EditedBy          string
	PendingVersionID  int64
	CurrentVersionKey string
	PublishedAt       time.Time
	UpdatedAt         time.Time
}

func viewOf(st *story.Story) lifecycleView {
	return lifecycleView{
		State: st.State, StateReason: st.StateReason, EditedBy: st.EditedBy, PendingVersionID: st.PendingVersionID,
		CurrentVersionKey: st.CurrentVersionKey, PublishedAt: st.PublishedAt, UpdatedAt: st.UpdatedAt,
	}
}

// testLifecycle walks one story through the lifecycle primitives, each step
// in its own transaction, and reads back what each step leaves.
func testLifecycle(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	var id, v1, v2, otherVersion int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: "urn:life", State: story.Embargoed, At: at})
		if err != nil {
			return err
		}
		id = st.ID
		for i, key := range []string{"v:1", "v:2"} {
			v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: id, Key: key,
				Item: &story.Item{URI: "urn:life", Version: key[2:], Headline: "Life " + key}, ReceivedAt: at.Add(time.Duration(i) * time.Minute)})
			if err != nil {
				return err
			}
			if i == 0 {
				v1 = v.ID
			} else {
				v2 = v.ID
			}
		}
		_, otherVersion, err = seedStory(ctx, tx, "ap", "urn:other", story.Published, nil)
		return err
	})
	minute := func(n int) time.Time { return at.Add(time.Duration(n) * time.Minute) }

	steps := []struct {
		name string
		do   func(ctx context.Context, tx store.Tx) error
		want lifecycleView
	}{
		{
			name: "SetCurrent embargoed stores its reason and does not publish",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: id, VersionID: v1, State: story.Embargoed, Reason: "embargoed until 15:00", At: minute(1)})
			},
			want: lifecycleView{State: story.Embargoed, StateReason: "embargoed until 15:00", CurrentVersionKey: "v:1", UpdatedAt: minute(1)},
		},
		{
			name: "SetState to a hidden state does not publish",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.WithheldState, Reason: "agency withheld the story", At: minute(2)})
			},
			want: lifecycleView{State: story.WithheldState, StateReason: "agency withheld the story", CurrentVersionKey: "v:1", UpdatedAt: minute(2)},
		},
		{
			name: "SetState first to visible publishes at its time",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Published, At: minute(3)})
			},
			want: lifecycleView{State: story.Published, CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(3)},
		},
		{
			name: "SetState killed keeps the first publication",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Killed, Reason: "legal: do not use", At: minute(4)})
			},
			want: lifecycleView{State: story.Killed, StateReason: "legal: do not use", CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(4)},
		},
		{
			name: "SetState visible again (an editor's restore) publishes only once",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.SetState(ctx, &store.SetStateParams{StoryID: id, State: story.Published, Reason: "restored by an editor", At: minute(5)})
			},
			want: lifecycleView{State: story.Published, StateReason: "restored by an editor", CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(5)},
		},
		{
			name: "SetEditedBy protects the story and changes nothing readers see",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.SetEditedBy(ctx, id, "anna.editor") },
			want: lifecycleView{State: story.Published, StateReason: "restored by an editor", EditedBy: "anna.editor", CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(5)},
		},
		{
			name: "MarkPending records the waiting version and keeps the one on show",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: id, VersionID: v2})
			},
			want: lifecycleView{State: story.Published, StateReason: "restored by an editor", EditedBy: "anna.editor", PendingVersionID: v2, CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(5)},
		},
		{
			name: "MarkPending with no version clears the mark",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: id})
			},
			want: lifecycleView{State: story.Published, StateReason: "restored by an editor", EditedBy: "anna.editor", CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(5)},
		},
		{
			name: "MarkPending again",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: id, VersionID: v2})
			},
			want: lifecycleView{State: story.Published, StateReason: "restored by an editor", EditedBy: "anna.editor", PendingVersionID: v2, CurrentVersionKey: "v:1", PublishedAt: minute(3), UpdatedAt: minute(5)},
		},
		{
			name: "SetCurrent settles the pending update and replaces the reason",
			do: func(ctx context.Context, tx store.Tx) error {
				return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: id, VersionID: v2, State: story.Published, At: minute(6)})
			},
			want: lifecycleView{State: story.Published, EditedBy: "anna.editor", CurrentVersionKey: "v:2", PublishedAt: minute(3), UpdatedAt: minute(6)},
		},
		{
			name: "SetEditedBy with no name lifts the protection",
			do:   func(ctx context.Context, tx store.Tx) error { return tx.SetEditedBy(ctx, id, "") },
			want: lifecycleView{State: story.Published, CurrentVersionKey: "v:2", PublishedAt: minute(3), UpdatedAt: minute(6)},
		},
	}
	for _, step := range steps {
		inTx(t, s, step.do)
		got, err := s.GetStory(ctx, id)
		if err != nil {
			t.Fatalf("%s: GetStory: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, viewOf(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", step.name, diff)
		}
	}

	// Refused calls: each in its own transaction, leaving the story as it was.
	before, err := s.GetStory(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	const unknown = 424242
	refused := []struct {
		name string
		call func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"SetState of an unknown story", func(ctx context.Context, tx store.Tx) error {
			return tx.SetState(ctx, &store.SetStateParams{StoryID: unknown, State: story.Killed, At: at})
		}, store.ErrNotFound},
		{"SetState to no state", func(ctx context.Context, tx store.Tx) error {
			return tx.SetState(ctx, &store.SetStateParams{StoryID: id, At: at})
		}, errAny},
		{"MarkPending of another story's version", func(ctx context.Context, tx store.Tx) error {
			return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: id, VersionID: otherVersion})
		}, store.ErrNotFound},
		{"MarkPending of an unknown version", func(ctx context.Context, tx store.Tx) error {
			return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: id, VersionID: unknown})
		}, store.ErrNotFound},
		{"MarkPending of an unknown story", func(ctx context.Context, tx store.Tx) error {
			return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: unknown, VersionID: v2})
		}, store.ErrNotFound},
		{"SetEditedBy of an unknown story", func(ctx context.Context, tx store.Tx) error {
			return tx.SetEditedBy(ctx, unknown, "anna.editor")
		}, store.ErrNotFound},
		{"SetFingerprint of another story's version", func(ctx context.Context, tx store.Tx) error {
			return tx.SetFingerprint(ctx, &store.SetFingerprintParams{StoryID: id, VersionID: otherVersion, TextSHA256: "x", MinHash: []uint32{1}})
		}, store.ErrNotFound},
		{"MergeClusters with an unknown story", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.MergeClusters(ctx, []int64{id, unknown})
			return err
		}, store.ErrNotFound},
		{"MergeClusters of no stories", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.MergeClusters(ctx, nil)
			return err
		}, errAny},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := s.InTx(t.Context(), tt.call)
			if !checkErr(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	after, err := s.GetStory(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("refused calls changed the story (-before +after):\n%s", diff)
	}
}

// testStoryVersions checks that the transaction's view of a story's versions
// is ListVersions', including what the transaction itself just stored.
func testStoryVersions(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	var id int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		id, _, err = seedStory(ctx, tx, "afp", "urn:afp:versions", story.Published, nil)
		return err
	})
	var inTxVersions []*store.Version
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: id, Key: "v:2",
			Item: &story.Item{URI: "urn:afp:versions", Version: "2"}, SourceName: "afp-wire", ReceivedAt: at.Add(time.Minute)}); err != nil {
			return err
		}
		var err error
		if inTxVersions, err = tx.StoryVersions(ctx, id); err != nil {
			return err
		}
		none, err := tx.StoryVersions(ctx, 424242)
		if err != nil || len(none) != 0 {
			return fmt.Errorf("StoryVersions of an unknown story = %v, %v; want none", none, err)
		}
		return nil
	})
	var keys []string
	for _, v := range inTxVersions {
		keys = append(keys, v.Key)
	}
	if diff := cmp.Diff([]string{"v:1", "v:2"}, keys); diff != "" {
		t.Errorf("StoryVersions keys, oldest first, with the one stored in the transaction (-want +got):\n%s", diff)
	}
	listed, err := s.ListVersions(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(listed, inTxVersions); diff != "" {
		t.Errorf("StoryVersions differs from ListVersions (-ListVersions +StoryVersions):\n%s", diff)
	}
}

// testLockSeesCommitted: a transaction that waits for a story's lock while
// another changes the version on show gets the story as the other
// committed it, by key and by id, its version included. On PostgreSQL one
// SELECT ... FOR UPDATE that waited returned the row with its joined
// version as of its own start, empty here.
func testLockSeesCommitted(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	var storyID int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		storyID, _, err = seedStory(ctx, tx, "ap", "urn:locked", story.Published, &at)
		return err
	})
	if _, err := s.GetStory(ctx, 1_000_000); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetStory of an unknown id: %v", err)
	}
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockStoryByID(ctx, 1_000_000)
		if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("LockStoryByID of an unknown id: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, byID := range []bool{false, true} {
		key := fmt.Sprintf("v:%d", map[bool]int{false: 2, true: 3}[byID])
		locked := make(chan struct{})
		release := make(chan struct{})
		firstDone := make(chan error, 1)
		go func() {
			firstDone <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.LockStoryByID(ctx, storyID); err != nil {
					return err
				}
				v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: storyID, Key: key,
					Item: &story.Item{URI: "urn:locked", PubStatus: story.Usable, Headline: key}, ReceivedAt: at, Applied: true})
				if err != nil {
					return err
				}
				if err := tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: storyID, VersionID: v.ID, State: story.Published, At: at}); err != nil {
					return err
				}
				close(locked)
				<-release
				return nil
			})
		}()
		select {
		case <-locked:
		case err := <-firstDone:
			t.Fatalf("first transaction: %v", err)
		}
		secondDone := make(chan *story.Story, 1)
		secondErr := make(chan error, 1)
		go func() {
			var got *story.Story
			err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				if byID {
					got, err = tx.LockStoryByID(ctx, storyID)
				} else {
					got, _, err = tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: "urn:locked", State: story.Published, At: at})
				}
				return err
			})
			secondErr <- err
			secondDone <- got
		}()
		// Let the second transaction reach the lock, then commit the first.
		time.Sleep(100 * time.Millisecond)
		close(release)
		if err := <-firstDone; err != nil {
			t.Fatalf("first transaction: %v", err)
		}
		if err := <-secondErr; err != nil {
			t.Fatalf("second transaction: %v", err)
		}
		got := <-secondDone
		if got.CurrentVersionKey != key || got.Current == nil || got.Current.Headline != key {
			headline := ""
			if got.Current != nil {
				headline = got.Current.Headline
			}
			t.Errorf("locked by id %v after the other committed: version %q with headline %q, want %q", byID, got.CurrentVersionKey, headline, key)
		}
	}
}
