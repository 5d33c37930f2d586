package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/jobs"
)

// loadRun is one load generator run against one URL.
type loadRun struct {
	requests int
	// failed counts answers other than 2xx and requests that got no answer.
	failed   int
	rps      float64
	p50, p99 time.Duration
}

// loadGenerator loads one URL with conns connections for d.
type loadGenerator interface {
	name() string
	load(ctx context.Context, target string, conns int, d time.Duration) (*loadRun, error)
}

// benchServing serves cfg.servingStories stories from a fresh SQLite store
// with `wiredesk serve` (in this process, with everything serve wires:
// the response cache, gzip, ETags), loads its home, story, feed and search
// pages in turn with cfg.conns connections for cfg.duration each, and,
// where nginx is there, nginx serving the same story page as a static
// file, first and last, in the same run. Same logic as the script
// scripts/bench-serving had; the script now runs this.
func benchServing(ctx context.Context, env *cmdEnv, cfg *benchConfig) (*benchSection, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gen, err := pickLoadGenerator(cfg.loadGenerator)
	if err != nil {
		return nil, err
	}
	nginxPath, err := pickNginx(cfg.nginx)
	if err != nil {
		return nil, err
	}
	sec := &benchSection{
		title:  fmt.Sprintf("Serving: %d connections, %s per page (SQLite, %d stories)", cfg.conns, cfg.duration, cfg.servingStories),
		header: []string{"page", "requests/s", "p50", "p99", "requests"},
	}
	logger := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	tmp, err := os.MkdirTemp("", "wiredesk-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "data")
	headlines, err := loadServingStories(ctx, env, cfg, data, logger)
	if err != nil {
		return nil, err
	}

	base, stopServe, err := startServe(ctx, env, map[string]string{"WIREDESK_DATA": data, "WIREDESK_LOG_LEVEL": "warn"})
	if err != nil {
		return nil, err
	}
	defer stopServe()
	client := &http.Client{Timeout: 10 * time.Second}
	_, home := fetchPage(ctx, client, base+"/")
	m := regexp.MustCompile(`href="(/story/\d+/[^"]*)"`).FindStringSubmatch(home)
	if m == nil {
		return nil, errors.New("no story on the home page")
	}
	storyPath := m[1]
	query := searchWord(headlines)
	pages := []struct{ name, path string }{
		{"wiredesk home (`/`)", "/"},
		{"wiredesk story page", storyPath},
		{"wiredesk feed (`/feed.rss`)", "/feed.rss"},
		{fmt.Sprintf("wiredesk search (`/search?q=%s`)", query), "/search?q=" + url.QueryEscape(query)},
	}

	var (
		nginxURL, nginxVersion string
		stopNginx              = func() error { return nil }
	)
	if nginxPath != "" {
		page, err := fetchIdentity(ctx, client, base+storyPath)
		if err != nil {
			return nil, fmt.Errorf("save the story page for nginx: %w", err)
		}
		nginxURL, stopNginx, err = startNginx(ctx, nginxPath, filepath.Join(tmp, "nginx"), page)
		if err != nil {
			return nil, err
		}
		defer func() {
			if err := stopNginx(); err != nil {
				fmt.Fprintln(env.stderr, "bench: stop nginx:", err)
			}
		}()
		out, _ := exec.Command(nginxPath, "-v").CombinedOutput()
		nginxVersion = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: "))
	}

	// measure runs a short warm-up (it fills the response cache and opens
	// the connections), then the measured run.
	measure := func(name, target string) (*loadRun, error) {
		warm := min(2*time.Second, max(cfg.duration/10, time.Second))
		fmt.Fprintf(env.stderr, "serving: %s (%s + %s warm-up)\n", name, cfg.duration, warm)
		if _, err := gen.load(ctx, target, cfg.conns, warm); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r, err := gen.load(ctx, target, cfg.conns, cfg.duration)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if r.failed > 0 {
			return nil, fmt.Errorf("%s: %d of %d requests failed or answered other than 2xx", name, r.failed, r.requests)
		}
		sec.rows = append(sec.rows, []string{name, fmt.Sprintf("%.0f", r.rps), ms2(r.p50), ms2(r.p99), strconv.Itoa(r.requests)})
		return r, nil
	}
	// nginx runs first and last, and the ratio uses the mean of the two,
	// so a change in the machine's load during the run weighs on both
	// sides alike.
	var nginxRuns []*loadRun
	if nginxURL != "" {
		r, err := measure("nginx, static copy of the story page (first run)", nginxURL)
		if err != nil {
			return sec, err
		}
		nginxRuns = append(nginxRuns, r)
	}
	var storyRun *loadRun
	for _, p := range pages {
		r, err := measure(p.name, base+p.path)
		if err != nil {
			return sec, err
		}
		if p.path == storyPath {
			storyRun = r
		}
	}
	if nginxURL != "" {
		r, err := measure("nginx, static copy of the story page (last run)", nginxURL)
		if err != nil {
			return sec, err
		}
		nginxRuns = append(nginxRuns, r)
	}

	rss, _ := processMemory()
	where := "a second process"
	if gen.name() == "go" {
		where = "in the bench's own process, beside the server: it takes CPU from the server, so figures are lower than with wrk"
	}
	sec.notes = append(sec.notes, fmt.Sprintf("Load generator: %s (%s), %d connections, %s per page after a warm-up; story page %s. "+
		"wiredesk runs `serve` in this process on a fresh SQLite store with %d stories ingested through the pipeline (corpus seed %d, first versions, all four formats); "+
		"its pages come from the in-process response cache after the first request. Neither client asks for compression, so both servers send pages uncompressed. "+
		"The load generator, wiredesk and nginx share the machine's %d cores. Resident memory of the bench process (the server) at the end: %.0f MiB.",
		gen.name(), where, cfg.conns, cfg.duration, "`"+storyPath+"`", cfg.servingStories, cfg.seed, runtime.NumCPU(), rss))
	if len(nginxRuns) == 2 {
		mean := (nginxRuns[0].rps + nginxRuns[1].rps) / 2
		sec.notes = append(sec.notes, fmt.Sprintf("Story page: wiredesk / nginx (mean of its two runs) = **%.2f** (target: at least 0.50; story page at least 5,000 requests/s). nginx %s serves the same bytes as a static file.",
			storyRun.rps/mean, nginxVersion))
	} else {
		sec.notes = append(sec.notes, "nginx was not measured (--nginx off, or not installed): no ratio.")
	}
	return sec, nil
}

// loadServingStories ingests the serving part's stories into a fresh
// SQLite store in dir through the pipeline `wiredesk ingest` uses, and
// returns their headlines.
func loadServingStories(ctx context.Context, env *cmdEnv, cfg *benchConfig, dir string, logger *slog.Logger) ([]string, error) {
	b, err := openBackend(ctx, Config{Data: dir}, logger)
	if err != nil {
		return nil, err
	}
	defer b.store.Close()
	if err := b.migrate(ctx, logger); err != nil {
		return nil, err
	}
	runner, err := b.newJobs(jobs.Config{Logger: logger, Store: b.store, Poll: noPoll})
	if err != nil {
		return nil, err
	}
	pipeline := ingest.NewPipeline(b.store, apply.New(b.store, runner, nil), logger, nil)
	var headlines []string
	bar := newProgress(env.stderr, "serving: ingest", cfg.servingStories)
	err = corpus.New(corpus.Config{Seed: cfg.seed, Items: cfg.servingStories, Mix: &corpus.Mix{}}).Each(func(d *corpus.Delivery) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := pipeline.Deliver(ctx, &ingest.DeliverParams{Origin: fmt.Sprintf("bench:%d", d.Seq), Body: d.Body, Agency: d.Item.Source.Agency}); err != nil {
			return fmt.Errorf("delivery %d (%s): %w", d.Seq, d.Format, err)
		}
		headlines = append(headlines, d.Item.Headline)
		bar.update(d.Seq + 1)
		return nil
	})
	bar.done(len(headlines))
	return headlines, err
}

