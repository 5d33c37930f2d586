package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const fixtures = "../../../shared/fixtures/wire"

// The canonical item JSON keys; anything else printed by parse is a bug.
var canonicalKeys = map[string]bool{
	"uri": true, "version": true, "pubstatus": true, "signals": true, "type": true,
	"firstcreated": true, "versioncreated": true, "embargoed": true, "urgency": true,
	"language": true, "headline": true, "slugline": true, "byline": true, "dateline": true,
	"ednote": true, "description": true, "body_html": true, "body_text": true, "wordcount": true,
	"subjects": true, "places": true, "people": true, "organisations": true, "keywords": true,
	"copyright": true, "usageterms": true, "source": true,
}

func TestParsePrintsCanonicalJSONLines(t *testing.T) {
	files := []string{
		filepath.Join(fixtures, "rss/guardian_us.xml"),
		filepath.Join(fixtures, "atom/heise_developer.atom"),
		filepath.Join(fixtures, "jsonfeed/daringfireball_1.0.json"),
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{"parse"}, files...), nil, &out, &errOut, envFunc(nil)); err != nil {
		t.Fatalf("parse: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("parse printed %d lines, want items from 3 feeds", len(lines))
	}
	formats := map[string]bool{}
	for i, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		for k := range obj {
			if !canonicalKeys[k] {
				t.Errorf("line %d has key %q outside the canonical set", i+1, k)
			}
		}
		if obj["uri"] == "" || obj["pubstatus"] != "usable" {
			t.Errorf("line %d: uri %v pubstatus %v", i+1, obj["uri"], obj["pubstatus"])
		}
		src, _ := obj["source"].(map[string]any)
		if sha, _ := src["sha256"].(string); len(sha) != 64 {
			t.Errorf("line %d: source.sha256 = %q, want 64 hex digits", i+1, sha)
		}
		formats[src["format"].(string)] = true
	}
	if diff := cmp.Diff(map[string]bool{"rss": true, "atom": true, "jsonfeed": true}, formats); diff != "" {
		t.Errorf("formats seen (-want +got):\n%s", diff)
	}
}

func TestParseGoesOnPastABadFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "page.html")
	os.WriteFile(bad, []byte("<!DOCTYPE html><html><body>moved</body></html>"), 0o600)
	good := filepath.Join(fixtures, "rss/guardian_us.xml")
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"parse", bad, good}, nil, &out, &errOut, envFunc(nil))
	if !errors.Is(err, errSomeFailed) {
		t.Errorf("error = %v, want errSomeFailed", err)
	}
	if !strings.Contains(errOut.String(), "page.html") || !strings.Contains(errOut.String(), "HTML") {
		t.Errorf("stderr does not name the bad file and why: %q", errOut.String())
	}
	if out.Len() == 0 {
		t.Error("the good file after the bad one printed nothing")
	}
}

