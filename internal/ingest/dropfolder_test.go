package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// wireFixtures is the shared fixture folder, beside the repository.
const wireFixtures = "../../../shared/fixtures/wire"

func readWireFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(wireFixtures, rel))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// startDropFolder runs a drop folder on a fresh directory until the test
// ends, and checks that Run then returns nil.
func startDropFolder(t *testing.T, s store.Store, stableFor time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	df, err := ingest.NewDropFolder(ingest.DropFolderConfig{
		Dir:          dir,
		Agency:       "Test Wire",
		Pipeline:     ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil),
		ScanInterval: 50 * time.Millisecond,
		StableFor:    stableFor,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- df.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, "done/ and failed/ created", 2*time.Second, func() bool {
		return exists(filepath.Join(dir, "done")) && exists(filepath.Join(dir, "failed"))
	})
	return dir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drop writes a file the way an uploader that renames would not: in place.
func drop(t *testing.T, dir, name string, body []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
}

func countStories(t *testing.T, s store.Store) int {
	t.Helper()
	n, err := s.CountStories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDropFolderIngestsGoodFileIntoDone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		dir := startDropFolder(t, s, 200*time.Millisecond)
		body := readWireFixture(t, "newsml-g2/iptc_LISTING_2_text_document_nitf.xml")
		drop(t, dir, "item.xml", body)

		waitFor(t, "item.xml in done/", 5*time.Second, func() bool { return exists(filepath.Join(dir, "done", "item.xml")) })
		if exists(filepath.Join(dir, "item.xml")) {
			t.Error("item.xml still in the drop folder after it was moved to done/")
		}
		got, err := os.ReadFile(filepath.Join(dir, "done", "item.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(got, body) {
			t.Error("done/item.xml differs from the file dropped")
		}
		if n := countStories(t, s); n != 1 {
			t.Errorf("stories = %d, want 1", n)
		}
	})
}

