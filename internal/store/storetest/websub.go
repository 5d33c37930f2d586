package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
)

// testWebSub covers the WebSub subscriber's table: a row per source,
// claims of due rows, verification matching token and topic, errors and
// content.
func testWebSub(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Lifecycle", func(t *testing.T) { testWebSubLifecycle(t, open) })
	t.Run("Claim", func(t *testing.T) { testWebSubClaim(t, open) })
	t.Run("Verify", func(t *testing.T) { testWebSubVerify(t, open) })
}

func webSubSource(t *testing.T, s store.Store, name string) *store.Source {
	t.Helper()
	src, err := s.UpsertSource(t.Context(), &store.UpsertSourceParams{Name: name, URL: "https://wire.example/" + name, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func testWebSubLifecycle(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	a := webSubSource(t, s, "a")
	b := webSubSource(t, s, "b")
	gone := webSubSource(t, s, "gone")
	if err := s.DeleteSource(ctx, &store.DeleteSourceParams{Name: gone.Name, At: at}); err != nil {
		t.Fatal(err)
	}

	n, err := s.AddWebSubSources(ctx, &store.AddWebSubSourcesParams{At: at})
	if err != nil || n != 2 {
		t.Fatalf("AddWebSubSources = %d, %v; want 2 rows (the deleted source gets none)", n, err)
	}
	if n, err := s.AddWebSubSources(ctx, &store.AddWebSubSourcesParams{At: at}); err != nil || n != 0 {
		t.Fatalf("AddWebSubSources again = %d, %v; want 0", n, err)
	}
	got, err := s.GetWebSubSubscription(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := &store.WebSubSubscription{SourceID: a.ID, State: store.WebSubNoHub, NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("new row (-want +got):\n%s", diff)
	}

	later := at.Add(time.Minute)
	upd := &store.UpdateWebSubSubscriptionParams{
		SourceID: a.ID, State: store.WebSubPending, Hub: "https://hub.example/", Topic: "https://wire.example/a",
		Token: "tok-a", Secret: "sec-a", LeaseSeconds: 86400, Failures: 1, NextAttemptAt: later.Add(time.Minute), At: later,
	}
	got, err = s.UpdateWebSubSubscription(ctx, upd)
	if err != nil {
		t.Fatal(err)
	}
	want = &store.WebSubSubscription{
		SourceID: a.ID, State: store.WebSubPending, Hub: upd.Hub, Topic: upd.Topic, Token: "tok-a", Secret: "sec-a",
		LeaseSeconds: 86400, Failures: 1, NextAttemptAt: later.Add(time.Minute), CreatedAt: at, UpdatedAt: later,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("updated row (-want +got):\n%s", diff)
	}
	byToken, err := s.GetWebSubSubscriptionByToken(ctx, "tok-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byToken); diff != "" {
		t.Errorf("GetWebSubSubscriptionByToken (-want +got):\n%s", diff)
	}
	for _, tok := range []string{"", "nope"} {
		if _, err := s.GetWebSubSubscriptionByToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetWebSubSubscriptionByToken(%q) error = %v, want ErrNotFound", tok, err)
		}
	}

	if err := s.RecordWebSubContent(ctx, &store.RecordWebSubContentParams{SourceID: a.ID, At: later}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordWebSubError(ctx, &store.RecordWebSubErrorParams{SourceID: a.ID, Err: "hub said 500", At: later}); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetWebSubSubscription(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastContentAt == nil || !got.LastContentAt.Equal(later) || got.LastError != "hub said 500" || got.State != store.WebSubPending {
		t.Errorf("after content and error: LastContentAt %v, LastError %q, State %s", got.LastContentAt, got.LastError, got.State)
	}
	for _, err := range []error{
		s.RecordWebSubContent(ctx, &store.RecordWebSubContentParams{SourceID: 9999, At: later}),
		s.RecordWebSubError(ctx, &store.RecordWebSubErrorParams{SourceID: 9999, Err: "x", At: later}),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("write to a missing row: error = %v, want ErrNotFound", err)
		}
	}
	if _, err := s.GetWebSubSubscription(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted source's row: error = %v, want ErrNotFound", err)
	}

	list, err := s.ListWebSubSubscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, w := range list {
		ids = append(ids, w.SourceID)
	}
	if diff := cmp.Diff([]int64{a.ID, b.ID}, ids); diff != "" {
		t.Errorf("ListWebSubSubscriptions ids (-want +got):\n%s", diff)
	}
}

func testWebSubClaim(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	var srcs []*store.Source
	for _, name := range []string{"a", "b", "c"} {
		srcs = append(srcs, webSubSource(t, s, name))
	}
	if _, err := s.AddWebSubSources(ctx, &store.AddWebSubSourcesParams{At: at}); err != nil {
		t.Fatal(err)
	}
	// c is due only in an hour.
	if _, err := s.UpdateWebSubSubscription(ctx, &store.UpdateWebSubSubscriptionParams{
		SourceID: srcs[2].ID, State: store.WebSubNoHub, NextAttemptAt: at.Add(time.Hour), At: at,
	}); err != nil {
		t.Fatal(err)
	}
	claim := func(now time.Time, limit int) []int64 {
		t.Helper()
		ws, err := s.ClaimDueWebSubSubscriptions(ctx, &store.ClaimDueWebSubSubscriptionsParams{Now: now, Limit: limit, Hold: 2 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, w := range ws {
			if !w.NextAttemptAt.Equal(now.Add(2 * time.Minute)) {
				t.Errorf("claimed row %d: NextAttemptAt %s, want now + hold", w.SourceID, w.NextAttemptAt)
			}
			ids = append(ids, w.SourceID)
		}
		return ids
	}
	if got := claim(at, 1); len(got) != 1 || got[0] != srcs[0].ID {
		t.Errorf("first claim (limit 1) = %v, want [%d]", got, srcs[0].ID)
	}
	if got := claim(at, 10); len(got) != 1 || got[0] != srcs[1].ID {
		t.Errorf("second claim = %v, want only [%d]: a is held, c not due", got, srcs[1].ID)
	}
	if got := claim(at.Add(time.Minute), 10); len(got) != 0 {
		t.Errorf("claim within the hold = %v, want none", got)
	}
	if got := claim(at.Add(2*time.Hour), 10); len(got) != 3 {
		t.Errorf("claim after hold and c's time = %v, want all three", got)
	}
}

func testWebSubVerify(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	src := webSubSource(t, s, "a")
	if _, err := s.AddWebSubSources(ctx, &store.AddWebSubSourcesParams{At: at}); err != nil {
		t.Fatal(err)
	}
	const topic = "https://wire.example/a"
	if _, err := s.UpdateWebSubSubscription(ctx, &store.UpdateWebSubSubscriptionParams{
		SourceID: src.ID, State: store.WebSubPending, Hub: "https://hub.example/", Topic: topic,
		Token: "tok", Secret: "sec", LeaseSeconds: 3600, Failures: 2, LastError: "not verified yet",
		NextAttemptAt: at.Add(time.Minute), At: at,
	}); err != nil {
		t.Fatal(err)
	}
	expires := at.Add(time.Hour)
	renew := at.Add(48 * time.Minute)
	verify := func(token, topic string) (*store.WebSubSubscription, error) {
		return s.VerifyWebSubSubscription(ctx, &store.VerifyWebSubSubscriptionParams{
			Token: token, Topic: topic, LeaseExpiresAt: expires, NextAttemptAt: renew, At: at,
		})
	}
	for _, bad := range []struct{ token, topic string }{{"tok", "https://wire.example/other"}, {"other", topic}, {"", topic}} {
		if _, err := verify(bad.token, bad.topic); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("verify %q %q: error = %v, want ErrNotFound", bad.token, bad.topic, err)
		}
	}
	got, err := verify("tok", topic)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.WebSubActive || got.Failures != 0 || got.LastError != "" ||
		got.LeaseExpiresAt == nil || !got.LeaseExpiresAt.Equal(expires) ||
		got.VerifiedAt == nil || !got.VerifiedAt.Equal(at) || !got.NextAttemptAt.Equal(renew) {
		t.Errorf("verified = %+v, want active, failures cleared, lease and renewal set", got)
	}
	// A renewal is verified the same way while active.
	if _, err := verify("tok", topic); err != nil {
		t.Errorf("re-verify an active subscription: %v", err)
	}
	// A denial turns the active subscription pending again.
	if err := s.RecordWebSubError(ctx, &store.RecordWebSubErrorParams{SourceID: src.ID, Err: "denied: spam", Denied: true, At: at}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetWebSubSubscription(ctx, src.ID); got.State != store.WebSubPending || got.LastError != "denied: spam" {
		t.Errorf("after denial: %s %q, want pending with the reason", got.State, got.LastError)
	}
	// A source back to no hub cannot be verified.
	if _, err := s.UpdateWebSubSubscription(ctx, &store.UpdateWebSubSubscriptionParams{
		SourceID: src.ID, State: store.WebSubNoHub, Token: "tok", Topic: topic, NextAttemptAt: at, At: at,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := verify("tok", topic); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("verify a nohub row: error = %v, want ErrNotFound", err)
	}
}
