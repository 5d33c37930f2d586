package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wiredesk/wiredesk/internal/store"
)

// testOutputs checks API tokens, webhook subscribers and their delivery
// queues.
func testOutputs(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("APITokens", func(t *testing.T) { testAPITokens(t, open(t)) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open(t)) })
	t.Run("MarkStoryEvent", func(t *testing.T) { testMarkStoryEvent(t, open(t)) })
	t.Run("WebhookQueue", func(t *testing.T) { testWebhookQueue(t, open(t)) })
	t.Run("WebhookClaimOnce", func(t *testing.T) { testWebhookClaimOnce(t, open(t)) })
}

func testAPITokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	reader, err := s.CreateAPIToken(ctx, &store.CreateAPITokenParams{Name: "reader", SHA256: "aa11", Scope: store.ScopeReadAll, At: at})
	if err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	want := &store.APIToken{ID: reader.ID, Name: "reader", SHA256: "aa11", Scope: store.ScopeReadAll, CreatedAt: at}
	if diff := cmp.Diff(want, reader); diff != "" {
		t.Errorf("created token (-want +got):\n%s", diff)
	}
	if _, err := s.CreateAPIToken(ctx, &store.CreateAPITokenParams{Name: "admin", SHA256: "bb22", Scope: store.ScopeAdmin, At: at}); err != nil {
		t.Fatalf("CreateAPIToken admin: %v", err)
	}
	if _, err := s.CreateAPIToken(ctx, &store.CreateAPITokenParams{Name: "reader", SHA256: "cc33", Scope: store.ScopeAdmin}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateAPIToken with a taken name: err = %v, want ErrExists", err)
	}
	if _, err := s.CreateAPIToken(ctx, &store.CreateAPITokenParams{Name: "odd", SHA256: "dd44", Scope: "write"}); err == nil {
		t.Error("CreateAPIToken with scope \"write\" succeeded, want an error")
	}

	got, err := s.APITokenBySHA256(ctx, "aa11")
	if err != nil {
		t.Fatalf("APITokenBySHA256: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token by hash (-want +got):\n%s", diff)
	}
	if _, err := s.APITokenBySHA256(ctx, "ffff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("APITokenBySHA256 of an unknown hash: err = %v, want ErrNotFound", err)
	}

	list, err := s.ListAPITokens(ctx)
	if err != nil {
		t.Fatalf("ListAPITokens: %v", err)
	}
	var names []string
	for _, tk := range list {
		names = append(names, tk.Name)
	}
	if diff := cmp.Diff([]string{"admin", "reader"}, names); diff != "" {
		t.Errorf("listed tokens (-want +got):\n%s", diff)
	}

	if err := s.DeleteAPIToken(ctx, "reader"); err != nil {
		t.Fatalf("DeleteAPIToken: %v", err)
	}
	if _, err := s.APITokenBySHA256(ctx, "aa11"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token still found: err = %v", err)
	}
	if err := s.DeleteAPIToken(ctx, "reader"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteAPIToken twice: err = %v, want ErrNotFound", err)
	}
}

