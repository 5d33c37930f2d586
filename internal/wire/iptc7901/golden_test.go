package iptc7901

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// TestGolden decodes every fixture to canonical JSON Lines and compares
// with testdata/golden/<name>.jsonl; -update rewrites them. dpa dates
// without a zone are read in Berlin time, as a dpa source is configured.
func TestGolden(t *testing.T) {
	for _, path := range fixturePaths(t) {
		name := wiretest.GoldenName(path)
		t.Run(name, func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, &wire.Options{Location: berlin(t), SHA256: story.SHA256Hex(data)})
			wiretest.Golden(t, name, wiretest.Lines(items, err))
		})
	}
}
