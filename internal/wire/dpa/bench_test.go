package dpa

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// BenchmarkDecode decodes every fixture once per iteration.
func BenchmarkDecode(b *testing.B) {
	docs, total := wiretest.ReadAll(b, fixtures(b))
	wiretest.BenchDecode(b, docs, total, func(d []byte) ([]story.Item, error) { return Decode(d, nil) })
}

// BenchmarkTokenScan reads every token of the same fixtures and nothing
// more: the floor BenchmarkDecode is compared with.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := wiretest.ReadAll(b, fixtures(b))
	wiretest.BenchTokenScan(b, docs, total, wiretest.JSONTokenScan)
}
