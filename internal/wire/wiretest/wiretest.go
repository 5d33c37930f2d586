// Package wiretest holds what the decoders' tests share: the path to the
// shared fixtures, golden files of canonical item JSON (rewritten with
// -update), and the raw token scans that decode benchmarks are compared to.
// Only tests import it.
package wiretest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// update is the conventional golden-file flag: `go test ./... -update`.
var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// FixtureDir is the shared wire fixture folder for a format subfolder such
// as "nitf", found next to the repository (<repo>/../shared/fixtures/wire).
func FixtureDir(t testing.TB, sub string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate wiretest source")
	}
	// file is <repo>/internal/wire/wiretest/wiretest.go
	repo := filepath.Join(filepath.Dir(file), "..", "..", "..")
	return filepath.Join(repo, "..", "shared", "fixtures", "wire", sub)
}

// Fixtures lists the files of a fixture subfolder, failing the test when
// there are none (a missing shared/ must not pass silently).
func Fixtures(t testing.TB, sub string) []string {
	t.Helper()
	dir := FixtureDir(t, sub)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read fixtures: %v", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return files
}

// Read returns a file's bytes or fails the test.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Lines renders a decoder's result as golden JSON Lines: one canonical item
// per line with long text fields digested (length, SHA-256, first words),
// then one line per skipped entry, or one error line. Digesting pins every
// byte without keeping a copy of the fixtures' copy in this repository.
func Lines(items []story.Item, err error) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var partial *wire.PartialError
	if err != nil && !errors.As(err, &partial) {
		_ = enc.Encode(map[string]string{"error": err.Error()})
		return buf.Bytes()
	}
	for _, it := range items {
		Digest(&it)
		_ = enc.Encode(it)
	}
	if partial != nil {
		for _, s := range partial.Skipped {
			_ = enc.Encode(map[string]any{"skipped": s.Index, "reason": s.Reason})
		}
	}
	return buf.Bytes()
}

// Digest replaces body_html, body_text and description with their length,
// SHA-256 prefix and first 32 characters.
func Digest(it *story.Item) {
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

// Golden compares got with testdata/golden/<name>.jsonl, or rewrites it
// with -update.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".jsonl")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// GoldenName is a fixture's golden name: its file name without extension.
func GoldenName(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// XMLTokenScan reads every token of an XML document and nothing more: the
// floor a decode benchmark is compared against.
func XMLTokenScan(data []byte) (int, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	n := 0
	for {
		_, err := d.RawToken()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// JSONTokenScan reads every token of a JSON document and nothing more.
func JSONTokenScan(data []byte) (int, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		_, err := d.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
