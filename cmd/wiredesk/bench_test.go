package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

func runBench(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"bench"}, args...), strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	return stdout.String(), stderr.String(), err
}

// TestBenchDecodeWritesFragment: a small decode run prints a table row per
// format and writes the fragment for BENCHMARKS.md, with the machine, Go
// version, load and command.
func TestBenchDecodeWritesFragment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.md")
	stdout, stderr, err := runBench(t, "--only", "decode", "--decode-items", "20", "--runs", "1", "--out", out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	frag, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"wiredesk bench --only decode --decode-items 20 --runs 1 --out " + out,
		"- Go: go1.", "- load average", "- machine: ",
		"| newsml-g2 | ", "| ninjs | ", "| nitf | ", "| rss | ",
	} {
		if !strings.Contains(string(frag), want) {
			t.Errorf("fragment lacks %q:\n%s", want, frag)
		}
	}
	if !strings.Contains(stdout, "| nitf | ") {
		t.Errorf("stdout lacks the decode table:\n%s", stdout)
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--only", "decode,speed"},
		{"--stores", "mysql"},
		{"--stores", "postgres"}, // without --database-url
		{"--items", "0"},
		{"--ingest-workers", "4,0"},
		{"--conns", "0"},
		{"--duration", "500ms"},
		{"--load-generator", "ab"},
		{"--nginx", "maybe"},
		{"--source-interval", "60s", "--scheduler-duration", "90s"},
		{"--scale-stories", "-1"},
	} {
		if _, _, err := runBench(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("bench %v: error %v, want a usage error", args, err)
		}
	}
}

// benchStores is the --stores and --database-url of the store benchmarks'
// smoke tests: SQLite, and PostgreSQL where dbtest finds it (required
// when CI=true).
func benchStores(t *testing.T) []string {
	dbtest.Postgres(t) // skips, or fails in CI, without PostgreSQL
	return []string{"--stores", "sqlite,postgres", "--database-url", dbtest.PostgresURL()}
}

// TestBenchIngestSmoke ingests a few hundred corpus items into each store
// through the pipeline, one sender and eight at once, and reports every one
// applied.
func TestBenchIngestSmoke(t *testing.T) {
	args := append([]string{"--only", "ingest", "--items", "300", "--ingest-workers", "1,8"}, benchStores(t)...)
	stdout, stderr, err := runBench(t, args...)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	// new + updated + recorded + unchanged + skipped = 300 on each store.
	row := regexp.MustCompile(`\| (sqlite|postgres) \| (\d+) \| \d+ \| [^|]+ \| [^|]+ \| (\d+) / (\d+) / (\d+) / (\d+) / (\d+) \|`)
	rows := row.FindAllStringSubmatch(stdout, -1)
	var runs []string
	for _, r := range rows {
		runs = append(runs, r[1]+" "+r[2])
		sum := 0
		for _, n := range r[3:] {
			sum += atoi(t, n)
		}
		if sum != 300 || atoi(t, r[7]) != 0 {
			t.Errorf("%s with %s senders: outcomes %v add up to %d with %s skipped; want 300 items, none skipped", r[1], r[2], r[3:], sum, r[7])
		}
	}
	if diff := cmp.Diff([]string{"sqlite 1", "sqlite 8", "postgres 1", "postgres 8"}, runs); diff != "" {
		t.Errorf("runs (-want +got):\n%s\n%s", diff, stdout)
	}
}

// TestBenchLatencySmoke runs the server in process, pushes and kills a
// few stories on each store, and reports a figure for each output.
func TestBenchLatencySmoke(t *testing.T) {
	args := append([]string{"--only", "latency", "--pushes", "10"}, benchStores(t)...)
	stdout, stderr, err := runBench(t, args...)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	for _, want := range []string{"| sqlite | home page | ", "| sqlite | story page | ", "| sqlite | all | ", "| postgres | all | "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "never appeared") || strings.Contains(stdout, "| 0.0 ms |") {
		t.Errorf("a story was missed or a figure is empty:\n%s", stdout)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %s, want 0", got)
	}
}

func TestRedactArgs(t *testing.T) {
	got := redactArgs([]string{"--database-url", "postgres://bench:s3cret@db:5432/x", "postgres://postgres@127.0.0.1/test"})
	want := []string{"--database-url", "postgres://bench:REDACTED@db:5432/x", "postgres://postgres@127.0.0.1/test"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("redactArgs (-want +got):\n%s", diff)
	}
}

