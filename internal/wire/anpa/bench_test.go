package anpa

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// BenchmarkDecode decodes every fixture once per iteration; every fixture
// must decode.
func BenchmarkDecode(b *testing.B) {
	docs, total := wiretest.ReadAll(b, fixturePaths(b))
	wiretest.BenchDecode(b, docs, total, func(d []byte) ([]story.Item, error) {
		items, err := Decode(d, nil)
		if err != nil {
			b.Fatal(err)
		}
		return items, nil
	})
}

// BenchmarkTokenScan is the floor Decode is compared with: the XML and
// JSON scans stop at the first control character of a plain-text wire, so
// the floor here is the raw scan of its control characters and line ends.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := wiretest.ReadAll(b, fixturePaths(b))
	wiretest.BenchTokenScan(b, docs, total, wiretest.ControlScan)
}