// searchWord is the word the search page is loaded with: the longest of
// the first headline's, so it finds at least that story.
func searchWord(headlines []string) string {
	best := "harbour"
	if len(headlines) == 0 {
		return best
	}
	best = ""
	for _, w := range strings.FieldsFunc(headlines[0], func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) > len([]rune(best)) {
			best = w
		}
	}
	return strings.ToLower(best)
}

// startServe runs `wiredesk serve` in this process with the given
// environment on a free loopback port until stop, and waits until it is
// healthy.
func startServe(ctx context.Context, env *cmdEnv, vars map[string]string) (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	var wg sync.WaitGroup
	serverLog := &syncWriter{w: env.stderr}
	wg.Go(func() {
		served <- run(ctx, []string{"serve", "--addr", addr}, strings.NewReader(""), serverLog, serverLog, func(k string) string { return vars[k] })
	})
	stop = func() {
		cancel()
		wg.Wait()
	}
	base = "http://" + addr
	if err := waitHealthy(ctx, &http.Client{Timeout: 5 * time.Second}, base, served); err != nil {
		stop()
		return "", nil, err
	}
	return base, stop, nil
}

// fetchIdentity fetches a page as wrk does, without asking for
// compression, and wants 200.
func fetchIdentity(ctx context.Context, client *http.Client, target string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	// Set by hand, the header stops the transport asking for gzip.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		return nil, fmt.Errorf("GET %s: %d %s", target, resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	return body, nil
}

