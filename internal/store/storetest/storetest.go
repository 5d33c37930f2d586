// Package storetest is the conformance suite every store.Store backend must
// pass: one set of behaviours, checked the same way against each database.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// Run runs the suite. open must return a fresh, empty, migrated store for
// the test it is given, and close it when that test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Schema", func(t *testing.T) { testSchema(t, open) })
	t.Run("Sources", func(t *testing.T) { testSources(t, open) })
	t.Run("RecordPoll", func(t *testing.T) { testRecordPoll(t, open) })
	t.Run("SourceScheduling", func(t *testing.T) { testSourceScheduling(t, open) })
	t.Run("WebSub", func(t *testing.T) { testWebSub(t, open) })
	t.Run("Deliveries", func(t *testing.T) { testDeliveries(t, open) })
	t.Run("InTx", func(t *testing.T) { testInTx(t, open) })
	t.Run("LockStory", func(t *testing.T) { testLockStory(t, open) })
	t.Run("Versions", func(t *testing.T) { testVersions(t, open) })
	t.Run("SetCurrent", func(t *testing.T) { testSetCurrent(t, open) })
	t.Run("ListStories", func(t *testing.T) { testListStories(t, open) })
	t.Run("NotFound", func(t *testing.T) { testNotFound(t, open) })
	t.Run("ConcurrentApply", func(t *testing.T) { testConcurrentApply(t, open) })
	t.Run("StoryIDsDense", func(t *testing.T) { testStoryIDsDense(t, open) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, open) })
	t.Run("LockSeesCommitted", func(t *testing.T) { testLockSeesCommitted(t, open) })
	t.Run("StoryVersions", func(t *testing.T) { testStoryVersions(t, open) })
	t.Run("FindSimilar", func(t *testing.T) { testFindSimilar(t, open) })
	t.Run("MergeClusters", func(t *testing.T) { testMergeClusters(t, open) })
	t.Run("ListOnePerCluster", func(t *testing.T) { testListOnePerCluster(t, open) })
	t.Run("AlsoReportedBy", func(t *testing.T) { testAlsoReportedBy(t, open) })
	t.Run("ConcurrentDuplicates", func(t *testing.T) { testConcurrentDuplicates(t, open) })
	t.Run("Desk", func(t *testing.T) { testDesk(t, open) })
	t.Run("Reading", func(t *testing.T) { testReading(t, open) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, open) })
	t.Run("Outputs", func(t *testing.T) { testOutputs(t, open) })
	t.Run("Rules", func(t *testing.T) { testRules(t, open) })
}

// Story ids are public URLs: locking known stories over and over, as every
// poll of an unchanged feed does, must not use up ids, so the next new story
// gets the next id.
func testStoryIDsDense(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	lock := func(uri string) int64 {
		t.Helper()
		var id int64
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "A", URI: uri, State: story.Published, At: at})
			if err == nil {
				id = st.ID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := lock("dense-1")
	for range 20 {
		if got := lock("dense-1"); got != first {
			t.Fatalf("re-lock gave id %d, want %d", got, first)
		}
	}
	if got := lock("dense-2"); got != first+1 {
		t.Errorf("next new story got id %d after 20 re-locks of id %d, want %d", got, first, first+1)
	}
}

// at is a fixed instant to build times from, at microsecond precision: the
// precision both backends keep for their own columns.
var at = time.Date(2025, 6, 2, 14, 30, 0, 123456000, time.UTC)

func ptr[T any](v T) *T { return &v }

func testSchema(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d on a migrated store: %v", i+2, err)
		}
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after Migrate #%d: %v", i+2, err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// sourceOpts ignores what the store assigns.
var sourceOpts = cmpopts.IgnoreFields(store.Source{}, "ID", "CreatedAt")

