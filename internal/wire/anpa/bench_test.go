package anpa

import (
	"bytes"
	"testing"

	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

func benchFixtures(b *testing.B) ([][]byte, int64) {
	b.Helper()
	var docs [][]byte
	var total int64
	for _, path := range fixturePaths(b) {
		d := wiretest.Read(b, path)
		docs = append(docs, d)
		total += int64(len(d))
	}
	return docs, total
}

// BenchmarkDecode decodes every fixture once per iteration.
func BenchmarkDecode(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(total)
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		for _, d := range docs {
			its, err := Decode(d, nil)
			if err != nil {
				b.Fatal(err)
			}
			items += len(its)
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkTokenScan is the floor Decode is compared with. wiretest's XML
// and JSON scans stop at the first control character of a plain-text
// wire, so the floor here is the equivalent raw scan for this format:
// every control character and line end of the same bytes, nothing more.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, d := range docs {
			n += controlScan(d)
		}
		if n == 0 {
			b.Fatal("no tokens")
		}
	}
}

// controlScan counts the framing tokens of a plain-text wire: control
// characters and lines.
func controlScan(d []byte) int {
	n := 0
	for len(d) > 0 {
		i := bytes.IndexFunc(d, func(r rune) bool { return r < 0x20 })
		if i < 0 {
			return n + 1
		}
		n++
		d = d[i+1:]
	}
	return n
}
