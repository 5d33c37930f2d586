package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// groupEvents records each StoryEventsTx call as the events it enqueued.
type groupEvents struct {
	mu    sync.Mutex
	calls [][]string // per call, "kind story"
}

func (e *groupEvents) StoryEventsTx(_ context.Context, _ store.Tx, evs ...*apply.StoryEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var call []string
	for _, ev := range evs {
		call = append(call, fmt.Sprintf("%s %d", ev.Kind, ev.StoryID))
	}
	e.calls = append(e.calls, call)
	return nil
}

func (e *groupEvents) ScheduleEmbargoReleaseTx(context.Context, store.Tx, int64, time.Time) error {
	return nil
}

func (e *groupEvents) all() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, c := range e.calls {
		out = append(out, c...)
	}
	return out
}

// oneItemFeed is an RSS document with one item whose words are its own.
func oneItemFeed(id int) []byte {
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Group Wire</title><link>https://group.example/</link><description>g</description>`+
		`<item><guid isPermaLink="false">g-%d</guid><title>Group story %d</title><description>&lt;p&gt;Story %d tells of %s.&lt;/p&gt;</description><pubDate>Sun, 29 Nov 2026 09:00:00 +0000</pubDate></item></channel></rss>`,
		id, id, id, strings.Repeat(fmt.Sprintf("thing%d ", id), 12))
}

// TestWriteGroupIsolatesBadDelivery: a group whose transaction fails on one
// delivery (its source does not exist, so archiving it breaks a foreign
// key) writes the others all the same, each alone; an undecodable payload
// in the group is archived with its error and fails nothing else.
func TestWriteGroupIsolatesBadDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		events := &groupEvents{}
		p := NewPipeline(s, apply.New(s, events, nil), nil, nil)
		missing := int64(987654)
		group := []*delivery{
			p.prepare(&DeliverParams{Origin: "good-1", Body: oneItemFeed(1), Agency: "grp"}),
			p.prepare(&DeliverParams{Origin: "bad-source", Body: oneItemFeed(2), Agency: "grp", SourceID: &missing}),
			p.prepare(&DeliverParams{Origin: "good-3", Body: oneItemFeed(3), Agency: "grp"}),
			p.prepare(&DeliverParams{Origin: "garbage", Body: []byte("<rss><channel><item>"), Agency: "grp"}),
		}
		p.writeGroup(ctx, group)

		type outcome struct {
			Origin  string
			Created int
			Err     bool
		}
		var got []outcome
		for _, u := range group {
			select {
			case <-u.done:
			default:
				t.Fatalf("delivery %s not answered after writeGroup", u.dp.Origin)
			}
			o := outcome{Origin: u.dp.Origin, Err: u.err != nil}
			if u.res != nil {
				o.Created = u.res.Created
			}
			got = append(got, o)
		}
		want := []outcome{{"good-1", 1, false}, {"bad-source", 0, true}, {"good-3", 1, false}, {"garbage", 0, true}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}
		if err := group[1].err; err == nil || !strings.Contains(err.Error(), "bad-source") {
			t.Errorf("bad delivery's error = %v, want one naming its origin", err)
		}
		if n, err := s.CountStories(ctx); err != nil || n != 2 {
			t.Errorf("CountStories = %d, %v; want 2", n, err)
		}
		// The undecodable payload is archived with its error.
		d, err := s.GetDelivery(ctx, group[3].res.DeliveryID)
		if err != nil {
			t.Fatalf("GetDelivery(garbage): %v", err)
		}
		if d.Err == "" || d.Origin != "garbage" {
			t.Errorf("garbage delivery archived as %q with error %q, want its origin and an error", d.Origin, d.Err)
		}
		if got := len(events.all()); got != 2 {
			t.Errorf("events enqueued = %v, want one per new story", events.all())
		}
	})
}