// TestProgressOffTerminal: written to a pipe or file, progress is a plain
// line at most every few seconds, never a carriage return.
func TestProgressOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "ingest sqlite", 100)
	p.update(1) // too soon after the start: nothing
	p.last = p.last.Add(-p.every)
	p.update(50)
	p.done(100)
	got := buf.String()
	if strings.Contains(got, "\r") || strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "ingest sqlite: 50/100 (50%)") {
		t.Errorf("progress wrote %q; want one line for 50/100", got)
	}
}

// TestBenchServingSmoke loads every page briefly with the Go load
// generator and no nginx (CI need not have nginx or wrk): a figure for
// each page, no failed request, and the note that nginx was not measured.
func TestBenchServingSmoke(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench.md")
	stdout, stderr, err := runBench(t, "--only", "serving", "--duration", "1s", "--conns", "4", "--serving-stories", "20",
		"--load-generator", "go", "--nginx", "off", "--out", out)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	checkServingRows(t, stdout, []string{"wiredesk home", "wiredesk story page", "wiredesk feed", "wiredesk search"})
	for _, want := range []string{"Load generator: go (in the bench's own process", "nginx was not measured"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	frag, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(frag), "### Serving: 4 connections") {
		t.Errorf("fragment lacks the serving section:\n%s", frag)
	}
}

// TestBenchServingBesideNginx runs the comparison the figures come from:
// wrk against wiredesk and against nginx serving the story page, first and
// last, and the ratio. It needs nginx and wrk, so it skips without them,
// in CI too.
func TestBenchServingBesideNginx(t *testing.T) {
	for _, tool := range []string{"nginx", "wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("skipping: %s is not installed (Debian: apt-get install -y nginx wrk)", tool)
		}
	}
	stdout, stderr, err := runBench(t, "--only", "serving", "--duration", "1s", "--conns", "8", "--serving-stories", "20",
		"--load-generator", "wrk", "--nginx", "on")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	checkServingRows(t, stdout, []string{"nginx, static copy of the story page (first run)", "wiredesk story page", "nginx, static copy of the story page (last run)"})
	if !regexp.MustCompile(`Story page: wiredesk / nginx \(mean of its two runs\) = \*\*\d+\.\d\d\*\*`).MatchString(stdout) {
		t.Errorf("output lacks the ratio:\n%s", stdout)
	}
}

// checkServingRows wants a row for each page named, with a positive rate
// and latencies.
func checkServingRows(t *testing.T, stdout string, pages []string) {
	t.Helper()
	row := regexp.MustCompile(`(?m)^\| ([^|]+) \| (\d+) \| (\d+\.\d\d) ms \| (\d+\.\d\d) ms \| (\d+) \|$`)
	got := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(stdout, -1) {
		if atoi(t, m[2]) == 0 || atoi(t, m[5]) == 0 || m[3] == "0.00" {
			t.Errorf("row %q has an empty figure", m[0])
		}
		for _, p := range pages {
			if strings.HasPrefix(m[1], p) {
				got[p] = true
			}
		}
	}
	for _, p := range pages {
		if !got[p] {
			t.Errorf("no row for %q in:\n%s", p, stdout)
		}
	}
}

