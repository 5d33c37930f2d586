package rss

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixtureRoot is the shared fixture tree, which sits next to the repository
// (<repo root>/../shared), three levels above this package.
const fixtureRoot = "../../../../shared/fixtures/wire"

// feedFixtures lists every fixture file this package is responsible for.
func feedFixtures(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"rss", "atom", "jsonfeed"} {
		entries, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
		if err != nil {
			t.Fatalf("read fixtures: %v", err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(fixtureRoot, dir, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	return files
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// canonicalLines renders what Decode returned as JSON Lines: one canonical
// item JSON per line, then one line per skipped entry, or a single error
// line.
func canonicalLines(t *testing.T, items []story.Item, err error) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var partial *wire.PartialError
	if err != nil && !errors.As(err, &partial) {
		if encErr := enc.Encode(map[string]string{"error": err.Error()}); encErr != nil {
			t.Fatal(encErr)
		}
		return buf.Bytes()
	}
	for _, it := range items {
		digestBodies(&it)
		if encErr := enc.Encode(it); encErr != nil {
			t.Fatal(encErr)
		}
	}
	if partial != nil {
		for _, s := range partial.Skipped {
			if encErr := enc.Encode(map[string]any{"skipped": s.Index, "reason": s.Reason}); encErr != nil {
				t.Fatal(encErr)
			}
		}
	}
	return buf.Bytes()
}

// TestDecodeGolden decodes every feed fixture to canonical JSON Lines and
// compares with testdata/golden/<name>.jsonl; -update rewrites them.
func TestDecodeGolden(t *testing.T) {
	for _, path := range feedFixtures(t) {
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, path)
			items, err := Decode(data, &wire.Options{SHA256: story.SHA256Hex(data)})
			got := canonicalLines(t, items, err)
			golden := filepath.Join("testdata", "golden", name+".jsonl")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Decode(%s) mismatch (-want +got):\n%s", path, diff)
			}
		})
	}
}

// digestBodies replaces the long text fields with their length, SHA-256 and
// first words: the goldens pin every byte of them without keeping a copy of
// the fixtures' copy in this repository (the fixtures stay in shared/).
func digestBodies(it *story.Item) {
	for _, f := range []*string{&it.BodyHTML, &it.BodyText, &it.Description} {
		if *f == "" {
			continue
		}
		head := []rune(*f)
		if len(head) > 32 {
			head = head[:32]
		}
		*f = fmt.Sprintf("%d bytes, sha256 %s, begins %q", len(*f), story.SHA256Hex([]byte(*f))[:16], string(head))
	}
}
