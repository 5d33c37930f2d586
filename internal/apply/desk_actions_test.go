package apply_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// actionEvents records story events; the other Events methods are not
// reached by the story actions (a nil embedded interface would panic).
type actionEvents struct {
	apply.Events
	mu   sync.Mutex
	kind []apply.EventKind
	fail error
}

func (e *actionEvents) StoryEventsTx(_ context.Context, _ store.Tx, evs ...*apply.StoryEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail != nil {
		return e.fail
	}
	for _, ev := range evs {
		e.kind = append(e.kind, ev.Kind)
	}
	return nil
}

func (e *actionEvents) take() []apply.EventKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := e.kind
	e.kind = nil
	return k
}

// actionAudit is what a story action's audit row must say.
type actionAudit struct {
	Actor, Action, ObjectType, ObjectID, Note string
	Before, After                             map[string]any
}

func actionAudits(t *testing.T, s store.Store) []actionAudit {
	t.Helper()
	entries, err := s.ListAudit(t.Context(), &store.ListAuditParams{})
	if err != nil {
		t.Fatal(err)
	}
	var out []actionAudit
	for i := len(entries) - 1; i >= 0; i-- { // oldest first
		e := entries[i]
		v := actionAudit{Actor: e.Actor, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Note: e.Note}
		for _, f := range []struct {
			js  json.RawMessage
			dst *map[string]any
		}{{e.Before, &v.Before}, {e.After, &v.After}} {
			if f.js != nil {
				if err := json.Unmarshal(f.js, f.dst); err != nil {
					t.Fatal(err)
				}
			}
		}
		out = append(out, v)
	}
	return out
}

func TestDeskStoryActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		ev := &actionEvents{}
		clock := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		a := apply.New(s, ev, func() time.Time { clock = clock.Add(time.Second); return clock })
		first := item("k1", "Minister resigns", "The minister resigned.")
		first.Version = "1"
		res, err := a.Apply(ctx, &apply.Params{Item: first, SourceName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		id := res.StoryID
		ev.take()
		state := func() (story.State, string) {
			t.Helper()
			st, err := s.GetStory(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return st.State, st.StateReason
		}

		steps := []struct {
			name       string
			do         func() (*apply.Result, error)
			wantErr    error
			wantState  story.State
			wantReason string
			wantEvents []apply.EventKind
		}{
			{"unpublish", func() (*apply.Result, error) {
				return a.Unpublish(ctx, &apply.UnpublishParams{StoryID: id, Reason: "duplicate of 12", By: "ann"})
			}, nil, story.Unpublished, "unpublished by ann", []apply.EventKind{apply.EventUnpublished}},
			{"unpublish twice", func() (*apply.Result, error) {
				return a.Unpublish(ctx, &apply.UnpublishParams{StoryID: id, By: "ann"})
			}, apply.ErrStateUnchanged, story.Unpublished, "unpublished by ann", nil},
			{"restore", func() (*apply.Result, error) {
				return a.RestoreAudited(ctx, &apply.RestoreParams{StoryID: id, By: "ben"})
			}, nil, story.Published, "restored by ben", []apply.EventKind{apply.EventRestored}},
			{"restore a published story", func() (*apply.Result, error) {
				return a.RestoreAudited(ctx, &apply.RestoreParams{StoryID: id, By: "ben"})
			}, apply.ErrStateUnchanged, story.Published, "restored by ben", nil},
			{"kill without a reason", func() (*apply.Result, error) {
				return a.Kill(ctx, &apply.KillParams{StoryID: id, Reason: "  ", By: "ann"})
			}, errAnyAction, story.Published, "restored by ben", nil},
			{"kill", func() (*apply.Result, error) {
				return a.Kill(ctx, &apply.KillParams{StoryID: id, Reason: "Legal: court order", By: "ann"})
			}, nil, story.Killed, "Legal: court order", []apply.EventKind{apply.EventKilled}},
			{"kill twice", func() (*apply.Result, error) {
				return a.Kill(ctx, &apply.KillParams{StoryID: id, Reason: "again", By: "ann"})
			}, apply.ErrStateUnchanged, story.Killed, "Legal: court order", nil},
			{"unpublish a killed story", func() (*apply.Result, error) {
				return a.Unpublish(ctx, &apply.UnpublishParams{StoryID: id, By: "ann"})
			}, apply.ErrStateUnchanged, story.Killed, "Legal: court order", nil},
			{"an agency update does not undo an editor's kill", func() (*apply.Result, error) {
				upd := item("k1", "Minister resigns, successor named", "The minister resigned. A successor was named.")
				upd.Version = "2"
				return a.Apply(ctx, &apply.Params{Item: upd, SourceName: "test"})
			}, nil, story.Killed, "Legal: court order", nil},
			{"kill a missing story", func() (*apply.Result, error) {
				return a.Kill(ctx, &apply.KillParams{StoryID: id + 100, Reason: "x", By: "ann"})
			}, store.ErrNotFound, story.Killed, "Legal: court order", nil},
		}
		for _, st := range steps {
			_, err := st.do()
			if !matchActionErr(err, st.wantErr) {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
			gotState, gotReason := state()
			if gotState != st.wantState || gotReason != st.wantReason {
				t.Errorf("%s: state %s (%q), want %s (%q)", st.name, gotState, gotReason, st.wantState, st.wantReason)
			}
			if diff := cmp.Diff(st.wantEvents, ev.take()); diff != "" {
				t.Errorf("%s: events (-want +got):\n%s", st.name, diff)
			}
		}

		sid := actionObjectID(id)
		want := []actionAudit{
			{Actor: "ann", Action: apply.AuditUnpublish, ObjectType: "story", ObjectID: sid, Note: "duplicate of 12",
				Before: map[string]any{"state": "published", "version": "v:1"},
				After:  map[string]any{"state": "unpublished", "reason": "unpublished by ann", "version": "v:1"}},
			{Actor: "ben", Action: apply.AuditRestore, ObjectType: "story", ObjectID: sid,
				Before: map[string]any{"state": "unpublished", "reason": "unpublished by ann", "version": "v:1"},
				After:  map[string]any{"state": "published", "reason": "restored by ben", "version": "v:1"}},
			{Actor: "ann", Action: apply.AuditKill, ObjectType: "story", ObjectID: sid, Note: "Legal: court order",
				Before: map[string]any{"state": "published", "reason": "restored by ben", "version": "v:1"},
				After:  map[string]any{"state": "killed", "reason": "Legal: court order", "version": "v:1"}},
		}
		if diff := cmp.Diff(want, actionAudits(t, s)); diff != "" {
			t.Errorf("audit log (-want +got):\n%s", diff)
		}
	})
}

// An action whose event cannot be enqueued is not done, and not recorded.
func TestDeskActionRollsBackWithItsAudit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		ev := &actionEvents{}
		a := apply.New(s, ev, nil)
		res, err := a.Apply(ctx, &apply.Params{Item: item("r1", "Bridge reopens", "The bridge reopened."), SourceName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		ev.fail = errors.New("queue down")
		if _, err := a.Kill(ctx, &apply.KillParams{StoryID: res.StoryID, Reason: "wrong", By: "ann"}); !errors.Is(err, ev.fail) {
			t.Fatalf("Kill with the queue down: err = %v, want the queue's error", err)
		}
		st, err := s.GetStory(ctx, res.StoryID)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != story.Published {
			t.Errorf("state after a failed kill = %s, want published", st.State)
		}
		if got := actionAudits(t, s); len(got) != 0 {
			t.Errorf("audit rows after a failed kill = %+v, want none", got)
		}
	})
}

var errAnyAction = errors.New("any error")

func matchActionErr(err, want error) bool {
	switch want {
	case nil:
		return err == nil
	case errAnyAction:
		return err != nil
	}
	return errors.Is(err, want)
}

func actionObjectID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// An editor's unpublish is not undone by the agency: a newer version is
// stored and put on show for the editor, but the story stays unpublished
// until an editor restores it.
func TestUnpublishSurvivesAgencyUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a := apply.New(s, nil, nil)
		first := item("u1", "Council meets", "The council met.")
		first.Version = "1"
		res, err := a.Apply(ctx, &apply.Params{Item: first, SourceName: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Unpublish(ctx, &apply.UnpublishParams{StoryID: res.StoryID, Reason: "legal check", By: "ann"}); err != nil {
			t.Fatal(err)
		}
		update := item("u1", "Council meets again", "The council met again.")
		update.Version = "2"
		if _, err := a.Apply(ctx, &apply.Params{Item: update, SourceName: "test"}); err != nil {
			t.Fatal(err)
		}
		st, err := s.GetStory(ctx, res.StoryID)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != story.Unpublished {
			t.Errorf("state after an agency update %q, want %q", st.State, story.Unpublished)
		}
		if st.Current.Headline != "Council meets again" {
			t.Errorf("current headline %q, want the update's", st.Current.Headline)
		}
	})
}