func testWebhooks(t *testing.T, s store.Store) {
	ctx := t.Context()
	created, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{
		Name: "cms", URL: "https://cms.example/hook", Secret: "whsec_c2VjcmV0", Events: []string{"published", "killed"},
		Active: true, At: at,
	})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	want := &store.Webhook{ID: created.ID, Name: "cms", URL: "https://cms.example/hook", Secret: "whsec_c2VjcmV0",
		Events: []string{"published", "killed"}, Active: true, CreatedAt: at}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created webhook (-want +got):\n%s", diff)
	}
	all, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{Name: "all", URL: "http://127.0.0.1:9/h", Secret: "x", AllowPrivate: true, At: at})
	if err != nil {
		t.Fatalf("CreateWebhook with every event: %v", err)
	}
	if all.Events != nil || all.Active || !all.AllowPrivate {
		t.Errorf("webhook \"all\" = events %q, active %v, allow private %v; want nil, false, true", all.Events, all.Active, all.AllowPrivate)
	}
	if _, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{Name: "cms", URL: "https://x.example", Secret: "y"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateWebhook with a taken name: err = %v, want ErrExists", err)
	}
	if _, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{Name: "bad", URL: "https://x.example", Secret: "y", Events: []string{"a,b"}}); err == nil {
		t.Error("CreateWebhook with an event holding a comma succeeded")
	}

	byID, err := s.GetWebhook(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	byName, err := s.GetWebhookByName(ctx, "cms")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byID); diff != "" {
		t.Errorf("GetWebhook (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, byName); diff != "" {
		t.Errorf("GetWebhookByName (-want +got):\n%s", diff)
	}
	list, err := s.ListWebhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "cms" || list[1].Name != "all" {
		t.Errorf("ListWebhooks = %d webhooks, want cms then all", len(list))
	}

	// Deleting a subscriber takes its queue with it.
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.EnqueueWebhookDelivery(ctx, &store.EnqueueWebhookDeliveryParams{WebhookID: created.ID, Event: "published", StoryID: 1, EventID: 1, Payload: []byte(`{}`), At: at})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, err := s.GetWebhook(ctx, created.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted webhook: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteWebhook(ctx, created.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWebhook twice: err = %v, want ErrNotFound", err)
	}
	if got, err := s.ListWebhookDeliveries(ctx, &store.ListWebhookDeliveriesParams{WebhookID: created.ID}); err != nil || len(got) != 0 {
		t.Errorf("deliveries of a deleted webhook = %d, %v; want none", len(got), err)
	}
}

func testMarkStoryEvent(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, step := range []struct {
		story, event int64
		want         bool
	}{
		{story: 7, event: 10, want: true},
		{story: 7, event: 10, want: false}, // the same event again: a retry
		{story: 7, event: 9, want: false},  // older than one fanned out
		{story: 8, event: 9, want: true},   // marks are per story
		{story: 7, event: 12, want: true},
		{story: 7, event: 11, want: false},
	} {
		var got bool
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.MarkStoryEvent(ctx, &store.MarkStoryEventParams{StoryID: step.story, EventID: step.event})
			return err
		})
		if err != nil {
			t.Fatalf("MarkStoryEvent(story %d, event %d): %v", step.story, step.event, err)
		}
		if got != step.want {
			t.Errorf("MarkStoryEvent(story %d, event %d) = %v, want %v", step.story, step.event, got, step.want)
		}
	}
	// A rolled back mark is no mark.
	_ = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.MarkStoryEvent(ctx, &store.MarkStoryEventParams{StoryID: 9, EventID: 5}); err != nil {
			t.Fatal(err)
		}
		return errors.New("roll back")
	})
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		ok, err := tx.MarkStoryEvent(ctx, &store.MarkStoryEventParams{StoryID: 9, EventID: 5})
		if err == nil && !ok {
			t.Error("MarkStoryEvent after a rolled back mark = false, want true")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// enqueue queues one delivery per event id, in one transaction.
func enqueue(t *testing.T, s store.Store, webhookID int64, eventIDs ...int64) []*store.WebhookDelivery {
	t.Helper()
	var out []*store.WebhookDelivery
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		out = nil
		for _, e := range eventIDs {
			d, err := tx.EnqueueWebhookDelivery(ctx, &store.EnqueueWebhookDeliveryParams{
				WebhookID: webhookID, Event: "published", StoryID: 100 + e, EventID: e, Payload: []byte(`{"n":1}`), At: at,
			})
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("EnqueueWebhookDelivery: %v", err)
	}
	return out
}

func testWebhookQueue(t *testing.T, s store.Store) {
	ctx := t.Context()
	w, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{Name: "q", URL: "https://q.example", Secret: "s", Active: true, At: at})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{Name: "other", URL: "https://o.example", Secret: "s", Active: true, At: at})
	if err != nil {
		t.Fatal(err)
	}
	queued := enqueue(t, s, w.ID, 1, 2)
	queued = append(queued, enqueue(t, s, w.ID, 3)...)
	otherQueued := enqueue(t, s, other.ID, 1)
	var seqs []int64
	for _, d := range queued {
		seqs = append(seqs, d.Seq)
	}
	if diff := cmp.Diff([]int64{1, 2, 3}, seqs); diff != "" {
		t.Errorf("sequence numbers (-want +got):\n%s", diff)
	}
	if otherQueued[0].Seq != 1 {
		t.Errorf("first delivery of a second webhook has seq %d, want 1: sequences are per webhook", otherQueued[0].Seq)
	}
	wantFirst := &store.WebhookDelivery{
		ID: queued[0].ID, WebhookID: w.ID, Seq: 1, Event: "published", StoryID: 101, EventID: 1,
		Payload: []byte(`{"n":1}`), State: store.DeliveryPending, NextAttemptAt: at, CreatedAt: at,
	}
	if diff := cmp.Diff(wantFirst, queued[0]); diff != "" {
		t.Errorf("queued delivery (-want +got):\n%s", diff)
	}

	claim := func(now time.Time) *store.WebhookClaim {
		t.Helper()
		c, err := s.ClaimWebhookDelivery(ctx, &store.ClaimWebhookDeliveryParams{WebhookID: w.ID, Now: now, Lease: time.Minute})
		if err != nil {
			t.Fatalf("ClaimWebhookDelivery: %v", err)
		}
		return c
	}
	record := func(id int64, a store.WebhookAttempt, state string, next time.Time) *store.WebhookDelivery {
		t.Helper()
		d, err := s.RecordWebhookAttempt(ctx, &store.RecordWebhookAttemptParams{DeliveryID: id, Attempt: a, State: state, NextAttemptAt: next})
		if err != nil {
			t.Fatalf("RecordWebhookAttempt: %v", err)
		}
		return d
	}

	now := at.Add(time.Second)
	c := claim(now)
	if c.Delivery == nil || c.Delivery.ID != queued[0].ID {
		t.Fatalf("first claim = %+v, want the head, delivery %d", c, queued[0].ID)
	}
	// Held: nobody else gets it, nor the one behind it, until the lease ends.
	c = claim(now)
	if c.Delivery != nil {
		t.Fatalf("claim while the head is held handed out delivery %d", c.Delivery.ID)
	}
	if c.RetryAt == nil || !c.RetryAt.Equal(now.Add(time.Minute)) || !c.Held {
		t.Errorf("claim while held = RetryAt %v, Held %v; want the lease's end %v, held", c.RetryAt, c.Held, now.Add(time.Minute))
	}
	if c := claim(now.Add(2 * time.Minute)); c.Delivery == nil || c.Delivery.ID != queued[0].ID {
		t.Fatalf("claim after the lease ran out = %+v, want the head again", c)
	}

	// A retryable failure: the head waits, and so does everything behind it.
	retryAt := now.Add(time.Hour)
	d := record(queued[0].ID, store.WebhookAttempt{At: now, Status: 503, Error: "HTTP 503", Duration: 20 * time.Millisecond}, store.DeliveryPending, retryAt)
	if d.State != store.DeliveryPending || d.Attempts != 1 || d.LastStatus != 503 || !d.NextAttemptAt.Equal(retryAt) || d.FinishedAt != nil {
		t.Errorf("after a 503: %+v", d)
	}
	c = claim(now.Add(time.Minute))
	if c.Delivery != nil || c.RetryAt == nil || !c.RetryAt.Equal(retryAt) || c.Held {
		t.Errorf("claim before the retry time = %+v, want none until %v", c, retryAt)
	}
	c = claim(retryAt)
	if c.Delivery == nil || c.Delivery.ID != queued[0].ID {
		t.Fatalf("claim at the retry time = %+v, want the head", c)
	}
	d = record(queued[0].ID, store.WebhookAttempt{At: retryAt, Status: 204, Duration: time.Millisecond}, store.DeliveryDelivered, retryAt)
	if d.State != store.DeliveryDelivered || d.Attempts != 2 || d.FinishedAt == nil || !d.FinishedAt.Equal(retryAt) {
		t.Errorf("after a 204: %+v", d)
	}
	c = claim(retryAt)
	if c.Delivery == nil || c.Delivery.ID != queued[1].ID {
		t.Fatalf("claim after the head was delivered = %+v, want delivery %d", c, queued[1].ID)
	}
	record(queued[1].ID, store.WebhookAttempt{At: retryAt, Status: 410, Error: "HTTP 410 Gone"}, store.DeliveryFailed, retryAt)
	c = claim(retryAt)
	if c.Delivery == nil || c.Delivery.ID != queued[2].ID {
		t.Fatalf("claim after a failed delivery = %+v, want delivery %d", c, queued[2].ID)
	}
	record(queued[2].ID, store.WebhookAttempt{At: retryAt, Status: 200}, store.DeliveryDelivered, retryAt)
	if c := claim(retryAt.Add(time.Hour)); c.Delivery != nil || c.RetryAt != nil {
		t.Errorf("claim on an empty queue = %+v, want nothing", c)
	}

	got, err := s.GetWebhookDelivery(ctx, queued[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != store.DeliveryFailed || got.LastStatus != 410 || got.LastError != "HTTP 410 Gone" {
		t.Errorf("failed delivery = %+v", got)
	}
	if _, err := s.GetWebhookDelivery(ctx, 1<<40); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebhookDelivery of an unknown id: err = %v, want ErrNotFound", err)
	}

	log, err := s.ListWebhookDeliveries(ctx, &store.ListWebhookDeliveriesParams{WebhookID: w.ID, Limit: 2})
	if err != nil {
		t.Fatalf("ListWebhookDeliveries: %v", err)
	}
	type row struct {
		Seq      int64
		State    string
		Attempts []store.WebhookAttempt
	}
	var rows []row
	for _, d := range log {
		r := row{Seq: d.Seq, State: d.State}
		for _, a := range d.AttemptLog {
			r.Attempts = append(r.Attempts, *a)
		}
		rows = append(rows, r)
	}
	want := []row{
		{Seq: 3, State: store.DeliveryDelivered, Attempts: []store.WebhookAttempt{{At: retryAt, Status: 200}}},
		{Seq: 2, State: store.DeliveryFailed, Attempts: []store.WebhookAttempt{{At: retryAt, Status: 410, Error: "HTTP 410 Gone"}}},
	}
	if diff := cmp.Diff(want, rows, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("delivery log, newest first (-want +got):\n%s", diff)
	}
	full, err := s.ListWebhookDeliveries(ctx, &store.ListWebhookDeliveriesParams{WebhookID: w.ID})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(full); n != 3 || len(full[2].AttemptLog) != 2 || full[2].AttemptLog[0].Status != 503 || full[2].AttemptLog[0].Duration != 20*time.Millisecond {
		t.Errorf("full delivery log: %d deliveries; the first one's attempts %+v", n, full[len(full)-1].AttemptLog)
	}
}

// Of many claims at once, exactly one gets the head.
func testWebhookClaimOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	w, err := s.CreateWebhook(ctx, &store.CreateWebhookParams{Name: "race", URL: "https://r.example", Secret: "s", Active: true, At: at})
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, s, w.ID, 1, 2)
	const claimers = 8
	got := make(chan int64, claimers)
	errs := make(chan error, claimers)
	for range claimers {
		go func() {
			c, err := s.ClaimWebhookDelivery(ctx, &store.ClaimWebhookDeliveryParams{WebhookID: w.ID, Now: at.Add(time.Second), Lease: time.Minute})
			if err != nil {
				errs <- err
				return
			}
			if c.Delivery != nil {
				got <- c.Delivery.Seq
			}
			errs <- nil
		}()
	}
	for range claimers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(got)
	var seqs []int64
	for seq := range got {
		seqs = append(seqs, seq)
	}
	if diff := cmp.Diff([]int64{1}, seqs); diff != "" {
		t.Errorf("sequence numbers handed out by %d concurrent claims (-want +got):\n%s", claimers, diff)
	}
}
