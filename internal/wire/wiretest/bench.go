package wiretest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// ReadAll reads every file once, outside a benchmark's timed loop, and
// returns their bytes and total size.
func ReadAll(t testing.TB, paths []string) (docs [][]byte, total int64) {
	t.Helper()
	for _, path := range paths {
		d := Read(t, path)
		docs = append(docs, d)
		total += int64(len(d))
	}
	return docs, total
}

// BenchDecode decodes every doc once per iteration and reports items/s
// beside MB/s. Errors are not failures here (refusing is work too); a
// package whose fixtures must all decode checks that inside decode.
func BenchDecode(b *testing.B, docs [][]byte, total int64, decode func([]byte) ([]story.Item, error)) {
	b.SetBytes(total)
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		for _, d := range docs {
			got, _ := decode(d)
			items += len(got)
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchTokenScan runs scan over every doc once per iteration: the floor a
// decode benchmark is compared with. A scan error, or no token at all, fails
// the benchmark, since a floor measured on nothing is no floor.
func BenchTokenScan(b *testing.B, docs [][]byte, total int64, scan func([]byte) (int, error)) {
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, d := range docs {
			c, err := scan(d)
			if err != nil {
				b.Fatal(err)
			}
			n += c
		}
		if n == 0 {
			b.Fatal("no tokens")
		}
	}
}

// ControlScan counts the framing tokens of a plain-text wire (control
// characters and line ends) and nothing more. XMLTokenScan and
// JSONTokenScan stop at the first control character of such a wire, so
// this is the equivalent raw scan for ANPA 1312 and IPTC 7901. It never
// fails; the error is there to fit BenchTokenScan.
func ControlScan(d []byte) (int, error) {
	n := 0
	for len(d) > 0 {
		i := bytes.IndexFunc(d, func(r rune) bool { return r < 0x20 })
		if i < 0 {
			return n + 1, nil
		}
		n++
		d = d[i+1:]
	}
	return n, nil
}

// CheckDecoded checks the properties every decoder keeps whatever its
// input, for fuzz targets: the error is nil, a *wire.PartialError, or a
// *wire.Error with no items; and every item has a uri and a valid
// pubstatus.
func CheckDecoded(t *testing.T, items []story.Item, err error) {
	t.Helper()
	var partial *wire.PartialError
	if err != nil && !errors.As(err, &partial) {
		var we *wire.Error
		if !errors.As(err, &we) {
			t.Fatalf("error %v is a %T, want *wire.Error", err, err)
		}
		if len(items) != 0 {
			t.Fatalf("%d items returned with error %v", len(items), err)
		}
		return
	}
	for i, it := range items {
		if it.URI == "" {
			t.Fatalf("item %d has no uri", i)
		}
		switch it.PubStatus {
		case story.Usable, story.Withheld, story.Canceled:
		default:
			t.Fatalf("item %d (%q) has pubstatus %q", i, it.URI, it.PubStatus)
		}
	}
}