// pickLoadGenerator is wrk (a second process) when asked for or, with
// auto, when it is installed; else the Go one.
func pickLoadGenerator(want string) (loadGenerator, error) {
	path, err := exec.LookPath("wrk")
	switch {
	case want == "go" || (want == "auto" && err != nil):
		return goLoad{}, nil
	case err != nil:
		return nil, fmt.Errorf("--load-generator wrk: %w (Debian: apt-get install -y wrk)", err)
	}
	return wrkLoad{path: path}, nil
}

// pickNginx is nginx's path when it is to be measured, "" when not.
func pickNginx(want string) (string, error) {
	if want == "off" {
		return "", nil
	}
	path, err := exec.LookPath("nginx")
	if err != nil {
		if want == "on" {
			return "", fmt.Errorf("--nginx on: %w (Debian: apt-get install -y nginx)", err)
		}
		return "", nil
	}
	return path, nil
}

// startNginx serves page as /story.html from a fresh nginx in dir (a new
// directory in the bench's temporary one) on a free loopback port, and
// returns its URL and how to stop it.
func startNginx(ctx context.Context, nginxPath, dir string, page []byte) (string, func() error, error) {
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(www, "story.html"), page, 0o644); err != nil {
		return "", nil, err
	}
	// nginx's workers run as an unprivileged user when nginx runs as root:
	// they must reach the file. The bench's temporary directory is made
	// with mode 0700.
	for _, d := range []string{filepath.Dir(dir), dir, www} {
		if err := os.Chmod(d, 0o755); err != nil {
			return "", nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, www, addr)), 0o644); err != nil {
		return "", nil, err
	}
	errLog := filepath.Join(dir, "error.log")
	cmd := exec.Command(nginxPath, "-c", conf, "-p", dir, "-e", errLog)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start nginx: %w", err)
	}
	stop := func() error {
		// QUIT is nginx's graceful stop; the wait reaps the master, which
		// waits for its workers.
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
			return nil
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			return errors.Join(errors.New("nginx did not stop within 10s: killed"), <-done)
		}
	}
	target := "http://" + addr + "/story.html"
	client := &http.Client{Timeout: time.Second}
	for i := 0; ; i++ {
		if _, err := fetchIdentity(ctx, client, target); err == nil {
			return target, stop, nil
		}
		if i == 50 || ctx.Err() != nil {
			log, _ := os.ReadFile(errLog)
			return "", nil, errors.Join(fmt.Errorf("nginx did not answer on %s: %s", addr, log), stop())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func nginxConf(dir, www, addr string) string {
	return fmt.Sprintf(`daemon off;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path %[1]s;
	proxy_temp_path %[1]s;
	fastcgi_temp_path %[1]s;
	uwsgi_temp_path %[1]s;
	scgi_temp_path %[1]s;
	types { text/html html; }
	server {
		listen %[3]s;
		root %[2]s;
	}
}
`, dir, www, addr)
}

// wrkLoad runs wrk, a second process, with one thread per CPU.
type wrkLoad struct{ path string }

func (wrkLoad) name() string { return "wrk" }

func (w wrkLoad) load(ctx context.Context, target string, conns int, d time.Duration) (*loadRun, error) {
	threads := min(runtime.NumCPU(), conns)
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	out, err := exec.CommandContext(ctx, w.path, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(secs)+"s", "--latency", target).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %w: %s", err, out)
	}
	return parseWrk(string(out))
}

// parseWrk reads the figures of `wrk --latency` output.
func parseWrk(out string) (*loadRun, error) {
	r := &loadRun{}
	var haveRPS, have50, have99, haveTotal bool
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return nil, fmt.Errorf("wrk requests/s %q: %w", f[1], err)
			}
			r.rps, haveRPS = v, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			v, err := time.ParseDuration(f[1])
			if err != nil {
				return nil, fmt.Errorf("wrk latency %q: %w", f[1], err)
			}
			if f[0] == "50%" {
				r.p50, have50 = v, true
			} else {
				r.p99, have99 = v, true
			}
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.Atoi(f[0])
			if err != nil {
				return nil, fmt.Errorf("wrk requests %q: %w", f[0], err)
			}
			r.requests, haveTotal = n, true
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			n, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				return nil, fmt.Errorf("wrk non-2xx %q: %w", line, err)
			}
			r.failed += n
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 3; i < len(f); i += 2 {
				n, err := strconv.Atoi(strings.TrimSuffix(f[i], ","))
				if err != nil {
					return nil, fmt.Errorf("wrk socket errors %q: %w", line, err)
				}
				r.failed += n
			}
		}
	}
	if !haveRPS || !have50 || !have99 || !haveTotal {
		return nil, fmt.Errorf("wrk output lacks requests/s, the 50%% and 99%% latencies or the request count:\n%s", out)
	}
	return r, nil
}

