package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// logBuffer collects log output written from the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// running is a Server started by start, with a way to stop it.
type running struct {
	srv    *Server
	base   string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
	// checked is set when the test itself looked at Run's result.
	checked bool
}

// stop cancels Run's context and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.checked = true
	return r.stopRun()
}

func (r *running) stopRun() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(20 * time.Second):
			r.err = errors.New("Run did not return within 20s of cancel")
		}
	})
	return r.err
}

// start runs a Server for cfg on a free loopback port until the test ends.
func start(t *testing.T, cfg Config) *running {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{srv: New(cfg), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- r.srv.Run(ctx) }()
	select {
	case <-r.srv.Listening():
	case err := <-r.done:
		cancel()
		t.Fatalf("Run returned before listening: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("server not listening after 10s")
	}
	r.base = "http://" + r.srv.Addr()
	t.Cleanup(func() {
		if err := r.stopRun(); err != nil && !r.checked {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body of %s: %v", url, err)
	}
	return res, string(body)
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello")
	})
}

func TestHealthz(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ready      func(context.Context) error
		wantStatus int
		wantBody   string
	}{
		{"no check means ready", nil, http.StatusOK, "ok"},
		{"check passes", func(context.Context) error { return nil }, http.StatusOK, "ok"},
		{"check fails", func(context.Context) error { return errors.New("ping store: connection refused") },
			http.StatusServiceUnavailable, "not ready: ping store: connection refused\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := start(t, Config{Handler: okHandler(), Ready: tc.ready, Logger: testLogger(io.Discard)})
			res, body := get(t, r.base+"/healthz")
			if got, want := res.StatusCode, tc.wantStatus; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			if diff := cmp.Diff(tc.wantBody, body); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthzPassesRequestContextToReady(t *testing.T) {
	var gotDeadline bool
	ready := func(ctx context.Context) error {
		_, gotDeadline = ctx.Deadline()
		return nil
	}
	r := start(t, Config{Handler: okHandler(), Ready: ready, Logger: testLogger(io.Discard)})
	get(t, r.base+"/healthz")
	if !gotDeadline {
		t.Error("Ready got a context without deadline; a hung check would hang the probe")
	}
}

func TestSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'",
	}
	mux := http.NewServeMux()
	mux.Handle("GET /page", okHandler())
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	r := start(t, Config{Handler: mux, Logger: testLogger(io.Discard)})
	for _, path := range []string{"/page", "/healthz", "/missing", "/panic"} {
		t.Run(path, func(t *testing.T) {
			res, _ := get(t, r.base+path)
			got := map[string]string{}
			for k := range want {
				got[k] = res.Header.Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headers mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPanicGives500AndServerKeepsServing(t *testing.T) {
	var logs logBuffer
	mux := http.NewServeMux()
	mux.Handle("GET /ok", okHandler())
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "999")
		panic("handler exploded")
	})
	r := start(t, Config{Handler: mux, Logger: testLogger(&logs)})

	for i := range 3 {
		res, _ := get(t, r.base+"/panic")
		if got, want := res.StatusCode, http.StatusInternalServerError; got != want {
			t.Errorf("panic #%d: status = %d, want %d", i, got, want)
		}
		res, body := get(t, r.base+"/ok")
		if res.StatusCode != http.StatusOK || body != "hello" {
			t.Errorf("after panic #%d: GET /ok = %d %q, want 200 \"hello\"", i, res.StatusCode, body)
		}
	}
	if got := strings.Count(logs.String(), "handler exploded"); got != 3 {
		t.Errorf("panic logged %d times, want 3; logs:\n%s", got, logs.String())
	}
}

func TestAccessLog(t *testing.T) {
	for _, tc := range []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
	}{
		{"explicit status", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) }, http.StatusCreated},
		{"body without status", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "x") }, http.StatusOK},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, http.StatusOK},
		{"not found", http.NotFound, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := accessLog(testLogger(&logs), tc.handler)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/some/path?q=1", nil))

			var entry struct {
				Level    string
				Msg      string
				Method   string
				Path     string
				Status   int
				Duration *int64
			}
			if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
				t.Fatalf("decode log line %q: %v", logs.String(), err)
			}
			if entry.Duration == nil {
				t.Errorf("log line has no duration: %s", logs.String())
			}
			entry.Duration = nil
			want := struct {
				Level    string
				Msg      string
				Method   string
				Path     string
				Status   int
				Duration *int64
			}{"DEBUG", "http request", "POST", "/some/path", tc.wantStatus, nil}
			if diff := cmp.Diff(want, entry); diff != "" {
				t.Errorf("log entry mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-release:
		case <-r.Context().Done():
			http.Error(w, "request context canceled", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "finished")
	})
	r := start(t, Config{Handler: mux, Logger: testLogger(io.Discard), ShutdownTimeout: 15 * time.Second})

	type result struct {
		status int
		body   string
		err    error
	}
	results := make(chan result, 1)
	go func() {
		res, err := http.Get(r.base + "/slow")
		if err != nil {
			results <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		results <- result{status: res.StatusCode, body: string(b), err: err}
	}()
	<-started

	stopped := make(chan error, 1)
	go func() { stopped <- r.stop(t) }()

	// Shutdown closes the listener first: once new connections are refused,
	// shutdown is under way while the request is still in flight.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", r.srv.Addr(), time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepting connections 10s after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned while a request was in flight: %v", err)
	default:
	}

	close(release)
	got := <-results
	if got.err != nil {
		t.Fatalf("in-flight request failed: %v", got.err)
	}
	if got.status != http.StatusOK || got.body != "finished" {
		t.Errorf("in-flight request = %d %q, want 200 \"finished\"", got.status, got.body)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run after graceful shutdown = %v, want nil", err)
	}
}

func TestShutdownTimeoutCutsOffStuckRequest(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stuck", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	r := start(t, Config{Handler: mux, Logger: testLogger(io.Discard), ShutdownTimeout: 100 * time.Millisecond})
	go func() {
		res, err := http.Get(r.base + "/stuck")
		if err == nil {
			res.Body.Close()
		}
	}()
	<-started

	began := time.Now()
	err := r.stop(t)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Run took %v to return after cancel, want about the 100ms shutdown timeout", took)
	}
}

func TestOversizedHeadersRejected(t *testing.T) {
	r := start(t, Config{Handler: okHandler(), Logger: testLogger(io.Discard)})
	req, err := http.NewRequest(http.MethodGet, r.base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 2*maxHeaderBytes))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET with large header: %v", err)
	}
	res.Body.Close()
	if got, want := res.StatusCode, http.StatusRequestHeaderFieldsTooLarge; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

func TestRunErrors(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no handler", Config{Addr: "127.0.0.1:0"}, "Handler is required"},
		{"address in use", Config{Addr: taken.Addr().String(), Handler: okHandler()}, "listen on " + taken.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = testLogger(io.Discard)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := New(tc.cfg).Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Run = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg := Config{Handler: okHandler()}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	got := struct {
		Addr            string
		ShutdownTimeout time.Duration
		HasLogger       bool
		HasReady        bool
	}{cfg.Addr, cfg.ShutdownTimeout, cfg.Logger != nil, cfg.Ready != nil}
	want := struct {
		Addr            string
		ShutdownTimeout time.Duration
		HasLogger       bool
		HasReady        bool
	}{":8080", 10 * time.Second, true, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
}
