package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// testRules covers the routing side of the store: rules and their order,
// per-source defaults, the rule set's version, routing records, the review
// queue, the recent versions a dry run replays and the desk's event log.
func testRules(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("RuleSet", func(t *testing.T) { testRuleSet(t, open(t)) })
	t.Run("Routing", func(t *testing.T) { testRouting(t, open(t)) })
	t.Run("ReviewQueue", func(t *testing.T) { testReviewQueue(t, open(t)) })
	t.Run("RecentVersions", func(t *testing.T) { testRecentVersions(t, open(t)) })
	t.Run("DeskEvents", func(t *testing.T) { testDeskEvents(t, open(t)) })
}

// ruleView is a rule without what the store assigns (ids, times).
type ruleView struct {
	Position int
	Name     string
	Disabled bool
	When     string
	Action   string
	Section  string
	Continue bool
	By       string
}

func viewRules(rs []*store.Rule) []ruleView {
	var out []ruleView
	for _, r := range rs {
		// Compare the JSON by value: PostgreSQL's json keeps text as
		// given, but a backend might normalize spacing.
		var when any
		_ = json.Unmarshal(r.When, &when)
		b, _ := json.Marshal(when)
		out = append(out, ruleView{r.Position, r.Name, r.Disabled, string(b), r.Action, r.Section, r.Continue, r.UpdatedBy})
	}
	return out
}

