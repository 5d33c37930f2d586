package corpus_test

import (
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/corpus"
	"github.com/wiredesk/wiredesk/internal/decode"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// roundTrip is what must survive writing an item and decoding it again.
type roundTrip struct {
	Format, Agency, URI, Version, Headline, Language string
	PubStatus                                        story.PubStatus
	Signals                                          []string
	Embargoed                                        string
	Words                                            []string
}

func roundTripOf(it *story.Item) roundTrip {
	rt := roundTrip{
		Format: it.Source.Format, Agency: it.Source.Agency, URI: it.URI, Version: it.Version,
		Headline: it.Headline, Language: it.Language, PubStatus: it.PubStatus, Signals: it.Signals,
		Words: strings.Fields(it.BodyText),
	}
	if it.Embargoed != nil {
		rt.Embargoed = it.Embargoed.UTC().Format(time.RFC3339)
	}
	return rt
}

// TestEveryDocumentDecodes writes 200 deliveries in each format (more
// updates, corrections, kills and embargoes than usual, and stories spaced
// out, so that every kind of delivery is among them) and decodes every one
// with internal/decode: one item each, with the id, version, status,
// signals, headline, language, embargo, agency and every word of the body
// as written.
func TestEveryDocumentDecodes(t *testing.T) {
	mix := corpus.Mix{Updated: 0.5, Corrected: 0.2, Killed: 0.2, Embargoed: 0.2, Duplicated: 0.2, OutOfOrder: 0.3}
	for _, format := range corpus.Formats() {
		t.Run(format, func(t *testing.T) {
			kinds := map[corpus.Kind]int{}
			err := corpus.New(corpus.Config{Seed: 7, Items: 200, Formats: []string{format}, Mix: &mix, StoryGap: 10 * time.Minute}).Each(func(d *corpus.Delivery) error {
				kinds[d.Kind]++
				if d.Format != format {
					t.Errorf("delivery %d: format %q, want %q", d.Seq, d.Format, format)
				}
				res, err := decode.Decode(d.Body, &wire.Options{})
				if err != nil {
					t.Errorf("delivery %d (%s) does not decode: %v\n%s", d.Seq, d.Kind, err, d.Body)
					return nil
				}
				if res.Format != format || len(res.Items) != 1 || len(res.Skipped) != 0 {
					t.Errorf("delivery %d decoded as %q, %d items, skipped %v; want %q, 1 item", d.Seq, res.Format, len(res.Items), res.Skipped, format)
					return nil
				}
				if diff := cmp.Diff(roundTripOf(d.Item), roundTripOf(&res.Items[0])); diff != "" {
					t.Errorf("delivery %d (%s) round trip (-written +decoded):\n%s", d.Seq, d.Kind, diff)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []corpus.Kind{corpus.First, corpus.Update, corpus.Correction, corpus.Duplicate}
			if format != corpus.FormatRSS {
				want = append(want, corpus.Kill)
			}
			for _, k := range want {
				if kinds[k] == 0 {
					t.Errorf("no %s delivery among 200: %v", k, kinds)
				}
			}
		})
	}
}

func digest(t *testing.T, cfg corpus.Config) [32]byte {
	t.Helper()
	h := sha256.New()
	if err := corpus.New(cfg).Each(func(d *corpus.Delivery) error {
		h.Write(d.Body)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func TestSameSeedSameBytes(t *testing.T) {
	a := digest(t, corpus.Config{Seed: 42, Items: 500})
	if b := digest(t, corpus.Config{Seed: 42, Items: 500}); a != b {
		t.Error("two runs with seed 42 wrote different bytes")
	}
	if c := digest(t, corpus.Config{Seed: 43, Items: 500}); a == c {
		t.Error("seeds 42 and 43 wrote the same bytes")
	}
}

// TestArrivalOrderAndMix generates a day's worth of traffic with the
// default mix and checks that it is what the package says: exactly Items
// deliveries in arrival order, versions numbered up from 1, every kind of
// event present in about its share, several agencies and languages, and
// bodies with agency copy's spread of lengths.
func TestArrivalOrderAndMix(t *testing.T) {
	const items = 5000
	var (
		n         int
		last      time.Time
		kinds     = map[corpus.Kind]int{}
		formats   = map[string]int{}
		agencies  = map[string]bool{}
		languages = map[string]bool{}
		late      int
		embargoed int
		words     []int
		firsts    = map[int]*corpus.Delivery{}
	)
	err := corpus.New(corpus.Config{Seed: 1, Items: items}).Each(func(d *corpus.Delivery) error {
		if d.Seq != n {
			t.Fatalf("delivery %d has Seq %d", n, d.Seq)
		}
		n++
		if d.Arrival.Before(last) {
			t.Errorf("delivery %d arrives at %s, before the one ahead of it (%s)", d.Seq, d.Arrival, last)
		}
		last = d.Arrival
		kinds[d.Kind]++
		formats[d.Format]++
		agencies[d.Item.Source.Agency] = true
		languages[d.Item.Language] = true
		if d.Late {
			late++
		}
		if d.Item.Embargoed != nil {
			embargoed++
			if !d.Item.Embargoed.After(*d.Item.VersionCreated) {
				t.Errorf("delivery %d is embargoed until %s, not after it was written (%s)", d.Seq, d.Item.Embargoed, d.Item.VersionCreated)
			}
		}
		if d.Kind == corpus.Kill && (d.Item.PubStatus != story.Canceled || d.Format == corpus.FormatRSS) {
			t.Errorf("kill delivery %d: status %q in %s", d.Seq, d.Item.PubStatus, d.Format)
		}
		switch d.Kind {
		case corpus.First, corpus.Duplicate:
			words = append(words, *orZero(d.Item.WordCount, len(strings.Fields(d.Item.BodyText))))
			firsts[d.Story] = d
		}
		// A duplicate is numbered right after the story it rewrites.
		if d.Kind == corpus.Duplicate {
			if orig, ok := firsts[d.Story-1]; ok {
				if orig.Item.URI == d.Item.URI || orig.Item.Language != d.Item.Language {
					t.Errorf("duplicate %d: uri %q lang %q, the original's %q %q", d.Seq, d.Item.URI, d.Item.Language, orig.Item.URI, orig.Item.Language)
				}
				if n := wordsChanged(orig.Item.BodyText, d.Item.BodyText); n < 1 || n > 8 {
					t.Errorf("duplicate %d has %d words changed from the original; want a few (1 to 8)", d.Seq, n)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != items {
		t.Fatalf("Each yielded %d deliveries, want %d", n, items)
	}
	share := func(k corpus.Kind) float64 { return float64(kinds[k]) / items }
	for _, c := range []struct {
		what     string
		got      float64
		min, max float64
	}{
		{"first versions", share(corpus.First), 0.55, 0.85},
		{"updates", share(corpus.Update), 0.1, 0.35},
		{"corrections", share(corpus.Correction), 0.01, 0.07},
		{"kills", share(corpus.Kill), 0.001, 0.02},
		{"duplicates", share(corpus.Duplicate), 0.02, 0.1},
		{"late versions", float64(late) / items, 0.005, 0.06},
		{"embargoed", float64(embargoed) / items, 0.003, 0.04},
	} {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: %.3f of deliveries, want between %.3f and %.3f (%v)", c.what, c.got, c.min, c.max, kinds)
		}
	}
	for _, f := range corpus.Formats() {
		if formats[f] < items/8 {
			t.Errorf("format %s: %d deliveries of %d", f, formats[f], items)
		}
	}
	if len(agencies) < 8 || len(languages) < 4 {
		t.Errorf("%d agencies, languages %v; want 8 agencies and 4 languages", len(agencies), languages)
	}
	slices.Sort(words)
	median, p99 := words[len(words)/2], words[len(words)*99/100]
	if words[0] < 150 || median < 300 || median > 700 || p99 < 1500 || words[len(words)-1] > 4000 {
		t.Errorf("body words: min %d, median %d, p99 %d, max %d; want 150 at least, a median of 300-700, some over 1,500, none over 4,000",
			words[0], median, p99, words[len(words)-1])
	}
}

func orZero(p *int, fallback int) *int {
	if p == nil {
		return &fallback
	}
	return p
}

// wordsChanged counts the positions where two texts of as many words
// differ; texts of different lengths count as all changed.
func wordsChanged(a, b string) int {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) {
		return max(len(fa), len(fb))
	}
	n := 0
	for i := range fa {
		if fa[i] != fb[i] {
			n++
		}
	}
	return n
}

func TestEachStopsAtFirstError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := corpus.New(corpus.Config{Items: 100}).Each(func(*corpus.Delivery) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Each returned %v after %d deliveries; want the callback's error after 3", err, n)
	}
}

func TestInvalidConfig(t *testing.T) {
	for _, cfg := range []corpus.Config{
		{Formats: []string{"anpa"}},
		{Items: -1},
		{Mix: &corpus.Mix{Killed: 2}},
	} {
		if err := corpus.New(cfg).Each(func(*corpus.Delivery) error { return nil }); err == nil {
			t.Errorf("config %+v: no error", cfg)
		}
	}
}

func TestRenderRefusesItemWithoutID(t *testing.T) {
	for _, f := range corpus.Formats() {
		if _, err := corpus.Render(f, &story.Item{Headline: "x"}); err == nil {
			t.Errorf("%s: rendered an item without a uri", f)
		}
	}
	if _, err := corpus.Render("iptc7901", &story.Item{URI: "x"}); err == nil {
		t.Error("rendered an unknown format")
	}
}

// BenchmarkEach is the cost of generating deliveries, which the benchmarks
// built on the corpus pay besides what they measure.
func BenchmarkEach(b *testing.B) {
	var bytes int64
	err := corpus.New(corpus.Config{Items: b.N}).Each(func(d *corpus.Delivery) error {
		bytes += int64(len(d.Body))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(bytes / int64(max(b.N, 1)))
}