func TestDropFolderBadFileGoesToFailedAndOthersGoOn(t *testing.T) {
	tests := []struct {
		name      string
		write     func(t *testing.T, path string)
		wantError string
	}{
		{
			name: "not a wire format",
			write: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte("Dear editor, please find attached...\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantError: "decode",
		},
		{
			name: "over the size limit",
			write: func(t *testing.T, path string) {
				// Sparse: the size is what counts, and it is refused unread.
				f, err := os.Create(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := f.Truncate(wire.MaxDocumentBytes + 1); err != nil {
					t.Fatal(err)
				}
			},
			wantError: "over the 64 MiB limit",
		},
		{
			name: "a feed whose items have no ids",
			write: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>No id, no link</title></item></channel></rss>`), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			wantError: "no usable items",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				dir := startDropFolder(t, s, 200*time.Millisecond)
				// Named so that the bad file comes first in name order.
				tt.write(t, filepath.Join(dir, "a-bad.xml"))
				drop(t, dir, "b-good.xml", []byte(rssFeed([3]string{"d-1", "https://wire.example/d1", "Ferry service resumes"})))

				waitFor(t, "b-good.xml in done/", 5*time.Second, func() bool { return exists(filepath.Join(dir, "done", "b-good.xml")) })
				waitFor(t, "a-bad.xml in failed/", 5*time.Second, func() bool { return exists(filepath.Join(dir, "failed", "a-bad.xml.error")) })
				if !exists(filepath.Join(dir, "failed", "a-bad.xml")) {
					t.Error("failed/a-bad.xml missing beside its .error")
				}
				if exists(filepath.Join(dir, "a-bad.xml")) {
					t.Error("a-bad.xml still in the drop folder")
				}
				msg, err := os.ReadFile(filepath.Join(dir, "failed", "a-bad.xml.error"))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(msg), tt.wantError) {
					t.Errorf("a-bad.xml.error = %q, want it to contain %q", msg, tt.wantError)
				}
				if n := countStories(t, s); n != 1 {
					t.Errorf("stories = %d, want 1 (from the good file)", n)
				}
			})
		})
	}
}

func TestDropFolderWaitsUntilFileIsComplete(t *testing.T) {
	s := dbtest.SQLite(t)
	dir := startDropFolder(t, s, 200*time.Millisecond)
	body := []byte(rssFeed([3]string{"slow-1", "https://wire.example/slow", "Slow upload arrives"}))
	half := len(body) / 2

	f, err := os.Create(filepath.Join(dir, "slow.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Trickle the first half over ~800ms, in steps shorter than StableFor:
	// the file keeps changing, so it must not be taken.
	steps := 16
	for i := range steps {
		if _, err := f.Write(body[i*half/steps : (i+1)*half/steps]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := s.GetDelivery(context.Background(), 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after %d of %d partial writes: delivery 1: err = %v, want ErrNotFound (nothing delivered)", i+1, steps, err)
		}
		if !exists(filepath.Join(dir, "slow.xml")) {
			t.Fatalf("after %d of %d partial writes: slow.xml was taken while still being written", i+1, steps)
		}
	}
	if _, err := f.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "slow.xml in done/", 5*time.Second, func() bool { return exists(filepath.Join(dir, "done", "slow.xml")) })
	if n := countStories(t, s); n != 1 {
		t.Errorf("stories = %d, want 1", n)
	}
	if exists(filepath.Join(dir, "failed", "slow.xml")) {
		t.Error("slow.xml went to failed/")
	}
}

func TestDropFolderTakesPartFileRenamedIntoPlace(t *testing.T) {
	s := dbtest.SQLite(t)
	// A long StableFor: taking the file well before it shows that the
	// rename, not the stability wait, made it complete.
	const stableFor = 10 * time.Second
	dir := startDropFolder(t, s, stableFor)
	drop(t, dir, "upload.xml.part", []byte(rssFeed([3]string{"p-1", "https://wire.example/p1", "Bridge reopens"})))

	time.Sleep(300 * time.Millisecond)
	if !exists(filepath.Join(dir, "upload.xml.part")) {
		t.Fatal("upload.xml.part was taken while still a .part file")
	}
	if n := countStories(t, s); n != 0 {
		t.Fatalf("stories = %d while the upload was a .part file, want 0", n)
	}

	start := time.Now()
	if err := os.Rename(filepath.Join(dir, "upload.xml.part"), filepath.Join(dir, "upload.xml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "upload.xml in done/", 3*time.Second, func() bool { return exists(filepath.Join(dir, "done", "upload.xml")) })
	if took := time.Since(start); took >= stableFor {
		t.Errorf("renamed file taken after %s, want well under StableFor %s", took, stableFor)
	}
	if n := countStories(t, s); n != 1 {
		t.Errorf("stories = %d, want 1", n)
	}
}

func TestDropFolderNameClashInDoneGetsSuffix(t *testing.T) {
	s := dbtest.SQLite(t)
	dir := startDropFolder(t, s, 200*time.Millisecond)
	// Two earlier files of the same name are already in done/.
	earlier := map[string]string{"feed.xml": "first", "feed.xml.1": "second"}
	for name, body := range earlier {
		drop(t, filepath.Join(dir, "done"), name, []byte(body))
	}
	body := []byte(rssFeed([3]string{"c-1", "https://wire.example/c1", "Clash resolved"}))
	drop(t, dir, "feed.xml", body)

	waitFor(t, "feed.xml.2 in done/", 5*time.Second, func() bool { return exists(filepath.Join(dir, "done", "feed.xml.2")) })
	got := map[string]string{}
	entries, err := os.ReadDir(filepath.Join(dir, "done"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, "done", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	want := map[string]string{"feed.xml": "first", "feed.xml.1": "second", "feed.xml.2": string(body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("done/ (-want +got):\n%s", diff)
	}
}

func TestDropFolderLeavesFileInPlaceWhenStoreFails(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "wiredesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// A closed store fails every call the way a database gone away does.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dir := startDropFolder(t, s, 50*time.Millisecond)
	drop(t, dir, "wait.xml", []byte(rssFeed([3]string{"w-1", "https://wire.example/w1", "Store is down"})))

	// Several scans and stability waits pass.
	time.Sleep(600 * time.Millisecond)
	for _, sub := range []string{"done", "failed"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("%s/ holds %d files after store failures, want none", sub, len(entries))
		}
	}
	if !exists(filepath.Join(dir, "wait.xml")) {
		t.Error("wait.xml is gone from the drop folder, want it left for a retry")
	}
}

func TestDropFolderRunStopsOnCancel(t *testing.T) {
	s := dbtest.SQLite(t)
	df, err := ingest.NewDropFolder(ingest.DropFolderConfig{
		Dir: t.TempDir(), Pipeline: ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil),
		ScanInterval: 50 * time.Millisecond, StableFor: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- df.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return within 1s of cancel")
	}
}

func TestNewDropFolderRefusesBadConfig(t *testing.T) {
	p := ingest.NewPipeline(dbtest.SQLite(t), nil, nil, nil)
	tests := []struct {
		name string
		cfg  ingest.DropFolderConfig
		want string
	}{
		{"no dir", ingest.DropFolderConfig{Pipeline: p}, "Dir is required"},
		{"no pipeline", ingest.DropFolderConfig{Dir: "/x"}, "Pipeline is required"},
		{"negative interval", ingest.DropFolderConfig{Dir: "/x", Pipeline: p, ScanInterval: -time.Second}, "ScanInterval"},
		{"negative stable", ingest.DropFolderConfig{Dir: "/x", Pipeline: p, StableFor: -time.Second}, "StableFor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.NewDropFolder(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewDropFolder error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