// goLoad is the Go load generator, in this process: one goroutine per
// connection, each sending a request as soon as the last answer is read.
type goLoad struct{}

func (goLoad) name() string { return "go" }

func (goLoad) load(ctx context.Context, target string, conns int, d time.Duration) (*loadRun, error) {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type tally struct {
		lat    []time.Duration
		failed int
	}
	tallies := make([]tally, conns)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range tallies {
		t := &tallies[i]
		wg.Go(func() {
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
				if err != nil {
					t.failed++
					return
				}
				sent := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						t.failed++
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if ctx.Err() != nil {
					return // cut off by the end of the run: not counted
				}
				t.lat = append(t.lat, time.Since(sent))
				if err != nil || resp.StatusCode/100 != 2 {
					t.failed++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	r := &loadRun{}
	for _, t := range tallies {
		all = append(all, t.lat...)
		r.failed += t.failed
	}
	slices.Sort(all)
	r.requests = len(all)
	r.rps = float64(len(all)) / elapsed.Seconds()
	r.p50, r.p99 = percentile(all, 50), percentile(all, 99)
	return r, nil
}

// ms2 is a latency in milliseconds with two decimals, as wrk prints them.
func ms2(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Nanoseconds())/1e6, 'f', 2, 64) + " ms"
}
