package apmedia

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// fixtureOptions are the options every fixture is decoded with: the
// configured agency shows where a payload names none.
func fixtureOptions(data []byte) *wire.Options {
	return &wire.Options{Agency: "Configured Agency", SHA256: story.SHA256Hex(data)}
}

// fixtures lists this package's shared fixture files.
func fixtures(t testing.TB) []string {
	t.Helper()
	return []string{wiretest.FixtureDir(t, "ap") + "/ap_media_text_feed.json", wiretest.FixtureDir(t, "ap") + "/ap_media_text_item.json"}
}

// TestGolden pins the canonical items of every fixture; run with -update
// to rewrite testdata/golden after checking the change by eye.
func TestGolden(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(wiretest.GoldenName(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, fixtureOptions(data))
			wiretest.Golden(t, wiretest.GoldenName(path), wiretest.Lines(items, err))
		})
	}
}