func testSources(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := t.Context()
	s := open(t)

	created, err := s.UpsertSource(ctx, &store.UpsertSourceParams{
		Name: "dpa-wire", URL: "https://wire.example/dpa", Format: "newsml-g2", Agency: "dpa",
		Interval: 90 * time.Second, AllowPrivate: true,
	})
	if err != nil {
		t.Fatalf("UpsertSource (create): %v", err)
	}
	want := &store.Source{
		Name: "dpa-wire", URL: "https://wire.example/dpa", Format: "newsml-g2", Agency: "dpa",
		Interval: 90 * time.Second, AllowPrivate: true, State: store.SourceNew,
	}
	if diff := cmp.Diff(want, created, sourceOpts); diff != "" {
		t.Errorf("created source (-want +got):\n%s", diff)
	}
	if created.ID == 0 || created.CreatedAt.IsZero() {
		t.Errorf("created source has ID %d, CreatedAt %v; want both set", created.ID, created.CreatedAt)
	}

	// Give it health and validators, then reconfigure it: the health and
	// validators must survive the upsert.
	if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: created.ID, At: at, ETag: `"v1"`, LastModified: "Mon, 02 Jun 2025 14:00:00 GMT"}); err != nil {
		t.Fatalf("RecordPoll success: %v", err)
	}
	if _, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: created.ID, At: at.Add(time.Minute), Err: "connection refused"}); err != nil {
		t.Fatalf("RecordPoll failure: %v", err)
	}
	updated, err := s.UpsertSource(ctx, &store.UpsertSourceParams{
		Name: "dpa-wire", URL: "https://wire.example/dpa/v2", Format: "", Agency: "dpa",
		Interval: 30 * time.Second, Paused: true,
	})
	if err != nil {
		t.Fatalf("UpsertSource (update): %v", err)
	}
	want = &store.Source{
		Name: "dpa-wire", URL: "https://wire.example/dpa/v2", Format: "", Agency: "dpa",
		Interval: 30 * time.Second, Paused: true,
		ETag: `"v1"`, LastModified: "Mon, 02 Jun 2025 14:00:00 GMT",
		State: store.SourceDegraded, ConsecutiveFailures: 1,
		LastAttemptAt: ptr(at.Add(time.Minute)), LastSuccessAt: ptr(at),
		LastError: "connection refused", LastErrorAt: ptr(at.Add(time.Minute)),
	}
	if diff := cmp.Diff(want, updated, sourceOpts); diff != "" {
		t.Errorf("reconfigured source (-want +got):\n%s", diff)
	}
	if updated.ID != created.ID || !updated.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("upsert by name changed identity: ID %d→%d, CreatedAt %v→%v", created.ID, updated.ID, created.CreatedAt, updated.CreatedAt)
	}

	byName, err := s.GetSource(ctx, "dpa-wire")
	if err != nil {
		t.Fatalf("GetSource: %v", err)
	}
	if diff := cmp.Diff(updated, byName); diff != "" {
		t.Errorf("GetSource (-upserted +got):\n%s", diff)
	}
	byID, err := s.GetSourceByID(ctx, created.ID)
	if err != nil {
		t.Fatalf("GetSourceByID: %v", err)
	}
	if diff := cmp.Diff(updated, byID); diff != "" {
		t.Errorf("GetSourceByID (-upserted +got):\n%s", diff)
	}

	if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "ap-feed", URL: "https://wire.example/ap"}); err != nil {
		t.Fatalf("UpsertSource ap-feed: %v", err)
	}
	list, err := s.ListSources(ctx)
	if err != nil {
		t.Fatalf("ListSources: %v", err)
	}
	var names []string
	for _, src := range list {
		names = append(names, src.Name)
	}
	if diff := cmp.Diff([]string{"ap-feed", "dpa-wire"}, names); diff != "" {
		t.Errorf("ListSources names, by name (-want +got):\n%s", diff)
	}
	if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{}); err == nil {
		t.Errorf("UpsertSource without a name: got no error")
	}
}

func testRecordPoll(t *testing.T, open func(t *testing.T) store.Store) {
	type poll struct {
		err string
	}
	ok, fail := poll{}, poll{err: "HTTP 503"}
	tests := []struct {
		name         string
		polls        []poll
		wantState    store.SourceState
		wantFailures int
	}{
		{"success makes healthy", []poll{ok}, store.SourceHealthy, 0},
		{"one failure degrades", []poll{fail}, store.SourceDegraded, 1},
		{"two failures stay degraded", []poll{ok, fail, fail}, store.SourceDegraded, 2},
		{"three failures in a row are failing", []poll{fail, fail, fail}, store.SourceFailing, 3},
		{"failing keeps counting", []poll{fail, fail, fail, fail, fail}, store.SourceFailing, 5},
		{"success resets", []poll{fail, fail, fail, ok}, store.SourceHealthy, 0},
		{"failures after a success count from one", []poll{fail, fail, ok, fail, fail}, store.SourceDegraded, 2},
	}
	s := open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: tt.name, URL: "https://wire.example/" + tt.name})
			if err != nil {
				t.Fatal(err)
			}
			var got *store.Source
			var lastOK, lastFail *time.Time
			for i, p := range tt.polls {
				when := at.Add(time.Duration(i) * time.Minute)
				next := when.Add(time.Minute)
				got, err = s.RecordPoll(ctx, &store.RecordPollParams{SourceID: src.ID, At: when, Err: p.err, NextAttemptAt: next})
				if err != nil {
					t.Fatalf("RecordPoll #%d: %v", i, err)
				}
				if p.err == "" {
					lastOK = ptr(when)
				} else {
					lastFail = ptr(when)
				}
				if !got.LastAttemptAt.Equal(when) || !got.NextAttemptAt.Equal(next) {
					t.Errorf("after poll #%d: LastAttemptAt %v, NextAttemptAt %v; want %v, %v", i, got.LastAttemptAt, got.NextAttemptAt, when, next)
				}
			}
			if got.State != tt.wantState || got.ConsecutiveFailures != tt.wantFailures {
				t.Errorf("got state %s with %d failures, want %s with %d", got.State, got.ConsecutiveFailures, tt.wantState, tt.wantFailures)
			}
			if diff := cmp.Diff(lastOK, got.LastSuccessAt); diff != "" {
				t.Errorf("LastSuccessAt (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(lastFail, got.LastErrorAt); diff != "" {
				t.Errorf("LastErrorAt (-want +got):\n%s", diff)
			}
			wantErr := ""
			if lastFail != nil {
				wantErr = fail.err
			}
			if got.LastError != wantErr {
				t.Errorf("LastError = %q, want %q", got.LastError, wantErr)
			}
			// A source is never dropped, however long it fails.
			again, err := s.GetSource(ctx, tt.name)
			if err != nil {
				t.Fatalf("GetSource after polls: %v", err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("GetSource after polls (-RecordPoll +GetSource):\n%s", diff)
			}
		})
	}

	t.Run("validators", func(t *testing.T) {
		ctx := t.Context()
		src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "validators", URL: "https://wire.example/v"})
		if err != nil {
			t.Fatal(err)
		}
		type state struct {
			ETag, LastModified string
			IDsDerived         bool
		}
		steps := []struct {
			name string
			p    store.RecordPollParams
			want state
		}{
			{"200 sets validators and ids note", store.RecordPollParams{ETag: `"a"`, LastModified: "Mon, 02 Jun 2025 14:00:00 GMT", IDsDerived: true},
				state{`"a"`, "Mon, 02 Jun 2025 14:00:00 GMT", true}},
			{"304 without validators keeps them", store.RecordPollParams{NotModified: true},
				state{`"a"`, "Mon, 02 Jun 2025 14:00:00 GMT", true}},
			{"304 with a new etag takes it", store.RecordPollParams{NotModified: true, ETag: `"b"`},
				state{`"b"`, "Mon, 02 Jun 2025 14:00:00 GMT", true}},
			{"failure keeps them", store.RecordPollParams{Err: "timeout"},
				state{`"b"`, "Mon, 02 Jun 2025 14:00:00 GMT", true}},
			{"200 without validators clears them", store.RecordPollParams{},
				state{"", "", false}},
		}
		for i, step := range steps {
			p := step.p
			p.SourceID = src.ID
			p.At = at.Add(time.Duration(i) * time.Minute)
			got, err := s.RecordPoll(ctx, &p)
			if err != nil {
				t.Fatalf("%s: RecordPoll: %v", step.name, err)
			}
			if diff := cmp.Diff(step.want, state{got.ETag, got.LastModified, got.IDsDerived}); diff != "" {
				t.Errorf("%s (-want +got):\n%s", step.name, diff)
			}
		}
	})
}

