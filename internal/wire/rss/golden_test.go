package rss

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// feedFixtures lists every fixture file this package is responsible for:
// the shared rss/, atom/ and jsonfeed/ folders.
func feedFixtures(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"rss", "atom", "jsonfeed"} {
		files = append(files, wiretest.Fixtures(t, dir)...)
	}
	return files
}

// TestGolden decodes every feed fixture to canonical JSON Lines and compares
// with testdata/golden/<name>.jsonl; -update rewrites them.
func TestGolden(t *testing.T) {
	for _, path := range feedFixtures(t) {
		name := wiretest.GoldenName(path)
		t.Run(name, func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, &wire.Options{SHA256: story.SHA256Hex(data)})
			wiretest.Golden(t, name, wiretest.Lines(items, err))
		})
	}
}
