package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// soakServe is `wiredesk serve` running as a child process: the real binary,
// so a soak measures the process users run (its memory, its goroutines, its
// survival) and not the test's.
type soakServe struct {
	cmd  *exec.Cmd
	base string
	log  *syncBuffer
	// exited is closed once the process is gone; exitErr is then its
	// exit status.
	exited  chan struct{}
	exitErr error
}

// startSoakServe runs `bin serve` with only the environment given (plus
// PATH and HOME), so WIREDESK_* variables of the caller's shell cannot
// change what is tested. It returns once /healthz answers 200, and stops
// the process gracefully when the test ends, failing the test if it does
// not exit cleanly.
func startSoakServe(t *testing.T, bin string, env map[string]string) *soakServe {
	t.Helper()
	addr := freeAddr(t)
	s := &soakServe{base: "http://" + addr, log: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", addr)
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start wiredesk serve: %v", err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		if !s.running() {
			return
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
			if s.exitErr != nil {
				t.Errorf("wiredesk serve did not stop cleanly on SIGTERM: %v\nlog tail:\n%s", s.exitErr, tail(s.log.String(), 40))
			}
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("wiredesk serve did not stop within 30s of SIGTERM\nlog tail:\n%s", tail(s.log.String(), 40))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if !s.running() {
			t.Fatalf("wiredesk serve exited at start: %v\n%s", s.exitErr, s.log.String())
		}
		if code, _ := get(t, s.base+"/healthz"); code == http.StatusOK {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("wiredesk serve did not answer /healthz within 60s\n%s", s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// running reports whether the process has not exited.
func (s *soakServe) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// rss is the process's resident set from /proc, in bytes: the operating
// system's figure, whatever the Go runtime believes it holds.
func (s *soakServe) rss() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read VmRSS %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS line in /proc status")
}

// runWiredesk runs a one-shot subcommand of the binary (migrate, source
// list) with the same clean environment as startSoakServe.
func runWiredesk(t *testing.T, bin string, env map[string]string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wiredesk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// writeSoakConfig writes cfg as the JSON config file of wiredesk serve.
func writeSoakConfig(t *testing.T, cfg any) string {
	t.Helper()
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wiredesk.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// promSamples reads a Prometheus text exposition into series → value; a
// series is its name with its labels as written ("go_goroutines",
// `wiredesk_source_state{source="a",state="failing"}`).
func promSamples(body string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.SplitSeq(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// soakItem is one entry of a generated RSS feed. An empty GUID or Link is
// left out of the XML.
type soakItem struct {
	GUID, Link, Title, Body string
	Published               time.Time
}

// soakRSS renders an RSS 2.0 feed of items.
func soakRSS(title string, items []soakItem) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://soak.example/</link><description>soak</description>`, html.EscapeString(title))
	for _, it := range items {
		b.WriteString("<item>")
		if it.GUID != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, html.EscapeString(it.GUID))
		}
		if it.Link != "" {
			fmt.Fprintf(&b, `<link>%s</link>`, html.EscapeString(it.Link))
		}
		fmt.Fprintf(&b, `<title>%s</title><description>%s</description><pubDate>%s</pubDate></item>`,
			html.EscapeString(it.Title), html.EscapeString("<p>"+it.Body+"</p>"), it.Published.UTC().Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// tail is the last n lines of s, for failure messages.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// privatePostgres is a PostgreSQL cluster of the test's own, in a temporary
// directory on a free port: a test may stop, crash and restart it, which
// it must never do to the shared server others use.
type privatePostgres struct {
	bindir  string
	dir     string // owns data/, the log and the socket
	port    int
	runAs   string // OS user running the server; "" for the test's own
	stopped bool
}

// pgBinDir is where initdb and pg_ctl are: WIREDESK_TEST_PG_BINDIR, else
// PostgreSQL 15's place on Debian and Ubuntu.
func pgBinDir() string {
	if d := os.Getenv("WIREDESK_TEST_PG_BINDIR"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// startPrivatePostgres initdbs and starts a cluster, stopped (immediate)
// when the test ends. Without PostgreSQL's binaries the test is skipped,
// except with CI=true, where that and any failure to start fail it.
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	pg := &privatePostgres{bindir: pgBinDir(), dir: t.TempDir()}
	if _, err := os.Stat(filepath.Join(pg.bindir, "initdb")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL binaries needed for a private cluster, and CI=true requires them: %v", err)
		}
		t.Skipf("skipping: no PostgreSQL binaries for a private cluster (set WIREDESK_TEST_PG_BINDIR; CI=true makes this a failure): %v", err)
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: the cluster belongs to the
		// postgres user, who needs a way through the test's private
		// temporary directories to reach it.
		pg.runAs = "postgres"
		u, err := user.Lookup(pg.runAs)
		if err != nil {
			t.Fatalf("running as root, a private PostgreSQL needs the %s user: %v", pg.runAs, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(filepath.Dir(pg.dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(pg.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	pg.port, _ = strconv.Atoi(port)

	if err := pg.run("initdb", "-D", pg.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	// fsync=off only skips flushing to disk; a crash of the server (not of
	// the machine) still loses nothing committed, which is what is tested.
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\nfull_page_writes = off\nmax_connections = 50\nshared_buffers = 32MB\n", pg.port, pg.dir)
	f, err := os.OpenFile(filepath.Join(pg.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !pg.stopped {
			if err := pg.stop("immediate"); err != nil {
				t.Error(err)
			}
		}
	})
	return pg
}

func (pg *privatePostgres) data() string { return filepath.Join(pg.dir, "data") }

// URL is the cluster's postgres database over TCP.
func (pg *privatePostgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// start starts the stopped cluster and waits until it takes connections.
func (pg *privatePostgres) start() error {
	if err := pg.ctl("start", "-l", filepath.Join(pg.dir, "server.log")); err != nil {
		return err
	}
	pg.stopped = false
	return nil
}

// stop shuts the cluster down in mode: "fast" (clients disconnected, a
// clean checkpoint) or "immediate" (a crash: recovery on the next start).
func (pg *privatePostgres) stop(mode string) error {
	if err := pg.ctl("stop", "-m", mode); err != nil {
		return err
	}
	pg.stopped = true
	return nil
}

// ctl runs pg_ctl on the cluster, waiting for the action to complete.
func (pg *privatePostgres) ctl(args ...string) error {
	return pg.run("pg_ctl", append([]string{"-D", pg.data(), "-w", "-t", "60"}, args...)...)
}

// run runs one of PostgreSQL's programs as the cluster's user.
func (pg *privatePostgres) run(prog string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	path := filepath.Join(pg.bindir, prog)
	var cmd *exec.Cmd
	if pg.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", pg.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	// The cluster's own working directory: runuser keeps the test's,
	// which the postgres user may not be allowed into.
	cmd.Dir = pg.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("private PostgreSQL: %s %s: %w\n%s\nserver log tail:\n%s", prog, strings.Join(args, " "), err, out, tail(pg.serverLog(), 20))
	}
	return nil
}

// serverLog is the cluster's log, for failure messages.
func (pg *privatePostgres) serverLog() string {
	b, err := os.ReadFile(filepath.Join(pg.dir, "server.log"))
	if err != nil {
		return err.Error()
	}
	return string(b)
}