// sharedFixture reads a file of the shared fixtures, found beside the repository
// root (the directory holding go.mod) as CI lays them out.
func sharedFixture(t *testing.T, rel string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory: cannot find ../shared/%s", rel)
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "..", "shared", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read shared fixture: %v", err)
	}
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func testDeliveries(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "wire-a", URL: "https://wire.example/a"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "wire-b", URL: "https://wire.example/b"})
	if err != nil {
		t.Fatal(err)
	}

	every := make([]byte, 0, 512)
	for i := range 512 {
		every = append(every, byte(i))
	}
	tests := []struct {
		name     string
		sourceID *int64
		body     []byte
	}{
		{"every byte value, NULs and invalid UTF-8", &src.ID, every},
		{"empty payload", &src.ID, []byte{}},
		{"UTF-8 BOM and CRLF (scoop)", &src.ID, sharedFixture(t, "fixtures/wire/newsml-g2/scoop_bom_crlf_v3.xml")},
		{"Latin-1 NITF (PA)", &src.ID, sharedFixture(t, "fixtures/wire/nitf/pa_brexit_latin1_pound.xml")},
		{"pushed file without a source", nil, sharedFixture(t, "fixtures/wire/ninjs/dpa_2.1_text_v2.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			received := at.Add(time.Second)
			d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{
				SourceID: tt.sourceID, Origin: "https://wire.example/a?x=1", ContentType: "application/xml; charset=iso-8859-1",
				Body: tt.body, ReceivedAt: received,
			})
			if err != nil {
				t.Fatalf("InsertDelivery: %v", err)
			}
			want := &store.Delivery{
				ID: d.ID, SourceID: tt.sourceID, Origin: "https://wire.example/a?x=1",
				ContentType: "application/xml; charset=iso-8859-1",
				SHA256:      sha256Hex(tt.body), Size: int64(len(tt.body)), Body: tt.body, ReceivedAt: received,
			}
			if diff := cmp.Diff(want, d, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("InsertDelivery (-want +got):\n%s", diff)
			}
			got, err := s.GetDelivery(ctx, d.ID)
			if err != nil {
				t.Fatalf("GetDelivery: %v", err)
			}
			if !bytes.Equal(got.Body, tt.body) {
				t.Errorf("archived body differs from the bytes received: got %d bytes sha256 %s, want %d bytes sha256 %s",
					len(got.Body), sha256Hex(got.Body), len(tt.body), sha256Hex(tt.body))
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("GetDelivery (-want +got):\n%s", diff)
			}

			// The same bytes again: archived once, the first comes back.
			again, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{
				SourceID: tt.sourceID, Origin: "elsewhere", Body: bytes.Clone(tt.body), ReceivedAt: received.Add(time.Hour),
			})
			if err != nil {
				t.Fatalf("InsertDelivery repeat: %v", err)
			}
			want.Repeat = true
			if diff := cmp.Diff(want, again, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("repeated InsertDelivery (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("repeat is per source", func(t *testing.T) {
		ctx := t.Context()
		body := []byte("<rss>same bytes</rss>")
		insert := func(sourceID *int64) *store.Delivery {
			t.Helper()
			d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: sourceID, Body: body, ReceivedAt: at})
			if err != nil {
				t.Fatalf("InsertDelivery: %v", err)
			}
			return d
		}
		a, b, none := insert(&src.ID), insert(&other.ID), insert(nil)
		if a.Repeat || b.Repeat || none.Repeat {
			t.Errorf("first delivery from each of two sources and from none: Repeat = %v, %v, %v; want all false", a.Repeat, b.Repeat, none.Repeat)
		}
		if a.ID == b.ID || a.ID == none.ID || b.ID == none.ID {
			t.Errorf("ids %d, %d, %d: want three deliveries", a.ID, b.ID, none.ID)
		}
		if got := insert(nil); !got.Repeat || got.ID != none.ID {
			t.Errorf("second delivery without source: ID %d Repeat %v, want ID %d Repeat true", got.ID, got.Repeat, none.ID)
		}
		if got := insert(&other.ID); !got.Repeat || got.ID != b.ID {
			t.Errorf("second delivery from wire-b: ID %d Repeat %v, want ID %d Repeat true", got.ID, got.Repeat, b.ID)
		}
	})

	t.Run("concurrent repeats archive once", func(t *testing.T) {
		ctx := t.Context()
		const workers = 8
		body := []byte("<rss>polled by several nodes at once</rss>")
		got := make([]*store.Delivery, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range workers {
			wg.Go(func() {
				<-start
				got[i], errs[i] = s.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Body: body, ReceivedAt: at})
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("InsertDelivery: %v", err)
		}
		firsts := 0
		for _, d := range got {
			if !d.Repeat {
				firsts++
			}
			if d.ID != got[0].ID {
				t.Errorf("delivery ids %d and %d: want one delivery", got[0].ID, d.ID)
			}
		}
		if firsts != 1 {
			t.Errorf("%d of %d concurrent inserts were not repeats, want 1", firsts, workers)
		}
	})

	t.Run("FinishDelivery", func(t *testing.T) {
		ctx := t.Context()
		d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Body: []byte("finish me"), ReceivedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDelivery(ctx, &store.FinishDeliveryParams{DeliveryID: d.ID, Format: "rss", Items: 7, Err: "item 3: no id"}); err != nil {
			t.Fatalf("FinishDelivery: %v", err)
		}
		got, err := s.GetDelivery(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			Format string
			Items  int
			Err    string
		}
		if diff := cmp.Diff(result{"rss", 7, "item 3: no id"}, result{got.Format, got.Items, got.Err}); diff != "" {
			t.Errorf("finished delivery (-want +got):\n%s", diff)
		}
		err = s.FinishDelivery(ctx, &store.FinishDeliveryParams{DeliveryID: d.ID + 1000})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FinishDelivery of an unknown delivery: got %v, want ErrNotFound", err)
		}
	})

	// The group commit archives deliveries inside its transaction: a
	// rolled-back one leaves nothing, a committed one is as if archived
	// alone, a repeat inside a transaction finds the first.
	t.Run("InTransaction", func(t *testing.T) {
		ctx := t.Context()
		var rolledBack int64
		errRollback := errors.New("roll back")
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			d, err := tx.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Body: []byte("rolled back"), ReceivedAt: at})
			if err != nil {
				return err
			}
			rolledBack = d.ID
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v, want the rollback error", err)
		}
		if _, err := s.GetDelivery(ctx, rolledBack); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDelivery of a rolled-back delivery: got %v, want ErrNotFound", err)
		}

		var first, repeat *store.Delivery
		err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			if first, err = tx.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Body: []byte("kept"), ReceivedAt: at}); err != nil {
				return err
			}
			if repeat, err = tx.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Body: []byte("kept"), ReceivedAt: at}); err != nil {
				return err
			}
			return tx.FinishDelivery(ctx, &store.FinishDeliveryParams{DeliveryID: first.ID, Format: "ninjs", Items: 1})
		})
		if err != nil {
			t.Fatalf("InTx: %v", err)
		}
		if first.Repeat || !repeat.Repeat || repeat.ID != first.ID {
			t.Errorf("in one transaction: first %d (repeat %v), again %d (repeat %v); want the second a repeat of the first", first.ID, first.Repeat, repeat.ID, repeat.Repeat)
		}
		got, err := s.GetDelivery(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Format != "ninjs" || got.Items != 1 || string(got.Body) != "kept" {
			t.Errorf("committed delivery: format %q, %d items, body %q; want ninjs, 1, kept", got.Format, got.Items, got.Body)
		}
	})
}

