package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// TestBulkLoadKeepsCorpusOrder: however the workers share the batches out,
// the writer stores the stories in corpus order, so one seed always gives
// the same ids, and each story carries its own prepared version.
func TestBulkLoadKeepsCorpusOrder(t *testing.T) {
	ctx := t.Context()
	s := dbtest.SQLite(t)
	const n = 3*scaleBatch + 11 // more batches than workers, and a short last one
	cfg := &benchConfig{seed: 5, scaleStories: n}
	var stderr bytes.Buffer
	if _, err := bulkLoad(ctx, &cmdEnv{stderr: &stderr}, s, cfg); err != nil {
		t.Fatal(err)
	}
	type loaded struct{ URI, Headline, Section string }
	var want, got []loaded
	err := corpus.New(corpus.Config{Seed: cfg.seed, Items: n, Mix: &corpus.Mix{}}).Each(func(d *corpus.Delivery) error {
		p := preparedStory{item: d.Item}
		p.prepare()
		want = append(want, loaded{d.Item.URI, d.Item.Headline, p.section})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= n; id++ {
		st, err := s.GetStory(ctx, id)
		if err != nil {
			t.Fatalf("GetStory(%d): %v", id, err)
		}
		got = append(got, loaded{st.URI, st.Current.Headline, st.Section})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stories by id (-corpus order +stored):\n%s", diff)
	}
}

// TestBenchScaleKeepsAndReusesDB: --scale-db loads a missing database and
// keeps it; a second run measures that one as it is, without loading.
func TestBenchScaleKeepsAndReusesDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scale.db")
	stdout, stderr, err := runBench(t, "--only", "scale", "--scale-stories", "300", "--scale-requests", "6", "--scale-db", path)
	if err != nil {
		t.Fatalf("first bench: %v\n%s", err, stderr)
	}
	for _, want := range []string{"### Scale: 300 stories stored (SQLite)", "300 stories in ", "kept at " + path} {
		if !strings.Contains(stdout, want) {
			t.Errorf("first run's output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not kept: %v", err)
	}
	if _, err := os.Stat(path + ".loading"); !os.IsNotExist(err) {
		t.Errorf("the file loaded into is left behind: %v", err)
	}

	stdout, stderr, err = runBench(t, "--only", "scale", "--scale-stories", "500", "--scale-requests", "6", "--scale-db", path)
	if err != nil {
		t.Fatalf("second bench: %v\n%s", err, stderr)
	}
	for _, want := range []string{"### Scale: 300 stories stored (SQLite)", "loaded by an earlier run", "| search, all queries | 6 | "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("second run's output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "stories per transaction") {
		t.Errorf("second run loaded stories again:\n%s", stdout)
	}
	if !strings.Contains(stderr, "holds 300 stories, not --scale-stories 500") {
		t.Errorf("second run does not warn that the database holds another number of stories:\n%s", stderr)
	}
}