func TestParseWrk(t *testing.T) {
	const ok = `Running 10s test @ http://127.0.0.1:18080/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.90ms    2.66ms  46.13ms   89.63%
    Req/Sec    25.76k     2.32k   31.26k    71.50%
  Latency Distribution
     50%  812.00us
     75%    2.06ms
     90%    4.61ms
     99%    1.20s
  512587 requests in 10.00s, 2.70GB read
Requests/sec:  51258.43
Transfer/sec:    276.49MB
`
	for _, c := range []struct {
		name    string
		out     string
		want    *loadRun
		wantErr bool
	}{
		{"clean run", ok, &loadRun{requests: 512587, rps: 51258.43, p50: 812 * time.Microsecond, p99: 1200 * time.Millisecond}, false},
		{"errors counted", strings.Replace(ok, "Requests/sec:", "  Socket errors: connect 0, read 3, write 0, timeout 2\n  Non-2xx or 3xx responses: 7\nRequests/sec:", 1),
			&loadRun{requests: 512587, failed: 12, rps: 51258.43, p50: 812 * time.Microsecond, p99: 1200 * time.Millisecond}, false},
		{"no latency distribution (wrk without --latency)", strings.Replace(ok, "     99%    1.20s\n", "", 1), nil, true},
		{"not wrk at all", "unable to connect to 127.0.0.1:1 Connection refused\n", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseWrk(c.out)
			if (err != nil) != c.wantErr {
				t.Fatalf("parseWrk error %v, want error %v", err, c.wantErr)
			}
			if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(loadRun{})); diff != "" {
				t.Errorf("parseWrk (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBenchSchedulerSmoke runs the scheduler measurement with a few
// sources and short intervals: every source polled, a lag figure.
func TestBenchSchedulerSmoke(t *testing.T) {
	stdout, stderr, err := runBench(t, "--only", "scheduler", "--sources", "40", "--source-interval", "1s", "--scheduler-duration", "3s")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	row := regexp.MustCompile(`\| warm: [^|]+ \| (\d+) \([\d.]+/s\) \| [^|]+ \| \*\*[^*]+\*\* \|`)
	m := row.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no scheduler row in:\n%s", stdout)
	}
	if polls := atoi(t, m[1]); polls < 40 {
		t.Errorf("%d polls of 40 sources, want every source polled at least once", polls)
	}
	if !strings.Contains(stdout, "40 of 40 sources polled") {
		t.Errorf("output does not say every source was polled:\n%s", stdout)
	}
}

// TestBenchScaleSmoke bulk-loads a few hundred stories and times the home
// page and the searches on them.
func TestBenchScaleSmoke(t *testing.T) {
	stdout, stderr, err := runBench(t, "--only", "scale", "--scale-stories", "300", "--scale-requests", "12")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	for _, want := range []string{"### Scale: 300 stories stored (SQLite)", "| home (`/`) | 12 | ", "| search, all queries | 12 | ",
		"| search `harbour` | 2 | ", "300 stories in ", "Database size: **"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestBulkLoadIndexesLikeApply: stories written by the scale part's bulk
// loader are published, listed newest first and found by search, as the
// pipeline leaves them.
func TestBulkLoadIndexesLikeApply(t *testing.T) {
	ctx := t.Context()
	s := dbtest.SQLite(t)
	var stderr bytes.Buffer
	f, err := bulkLoad(ctx, &cmdEnv{stderr: &stderr}, s, &benchConfig{seed: 3, scaleStories: scaleBatch + 7})
	if err != nil {
		t.Fatal(err)
	}
	if f.stories != scaleBatch+7 || f.rawBytes == 0 {
		t.Errorf("loaded %d stories of %d raw bytes, want %d stories and their bytes", f.stories, f.rawBytes, scaleBatch+7)
	}
	if n, err := s.CountStories(ctx); err != nil || n != scaleBatch+7 {
		t.Fatalf("CountStories = %d, %v; want %d", n, err, scaleBatch+7)
	}
	list, err := s.ListStories(ctx, &store.ListStoriesParams{Limit: 5})
	if err != nil || len(list) != 5 {
		t.Fatalf("ListStories: %d stories, %v; want 5", len(list), err)
	}
	first := list[0]
	if first.State != story.Published || first.Current == nil || !first.PublishedAt.Equal(first.Current.FirstCreated.UTC()) {
		t.Errorf("newest story: state %s, published at %v; want published at its first-created time", first.State, first.PublishedAt)
	}
	word := searchWord([]string{first.Current.Headline})
	res, err := s.SearchStories(ctx, &store.SearchParams{Query: word, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := slices.ContainsFunc(res.Hits, func(h *store.SearchHit) bool { return h.Story.ID == first.ID })
	if !found && !res.More {
		t.Errorf("search %q does not find story %d (%q)", word, first.ID, first.Current.Headline)
	}
}

func TestSearchWord(t *testing.T) {
	for _, c := range []struct {
		headlines []string
		want      string
	}{
		{[]string{"Council approves harbour budget, 12 votes to 3"}, "approves"},
		{[]string{"Überschwemmung am Fluss"}, "überschwemmung"},
		{nil, "harbour"},
	} {
		if got := searchWord(c.headlines); got != c.want {
			t.Errorf("searchWord(%q) = %q, want %q", c.headlines, got, c.want)
		}
	}
}