// lockNew creates the story (agency, uri) in its own transaction.
func lockNew(t *testing.T, s store.Store, agency, uri string, state story.State) *story.Story {
	t.Helper()
	var st *story.Story
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		st, _, err = tx.LockStory(ctx, &store.LockStoryParams{Agency: agency, URI: uri, Slug: story.Slug(uri), State: state, At: at})
		return err
	})
	if err != nil {
		t.Fatalf("LockStory %s %s: %v", agency, uri, err)
	}
	return st
}

func testInTx(t *testing.T, open func(t *testing.T) store.Store) {
	errBoom := errors.New("boom")
	tests := []struct {
		name        string
		fn          func(ctx context.Context, tx store.Tx) error
		wantErr     error
		wantStories int
	}{
		{
			name: "nil commits",
			fn: func(ctx context.Context, tx store.Tx) error {
				_, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "dpa", URI: "urn:commit", State: story.Published, At: at})
				return err
			},
			wantStories: 1,
		},
		{
			name: "an error rolls everything back",
			fn: func(ctx context.Context, tx store.Tx) error {
				st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "dpa", URI: "urn:rollback", State: story.Published, At: at})
				if err != nil {
					return err
				}
				v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1", Item: &story.Item{URI: "urn:rollback", PubStatus: story.Usable}, ReceivedAt: at})
				if err != nil {
					return err
				}
				if err := tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: story.Published, At: at}); err != nil {
					return err
				}
				return fmt.Errorf("apply failed late: %w", errBoom)
			},
			wantErr:     errBoom,
			wantStories: 0,
		},
		{
			name: "a panic rolls back and is passed on",
			fn: func(ctx context.Context, tx store.Tx) error {
				if _, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "dpa", URI: "urn:panic", State: story.Published, At: at}); err != nil {
					return err
				}
				panic(errBoom)
			},
			wantErr:     errBoom,
			wantStories: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			ctx := t.Context()
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = p.(error)
					}
				}()
				return s.InTx(ctx, tt.fn)
			}()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("InTx returned %v, want %v", err, tt.wantErr)
			}
			n, err := s.CountStories(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantStories {
				t.Errorf("CountStories = %d, want %d", n, tt.wantStories)
			}
			// The store stays usable for writes after either outcome.
			lockNew(t, s, "dpa", "urn:after", story.Published)
			if n, err := s.CountStories(ctx); err != nil || n != tt.wantStories+1 {
				t.Errorf("CountStories after another InTx = %d, %v; want %d", n, err, tt.wantStories+1)
			}
		})
	}
}

