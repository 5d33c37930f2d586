package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store/dbtest"
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

// TestBenchUnbuiltPartsSaySo: the parts of issue 8 not built yet say so,
// and measure nothing.
func TestBenchUnbuiltPartsSaySo(t *testing.T) {
	stdout, _, err := runBench(t, "--only", "serving,scale,scheduler")
	if err != nil {
		t.Fatal(err)
	}
	want := "serving: not built yet: see issue 8\n\nscale: not built yet: see issue 8\n\nscheduler: not built yet: see issue 8\n\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--only", "decode,speed"},
		{"--stores", "mysql"},
		{"--stores", "postgres"}, // without --database-url
		{"--items", "0"},
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
// through the pipeline and reports every one applied.
func TestBenchIngestSmoke(t *testing.T) {
	args := append([]string{"--only", "ingest", "--items", "300"}, benchStores(t)...)
	stdout, stderr, err := runBench(t, args...)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr)
	}
	// new + updated + recorded + unchanged + skipped = 300 on each store.
	row := regexp.MustCompile(`\| (sqlite|postgres) \| \d+ \| [^|]+ \| [^|]+ \| (\d+) / (\d+) / (\d+) / (\d+) / (\d+) \|`)
	rows := row.FindAllStringSubmatch(stdout, -1)
	if len(rows) != 2 {
		t.Fatalf("want a row per store, got:\n%s", stdout)
	}
	for _, r := range rows {
		sum := 0
		for _, n := range r[2:] {
			sum += atoi(t, n)
		}
		if sum != 300 || atoi(t, r[6]) != 0 {
			t.Errorf("%s: outcomes %v add up to %d with %s skipped; want 300 items, none skipped", r[1], r[2:], sum, r[6])
		}
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
