package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/jobs"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
)

// benchParts are the parts of issue 8's benchmark suite, in the order
// `wiredesk bench` runs them.
func benchParts() []string {
	return []string{"decode", "ingest", "latency", "serving", "scale", "scheduler"}
}

// benchConfig is what one `wiredesk bench` run measures, from its flags.
type benchConfig struct {
	only        []string
	items       int
	workers     []int // ingest: concurrent deliveries, one run each
	decodeItems int
	runs        int
	pushes      int
	seed        uint64
	databaseURL string
	stores      []string
	out         string
	cpuprofile  string
	command     string

	// serving
	conns          int
	duration       time.Duration
	servingStories int
	loadGenerator  string // auto, wrk or go
	nginx          string // auto, on or off
	// scale
	scaleStories  int
	scaleRequests int
	scaleDB       string // reused when it exists, else loaded and kept
	// scheduler
	sources           int
	sourceInterval    time.Duration
	schedulerDuration time.Duration
	schedulerCold     bool
}

// cmdBench measures wiredesk on this machine: decode throughput per format
// beside a raw token scan, ingest end to end on each store, and the time
// from a push to the story being on every output (and from a kill to it
// being gone). It prints markdown tables, and writes them with the machine,
// date and command to --out for BENCHMARKS.md.
func cmdBench(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlagSet("bench", env)
	only := fs.String("only", "decode,ingest,latency", "parts to run, comma-separated: "+strings.Join(benchParts(), ", "))
	items := fs.Int("items", 100000, "items to ingest into each store")
	workers := fs.String("ingest-workers", "16", "ingest: concurrent deliveries, comma-separated for one run each (1 is one delivery after another)")
	decodeItems := fs.Int("decode-items", 2000, "documents per format in the decode benchmark")
	runs := fs.Int("runs", 5, "repeats of the decode benchmark; the median is reported")
	pushes := fs.Int("pushes", 1000, "stories pushed (and then killed) in the latency benchmark")
	seed := fs.Uint64("seed", 1, "corpus seed: the same seed gives the same items")
	databaseURL := fs.String("database-url", env.getenv("WIREDESK_DATABASE_URL"), "PostgreSQL URL; each store benchmark runs in a fresh schema, dropped afterwards (WIREDESK_DATABASE_URL)")
	stores := fs.String("stores", "", "stores to benchmark, comma-separated: sqlite, postgres (default sqlite, and postgres when --database-url is given)")
	out := fs.String("out", "", "write the figures as a markdown fragment to this file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	conns := fs.Int("conns", 64, "serving: concurrent connections")
	duration := fs.Duration("duration", 20*time.Second, "serving: how long each page is loaded")
	servingStories := fs.Int("serving-stories", 1000, "serving: stories ingested before serving")
	loadGenerator := fs.String("load-generator", "auto", "serving: wrk (a second process), go (in this process), or auto (wrk when installed)")
	nginx := fs.String("nginx", "auto", "serving: measure nginx serving the story page as a static file beside wiredesk: on, off, or auto (when installed)")
	scaleStories := fs.Int("scale-stories", 1000000, "scale: stories stored before measuring")
	scaleRequests := fs.Int("scale-requests", 200, "scale: requests per page measured")
	scaleDB := fs.String("scale-db", "", "scale: SQLite database to measure: reused as it is when the file exists, else loaded and kept there (default a temporary one, removed)")
	sources := fs.Int("sources", 10000, "scheduler: sources on the fake upstream")
	sourceInterval := fs.Duration("source-interval", 60*time.Second, "scheduler: every source's poll interval")
	schedulerDuration := fs.Duration("scheduler-duration", 3*time.Minute, "scheduler: length of the measured run; at least two intervals")
	schedulerCold := fs.Bool("scheduler-cold", false, "scheduler: add the sources at once to the running node, first answered in full, instead of starting on sources polled before")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	workerCounts, err := parseCounts(*workers)
	if err != nil {
		fmt.Fprintln(env.stderr, "bench: --ingest-workers:", err)
		return errUsage
	}
	cfg := benchConfig{
		workers: workerCounts,
		items:   *items, decodeItems: *decodeItems, runs: *runs, pushes: *pushes, seed: *seed,
		databaseURL: *databaseURL, out: *out, cpuprofile: *cpuprofile,
		conns: *conns, duration: *duration, servingStories: *servingStories, loadGenerator: *loadGenerator, nginx: *nginx,
		scaleStories: *scaleStories, scaleRequests: *scaleRequests, scaleDB: *scaleDB,
		sources: *sources, sourceInterval: *sourceInterval, schedulerDuration: *schedulerDuration, schedulerCold: *schedulerCold,
		command: strings.TrimSpace("wiredesk bench " + strings.Join(redactArgs(args), " ")),
	}
	for _, p := range splitList(*only) {
		if !slices.Contains(benchParts(), p) {
			fmt.Fprintf(env.stderr, "bench: unknown part %q: want some of %s\n", p, strings.Join(benchParts(), ", "))
			return errUsage
		}
		cfg.only = append(cfg.only, p)
	}
	cfg.stores = splitList(*stores)
	if len(cfg.stores) == 0 {
		cfg.stores = []string{"sqlite"}
		if cfg.databaseURL != "" {
			cfg.stores = append(cfg.stores, "postgres")
		}
	}
	for _, s := range cfg.stores {
		switch {
		case s != "sqlite" && s != "postgres":
			fmt.Fprintf(env.stderr, "bench: unknown store %q: want sqlite, postgres\n", s)
			return errUsage
		case s == "postgres" && cfg.databaseURL == "":
			fmt.Fprintln(env.stderr, "bench: --stores postgres needs --database-url")
			return errUsage
		}
	}
	if cfg.items <= 0 || cfg.decodeItems <= 0 || cfg.runs <= 0 || cfg.pushes <= 0 {
		fmt.Fprintln(env.stderr, "bench: --items, --decode-items, --runs and --pushes must be positive")
		return errUsage
	}
	if err := cfg.validateParts(); err != nil {
		fmt.Fprintln(env.stderr, "bench:", err)
		return errUsage
	}

	if cfg.cpuprofile != "" {
		f, err := os.Create(cfg.cpuprofile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	rep := &benchReport{started: time.Now(), loadStart: loadAverage(), command: cfg.command}
	runErr := runBenchParts(ctx, env, &cfg, rep)
	rep.loadEnd = loadAverage()
	rep.finished = time.Now()
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(rep.markdown()), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", cfg.out, err)
		}
		fmt.Fprintf(env.stderr, "figures written to %s\n", cfg.out)
	}
	return runErr
}

func runBenchParts(ctx context.Context, env *cmdEnv, cfg *benchConfig, rep *benchReport) error {
	for _, part := range benchParts() {
		if !slices.Contains(cfg.only, part) {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var (
			sec *benchSection
			err error
		)
		switch part {
		case "decode":
			sec, err = benchDecode(ctx, env, cfg)
		case "ingest":
			sec, err = benchIngest(ctx, env, cfg)
		case "latency":
			sec, err = benchLatency(ctx, env, cfg)
		case "serving":
			sec, err = benchServing(ctx, env, cfg)
		case "scale":
			sec, err = benchScale(ctx, env, cfg)
		case "scheduler":
			sec, err = benchScheduler(ctx, env, cfg)
		}
		if sec != nil {
			rep.sections = append(rep.sections, sec)
			fmt.Fprint(env.stdout, sec.markdown())
		}
		if err != nil {
			return fmt.Errorf("bench %s: %w", part, err)
		}
	}
	return nil
}

// validateParts checks the flags of the serving, scale and scheduler parts.
func (c *benchConfig) validateParts() error {
	switch {
	case c.conns <= 0 || c.servingStories <= 0 || c.scaleStories <= 0 || c.scaleRequests <= 0 || c.sources <= 0:
		return errors.New("--conns, --serving-stories, --scale-stories, --scale-requests and --sources must be positive")
	case c.duration < time.Second:
		return fmt.Errorf("--duration %s is under 1s", c.duration)
	case !slices.Contains([]string{"auto", "wrk", "go"}, c.loadGenerator):
		return fmt.Errorf("--load-generator %q: want auto, wrk or go", c.loadGenerator)
	case !slices.Contains([]string{"auto", "on", "off"}, c.nginx):
		return fmt.Errorf("--nginx %q: want auto, on or off", c.nginx)
	case c.sourceInterval <= 0 || c.schedulerDuration < 2*c.sourceInterval:
		return fmt.Errorf("--scheduler-duration %s must be at least two --source-interval (%s)", c.schedulerDuration, c.sourceInterval)
	}
	return nil
}

// redactArgs hides a password in a database URL given as a flag, so the
// command can be printed in BENCHMARKS.md.
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if at := strings.Index(a, "@"); at >= 0 && strings.Contains(a, "://") {
			scheme := strings.Index(a, "://") + 3
			if colon := strings.Index(a[scheme:at], ":"); colon >= 0 {
				out[i] = a[:scheme+colon+1] + "REDACTED" + a[at:]
			}
		}
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// benchSection is one part's figures: a table and notes under it.
type benchSection struct {
	title  string
	header []string
	rows   [][]string
	notes  []string
}

func (s *benchSection) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", s.title)
	if len(s.header) > 0 {
		b.WriteString("| " + strings.Join(s.header, " | ") + " |\n|")
		for i := range s.header {
			if i == 0 {
				b.WriteString(" --- |")
			} else {
				b.WriteString(" ---: |")
			}
		}
		b.WriteString("\n")
		for _, r := range s.rows {
			b.WriteString("| " + strings.Join(r, " | ") + " |\n")
		}
		b.WriteString("\n")
	}
	for _, n := range s.notes {
		b.WriteString(n + "\n\n")
	}
	return b.String()
}

// benchReport is a whole run, as the markdown fragment --out writes.
type benchReport struct {
	command           string
	started, finished time.Time
	loadStart         string
	loadEnd           string
	sections          []*benchSection
}

func (r *benchReport) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## wiredesk bench, %s\n\n", r.started.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", r.command)
	fmt.Fprintf(&b, "- machine: %s, %d CPUs, %s RAM, %s/%s\n", cpuModel(), runtime.NumCPU(), memTotal(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "- Go: %s\n", runtime.Version())
	fmt.Fprintf(&b, "- load average (1, 5, 15 min): %s at the start, %s at the end\n", r.loadStart, r.loadEnd)
	fmt.Fprintf(&b, "- run time: %s\n\n", r.finished.Sub(r.started).Round(time.Second))
	for _, s := range r.sections {
		b.WriteString(s.markdown())
	}
	return b.String()
}

// procField reads the first line of a /proc file starting with key, and
// returns what follows the colon; "" where /proc is not there.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func cpuModel() string {
	if m := procField("/proc/cpuinfo", "model name"); m != "" {
		return m
	}
	return "unknown CPU"
}