func testLockStory(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	lock := func(p *store.LockStoryParams) (*story.Story, bool) {
		t.Helper()
		var (
			st      *story.Story
			created bool
		)
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			st, created, err = tx.LockStory(ctx, p)
			return err
		})
		if err != nil {
			t.Fatalf("LockStory %+v: %v", p, err)
		}
		return st, created
	}

	first, created := lock(&store.LockStoryParams{Agency: "ap", URI: "urn:ap:1", Slug: "quake-hits", State: story.Embargoed, At: at})
	if !created {
		t.Errorf("first LockStory: created = false, want true")
	}
	want := &story.Story{
		ID: first.ID, Agency: "ap", URI: "urn:ap:1", Slug: "quake-hits", State: story.Embargoed,
		FirstSeenAt: at, UpdatedAt: at,
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("created story (-want +got):\n%s", diff)
	}

	// Found again, by key: the new state, slug and time are not applied.
	again, created := lock(&store.LockStoryParams{Agency: "ap", URI: "urn:ap:1", Slug: "other", State: story.Published, At: at.Add(time.Hour)})
	if created {
		t.Errorf("second LockStory: created = true, want false")
	}
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("found story (-want +got):\n%s", diff)
	}

	// The key is (agency, uri): the same uri from another agency is another story.
	otherAgency, created := lock(&store.LockStoryParams{Agency: "reuters", URI: "urn:ap:1", State: story.Published, At: at})
	if !created || otherAgency.ID == first.ID {
		t.Errorf("same uri, other agency: ID %d created %v; want a new story", otherAgency.ID, created)
	}

	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: "", State: story.Published, At: at})
		return err
	})
	if err == nil {
		t.Errorf("LockStory with an empty uri: got no error (DESIGN §4 rule 1: never match on an empty key)")
	}

	// While one transaction holds the story, another cannot lock it; once
	// the first ends, it can.
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: "urn:ap:1", State: story.Published, At: at}); err != nil {
				close(locked)
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	waitCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = s.InTx(waitCtx, func(ctx context.Context, tx store.Tx) error {
		_, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: "urn:ap:1", State: story.Published, At: at})
		return err
	})
	cancel()
	if err == nil {
		t.Errorf("LockStory of a story another transaction holds: got it, want to wait until the deadline")
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	if st, created := lock(&store.LockStoryParams{Agency: "ap", URI: "urn:ap:1", State: story.Published, At: at}); created || st.ID != first.ID {
		t.Errorf("LockStory after the holder committed: ID %d created %v, want ID %d found", st.ID, created, first.ID)
	}
}

func testVersions(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	a := lockNew(t, s, "afp", "urn:afp:a", story.Published)
	b := lockNew(t, s, "afp", "urn:afp:b", story.Published)
	d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{Body: []byte("afp payload"), ReceivedAt: at})
	if err != nil {
		t.Fatal(err)
	}

	var inserted []*store.Version
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i, p := range []*store.InsertVersionParams{
			{StoryID: a.ID, Key: "v:1", Item: &story.Item{URI: "urn:afp:a", Version: "1", PubStatus: story.Usable, Headline: "One", Link: "https://afp.example/a"},
				DeliveryID: &d.ID, SourceName: "afp-wire", ReceivedAt: at, Applied: true},
			{StoryID: a.ID, Key: "v:2", Item: &story.Item{URI: "urn:afp:a", Version: "2", PubStatus: story.Usable, Headline: "Two", IDDerived: true, Source: story.ItemSource{SHA256: "feedface"}},
				SourceName: "afp-wire", ReceivedAt: at.Add(time.Minute), Applied: false},
		} {
			v, err := tx.InsertVersion(ctx, p)
			if err != nil {
				return fmt.Errorf("version %d: %w", i, err)
			}
			inserted = append(inserted, v)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InsertVersion: %v", err)
	}
	want := []*store.Version{
		{ID: inserted[0].ID, StoryID: a.ID, Key: "v:1", Item: &story.Item{URI: "urn:afp:a", Version: "1", PubStatus: story.Usable, Headline: "One", Link: "https://afp.example/a"},
			DeliveryID: &d.ID, DeliverySHA256: sha256Hex([]byte("afp payload")), SourceName: "afp-wire", ReceivedAt: at, Applied: true},
		// Without a delivery the item's own record of its origin stands in.
		{ID: inserted[1].ID, StoryID: a.ID, Key: "v:2", Item: &story.Item{URI: "urn:afp:a", Version: "2", PubStatus: story.Usable, Headline: "Two", IDDerived: true, Source: story.ItemSource{SHA256: "feedface"}},
			DeliverySHA256: "feedface", SourceName: "afp-wire", ReceivedAt: at.Add(time.Minute), Applied: false},
	}
	if diff := cmp.Diff(want, inserted); diff != "" {
		t.Errorf("InsertVersion results (-want +got):\n%s", diff)
	}
	listed, err := s.ListVersions(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListVersions: %v", err)
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("ListVersions, oldest first (-want +got):\n%s", diff)
	}
	if listed, err := s.ListVersions(ctx, b.ID); err != nil || len(listed) != 0 {
		t.Errorf("ListVersions of a story without versions = %v, %v; want none", listed, err)
	}

	exists := []struct {
		storyID int64
		key     string
		want    bool
	}{
		{a.ID, "v:1", true},
		{a.ID, "v:2", true},
		{a.ID, "v:3", false},
		{b.ID, "v:1", false},
	}
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, e := range exists {
			got, err := tx.VersionExists(ctx, e.storyID, e.key)
			if err != nil {
				return err
			}
			if got != e.want {
				t.Errorf("VersionExists(story %d, %q) = %v, want %v", e.storyID, e.key, got, e.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("VersionExists: %v", err)
	}

	// Versions are immutable: the same key again is refused, and nothing of
	// that transaction stays.
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: a.ID, Key: "v:1", Item: &story.Item{URI: "urn:afp:a", Headline: "Impostor"}, ReceivedAt: at})
		return err
	})
	if err == nil {
		t.Errorf("InsertVersion of an existing version key: got no error")
	}
	if listed, err := s.ListVersions(ctx, a.ID); err != nil || len(listed) != 2 || listed[0].Item.Headline != "One" {
		t.Errorf("after a refused duplicate, ListVersions = %d versions (err %v); want the 2 originals", len(listed), err)
	}
}

