package apply_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/rules"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// eventLog records what the Applier enqueues, as the job runner would.
type eventLog struct {
	mu        sync.Mutex
	events    []string // "kind story"
	schedules []time.Time
}

func (l *eventLog) StoryEventsTx(_ context.Context, _ store.Tx, evs ...*apply.StoryEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range evs {
		l.events = append(l.events, string(ev.Kind))
	}
	return nil
}

func (l *eventLog) ScheduleEmbargoReleaseTx(context.Context, store.Tx, int64, time.Time) error {
	return nil
}

func (l *eventLog) SchedulePublishTx(_ context.Context, _ store.Tx, _ int64, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.schedules = append(l.schedules, at)
	return nil
}

func (l *eventLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

// addRule stores a rule as the desk does.
func addRule(t *testing.T, s store.Store, r rules.Rule) int64 {
	t.Helper()
	when, err := rules.MarshalConditions(r.When)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		got, err := tx.CreateRule(ctx, &store.CreateRuleParams{Name: r.Name, When: when, Action: string(r.Action), Section: r.Section, Continue: r.Continue, By: "test"})
		if err == nil {
			id = got.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func versioned(uri, version, headline, body string) *story.Item {
	it := item(uri, headline, body)
	it.Version = version
	return it
}

func deskEvents(t *testing.T, s store.Store) []string {
	t.Helper()
	evs, err := s.ListDeskEvents(t.Context(), &store.ListDeskEventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func mustStory(t *testing.T, s store.Store, id int64) *story.Story {
	t.Helper()
	st, err := s.GetStory(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestRoutingOnApply(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		log := &eventLog{}
		a := apply.New(s, log, nil)
		courtID := addRule(t, s, rules.Rule{Name: "court reports", When: rules.Conditions{HeadlineRegex: "(?i)court"}, Action: rules.Hold})
		addRule(t, s, rules.Rule{Name: "promos", When: rules.Conditions{HeadlineRegex: "^PROMO"}, Action: rules.Spike})
		addRule(t, s, rules.Rule{Name: "weather desk", When: rules.Conditions{Keywords: []string{"weather"}}, Section: "weather"})

		apl := func(it *story.Item, source string) *apply.Result {
			t.Helper()
			res, err := a.Apply(ctx, &apply.Params{Item: it, SourceName: source})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}

		// Held: stored, invisible, with the rule that held it.
		held := apl(versioned("c1", "1", "Court hears harbour case", "The court sat."), "wire")
		if held.State != story.Held || held.Event != "" {
			t.Fatalf("court story: state %s, event %q; want held without a public event", held.State, held.Event)
		}
		st := mustStory(t, s, held.StoryID)
		if st.State.Visible() || st.StateReason != `held for review by rule "court reports"` {
			t.Errorf("held story: visible %v, reason %q", st.State.Visible(), st.StateReason)
		}
		r, err := s.GetRouting(ctx, held.StoryID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Action != "hold" || r.RuleID != courtID || r.RuleName != "court reports" {
			t.Errorf("routing of the held story = %+v, want hold by rule %d", r, courtID)
		}
		// An update arrives: applied, still held, no public event.
		upd := apl(versioned("c1", "2", "Court adjourns harbour case", "The court adjourned."), "wire")
		if upd.State != story.Held || upd.Outcome != apply.Updated || upd.Event != "" {
			t.Errorf("update of a held story: %s, %s, event %q; want updated, still held, no event", upd.Outcome, upd.State, upd.Event)
		}
		if got := mustStory(t, s, held.StoryID).Current.Headline; got != "Court adjourns harbour case" {
			t.Errorf("held story shows %q, want the update", got)
		}
		// A version that no longer matches the rule does not release it.
		apl(versioned("c1", "3", "Harbour case adjourned", "Adjourned."), "wire")
		if got := mustStory(t, s, held.StoryID).State; got != story.Held {
			t.Errorf("held story after a non-matching update: %s, want held", got)
		}

		// Spiked, and stays so; a kill still kills.
		spiked := apl(versioned("p1", "1", "PROMO: harbour cruise", "Buy now."), "wire")
		if spiked.State != story.Spiked {
			t.Errorf("promo: state %s, want spiked", spiked.State)
		}
		if got := apl(versioned("p1", "2", "PROMO: harbour cruise, cheaper", "Buy."), "wire").State; got != story.Spiked {
			t.Errorf("update of a spiked story: %s, want spiked", got)
		}
		kill := versioned("p1", "3", "PROMO", "Withdrawn.")
		kill.PubStatus = story.Canceled
		if got := apl(kill, "wire").State; got != story.Killed {
			t.Errorf("kill of a spiked story: %s, want killed", got)
		}

		// A first version that is a kill is never routed.
		k := versioned("c9", "1", "Court story withdrawn", "Withdrawn.")
		k.PubStatus = story.Canceled
		if got := apl(k, "wire").State; got != story.Killed {
			t.Errorf("first version a kill matching a hold rule: %s, want killed", got)
		}

		// A section rule files the story and lets it publish.
		w := versioned("w1", "1", "Storm warning", "Gales.")
		w.Keywords = []string{"Weather"}
		res := apl(w, "wire")
		if st := mustStory(t, s, res.StoryID); st.State != story.Published || st.Section != "weather" {
			t.Errorf("weather story: %s in %q, want published in weather", st.State, st.Section)
		}

		// A source's default, and a rule change seen by the very next apply.
		err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return tx.SetSourceDefault(ctx, &store.SetSourceDefaultParams{Source: "raw", Action: "hold"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := apl(versioned("r1", "1", "Ferry times", "Ferries."), "raw").State; got != story.Held {
			t.Errorf("story from a source held by default: %s, want held", got)
		}
		if r, err := s.GetRouting(ctx, mustStoryID(t, s, "r1")); err != nil || r.RuleID != 0 || r.Action != "hold" {
			t.Errorf("routing by default = %+v, %v; want hold without a rule", r, err)
		}
		if got := apl(versioned("r2", "1", "Ferry times", "Ferries."), "wire").State; got != story.Published {
			t.Errorf("story from another source: %s, want published", got)
		}

		if diff := cmp.Diff([]string{"held", "killed", "held"}, deskEvents(t, s)); diff != "" {
			t.Errorf("desk events (-want +got):\n%s", diff)
		}
	})
}

func mustStoryID(t *testing.T, s store.Store, uri string) int64 {
	t.Helper()
	sts, err := s.ListDeskStories(t.Context(), &store.ListDeskStoriesParams{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		if st.URI == uri {
			return st.ID
		}
	}
	t.Fatalf("no story %s", uri)
	return 0
}

// holdAll makes every new story held, so the review actions have work.
func holdAll(t *testing.T, s store.Store) {
	addRule(t, s, rules.Rule{Name: "hold everything", Action: rules.Hold})
}

func TestApproveAndReject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		log := &eventLog{}
		a := apply.New(s, log, nil)
		holdAll(t, s)
		one, err := a.Apply(ctx, &apply.Params{Item: versioned("a", "1", "First", "One."), SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		two, err := a.Apply(ctx, &apply.Params{Item: versioned("b", "1", "Second", "Two."), SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		log.take()

		res, err := a.Approve(ctx, &apply.ReviewParams{StoryID: one.StoryID, By: "ed", SeenVersion: "v:1"})
		if err != nil {
			t.Fatal(err)
		}
		if res.State != story.Published || res.Event != apply.EventPublished {
			t.Errorf("approve: %s, event %q; want published", res.State, res.Event)
		}
		st := mustStory(t, s, one.StoryID)
		if !st.State.Visible() || st.PublishedAt.IsZero() {
			t.Errorf("approved story: %s, published %v", st.State, st.PublishedAt)
		}
		if diff := cmp.Diff([]string{"published"}, log.take()); diff != "" {
			t.Errorf("story events of approve (-want +got):\n%s", diff)
		}
		if _, err := a.Approve(ctx, &apply.ReviewParams{StoryID: one.StoryID, By: "ed", SeenVersion: "v:1"}); !errors.Is(err, apply.ErrStateUnchanged) {
			t.Errorf("approving a published story: %v, want ErrStateUnchanged", err)
		}
		if _, err := a.Approve(ctx, &apply.ReviewParams{StoryID: one.StoryID, SeenVersion: "v:1"}); err == nil {
			t.Error("an approval by nobody was accepted")
		}

		if res, err = a.Reject(ctx, &apply.ReviewParams{StoryID: two.StoryID, By: "chief", Note: "unconfirmed", SeenVersion: "v:1"}); err != nil {
			t.Fatal(err)
		}
		if st := mustStory(t, s, two.StoryID); st.State != story.Spiked || st.State.Visible() {
			t.Errorf("rejected story: %s, want spiked", st.State)
		}
		if ev := log.take(); len(ev) != 0 {
			t.Errorf("rejecting a never published story raised %v, want nothing", ev)
		}

		audit, err := s.ListAudit(ctx, &store.ListAuditParams{ObjectType: store.AuditStory})
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ Actor, Action, Object, Note, Before, After string }
		var got []row
		for _, e := range audit {
			got = append(got, row{e.Actor, e.Action, e.ObjectID, e.Note, compactJSON(e.Before), compactJSON(e.After)})
		}
		id := func(n int64) string { return jsonNumber(n) }
		want := []row{
			{"chief", apply.AuditReject, id(two.StoryID), "unconfirmed",
				`{"reason":"held for review by rule \"hold everything\"","state":"held","version":"v:1"}`,
				`{"reason":"rejected by chief","state":"spiked","version":"v:1"}`},
			{"ed", apply.AuditApprove, id(one.StoryID), "",
				`{"reason":"held for review by rule \"hold everything\"","state":"held","version":"v:1"}`,
				`{"reason":"approved by ed","state":"published","version":"v:1"}`},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("audit (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"held", "held", "approved", "rejected"}, deskEvents(t, s)); diff != "" {
			t.Errorf("desk events (-want +got):\n%s", diff)
		}
	})
}

// compactJSON re-encodes b with sorted keys and no spaces, as both
// backends' JSON columns may keep it differently.
func compactJSON(b json.RawMessage) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestEditAndPendingUpdates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		log := &eventLog{}
		a := apply.New(s, log, nil)
		first, err := a.Apply(ctx, &apply.Params{Item: versioned("e", "1", "Harbour reopens", "The harbour reopened."), SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		id := first.StoryID
		log.take()

		body := "The harbour reopened on Monday.\r\n\r\nShips queued."
		res, err := a.Edit(ctx, &apply.EditParams{StoryID: id, By: "ed", Headline: "Harbour reopens after storm", Body: &body, SeenVersion: "v:1"})
		if err != nil {
			t.Fatal(err)
		}
		if res.VersionKey != "e:1" || res.Event != apply.EventUpdated {
			t.Errorf("edit: version %q, event %q; want e:1, updated", res.VersionKey, res.Event)
		}
		st := mustStory(t, s, id)
		if st.EditedBy != "ed" || st.State != story.Published || st.SourceName != "editor:ed" {
			t.Errorf("edited story: by %q, %s, source %q", st.EditedBy, st.State, st.SourceName)
		}
		wantItem := struct{ Headline, BodyText, BodyHTML, SHA string }{
			"Harbour reopens after storm", "The harbour reopened on Monday.\n\nShips queued.",
			"<p>The harbour reopened on Monday.</p><p>Ships queued.</p>", "",
		}
		gotItem := struct{ Headline, BodyText, BodyHTML, SHA string }{st.Current.Headline, st.Current.BodyText, st.Current.BodyHTML, st.Current.Source.SHA256}
		if diff := cmp.Diff(wantItem, gotItem); diff != "" {
			t.Errorf("edited version (-want +got):\n%s", diff)
		}
		// Only spacing differs: no change.
		same := " The harbour reopened on   Monday.\n\nShips queued. "
		if _, err := a.Edit(ctx, &apply.EditParams{StoryID: id, By: "ed", Body: &same, SeenVersion: "e:1"}); !errors.Is(err, apply.ErrNoChange) {
			t.Errorf("an edit changing only spacing: %v, want ErrNoChange", err)
		}
		// A second edit of the headline only keeps the body's markup.
		if res, err = a.Edit(ctx, &apply.EditParams{StoryID: id, By: "chief", Headline: "Harbour open again", SeenVersion: "e:1"}); err != nil || res.VersionKey != "e:2" {
			t.Fatalf("second edit: %+v, %v; want version e:2", res, err)
		}

		// The agency updates: it waits.
		upd, err := a.Apply(ctx, &apply.Params{Item: versioned("e", "2", "Harbour reopens fully", "All berths open."), SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		if upd.Outcome != apply.Recorded {
			t.Errorf("agency update of an edited story: %s, want recorded (pending)", upd.Outcome)
		}
		st = mustStory(t, s, id)
		if st.PendingVersionID == 0 || st.Current.Headline != "Harbour open again" {
			t.Errorf("after the agency update: pending %d, showing %q; want pending, the editor's text", st.PendingVersionID, st.Current.Headline)
		}
		q, err := s.ListReview(ctx, &store.ListReviewParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 || q[0].Pending == nil || q[0].Pending.Item.Headline != "Harbour reopens fully" {
			t.Errorf("review queue: %d entries, want the pending agency update", len(q))
		}
		// An edit meanwhile keeps it pending.
		if _, err := a.Edit(ctx, &apply.EditParams{StoryID: id, By: "ed", Headline: "Harbour open", SeenVersion: "e:2"}); err != nil {
			t.Fatal(err)
		}
		if got := mustStory(t, s, id).PendingVersionID; got != st.PendingVersionID {
			t.Errorf("pending version after an edit: %d, want %d", got, st.PendingVersionID)
		}

		if _, err := a.IgnoreUpdate(ctx, &apply.ReviewParams{StoryID: id, By: "ed", SeenVersion: "v:2"}); err != nil {
			t.Fatal(err)
		}
		if st := mustStory(t, s, id); st.PendingVersionID != 0 || st.Current.Headline != "Harbour open" {
			t.Errorf("after ignore: pending %d, showing %q", st.PendingVersionID, st.Current.Headline)
		}
		if _, err := a.IgnoreUpdate(ctx, &apply.ReviewParams{StoryID: id, By: "ed", SeenVersion: "v:2"}); !errors.Is(err, apply.ErrNoPendingUpdate) {
			t.Errorf("ignoring twice: %v, want ErrNoPendingUpdate", err)
		}

		if _, err := a.Apply(ctx, &apply.Params{Item: versioned("e", "3", "Harbour fully open", "Every berth."), SourceName: "wire"}); err != nil {
			t.Fatal(err)
		}
		log.take()
		if res, err = a.AcceptUpdate(ctx, &apply.ReviewParams{StoryID: id, By: "ed", SeenVersion: "v:3"}); err != nil {
			t.Fatal(err)
		}
		st = mustStory(t, s, id)
		if st.Current.Headline != "Harbour fully open" || st.EditedBy != "" || st.PendingVersionID != 0 || st.CurrentVersionKey != "v:3" {
			t.Errorf("after accept: showing %q (%s), edited by %q, pending %d", st.Current.Headline, st.CurrentVersionKey, st.EditedBy, st.PendingVersionID)
		}
		if diff := cmp.Diff([]string{"updated"}, log.take()); diff != "" {
			t.Errorf("story events of accept (-want +got):\n%s", diff)
		}
		// No longer protected: the next agency version applies at once.
		if upd, err = a.Apply(ctx, &apply.Params{Item: versioned("e", "4", "Harbour busy", "Busy."), SourceName: "wire"}); err != nil || upd.Outcome != apply.Updated {
			t.Errorf("agency update after accept: %+v, %v; want updated", upd, err)
		}
		versions, err := s.ListVersions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, v := range versions {
			keys = append(keys, v.Key+" "+v.SourceName)
		}
		want := []string{"v:1 wire", "e:1 editor:ed", "e:2 editor:chief", "v:2 wire", "e:3 editor:ed", "v:3 wire", "v:4 wire"}
		if diff := cmp.Diff(want, keys); diff != "" {
			t.Errorf("versions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"edited", "edited", "pending", "edited", "ignored", "pending", "accepted"}, deskEvents(t, s)); diff != "" {
			t.Errorf("desk events (-want +got):\n%s", diff)
		}
	})
}

func TestSchedule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		clock := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		now := func() time.Time { return clock }
		log := &eventLog{}
		a := apply.New(s, log, now)
		holdAll(t, s)
		held, err := a.Apply(ctx, &apply.Params{Item: versioned("s", "1", "Later", "Later."), SourceName: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		log.take()
		if _, err := a.Schedule(ctx, &apply.ScheduleParams{StoryID: held.StoryID, By: "ed", At: clock.Add(-time.Minute)}); !errors.Is(err, apply.ErrNotInFuture) {
			t.Errorf("scheduling in the past: %v, want ErrNotInFuture", err)
		}
		at := clock.Add(time.Hour)
		if _, err := a.Schedule(ctx, &apply.ScheduleParams{StoryID: held.StoryID, By: "ed", At: at}); err != nil {
			t.Fatal(err)
		}
		if r, err := s.GetRouting(ctx, held.StoryID); err != nil || r.ScheduledAt == nil || !r.ScheduledAt.Equal(at) || r.ScheduledBy != "ed" || r.RuleName != "hold everything" {
			t.Errorf("routing after schedule = %+v, %v", r, err)
		}
		if diff := cmp.Diff([]time.Time{at}, log.schedules); diff != "" {
			t.Errorf("jobs scheduled (-want +got):\n%s", diff)
		}
		// The job running early publishes nothing and schedules again.
		res, err := a.PublishScheduled(ctx, held.StoryID)
		if err != nil || res.State != story.Held {
			t.Errorf("early run: %+v, %v; want still held", res, err)
		}
		if len(log.schedules) != 2 {
			t.Errorf("early run scheduled %d jobs in all, want 2", len(log.schedules))
		}
		clock = at.Add(time.Second)
		if res, err = a.PublishScheduled(ctx, held.StoryID); err != nil || res.State != story.Published || res.Event != apply.EventPublished {
			t.Fatalf("run at time: %+v, %v; want published", res, err)
		}
		if r, err := s.GetRouting(ctx, held.StoryID); err != nil || r.ScheduledAt != nil {
			t.Errorf("routing after publication = %+v, %v; want no schedule left", r, err)
		}
		audit, err := s.ListAudit(ctx, &store.ListAuditParams{Action: apply.AuditPublishScheduled})
		if err != nil || len(audit) != 1 || audit[0].Actor != "ed" {
			t.Errorf("audit of the scheduled publication: %+v, %v; want one row by ed", audit, err)
		}
		// Run again: nothing to do.
		if res, err = a.PublishScheduled(ctx, held.StoryID); err != nil || res.Outcome != apply.Unchanged {
			t.Errorf("second run: %+v, %v; want unchanged", res, err)
		}
		// Without a scheduler, scheduling is refused.
		if _, err := apply.New(s, nil, now).Schedule(ctx, &apply.ScheduleParams{StoryID: held.StoryID, By: "ed", At: at}); !errors.Is(err, apply.ErrNoScheduler) {
			t.Errorf("schedule without a scheduler: %v, want ErrNoScheduler", err)
		}
	})
}

// reviewSnapshot is what a review action can change about a story: a
// refused action must leave all of it as it was.
type reviewSnapshot struct {
	State      story.State
	Current    string
	Pending    int64
	EditedBy   string
	Versions   []string
	Audit      int
	DeskEvents int
}

func snapshotReview(t *testing.T, s store.Store, id int64) reviewSnapshot {
	t.Helper()
	st := mustStory(t, s, id)
	versions, err := s.ListVersions(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := s.ListAudit(t.Context(), &store.ListAuditParams{ObjectType: store.AuditStory, ObjectID: jsonNumber(id)})
	if err != nil {
		t.Fatal(err)
	}
	snap := reviewSnapshot{State: st.State, Current: st.CurrentVersionKey, Pending: st.PendingVersionID, EditedBy: st.EditedBy,
		Audit: len(audit), DeskEvents: len(deskEvents(t, s))}
	for _, v := range versions {
		snap.Versions = append(snap.Versions, v.Key)
	}
	return snap
}

// Every review action names the version its editor decided on, and is
// refused (ErrStale, nothing written, nothing audited) when another is in
// place by the time it runs: a stale edit would overwrite text its editor
// never read, a stale approval or acceptance publish it.
func TestReviewActionsCheckTheVersionSeen(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a := apply.New(s, &eventLog{}, nil)
		addRule(t, s, rules.Rule{Name: "hold", When: rules.Conditions{HeadlineRegex: "^Held"}, Action: rules.Hold})
		push := func(t *testing.T, uri, version, headline string) int64 {
			t.Helper()
			res, err := a.Apply(ctx, &apply.Params{Item: versioned(uri, version, headline, headline+", in words."), SourceName: "wire"})
			if err != nil {
				t.Fatal(err)
			}
			return res.StoryID
		}
		edit := func(id int64, by, seen string) error {
			_, err := a.Edit(ctx, &apply.EditParams{StoryID: id, By: by, Headline: "Edited by " + by, SeenVersion: seen})
			return err
		}
		mustEdit := func(t *testing.T, id int64, by, seen string) {
			t.Helper()
			if err := edit(id, by, seen); err != nil {
				t.Fatal(err)
			}
		}
		review := func(action func(context.Context, *apply.ReviewParams) (*apply.Result, error)) func(id int64, seen string) error {
			return func(id int64, seen string) error {
				_, err := action(ctx, &apply.ReviewParams{StoryID: id, By: "ed", SeenVersion: seen})
				return err
			}
		}
		editAct := func(id int64, seen string) error { return edit(id, "ed", seen) }

		tests := []struct {
			name string
			// arrange makes the story, shows it to the editor (seen is
			// what the editor's form names), and then lets whatever else
			// happens before the editor acts happen.
			arrange func(t *testing.T, uri string) (id int64, seen string)
			act     func(id int64, seen string) error
			// wantStale: refused with ErrStale; else done, leaving
			// wantCurrent on show.
			wantStale   bool
			wantCurrent string
		}{
			{
				name:        "edit of the version on show",
				arrange:     func(t *testing.T, uri string) (int64, string) { return push(t, uri, "1", "Ferry"), "v:1" },
				act:         editAct,
				wantCurrent: "e:1",
			},
			{
				name: "edit after a newer agency version",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					push(t, uri, "2", "Ferry, later")
					return id, "v:1"
				},
				act:       editAct,
				wantStale: true,
			},
			{
				name: "edit after another editor's edit",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					mustEdit(t, id, "chief", "v:1")
					return id, "v:1"
				},
				act:       editAct,
				wantStale: true,
			},
			{
				name:      "edit naming no version",
				arrange:   func(t *testing.T, uri string) (int64, string) { return push(t, uri, "1", "Ferry"), "" },
				act:       editAct,
				wantStale: true,
			},
			{
				name:        "approve of the version reviewed",
				arrange:     func(t *testing.T, uri string) (int64, string) { return push(t, uri, "1", "Held ferry"), "v:1" },
				act:         review(a.Approve),
				wantCurrent: "v:1",
			},
			{
				name: "approve after a newer agency version",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Held ferry")
					push(t, uri, "2", "Held ferry, later")
					return id, "v:1"
				},
				act:       review(a.Approve),
				wantStale: true,
			},
			{
				name:      "approve naming no version",
				arrange:   func(t *testing.T, uri string) (int64, string) { return push(t, uri, "1", "Held ferry"), "" },
				act:       review(a.Approve),
				wantStale: true,
			},
			{
				name: "reject after a newer agency version",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Held ferry")
					push(t, uri, "2", "Held ferry, later")
					return id, "v:1"
				},
				act:       review(a.Reject),
				wantStale: true,
			},
			{
				name: "accept of the update reviewed",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					mustEdit(t, id, "chief", "v:1")
					push(t, uri, "2", "Ferry, later")
					return id, "v:2"
				},
				act:         review(a.AcceptUpdate),
				wantCurrent: "v:2",
			},
			{
				name: "accept after a newer update replaced the one reviewed",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					mustEdit(t, id, "chief", "v:1")
					push(t, uri, "2", "Ferry, later")
					push(t, uri, "3", "Ferry, latest")
					return id, "v:2"
				},
				act:       review(a.AcceptUpdate),
				wantStale: true,
			},
			{
				name: "accept naming the version on show, not the update",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					mustEdit(t, id, "chief", "v:1")
					push(t, uri, "2", "Ferry, later")
					return id, "e:1"
				},
				act:       review(a.AcceptUpdate),
				wantStale: true,
			},
			{
				name: "accept naming no version",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					mustEdit(t, id, "chief", "v:1")
					push(t, uri, "2", "Ferry, later")
					return id, ""
				},
				act:       review(a.AcceptUpdate),
				wantStale: true,
			},
			{
				name: "ignore after a newer update replaced the one reviewed",
				arrange: func(t *testing.T, uri string) (int64, string) {
					id := push(t, uri, "1", "Ferry")
					mustEdit(t, id, "chief", "v:1")
					push(t, uri, "2", "Ferry, later")
					push(t, uri, "3", "Ferry, latest")
					return id, "v:2"
				},
				act:       review(a.IgnoreUpdate),
				wantStale: true,
			},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id, seen := tt.arrange(t, fmt.Sprintf("seen-%d", i))
				before := snapshotReview(t, s, id)
				err := tt.act(id, seen)
				after := snapshotReview(t, s, id)
				if tt.wantStale {
					if !errors.Is(err, apply.ErrStale) {
						t.Errorf("acting on %q: %v, want ErrStale", seen, err)
					}
					if diff := cmp.Diff(before, after); diff != "" {
						t.Errorf("a refused action changed the story (-before +after):\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatalf("acting on %q, the version in place: %v", seen, err)
				}
				got := struct {
					Current string
					Audit   int
				}{after.Current, after.Audit - before.Audit}
				want := struct {
					Current string
					Audit   int
				}{tt.wantCurrent, 1}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("after the action, version on show and audit rows added (-want +got):\n%s", diff)
				}
			})
		}
	})
}