func memTotal() string {
	kb, err := strconv.ParseInt(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 10, 64)
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// processMemory is this process's resident set now and at its peak, in
// MiB, from /proc/self/status; zero where that is not there.
func processMemory() (rss, peak float64) {
	read := func(key string) float64 {
		kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/self/status", key), " kB"), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return read("VmRSS"), read("VmHWM")
}

// benchPostgres opens a PostgreSQL store in a fresh schema of the
// database, migrated with River's tables, and returns it with a function
// that drops the schema and closes the store.
func benchPostgres(ctx context.Context, url string) (*backend, func() error, error) {
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	schema := "wdbench_" + hex.EncodeToString(suffix[:])
	s, err := postgres.Open(ctx, postgres.Config{URL: url, Schema: schema})
	if err != nil {
		return nil, nil, fmt.Errorf("open PostgreSQL store: %w", err)
	}
	b := &backend{store: s, newJobs: func(c jobs.Config) (*jobs.Runner, error) { return jobs.NewPostgres(s, c) }}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := s.Pool().Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
		s.Close()
		if err != nil {
			return fmt.Errorf("drop benchmark schema %s: %w", schema, err)
		}
		return nil
	}
	return b, drop, nil
}

// progress draws a progress line on stderr for long runs: rewritten in
// place on a terminal, else a line every few seconds.
type progress struct {
	w      io.Writer
	tty    bool
	label  string
	total  int
	start  time.Time
	last   time.Time
	every  time.Duration
	active bool
}

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, 200*time.Millisecond
		}
	}
	p.last = p.start
	return p
}

// update shows done of total, when the last line is old enough.
func (p *progress) update(done int) {
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	p.draw(done, now)
}

func (p *progress) draw(done int, now time.Time) {
	elapsed := now.Sub(p.start)
	rate := float64(done) / elapsed.Seconds()
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(p.total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	line := fmt.Sprintf("%s: %d/%d (%.0f%%), %.0f/s, elapsed %s, ETA %s", p.label, done, p.total,
		100*float64(done)/float64(max(p.total, 1)), rate, elapsed.Round(time.Second), eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.active = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// done ends the progress line.
func (p *progress) done(done int) {
	if p.tty {
		p.draw(done, time.Now())
		if p.active {
			fmt.Fprintln(p.w)
		}
	}
}

// percentile returns the p-th percentile (0-100) of sorted durations, by
// the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// parseCounts reads a comma-separated list of positive numbers.
func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
