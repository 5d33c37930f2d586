package ninjs

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

func benchFixtures(b *testing.B) (docs [][]byte, total int) {
	for _, path := range wiretest.Fixtures(b, "ninjs") {
		d := wiretest.Read(b, path)
		docs = append(docs, d)
		total += len(d)
	}
	return docs, total
}

// BenchmarkDecode decodes every ninjs fixture once per iteration.
func BenchmarkDecode(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		for _, d := range docs {
			got, _ := Decode(d, nil)
			items += len(got)
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkTokenScan reads every token of the same fixtures and nothing
// more: the floor BenchmarkDecode is compared with.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := wiretest.JSONTokenScan(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