func testRuleSet(t *testing.T, s store.Store) {
	ctx := t.Context()
	empty, err := s.GetRuleSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Rules) != 0 || len(empty.Defaults) != 0 {
		t.Fatalf("new store has rules %v, defaults %v; want none", empty.Rules, empty.Defaults)
	}
	v0 := empty.Version

	var court, sport, promo *store.Rule
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if court, err = tx.CreateRule(ctx, &store.CreateRuleParams{Name: "court", When: json.RawMessage(`{"headline_regex":"(?i)court"}`), Action: "hold", By: "ed", At: at}); err != nil {
			return err
		}
		if sport, err = tx.CreateRule(ctx, &store.CreateRuleParams{Name: "sport", When: json.RawMessage(`{"keywords":["football"]}`), Section: "sport", Continue: true, By: "ed", At: at}); err != nil {
			return err
		}
		if promo, err = tx.CreateRule(ctx, &store.CreateRuleParams{Name: "promo", Disabled: true, Action: "spike", By: "ed", At: at}); err != nil {
			return err
		}
		return tx.SetSourceDefault(ctx, &store.SetSourceDefaultParams{Source: "raw", Action: "hold", At: at})
	})
	if court.ID == 0 || !court.CreatedAt.Equal(at) || !court.UpdatedAt.Equal(at) {
		t.Errorf("created rule has id %d, created %v, updated %v; want an id and both %v", court.ID, court.CreatedAt, court.UpdatedAt, at)
	}
	set, err := s.GetRuleSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []ruleView{
		{1, "court", false, `{"headline_regex":"(?i)court"}`, "hold", "", false, "ed"},
		{2, "sport", false, `{"keywords":["football"]}`, "", "sport", true, "ed"},
		{3, "promo", true, `{}`, "spike", "", false, "ed"},
	}
	if diff := cmp.Diff(want, viewRules(set.Rules)); diff != "" {
		t.Errorf("rules after creating three (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"raw": "hold"}, set.Defaults); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if set.Version <= v0 {
		t.Errorf("version %d after changes, want more than %d", set.Version, v0)
	}

	// Update, reorder, delete, change defaults: each moves the version on,
	// and the transaction sees the same set as readers do afterwards.
	later := at.Add(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		before, err := tx.RuleSetVersion(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.UpdateRule(ctx, &store.UpdateRuleParams{ID: promo.ID, Name: "promos", When: json.RawMessage(`{"headline_regex":"^PROMO"}`), Action: "spike", By: "chief", At: later}); err != nil {
			return err
		}
		if err := tx.ReorderRules(ctx, []int64{promo.ID, court.ID, sport.ID}); err != nil {
			return err
		}
		if err := tx.DeleteRule(ctx, sport.ID); err != nil {
			return err
		}
		if err := tx.SetSourceDefault(ctx, &store.SetSourceDefaultParams{Source: "raw", At: later}); err != nil {
			return err
		}
		if err := tx.SetSourceDefault(ctx, &store.SetSourceDefaultParams{Source: "promo-feed", Action: "spike", At: later}); err != nil {
			return err
		}
		after, err := tx.RuleSetVersion(ctx)
		if err != nil {
			return err
		}
		if after <= before {
			t.Errorf("version %d after changes in the transaction, want more than %d", after, before)
		}
		inside, err := tx.LoadRuleSet(ctx)
		if err != nil {
			return err
		}
		if inside.Version != after || len(inside.Rules) != 2 {
			t.Errorf("LoadRuleSet in the transaction: version %d with %d rules, want %d with 2", inside.Version, len(inside.Rules), after)
		}
		return nil
	})
	set, err = s.GetRuleSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = []ruleView{
		{1, "promos", false, `{"headline_regex":"^PROMO"}`, "spike", "", false, "chief"},
		{2, "court", false, `{"headline_regex":"(?i)court"}`, "hold", "", false, "ed"},
	}
	if diff := cmp.Diff(want, viewRules(set.Rules)); diff != "" {
		t.Errorf("rules after update, reorder and delete (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"promo-feed": "spike"}, set.Defaults); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if !set.Rules[0].UpdatedAt.Equal(later) || !set.Rules[0].CreatedAt.Equal(at) {
		t.Errorf("updated rule: created %v, updated %v; want %v, %v", set.Rules[0].CreatedAt, set.Rules[0].UpdatedAt, at, later)
	}

	// Refusals, each rolled back.
	for _, tc := range []struct {
		name string
		fn   func(ctx context.Context, tx store.Tx) error
		want error
	}{
		{"update unknown", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.UpdateRule(ctx, &store.UpdateRuleParams{ID: 9999, Name: "x", Action: "hold"})
			return err
		}, store.ErrNotFound},
		{"delete unknown", func(ctx context.Context, tx store.Tx) error { return tx.DeleteRule(ctx, 9999) }, store.ErrNotFound},
		{"reorder missing a rule", func(ctx context.Context, tx store.Tx) error { return tx.ReorderRules(ctx, []int64{court.ID}) }, errAny},
		{"reorder naming one twice", func(ctx context.Context, tx store.Tx) error {
			return tx.ReorderRules(ctx, []int64{court.ID, court.ID, promo.ID})
		}, errAny},
		{"unknown action", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.CreateRule(ctx, &store.CreateRuleParams{Name: "x", Action: "delete"})
			return err
		}, errAny},
		{"conditions not JSON", func(ctx context.Context, tx store.Tx) error {
			_, err := tx.CreateRule(ctx, &store.CreateRuleParams{Name: "x", Action: "hold", When: json.RawMessage(`{`)})
			return err
		}, errAny},
	} {
		err := s.InTx(ctx, tc.fn)
		if !checkErr(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
	again, err := s.GetRuleSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(viewRules(set.Rules), viewRules(again.Rules)); diff != "" || again.Version != set.Version {
		t.Errorf("refused changes left a trace: version %d → %d, rules (-before +after):\n%s", set.Version, again.Version, diff)
	}
}

func testRouting(t *testing.T, s store.Store) {
	ctx := t.Context()
	var id int64
	when := at.Add(2 * time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if id, _, err = seedStory(ctx, tx, "A", "held-1", story.Held, nil); err != nil {
			return err
		}
		return tx.SetRouting(ctx, &store.SetRoutingParams{StoryID: id, Action: "hold", RuleID: 7, RuleName: "court", DecidedAt: at})
	})
	got, err := s.GetRouting(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &store.Routing{StoryID: id, Action: "hold", RuleID: 7, RuleName: "court", DecidedAt: at}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routing (-want +got):\n%s", diff)
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.LoadRouting(ctx, id)
		if err != nil {
			return err
		}
		r.ScheduledAt, r.ScheduledBy = &when, "ed"
		return tx.SetRouting(ctx, &store.SetRoutingParams{StoryID: id, Action: r.Action, RuleID: r.RuleID, RuleName: r.RuleName,
			DecidedAt: r.DecidedAt, ScheduledAt: r.ScheduledAt, ScheduledBy: r.ScheduledBy})
	})
	got, err = s.GetRouting(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want.ScheduledAt, want.ScheduledBy = &when, "ed"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routing after scheduling (-want +got):\n%s", diff)
	}
	if _, err := s.GetRouting(ctx, id+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("routing of an unknown story: %v, want ErrNotFound", err)
	}
	// A source default decides without a rule: no rule id.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.SetRouting(ctx, &store.SetRoutingParams{StoryID: id, Action: "spike", DecidedAt: at})
	})
	if got, err = s.GetRouting(ctx, id); err != nil || got.RuleID != 0 || got.RuleName != "" || got.ScheduledAt != nil {
		t.Errorf("routing by default = %+v, %v; want no rule and no schedule", got, err)
	}
}

