package newsmlg2

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// TestGolden decodes every fixture to canonical JSON Lines and compares
// with testdata/golden/<name>.jsonl; -update rewrites them. The source's
// zone is New Zealand's, as for the one fixture with zone-less dates
// (Scoop); every other date states its offset.
func TestGolden(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range wiretest.Fixtures(t, "newsml-g2") {
		t.Run(wiretest.GoldenName(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, &wire.Options{SHA256: story.SHA256Hex(data), Location: auckland})
			wiretest.Golden(t, wiretest.GoldenName(path), wiretest.Lines(items, err))
		})
	}
}

// FuzzDecode checks that Decode never panics, returns either items or a
// *wire.Error (items with a *wire.PartialError), and that every item has a
// uri and a valid pubstatus.
func FuzzDecode(f *testing.F) {
	for _, path := range wiretest.Fixtures(f, "newsml-g2") {
		f.Add(wiretest.Read(f, path))
	}
	for _, s := range []string{
		g2("g1", `<pubStatus qcode="stat:canceled"/><signal qcode="sig:correction"/><edNote>Eilmeldung</edNote>`, `<headline>H</headline><dateline>X, Jan 1 (AP) -</dateline><subject type="cpnat:person" qcode="p:1"><name>P</name></subject>`, `<inlineXML contenttype="application/xhtml+xml"><html><body><p>a
    b</p></body></html></inlineXML>`),
		g2("g2", ``, ``, `<inlineXML><nitf><body><body.content><p>x</p></body.content></body></nitf></inlineXML>`),
		g2("g3", ``, ``, `<inlineData>plain

text</inlineData>`),
		`<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet><packageItem/><newsItem guid="a"/></itemSet></newsMessage>`,
		billionLaughs("newsItem"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Decode(data, nil)
		var we *wire.Error
		var pe *wire.PartialError
		switch {
		case err == nil, errors.As(err, &pe):
		case errors.As(err, &we):
			if len(items) > 0 {
				t.Errorf("Decode returned %d items with error %v", len(items), err)
			}
		default:
			t.Errorf("Decode error %T %v is not a *wire.Error", err, err)
		}
		for i, it := range items {
			if strings.TrimSpace(it.URI) == "" {
				t.Errorf("item %d has an empty uri", i)
			}
			switch it.PubStatus {
			case story.Usable, story.Withheld, story.Canceled:
			default:
				t.Errorf("item %d has pubstatus %q", i, it.PubStatus)
			}
		}
	})
}

// benchFixtures returns every fixture's bytes and their total size.
func benchFixtures(b *testing.B) ([][]byte, int) {
	var docs [][]byte
	total := 0
	for _, path := range wiretest.Fixtures(b, "newsml-g2") {
		data := wiretest.Read(b, path)
		docs = append(docs, data)
		total += len(data)
	}
	return docs, total
}

func BenchmarkDecode(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		for _, data := range docs {
			its, err := Decode(data, nil)
			var pe *wire.PartialError
			if err != nil && !errors.As(err, &pe) {
				b.Fatal(err)
			}
			items += len(its)
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkTokenScan reads the same bytes token by token and nothing more:
// the floor Decode is compared with.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := benchFixtures(b)
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range docs {
			if _, err := wiretest.XMLTokenScan(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))); err != nil {
				b.Fatal(err)
			}
		}
	}
}