// fullItem sets every field of story.Item, with times in other zones and at
// nanosecond precision, so a round trip that drops anything shows.
func fullItem() *story.Item {
	berlin := time.FixedZone("CEST", 2*3600)
	return &story.Item{
		URI:            "urn:newsml:dpa.com:20250602:250602-99-123456",
		Version:        "3",
		PubStatus:      story.Usable,
		Signals:        []string{"sig:update", "sig:correction"},
		Type:           "text",
		FirstCreated:   ptr(time.Date(2025, 6, 2, 16, 1, 2, 987654321, berlin)),
		VersionCreated: ptr(time.Date(2025, 6, 2, 16, 25, 0, 1, berlin)),
		Embargoed:      ptr(time.Date(2025, 6, 2, 12, 0, 0, 0, time.UTC)),
		Urgency:        ptr(3),
		Language:       "de",
		Headline:       "Zölle: «Kompromiss» in Brüssel – Gespräche gehen weiter",
		Slugline:       "EU-Handel/Zölle/",
		Byline:         "Von Anna Beispiel, dpa",
		Dateline:       &story.Dateline{Place: "Brüssel", Date: "2. Juni", Source: "dpa"},
		EdNote:         "Korrigiert: Name im 2. Absatz",
		Description:    "Die EU und die USA nähern sich an.",
		BodyHTML:       "<p>Erster Absatz &amp; mehr</p>\n<p>Zweiter\u00a0Absatz</p>",
		// A NUL from a broken feed must be stored, not refused.
		BodyText:      "Erster Absatz & mehr\n\nZweiter\u00a0Absatz\x00",
		WordCount:     ptr(412),
		Subjects:      []story.Entity{{Code: "medtop:20000350", Name: "Handel", Scheme: "medtop"}, {Code: "dpatopic:wirtschaft"}},
		Places:        []story.Entity{{Name: "Brüssel", Code: "geo:2800866"}},
		People:        []story.Entity{{Name: "Ursula von der Leyen"}},
		Organisations: []story.Entity{{Name: "Europäische Union", Code: "org:eu", Scheme: "dpaorg"}},
		Keywords:      []string{"Zölle", "EU", "USA"},
		Copyright:     "© dpa 2025",
		UsageTerms:    "Nur für Abonnenten",
		Source:        story.ItemSource{Format: "newsml-g2", Agency: "dpa", SHA256: "sha256-the-decoder-recorded"},
		Link:          "https://dpa.example/story?id=123&lang=de",
		IDDerived:     true,
	}
}

