package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

const wireKey = "k3y-from-the-environment"

// keyedFeed serves one RSS item to requests that carry the API key header.
func keyedFeed(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != wireKey {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Keyed Wire</title><item><guid>k-1</guid><title>Harbour opens</title><description>Open.</description></item></channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSourceAddAuthListRemove(t *testing.T) {
	feed := keyedFeed(t)
	data := t.TempDir()
	env := envFunc(map[string]string{"WIREDESK_DATA": data, "WIREDESK_LOG_LEVEL": "error", "WIRE_KEY": wireKey})
	cmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, nil, &out, &errOut, env)
		return out.String(), errOut.String(), err
	}
	if _, _, err := cmd("migrate"); err != nil {
		t.Fatal(err)
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"interval under the minimum", []string{"--interval", "4s"}, "minimum of 5s"},
		{"secret env unset", []string{"--auth-kind", "bearer", "--auth-secret-env", "NO_SUCH_VAR"}, "NO_SUCH_VAR"},
		{"no secret env", []string{"--auth-kind", "bearer"}, "secret_env"},
		{"basic without user", []string{"--auth-kind", "basic", "--auth-secret-env", "WIRE_KEY"}, "username"},
		{"header without name", []string{"--auth-kind", "header", "--auth-secret-env", "WIRE_KEY"}, "name"},
		{"unknown kind", []string{"--auth-kind", "cookie", "--auth-secret-env", "WIRE_KEY"}, "cookie"},
	}
	for _, tt := range refused {
		args := append([]string{"source", "add", "--name", "x", "--url", feed.URL, "--allow-private"}, tt.args...)
		if _, _, err := cmd(args...); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: source add error %v, want a usage error naming %q", tt.name, err, tt.want)
		}
	}

	if _, _, err := cmd("source", "add", "--name", "keyed", "--url", feed.URL, "--allow-private", "--agency", "Keyed Wire",
		"--auth-kind", "header", "--auth-name", "X-Api-Key", "--auth-secret-env", "WIRE_KEY"); err != nil {
		t.Fatalf("source add with credentials: %v", err)
	}
	// source test sends the credentials.
	out, errOut, err := cmd("source", "test", "keyed")
	if err != nil || !strings.Contains(out, "Harbour opens") {
		t.Fatalf("source test with credentials: %v, %q / %q", err, out, errOut)
	}
	list, _, err := cmd("source", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{"STATE", "INTERVAL", "ITEMS/DAY", "LAST SUCCESS", "NEXT ATTEMPT", "LAST ERROR", "AUTH", "keyed", "header"} {
		if !strings.Contains(list, col) {
			t.Errorf("source list lacks %q:\n%s", col, list)
		}
	}
	if strings.Contains(list, wireKey) {
		t.Errorf("source list prints the secret:\n%s", list)
	}

	if out, _, err := cmd("source", "remove", "keyed"); err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("source remove: %v, %q", err, out)
	}
	if list, _, _ := cmd("source", "list"); strings.Contains(list, "keyed") {
		t.Errorf("source list after remove still lists it:\n%s", list)
	}
	if _, _, err := cmd("source", "remove", "keyed"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second source remove: %v, want not found", err)
	}
	if _, _, err := cmd("source", "remove"); !errors.Is(err, errUsage) {
		t.Errorf("source remove without a name: %v, want a usage error", err)
	}
}

// Config-file sources take their secret from the environment variable
// they name, and a short interval is refused when the config is read.
func TestConfigSourceAuth(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	os.WriteFile(file, []byte(`{"sources": [{"name": "ap", "url": "https://api.example/feed", "agency": "AP",
		"auth": {"kind": "query", "name": "apikey", "secret_env": "AP_KEY"}}]}`), 0o600)
	f := configFlags{file: file}
	cfg, err := f.load(envFunc(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := dbtest.SQLite(t)
	ctx := context.Background()
	if err := configureSources(ctx, s, cfg.Sources, envFunc(nil)); err == nil || !strings.Contains(err.Error(), "AP_KEY") {
		t.Errorf("configure with AP_KEY unset: %v, want an error naming AP_KEY", err)
	}
	if err := configureSources(ctx, s, cfg.Sources, envFunc(map[string]string{"AP_KEY": "sekret"})); err != nil {
		t.Fatal(err)
	}
	src, err := s.GetSource(ctx, "ap")
	if err != nil {
		t.Fatal(err)
	}
	want := store.SourceAuth{Kind: "query", Name: "apikey", Secret: "sekret"}
	if src.Auth != want || src.Interval != time.Minute {
		t.Errorf("configured source: auth %+v, interval %s; want %+v, 1m", src.Auth, src.Interval, want)
	}
	if src.NextAttemptAt == nil || src.NextAttemptAt.After(time.Now().Add(6*time.Second)) {
		t.Errorf("first attempt %v, want within the first tenth of the interval", src.NextAttemptAt)
	}

	os.WriteFile(file, []byte(`{"sources": [{"name": "fast", "url": "https://x.example/", "interval": "2s"}]}`), 0o600)
	if _, err := f.load(envFunc(nil)); err == nil || !strings.Contains(err.Error(), "minimum") {
		t.Errorf("config with a 2s interval: %v, want a refusal naming the minimum", err)
	}
}

// GET /metrics answers in Prometheus's format with each source's health,
// and never a secret.
func TestServeMetrics(t *testing.T) {
	feed := keyedFeed(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	os.WriteFile(file, []byte(fmt.Sprintf(`{"sources": [{"name": "keyed", "url": %q, "agency": "Keyed Wire", "allow_private": true, "interval": "5s",
		"auth": {"kind": "header", "name": "X-Api-Key", "secret_env": "WIRE_KEY"}}]}`, feed.URL)), 0o600)
	addr := freeAddr(t)
	env := envFunc(map[string]string{"WIREDESK_DATA": dir, "WIREDESK_LOG_LEVEL": "error", "WIRE_KEY": wireKey})
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, nil, &out, &out, env); err != nil {
		t.Fatal(err)
	}
	log := startCommand(t, env, "serve", "--config", file, "--addr", addr)
	deadline := time.Now().Add(15 * time.Second)
	var body string
	for {
		var code int
		code, body = get(t, "http://"+addr+"/metrics")
		if code == http.StatusOK && strings.Contains(body, `wiredesk_source_last_success_timestamp_seconds{source="keyed"}`) &&
			strings.Contains(body, "wiredesk_poll_schedule_lag_seconds_count") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics did not show a polled source within 15s (status %d):\n%s\nlog:\n%s", code, body, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, want := range []string{
		`wiredesk_source_state{source="keyed",state="healthy"} 1`,
		`wiredesk_source_consecutive_failures{source="keyed"} 0`,
		`wiredesk_source_items_ingested_total{source="keyed"} 1`,
		`wiredesk_source_items_last_day{source="keyed"} 1`,
		`wiredesk_poll_duration_seconds_bucket{outcome="ok"`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, wireKey) {
		t.Errorf("/metrics shows the secret")
	}
}
