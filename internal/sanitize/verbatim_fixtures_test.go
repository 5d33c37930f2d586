package sanitize_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/wire/rss"
)

// fixtureRoot is the shared fixture tree next to the repository
// (<repo root>/../shared), two levels above this package.
const fixtureRoot = "../../../shared/fixtures/wire"

// TestVerbatimFixtures sanitizes the body and summary of every entry of
// every feed fixture, as read by the rss decoder, and checks that no visible
// word changed.
func TestVerbatimFixtures(t *testing.T) {
	p := sanitize.New()
	checked := 0
	for _, dir := range []string{"rss", "atom", "jsonfeed"} {
		files, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
		if err != nil {
			t.Fatalf("read fixtures: %v", err)
		}
		for _, f := range files {
			path := filepath.Join(fixtureRoot, dir, f.Name())
			t.Run(dir+"/"+f.Name(), func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				feed, err := rss.Parse(data)
				if err != nil {
					t.Skipf("not a feed the decoder reads (%v); its rejection is tested in rss", err)
				}
				for i, e := range feed.Entries {
					for _, src := range []string{e.Content, e.Summary} {
						if src == "" {
							continue
						}
						checked++
						if err := sanitize.VerbatimCheck(src, p.HTML(src)); err != nil {
							t.Errorf("entry %d: %v", i, err)
						}
					}
				}
			})
		}
	}
	if checked < 200 {
		t.Errorf("checked %d bodies, want at least 200: are the fixtures there?", checked)
	}
}