func TestIngestFolderTwice(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	for _, name := range []string{"rss/guardian_us.xml", "atom/heise_developer.atom"} {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(in, filepath.Base(name)), b, 0o600)
	}
	os.WriteFile(filepath.Join(in, "z-broken.xml"), []byte(`<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut`), 0o600)
	env := envFunc(map[string]string{"WIREDESK_DATA": filepath.Join(dir, "data"), "WIREDESK_LOG_LEVEL": "error"})

	var first, second bytes.Buffer
	err := run(context.Background(), []string{"ingest", in}, nil, &first, &first, env)
	if !errors.Is(err, errSomeFailed) {
		t.Fatalf("ingest with a broken file: error %v, want errSomeFailed\n%s", err, first.String())
	}
	lines := strings.Split(strings.TrimSpace(first.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("ingest printed %d lines, want one per file:\n%s", len(lines), first.String())
	}
	if !strings.Contains(lines[0], "guardian_us.xml: rss:") || !strings.Contains(lines[0], " new,") {
		t.Errorf("line 1 = %q", lines[0])
	}
	if !strings.Contains(lines[2], "z-broken.xml: error:") {
		t.Errorf("line 3 = %q, want the broken file's error", lines[2])
	}
	run(context.Background(), []string{"ingest", in}, nil, &second, &second, env)
	for _, l := range strings.Split(strings.TrimSpace(second.String()), "\n")[:2] {
		if !strings.Contains(l, " 0 new, 0 updated") {
			t.Errorf("second ingest changed something: %q", l)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(file, []byte(`{"addr": ":7000", "data": "/from/file", "log_level": "warn", "poll_scan": "3s"}`), 0o600)
	f := configFlags{file: file, data: "/from/flag"}
	got, err := f.load(envFunc(map[string]string{"WIREDESK_ADDR": ":7001", "WIREDESK_DATA": "/from/env"}))
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig()
	want.Addr, want.Data, want.LogLevel, want.PollScan = ":7001", "/from/flag", "warn", Duration(3*time.Second)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{`{"adr": ":1"}`, "unknown field"},
		{`{"log_level": "loud"}`, "log_level"},
		{`{"database_url": "mysql://x"}`, "database_url"},
		{`{"provenance": "No agency named"}`, "provenance"},
		{`{"sources": [{"name": "a"}]}`, "sources[0]"},
		{`{"poll_scan": "soon"}`, "duration"},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "c.json")
		os.WriteFile(file, []byte(tt.file), 0o600)
		f := configFlags{file: file}
		_, err := f.load(envFunc(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("config %s: error %v, want one naming %q", tt.file, err, tt.want)
		}
	}
}

// A document over the decoders' bound is refused by size, before it is read.
func TestParseRefusesHugeFileUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.xml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse 100 MB file: its size is real, its bytes cost no disk.
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"parse", path}, nil, &out, &errOut, envFunc(nil))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errSomeFailed) || !strings.Contains(errOut.String(), "over the 64 MiB limit") {
		t.Fatalf("parse of a 100 MB file: error %v, stderr %q; want a refusal naming the limit", err, errOut.String())
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("refusing the file allocated %d MB", grew>>20)
	}
}

func TestSourceCommands(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Test Wire</title><item><guid>t-1</guid><title>Bridge reopens</title><description>&lt;p&gt;The bridge reopened.&lt;/p&gt;</description></item></channel></rss>`)
	}))
	defer feed.Close()
	data := t.TempDir()
	env := envFunc(map[string]string{"WIREDESK_DATA": data, "WIREDESK_LOG_LEVEL": "error"})
	cmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, nil, &out, &errOut, env)
		return out.String(), errOut.String(), err
	}
	if _, _, err := cmd("migrate"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cmd("source", "add", "--name", "bad", "--url", feed.URL, "--format", "telex"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "newsml-g2") {
		t.Errorf("source add --format telex: %v, want a usage error listing the formats", err)
	}
	if _, _, err := cmd("source", "add", "--name", "wire", "--url", feed.URL+"/?key=secret", "--allow-private", "--agency", "Test Wire"); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := cmd("source", "test", "wire")
	if err != nil {
		t.Fatalf("source test: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"headline":"Bridge reopens"`) || !strings.Contains(errOut, "nothing stored") {
		t.Errorf("source test printed %q / %q, want the decoded item and a note that nothing was stored", out, errOut)
	}
	if _, _, err := cmd("source", "pause", "wire"); err != nil {
		t.Fatal(err)
	}
	list, _, _ := cmd("source", "list")
	if !strings.Contains(list, "(paused)") || strings.Contains(list, "secret") {
		t.Errorf("source list after pause = %q, want the source paused and its URL's key redacted", list)
	}
	cmd("source", "resume", "wire")
	if list, _, _ := cmd("source", "list"); strings.Contains(list, "(paused)") {
		t.Errorf("source list after resume still paused: %q", list)
	}
	if _, errOut, err := cmd("source", "test", "nosuch"); err == nil {
		t.Errorf("source test of an unknown source: no error (%s)", errOut)
	}
	// source test stored nothing.
	b, err := openBackend(context.Background(), Config{Data: data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.store.Close()
	if n, _ := b.store.CountStories(context.Background()); n != 0 {
		t.Errorf("source test stored %d stories, want 0", n)
	}
}
