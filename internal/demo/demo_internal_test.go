package demo

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden feeds in testdata/")

// steppingClock returns a Now that starts at start and moves on by step at
// each call, so every release gets its own distinct, predictable time.
func steppingClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	next := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := next
		next = next.Add(step)
		return t
	}
}

var demoStart = time.Date(2025, time.November, 29, 9, 30, 0, 0, time.UTC)

func TestStoriesReadLikeAWire(t *testing.T) {
	stories, err := loadStories(storiesJSON)
	if err != nil {
		t.Fatalf("loadStories: %v", err)
	}
	if len(stories) < 12 {
		t.Errorf("%d stories, want at least 12", len(stories))
	}
	desks := map[string]bool{}
	ids := map[string]bool{}
	for i, s := range stories {
		desks[s.Desk] = true
		if ids[s.ID] {
			t.Errorf("story %d: duplicate id %q", i, s.ID)
		}
		ids[s.ID] = true
		if s.ID == "" || s.Place == "" || s.Byline == "" || s.Headline == "" || len(s.Categories) == 0 {
			t.Errorf("story %d (%s): id, place, byline, headline and categories are all required", i, s.ID)
		}
		if s.Place != strings.ToUpper(s.Place) {
			t.Errorf("story %s: dateline place %q, want capitals", s.ID, s.Place)
		}
		texts := []storyText{{s.Headline, s.Paragraphs}}
		if s.Update != nil {
			if i != 0 {
				t.Errorf("story %s has an update; only the first story is updated", s.ID)
			}
			texts = append(texts, *s.Update)
		}
		for _, text := range texts {
			if n := len(text.Paragraphs); n < 3 || n > 6 {
				t.Errorf("story %s: %d paragraphs, want 3 to 6", s.ID, n)
			}
			for _, p := range text.Paragraphs {
				if strings.TrimSpace(p) != p || p == "" {
					t.Errorf("story %s: paragraph %q is empty or padded", s.ID, p)
				}
				// The dateline is added at release; copy must not carry one.
				if strings.Contains(p, "(HWS)") {
					t.Errorf("story %s: paragraph carries a dateline: %q", s.ID, p)
				}
			}
		}
	}
	wantDesks := []string{"business", "courts", "politics", "science", "sports", "weather"}
	var gotDesks []string
	for d := range desks {
		gotDesks = append(gotDesks, d)
	}
	slices.Sort(gotDesks)
	if diff := cmp.Diff(wantDesks, gotDesks); diff != "" {
		t.Errorf("desks mismatch (-want +got):\n%s", diff)
	}
	first := stories[0]
	if first.Update == nil {
		t.Fatal("the first story has no update")
	}
	if first.Update.Headline == first.Headline || slices.Equal(first.Update.Paragraphs, first.Paragraphs) {
		t.Error("the first story's update must change both headline and body")
	}
}

func TestFeedGolden(t *testing.T) {
	tests := []struct {
		name     string
		releases int
		update   bool
	}{
		{name: "empty", releases: 0},
		{name: "initial", releases: InitialRelease},
		{name: "all-updated", releases: 1000, update: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Config{Now: steppingClock(demoStart, 5*time.Second)})
			ctx := context.Background()
			// Batches as Run makes them: the first InitialRelease at once,
			// then one per tick, each reading the clock.
			for n := 0; n < tt.releases; {
				batch := 1
				if n == 0 {
					batch = InitialRelease
				}
				more, err := a.release(ctx, batch)
				if err != nil {
					t.Fatalf("release: %v", err)
				}
				n += batch
				if !more {
					break
				}
			}
			if tt.update {
				if err := a.updateFirst(ctx); err != nil {
					t.Fatalf("updateFirst: %v", err)
				}
			}
			got := a.feed
			path := filepath.Join("testdata", tt.name+".rss")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("feed mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	total := len(New(Config{}).stories)
	tests := []struct {
		name         string
		batches      []int
		wantMore     []bool
		wantReleased int
	}{
		{name: "initial batch", batches: []int{InitialRelease}, wantMore: []bool{true}, wantReleased: InitialRelease},
		{name: "one at a time to the end", batches: []int{total - 1, 1, 1}, wantMore: []bool{true, false, false}, wantReleased: total},
		{name: "a batch past the end is cut short", batches: []int{total - 2, 5}, wantMore: []bool{true, false}, wantReleased: total},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Config{Now: steppingClock(demoStart, time.Second)})
			var gotMore []bool
			for _, n := range tt.batches {
				more, err := a.release(context.Background(), n)
				if err != nil {
					t.Fatalf("release(%d): %v", n, err)
				}
				gotMore = append(gotMore, more)
			}
			if diff := cmp.Diff(tt.wantMore, gotMore); diff != "" {
				t.Errorf("more mismatch (-want +got):\n%s", diff)
			}
			if got := len(a.releases); got != tt.wantReleased {
				t.Errorf("released %d, want %d", got, tt.wantReleased)
			}
		})
	}
}