func testReviewQueue(t *testing.T, s store.Store) {
	ctx := t.Context()
	var held, pending, plain, spiked, pendingVersion int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if held, _, err = seedStory(ctx, tx, "A", "held", story.Held, nil); err != nil {
			return err
		}
		if err := tx.SetRouting(ctx, &store.SetRoutingParams{StoryID: held, Action: "hold", RuleID: 3, RuleName: "court", DecidedAt: at}); err != nil {
			return err
		}
		if plain, _, err = seedStory(ctx, tx, "A", "plain", story.Published, &at); err != nil {
			return err
		}
		if spiked, _, err = seedStory(ctx, tx, "A", "spiked", story.Spiked, nil); err != nil {
			return err
		}
		if pending, _, err = seedStory(ctx, tx, "A", "edited", story.Published, &at); err != nil {
			return err
		}
		if err := tx.SetEditedBy(ctx, pending, "ed"); err != nil {
			return err
		}
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: pending, Key: "v:2",
			Item: &story.Item{URI: "edited", PubStatus: story.Usable, Headline: "agency v2"}, ReceivedAt: at})
		if err != nil {
			return err
		}
		pendingVersion = v.ID
		return tx.MarkPending(ctx, &store.MarkPendingParams{StoryID: pending, VersionID: v.ID})
	})
	_ = plain
	_ = spiked
	q, err := s.ListReview(ctx, &store.ListReviewParams{})
	if err != nil {
		t.Fatal(err)
	}
	type entryView struct {
		StoryID   int64
		State     story.State
		Rule      string
		PendingID int64
		PendingHL string
	}
	var got []entryView
	for _, e := range q {
		v := entryView{StoryID: e.Story.ID, State: e.Story.State}
		if e.Routing != nil {
			v.Rule = e.Routing.RuleName
		}
		if e.Pending != nil {
			v.PendingID, v.PendingHL = e.Pending.ID, e.Pending.Item.Headline
		}
		got = append(got, v)
	}
	want := []entryView{
		{StoryID: pending, State: story.Published, PendingID: pendingVersion, PendingHL: "agency v2"},
		{StoryID: held, State: story.Held, Rule: "court"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("review queue (-want +got):\n%s", diff)
	}
	if q, err := s.ListReview(ctx, &store.ListReviewParams{Limit: 1}); err != nil || len(q) != 1 || q[0].Story.ID != pending {
		t.Errorf("review queue limited to 1: %d entries, %v; want the newest, story %d", len(q), err, pending)
	}
}

func testRecentVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "A", URI: "r", State: story.Published, At: at})
		if err != nil {
			return err
		}
		for _, v := range []struct{ key, source string }{
			{"v:1", "wire"}, {"v:2", "wire"}, {"e:1", "editor:ed"}, {"v:3", "other"},
		} {
			if _, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: v.key, SourceName: v.source,
				Item: &story.Item{URI: "r", PubStatus: story.Usable, Headline: v.key}, ReceivedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	vs, err := s.ListRecentVersions(ctx, &store.ListRecentVersionsParams{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	for _, v := range vs {
		got = append(got, [2]string{v.Key, v.SourceName})
	}
	if diff := cmp.Diff([][2]string{{"v:3", "other"}, {"v:2", "wire"}}, got); diff != "" {
		t.Errorf("two most recent agency versions (-want +got):\n%s", diff)
	}
}

func testDeskEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	if id, err := s.LastDeskEventID(ctx); err != nil || id != 0 {
		t.Fatalf("LastDeskEventID on an empty log = %d, %v; want 0", id, err)
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i, kind := range []string{store.DeskEventHeld, store.DeskEventApproved, store.DeskEventKilled} {
			if _, err := tx.AppendDeskEvent(ctx, &store.AppendDeskEventParams{Kind: kind, StoryID: int64(i + 1), Actor: "ed", At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.AppendDeskEvent(ctx, &store.AppendDeskEventParams{StoryID: 1})
		return err
	}); err == nil {
		t.Error("an event without a kind was appended")
	}
	all, err := s.ListDeskEvents(ctx, &store.ListDeskEventsParams{})
	if err != nil {
		t.Fatal(err)
	}
	want := []*store.DeskEvent{
		{Kind: "held", StoryID: 1, Actor: "ed", At: at},
		{Kind: "approved", StoryID: 2, Actor: "ed", At: at},
		{Kind: "killed", StoryID: 3, Actor: "ed", At: at},
	}
	if diff := cmp.Diff(want, all, cmpopts.IgnoreFields(store.DeskEvent{}, "ID")); diff != "" {
		t.Errorf("desk events (-want +got):\n%s", diff)
	}
	after, err := s.ListDeskEvents(ctx, &store.ListDeskEventsParams{AfterID: all[0].ID, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 1 || after[0].ID != all[1].ID {
		t.Errorf("one event after %d: %+v, want event %d", all[0].ID, after, all[1].ID)
	}
	if last, err := s.LastDeskEventID(ctx); err != nil || last != all[2].ID {
		t.Errorf("LastDeskEventID = %d, %v; want %d", last, err, all[2].ID)
	}
}