// TestWriteGroupOneTransaction: a group of good deliveries is written in
// one transaction whose story events are enqueued in one call, in order.
func TestWriteGroupOneTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		events := &groupEvents{}
		p := NewPipeline(s, apply.New(s, events, nil), nil, nil)
		var group []*delivery
		for i := range 5 {
			group = append(group, p.prepare(&DeliverParams{Origin: fmt.Sprint("d", i), Body: oneItemFeed(100 + i), Agency: "grp"}))
		}
		p.writeGroup(ctx, group)
		var ids []int64
		for _, u := range group {
			if u.err != nil {
				t.Fatalf("delivery %s: %v", u.dp.Origin, u.err)
			}
			if u.res.Created != 1 {
				t.Errorf("delivery %s created %d stories, want 1", u.dp.Origin, u.res.Created)
			}
			d, err := s.GetDelivery(ctx, u.res.DeliveryID)
			if err != nil {
				t.Fatalf("GetDelivery(%s): %v", u.dp.Origin, err)
			}
			if d.Format != "rss" || d.Items != 1 || d.Err != "" {
				t.Errorf("delivery %s recorded as format %q, %d items, error %q; want rss, 1, none", u.dp.Origin, d.Format, d.Items, d.Err)
			}
			ids = append(ids, d.ID)
		}
		if len(events.calls) != 1 || len(events.calls[0]) != 5 {
			t.Fatalf("StoryEventsTx calls = %v, want one call with 5 events", events.calls)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Errorf("delivery ids %v not in the group's order", ids)
			}
		}
	})
}

// TestRunGroupsConcurrentDeliveries: with Run going, many callers at once
// all get their answer, every item is stored once, and some transactions
// carried more than one delivery.
func TestRunGroupsConcurrentDeliveries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		events := &groupEvents{}
		p := NewPipeline(s, apply.New(s, events, nil), nil, nil)
		ran := make(chan error, 1)
		go func() { ran <- p.Run(ctx) }()
		waitForGroup(t, p)

		const senders, each = 20, 10
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			created int
			errs    []error
		)
		for w := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					// Every story is sent twice, by two senders, as a feed
					// polled twice would.
					id := (w*each + i) / 2
					res, err := p.Deliver(ctx, &DeliverParams{Origin: fmt.Sprint("w", w, "-", i), Body: oneItemFeed(1000 + id), Agency: "grp"})
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						created += res.Created
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("Deliver errors: %v", errs)
		}
		const stories = senders * each / 2
		if created != stories {
			t.Errorf("created = %d, want %d (each story once)", created, stories)
		}
		if n, err := s.CountStories(ctx); err != nil || n != stories {
			t.Errorf("CountStories = %d, %v; want %d", n, err, stories)
		}
		if got := len(events.all()); got != stories {
			t.Errorf("%d events enqueued, want %d", got, stories)
		}
		if len(events.calls) >= stories {
			t.Errorf("%d enqueue calls for %d events: no transaction carried two deliveries", len(events.calls), stories)
		}
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		// After Run, Deliver writes on its own.
		res, err := p.Deliver(context.Background(), &DeliverParams{Origin: "after", Body: oneItemFeed(5000), Agency: "grp"})
		if err != nil || res.Created != 1 {
			t.Errorf("Deliver after Run = %+v, %v; want one story created", res, err)
		}
	})
}

// TestRunTwiceRefused: one pipeline has one group commit.
func TestRunTwiceRefused(t *testing.T) {
	s := dbtest.SQLite(t)
	p := NewPipeline(s, apply.New(s, nil, nil), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx) //nolint:errcheck // ended by cancel
	waitForGroup(t, p)
	if err := p.Run(ctx); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run = %v, want an already-running error", err)
	}
}

func waitForGroup(t *testing.T, p *Pipeline) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.group.Load() == nil {
		if time.Now().After(deadline) {
			t.Fatal(errors.New("group commit did not start within 5s"))
		}
		time.Sleep(time.Millisecond)
	}
}