func testSetCurrent(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	src, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: "dpa-wire", URL: "https://wire.example/dpa"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("<newsMessage>...</newsMessage>")
	d, err := s.InsertDelivery(ctx, &store.InsertDeliveryParams{SourceID: &src.ID, Body: body, ReceivedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	item := fullItem()

	// First version: the story is seen, stored and published.
	var storyID, v1ID int64
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "dpa", URI: item.URI, Slug: "zoelle", State: story.Embargoed, At: at})
		if err != nil {
			return err
		}
		storyID = st.ID
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: story.VersionKey(item), Item: item, DeliveryID: &d.ID, SourceName: "dpa-wire", ReceivedAt: at})
		if err != nil {
			return err
		}
		v1ID = v.ID
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: story.Published, Slug: "zoelle-kompromiss",
			PublishedAt: ptr(at.Add(time.Minute)), At: at.Add(2 * time.Minute)})
	})
	if err != nil {
		t.Fatalf("apply first version: %v", err)
	}
	got, err := s.GetStory(ctx, storyID)
	if err != nil {
		t.Fatalf("GetStory: %v", err)
	}
	want := &story.Story{
		ID: storyID, Agency: "dpa", URI: item.URI, Slug: "zoelle-kompromiss", State: story.Published,
		Current: fullItem(), CurrentVersionKey: "v:3", Versions: 1,
		DeliveryID: d.ID, DeliverySHA256: sha256Hex(body), SourceName: "dpa-wire",
		FirstSeenAt: at, PublishedAt: at.Add(time.Minute), UpdatedAt: at.Add(2 * time.Minute),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetStory after the first version (-want +got):\n%s", diff)
	}

	// A correction: shown in place, first publication kept, slug kept when
	// none is given.
	corrected := fullItem()
	corrected.Version = "4"
	corrected.Headline = "Zölle: Einigung in Brüssel"
	corrected.Dateline = nil
	corrected.Subjects = nil
	corrected.Link = ""
	corrected.IDDerived = false
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		st, created, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "dpa", URI: item.URI, State: story.Published, At: at.Add(time.Hour)})
		if err != nil {
			return err
		}
		if created || st.ID != storyID || st.CurrentVersionKey != "v:3" {
			return fmt.Errorf("LockStory of an existing story: ID %d created %v current %q", st.ID, created, st.CurrentVersionKey)
		}
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: story.VersionKey(corrected), Item: corrected, SourceName: "dpa-ftp", ReceivedAt: at.Add(time.Hour), Applied: true})
		if err != nil {
			return err
		}
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: story.Published,
			PublishedAt: ptr(at.Add(time.Hour)), At: at.Add(time.Hour)})
	})
	if err != nil {
		t.Fatalf("apply correction: %v", err)
	}
	got, err = s.GetStory(ctx, storyID)
	if err != nil {
		t.Fatalf("GetStory: %v", err)
	}
	want.Current = corrected
	want.CurrentVersionKey = "v:4"
	want.Versions = 2
	want.DeliveryID = 0
	want.DeliverySHA256 = corrected.Source.SHA256
	want.SourceName = "dpa-ftp"
	want.UpdatedAt = at.Add(time.Hour)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetStory after the correction (-want +got):\n%s", diff)
	}
	versions, err := s.ListVersions(ctx, storyID)
	if err != nil {
		t.Fatal(err)
	}
	var applied []bool
	for _, v := range versions {
		applied = append(applied, v.Applied)
	}
	if diff := cmp.Diff([]bool{true, true}, applied); diff != "" {
		t.Errorf("Applied of versions after SetCurrent on each (-want +got):\n%s", diff)
	}

	// A kill: the state changes, the text on record stays.
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: storyID, VersionID: versions[1].ID, State: story.Killed, At: at.Add(2 * time.Hour)})
	})
	if err != nil {
		t.Fatalf("kill: %v", err)
	}
	got, err = s.GetStory(ctx, storyID)
	if err != nil {
		t.Fatal(err)
	}
	want.State = story.Killed
	want.UpdatedAt = at.Add(2 * time.Hour)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetStory after the kill (-want +got):\n%s", diff)
	}

	// A visible story gets a publication time even when the caller gives none.
	other := lockNew(t, s, "dpa", "urn:no-published-at", story.Embargoed)
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: other.ID, Key: "v:1", Item: &story.Item{URI: other.URI}, ReceivedAt: at})
		if err != nil {
			return err
		}
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: other.ID, VersionID: v.ID, State: story.Published, At: at.Add(3 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetStory(ctx, other.ID); err != nil || !got.PublishedAt.Equal(at.Add(3*time.Hour)) {
		t.Errorf("published without PublishedAt: GetStory PublishedAt = %v (err %v), want %v", got.PublishedAt, err, at.Add(3*time.Hour))
	}

	// A version of another story cannot be put on show.
	err = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: other.ID, VersionID: v1ID, State: story.Published, At: at})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetCurrent with another story's version: got %v, want ErrNotFound", err)
	}
}

// publish creates a story with one version in the given state; published
// is its first publication time (nil for none).
func publish(ctx context.Context, tx store.Tx, uri string, state story.State, published *time.Time) (int64, error) {
	st, _, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: uri, Slug: story.Slug(uri), State: state, At: at})
	if err != nil {
		return 0, err
	}
	v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1", Item: &story.Item{URI: uri, PubStatus: story.Usable, Headline: uri}, ReceivedAt: at, Applied: true})
	if err != nil {
		return 0, err
	}
	return st.ID, tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: state, PublishedAt: published, At: at})
}

