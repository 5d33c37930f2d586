package rss

import (
	"bytes"
	"testing"

	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// benchFixtures reads every feed fixture once, outside the timed loop.
func benchFixtures(b *testing.B) (docs [][]byte, total int64) {
	b.Helper()
	for _, path := range feedFixtures(b) {
		data := wiretest.Read(b, path)
		docs = append(docs, data)
		total += int64(len(data))
	}
	return docs, total
}

// BenchmarkDecode decodes every feed fixture per iteration (the rejected
// ones included: refusing is work too).
func BenchmarkDecode(b *testing.B) {
	docs, total := benchFixtures(b)
	items := 0
	for _, d := range docs {
		got, _ := Decode(d, nil)
		items += len(got)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			_, _ = Decode(d, nil)
		}
	}
	b.ReportMetric(float64(items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkTokenScan reads the same bytes token by token and nothing more:
// the floor BenchmarkDecode's MB/s compares with.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, d := range docs {
			if t := bytes.TrimSpace(d); len(t) > 0 && t[0] == '{' {
				_, _ = wiretest.JSONTokenScan(d)
			} else {
				_, _ = wiretest.XMLTokenScan(d)
			}
		}
	}
}
