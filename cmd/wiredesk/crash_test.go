package main

import (
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "modernc.org/sqlite"
)

var crashItems = flag.Int("crash-items", 5000, "items the crash test ingests (make soak raises it)")

// buildWiredesk builds the command into a temporary folder. The child is a
// real binary built without the race detector, so the test measures crashes
// of what users run, at its speed.
func buildWiredesk(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wiredesk")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeCorpus writes n items as RSS files of 100 items each. Later files
// re-send some earlier items unchanged (re-deliveries) and some with new
// text (updates), so a restart re-feeding everything meets every case.
func writeCorpus(t *testing.T, dir string, n int, r *rand.Rand) []string {
	t.Helper()
	var files []string
	const perFile = 100
	for f := 0; f*perFile < n; f++ {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Crash Wire</title><link>https://crash.example/</link><description>c</description>`)
		for i := f * perFile; i < min(n, (f+1)*perFile); i++ {
			id, text := i, "first"
			switch p := r.IntN(10); {
			case p == 0 && i > 0:
				id = r.IntN(i) // re-delivery, same text
			case p == 1 && i > 0:
				id, text = r.IntN(i), fmt.Sprintf("update %d", i) // new version
			}
			fmt.Fprintf(&b, `<item><guid isPermaLink="false">crash-%d</guid><title>Crash story %d</title><description>&lt;p&gt;%s, %s text.&lt;/p&gt;</description><pubDate>Sun, 29 Nov 2026 09:00:00 +0000</pubDate></item>`, id, id, storyWords(id), text)
		}
		b.WriteString(`</channel></rss>`)
		path := filepath.Join(dir, fmt.Sprintf("batch-%04d.xml", f))
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	return files
}

// storyWords is a body of its own for story id: every story different,
// as on a real wire, and the same every time it is sent.
func storyWords(id int) string {
	r := rand.New(rand.NewPCG(uint64(id), 7))
	vocab := strings.Fields("harbour council storm ferry budget court minister union strike vote police coast bridge river school hospital election market shares port rail flood fire report judge mayor farmers drought museum festival league final coach injury reef trade")
	w := make([]string, 40)
	for i := range w {
		w[i] = vocab[r.IntN(len(vocab))]
	}
	return strings.Join(w, " ")
}

// childIngest starts `wiredesk ingest` on files as a child process.
func childIngest(t *testing.T, bin, data string, files []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"ingest", "--data", data, "--log-level", "error"}, files...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// snapshot reads what must come out the same from any crash history: each
// story's state and versions, and every job enqueued (kind and arguments).
func snapshot(t *testing.T, data string) (stories, jobs []string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, "wiredesk.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`
		SELECT s.agency || '|' || s.uri || '|' || s.state || '|' || COALESCE(v.version_key, '') || '|' ||
		       (SELECT count(*) FROM story_versions c WHERE c.story_id = s.id)
		FROM stories s LEFT JOIN story_versions v ON v.id = s.current_version_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		stories = append(stories, s)
	}
	rows.Close()
	// Story ids differ between runs; a job is compared by the story's key.
	rows, err = db.Query(`
		SELECT j.kind || '|' || COALESCE(json_extract(j.args, '$.event'), '') || '|' ||
		       COALESCE((SELECT s.agency || '|' || s.uri FROM stories s WHERE s.id = json_extract(j.args, '$.story_id')), '') || '|' ||
		       COALESCE(json_extract(j.args, '$.version_key'), '')
		FROM river_job j WHERE j.kind IN ('story_event', 'release_embargo')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		jobs = append(jobs, s)
	}
	rows.Close()
	sort.Strings(stories)
	sort.Strings(jobs)
	return stories, jobs
}

// TestIngestSurvivesSIGKILL kills `wiredesk ingest` at random points, starts
// it again on everything, and checks the end state equals one clean run:
// no story, version or job lost or doubled.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	files := writeCorpus(t, t.TempDir(), *crashItems, r)
	bin := buildWiredesk(t)

	clean := filepath.Join(t.TempDir(), "clean")
	start := time.Now()
	if err := childIngest(t, bin, clean, files).Wait(); err != nil {
		t.Fatalf("clean run: %v", err)
	}
	// Kills land anywhere in the span a whole run takes, start-up included.
	span := time.Since(start)
	wantStories, wantJobs := snapshot(t, clean)
	if len(wantStories) == 0 || len(wantJobs) == 0 {
		t.Fatalf("clean run stored %d stories and %d jobs", len(wantStories), len(wantJobs))
	}

	crashed := filepath.Join(t.TempDir(), "crashed")
	kills := 0
	for attempt := range 4 {
		cmd := childIngest(t, bin, crashed, files)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-time.After(time.Duration(float64(span) * (0.1 + 0.8*r.Float64()))):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		case err := <-done:
			if err != nil {
				t.Fatalf("attempt %d: %v", attempt, err)
			}
		}
	}
	if err := childIngest(t, bin, crashed, files).Wait(); err != nil {
		t.Fatalf("final run after %d kills: %v", kills, err)
	}
	if kills == 0 {
		t.Fatal("no run was killed before it finished: the test proved nothing")
	}
	gotStories, gotJobs := snapshot(t, crashed)
	t.Logf("%d items, %d kills, %d stories, %d jobs", *crashItems, kills, len(gotStories), len(gotJobs))
	if diff := cmp.Diff(wantStories, gotStories); diff != "" {
		t.Errorf("stories after crashes differ from a clean run (-clean +crashed):\n%s", diff)
	}
	if diff := cmp.Diff(wantJobs, gotJobs); diff != "" {
		t.Errorf("jobs after crashes differ from a clean run (-clean +crashed):\n%s", diff)
	}
}