func testListStories(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	type seed struct {
		uri       string
		state     story.State
		published *time.Time
	}
	seeds := []seed{
		{"oldest", story.Published, ptr(at.Add(-3 * time.Hour))},
		{"killed", story.Killed, ptr(at.Add(-2 * time.Hour))},
		{"tie-first", story.Published, ptr(at.Add(-time.Hour))},
		{"tie-second", story.Published, ptr(at.Add(-time.Hour))},
		{"withheld", story.WithheldState, ptr(at)},
		{"embargoed", story.Embargoed, nil},
		{"newest", story.Published, ptr(at.Add(time.Hour))},
		{"middle", story.Published, ptr(at.Add(-90 * time.Minute))},
	}
	ids := map[string]int64{}
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, sd := range seeds {
			id, err := publish(ctx, tx, sd.uri, sd.state, sd.published)
			if err != nil {
				return fmt.Errorf("seed %s: %w", sd.uri, err)
			}
			ids[sd.uri] = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Newest publication first; equal times by id, higher first.
	wantOrder := []string{"newest", "tie-second", "tie-first", "middle", "oldest"}

	uris := func(sts []*story.Story) []string {
		var out []string
		for _, st := range sts {
			out = append(out, st.URI)
		}
		return out
	}
	tests := []struct {
		name string
		p    store.ListStoriesParams
		want []string
	}{
		{"all visible, newest first", store.ListStoriesParams{}, wantOrder},
		{"limit", store.ListStoriesParams{Limit: 2}, wantOrder[:2]},
		{"cursor inside a tie", store.ListStoriesParams{Before: &store.StoryCursor{PublishedAt: at.Add(-time.Hour), ID: ids["tie-second"]}}, wantOrder[2:]},
		{"cursor at the oldest", store.ListStoriesParams{Before: &store.StoryCursor{PublishedAt: at.Add(-3 * time.Hour), ID: ids["oldest"]}}, nil},
		{"cursor between stories", store.ListStoriesParams{Before: &store.StoryCursor{PublishedAt: at, ID: 1 << 40}}, wantOrder[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListStories(t.Context(), &tt.p)
			if err != nil {
				t.Fatalf("ListStories: %v", err)
			}
			if diff := cmp.Diff(tt.want, uris(got)); diff != "" {
				t.Errorf("ListStories uris (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("pages of two walk the whole list", func(t *testing.T) {
		var walked []string
		p := &store.ListStoriesParams{Limit: 2}
		for range 10 {
			page, err := s.ListStories(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			walked = append(walked, uris(page)...)
			last := page[len(page)-1]
			p.Before = &store.StoryCursor{PublishedAt: last.PublishedAt, ID: last.ID}
		}
		if diff := cmp.Diff(wantOrder, walked); diff != "" {
			t.Errorf("walked uris (-want +got):\n%s", diff)
		}
	})

	t.Run("listed stories are whole", func(t *testing.T) {
		list, err := s.ListStories(t.Context(), &store.ListStoriesParams{Limit: 1})
		if err != nil || len(list) != 1 {
			t.Fatalf("ListStories = %d stories, %v", len(list), err)
		}
		one, err := s.GetStory(t.Context(), list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(one, list[0]); diff != "" {
			t.Errorf("listed story differs from GetStory (-get +list):\n%s", diff)
		}
	})

	t.Run("CountStories counts every state", func(t *testing.T) {
		n, err := s.CountStories(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n != len(seeds) {
			t.Errorf("CountStories = %d, want %d", n, len(seeds))
		}
	})

	t.Run("limit default 50 and max 500", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range 501 {
				if _, err := publish(ctx, tx, fmt.Sprintf("bulk-%03d", i), story.Published, ptr(at.Add(time.Duration(i)*time.Second))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			limit, want int
		}{{0, 50}, {-1, 50}, {10, 10}, {500, 500}, {501, 500}, {100000, 500}} {
			got, err := s.ListStories(ctx, &store.ListStoriesParams{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("ListStories(Limit %d) = %d stories, want %d", tt.limit, len(got), tt.want)
			}
		}
	})
}

func testNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"GetStory", func(ctx context.Context) error { _, err := s.GetStory(ctx, 424242); return err }},
		{"GetSource", func(ctx context.Context) error { _, err := s.GetSource(ctx, "no-such-source"); return err }},
		{"GetSourceByID", func(ctx context.Context) error { _, err := s.GetSourceByID(ctx, 424242); return err }},
		{"GetDelivery", func(ctx context.Context) error { _, err := s.GetDelivery(ctx, 424242); return err }},
		{"RecordPoll", func(ctx context.Context) error {
			_, err := s.RecordPoll(ctx, &store.RecordPollParams{SourceID: 424242, At: at})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t.Context()); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		})
	}
}

// testConcurrentApply races several transactions onto one new story key, as
// several nodes applying the same item would: exactly one story and one
// version must come out.
func testConcurrentApply(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	const workers = 8
	item := &story.Item{URI: "urn:race", Version: "1", PubStatus: story.Usable, Headline: "Race"}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		errs    []error
	)
	start := make(chan struct{})
	for range workers {
		wg.Go(func() {
			<-start
			err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				st, isNew, err := tx.LockStory(ctx, &store.LockStoryParams{Agency: "ap", URI: item.URI, State: story.Published, At: at})
				if err != nil {
					return err
				}
				exists, err := tx.VersionExists(ctx, st.ID, "v:1")
				if err != nil || exists {
					return err
				}
				v, err := tx.InsertVersion(ctx, &store.InsertVersionParams{StoryID: st.ID, Key: "v:1", Item: item, ReceivedAt: at, Applied: true})
				if err != nil {
					return err
				}
				if err := tx.SetCurrent(ctx, &store.SetCurrentParams{StoryID: st.ID, VersionID: v.ID, State: story.Published, At: at}); err != nil {
					return err
				}
				if isNew {
					mu.Lock()
					created++
					mu.Unlock()
				}
				return nil
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d transactions failed, first: %v", len(errs), workers, errs[0])
	}
	if created != 1 {
		t.Errorf("LockStory reported %d creations, want 1", created)
	}
	n, err := s.CountStories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("CountStories = %d, want 1", n)
	}
	list, err := s.ListStories(ctx, &store.ListStoriesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Versions != 1 {
		t.Fatalf("ListStories = %d stories; want 1 with 1 version", len(list))
	}
}
