package iptc7901

import (
	"bytes"
	"errors"
	"github.com/wiredesk/wiredesk/internal/wire/ctlframe"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// The fixtures of this format in the shared "anpa" folder (which also
// holds ANPA 1312).
var fixtureNames = [...]string{"dpa_eil_flash.iptc", "dpa_iptc7901_merkel.txt"}

func fixturePaths(t testing.TB) []string {
	t.Helper()
	dir := wiretest.FixtureDir(t, "anpa")
	var paths []string
	for _, n := range fixtureNames {
		paths = append(paths, filepath.Join(dir, n))
	}
	return paths
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	return wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "anpa"), name))
}

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func timeOf(t testing.TB, s string) *time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

func intp(n int) *int { return &n }

// facts is the part of an item the fixture table checks; the goldens pin
// down the rest.
type facts struct {
	PubStatus      story.PubStatus
	Signals        []string
	Type           string
	FirstCreated   *time.Time
	VersionCreated *time.Time
	Urgency        *int
	Headline       string
	Slugline       string
	Byline         string
	Dateline       *story.Dateline
	WordCount      *int
	Subjects       []story.Entity
	Keywords       []string
	Agency         string
	Format         string
}

func factsOf(it *story.Item) facts {
	return facts{
		PubStatus: it.PubStatus, Signals: it.Signals, Type: it.Type,
		FirstCreated: it.FirstCreated, VersionCreated: it.VersionCreated, Urgency: it.Urgency,
		Headline: it.Headline, Slugline: it.Slugline, Byline: it.Byline, Dateline: it.Dateline,
		WordCount: it.WordCount, Subjects: it.Subjects, Keywords: it.Keywords,
		Agency: it.Source.Agency, Format: it.Source.Format,
	}
}

// TestFixtures checks what EXPECTED.md states for each fixture (mapped to
// our keys) and what MANIFEST.md says makes it hard.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name          string
		file          string
		loc           *time.Location
		want          facts
		bodyPrefix    string
		ednoteHas     []string
		notInHeadline []string
	}{
		// IPTC7901FeedParser / DPAIPTC7901FeedParser: category i, 211
		// words, slugline Germany-politics, priority 4, the " =" stripped
		// (DPA parser), dateline Berlin/dpa. The notepad after "# dpa
		// NOTEBOOK" is the ednote, not body.
		{"merkel", "dpa_iptc7901_merkel.txt", nil, facts{
			PubStatus: story.Usable, Type: "text",
			FirstCreated: timeOf(t, "2013-11-13T11:37:00Z"), VersionCreated: timeOf(t, "2013-11-13T11:37:00Z"),
			Urgency:  intp(4),
			Headline: "Germany Social Democrats: Coalition talks with Merkel could fail",
			Slugline: "Germany-politics", Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"},
			WordCount: intp(211), Subjects: []story.Entity{{Code: "i", Scheme: "iptc7901-category"}},
			Keywords: []string{"Germany-politics"}, Agency: "dpa", Format: Format,
		}, "<p>Berlin (dpa) - Negotiations between German conservatives", []string{"## dpa Contacts", "The following information is not for publication"}, nil},
		// MANIFEST: priority 2, '(Eil' + five BELs after STX, CRLF,
		// ETX/DEL/EOT trailer, UTF-8 umlauts. EXPECTED (eil triplet):
		// category pl, 41 words, slug Partei/Deutschland/Grüne/, headline
		// as in the G2 and digitalwires copies, urgency 2, versionCreated
		// 2024-09-25T10:37(:24)+02:00 (the date line has no zone: read in
		// the source's zone, Berlin here).
		{"eil flash, Berlin", "dpa_eil_flash.iptc", berlin(t), facts{
			PubStatus: story.Usable, Signals: []string{"flash"}, Type: "text",
			FirstCreated: timeOf(t, "2024-09-25T10:37:00+02:00"), VersionCreated: timeOf(t, "2024-09-25T10:37:00+02:00"),
			Urgency:  intp(2),
			Headline: "Grünen-Spitze tritt nach Wahlniederlagen ab",
			Slugline: "Partei/Deutschland/Grüne", Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"},
			WordCount: intp(41), Subjects: []story.Entity{{Code: "pl", Scheme: "iptc7901-category"}},
			Keywords: []string{"Partei", "Deutschland", "Grüne"}, Agency: "dpa", Format: Format,
		}, "<p>Berlin (dpa) - Die Grünen-Spitze zieht nach den Misserfolgen der Partei", []string{"# Notizblock", "- dpa-Eilmeldung"}, []string{"Eil", "="}},
		// Without a configured zone, the zone-less date is UTC.
		{"eil flash, no zone", "dpa_eil_flash.iptc", nil, facts{
			PubStatus: story.Usable, Signals: []string{"flash"}, Type: "text",
			FirstCreated: timeOf(t, "2024-09-25T10:37:00Z"), VersionCreated: timeOf(t, "2024-09-25T10:37:00Z"),
			Urgency:  intp(2),
			Headline: "Grünen-Spitze tritt nach Wahlniederlagen ab",
			Slugline: "Partei/Deutschland/Grüne", Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"},
			WordCount: intp(41), Subjects: []story.Entity{{Code: "pl", Scheme: "iptc7901-category"}},
			Keywords: []string{"Partei", "Deutschland", "Grüne"}, Agency: "dpa", Format: Format,
		}, "<p>Berlin (dpa) - Die", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFixture(t, tt.file)
			items, err := Decode(data, &wire.Options{Location: tt.loc, SHA256: "abc"})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(items) != 1 {
				t.Fatalf("got %d items, want 1", len(items))
			}
			it := &items[0]
			if diff := cmp.Diff(tt.want, factsOf(it)); diff != "" {
				t.Errorf("facts mismatch (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(it.BodyHTML, tt.bodyPrefix) {
				t.Errorf("body_html starts %.80q, want %q", it.BodyHTML, tt.bodyPrefix)
			}
			for _, s := range tt.ednoteHas {
				if !strings.Contains(it.EdNote, s) {
					t.Errorf("ednote %q does not contain %q", it.EdNote, s)
				}
				if strings.Contains(it.BodyText, s) {
					t.Errorf("body_text contains the notepad's %q", s)
				}
			}
			for _, s := range tt.notInHeadline {
				if strings.Contains(it.Headline, s) {
					t.Errorf("headline %q contains the marker %q", it.Headline, s)
				}
			}
			if it.URI == "" || !it.IDDerived {
				t.Errorf("uri %q, IDDerived %v: want a derived, non-empty id", it.URI, it.IDDerived)
			}
			if it.Source.SHA256 != "abc" {
				t.Errorf("source.sha256 = %q, want the option's", it.Source.SHA256)
			}
			// The closing line of editors' initials is not copy.
			if strings.Contains(it.BodyText, "dpa wsz") || strings.Contains(it.BodyText, "yydd") {
				t.Errorf("body_text contains the closing line: %q", it.BodyText)
			}
		})
	}
}

// TestEilWordCount checks that the body is the whole text and nothing
// else: dpa's converter counts the words of exactly that text for the
// header (41).
func TestEilWordCount(t *testing.T) {
	items, err := Decode(readFixture(t, "dpa_eil_flash.iptc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(strings.Fields(items[0].BodyText)), *items[0].WordCount; got != want {
		t.Errorf("body_text has %d words, the header says %d", got, want)
	}
}

// sourceWords is the words of a fixture's bytes as a teleprinter shows
// them: control characters dropped.
func sourceWords(data []byte) []string {
	return strings.Fields(ctlframe.StripControls(string(wire.RepairUTF8(data))))
}

// containsRun reports whether want appears in src as a contiguous run.
func containsRun(src, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for i := 0; i+len(want) <= len(src); i++ {
		if slices.Equal(src[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// TestVerbatim checks that sanitizing each fixture body removed no word,
// and that the body and the headline are runs of the agency's words, in
// the agency's order, with nothing changed.
func TestVerbatim(t *testing.T) {
	policy := sanitize.New()
	for _, path := range fixturePaths(t) {
		t.Run(wiretest.GoldenName(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			frames, err := ctlframe.Split(data, "IPTC 7901")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range frames {
				m, err := parseMessage(data, f.Start, f.End)
				if err != nil {
					t.Fatal(err)
				}
				raw := parseText(m.text, m).bodyHTML
				if err := sanitize.VerbatimCheck(raw, policy.HTML(raw)); err != nil {
					t.Error(err)
				}
			}
			items, err := Decode(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			src := sourceWords(data)
			for _, it := range items {
				if body := strings.Fields(it.BodyText); !containsRun(src, body) {
					t.Errorf("body_text is not a run of the source's words: %.120q", it.BodyText)
				}
				if hl := strings.Fields(it.Headline); !containsRun(src, hl) {
					t.Errorf("headline %q is not a run of the source's words", it.Headline)
				}
			}
		})
	}
}

// Synthetic messages, written for these tests, each showing one feature of
// the format.
const (
	// A German correction: a wrapped "(Berichtigung: ...)" note, a genre
	// line, byline and picture note in the headline block, a results
	// table, a list, a notepad, Latin-1 bytes and a German month.
	germanCorrection = "\x01bdt0042 3 sp 120  dpa 0042\r\n\r\nFu\xdfball/Bundesliga/\r\n" +
		"\x02(Berichtigung: In einer fr\xfcheren Version hie\xdf es, das Spiel\r\nende 2:1. Richtig ist 2:2.)\r\n" +
		"(Zusammenfassung)\r\nRemis im S\xfcdderby\r\nVon Erika Muster, dpa\r\n(Foto aktuell) =\r\n\r\n" +
		"M\xfcnchen (dpa) - Die Partie endete 2:2. Beide Trainer waren\r\nzufrieden.\r\n\r\n" +
		"| Team A | 2 |\r\n| Team B | 2 |\r\n\r\n" +
		"Hauptthemen:\r\n+ Tore\r\n+ Karten und\r\nPlatzverweise\r\n\r\n" +
		"# Notizblock\r\n\r\n## Redaktionelle Hinweise\r\n- Fotos folgen\r\n\r\ndpa abc xy\r\n\r\n" +
		"\x03061530 Okt 24\r\n\x7f\r\n\x7f\x04"
	// An English kill notice.
	englishKill = "\x01eca0100 1 i 12  dpa 0100\n\nGermany-politics/\n\x02KILL KILL KILL =\n\n" +
		"Berlin (dpa) - Editors are asked not to use the story.\n\ndpa xy\n\n\x03121200 GMT Nov 13\n\x7f\n\x7f\x04"
	// An English urgent message: the marker is in front of the headline.
	englishUrgent = "\x01eca0101 2 i 9  dpa 0101\n\nGermany-politics/\n\x02URGENT: Merkel wins vote =\n\n" +
		"Berlin (dpa) - Merkel won the vote on Friday.\n\n\x03131200 GMT Nov 13\n\x7f\n\x7f\x04"
	// No-break spaces, in UTF-8, stay as sent.
	noBreakSpace = "\x01eca0102 4 i 6  dpa 0102\n\nGermany-politics/\n\x02Price rises to 10\u00a0euros =\n\n" +
		"Berlin (dpa) - It costs 10\u00a0euros now.\n\n\x03131200 GMT Nov 13\n\x7f\n\x7f\x04"
	// Plain IPTC 7901 without dpa's " =": the first line is the headline.
	plain = "\x01apa0007 4 pol 5 \n\x02Regierung tagt\nWien - Die Regierung tagt heute.\n\x03"
)

func TestSynthetic(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       facts
		wantEdNote string
		wantBody   string
	}{
		{"German correction", germanCorrection, facts{
			PubStatus: story.Usable, Signals: []string{"correction"}, Type: "text",
			VersionCreated: timeOf(t, "2024-10-06T15:30:00+02:00"), Urgency: intp(3),
			Headline: "Remis im Südderby", Slugline: "Fußball/Bundesliga", Byline: "Von Erika Muster, dpa",
			Dateline: &story.Dateline{Place: "München", Source: "dpa"}, WordCount: intp(120),
			Subjects: []story.Entity{{Code: "sp", Scheme: "iptc7901-category"}},
			Keywords: []string{"Fußball", "Bundesliga"}, Agency: "dpa", Format: Format,
		},
			"Berichtigung: In einer früheren Version hieß es, das Spiel ende 2:1. Richtig ist 2:2.\n(Zusammenfassung)\n(Foto aktuell)\n\n# Notizblock\n\n## Redaktionelle Hinweise\n- Fotos folgen",
			"<p>München (dpa) - Die Partie endete 2:2. Beide Trainer waren zufrieden.</p><pre>| Team A | 2 |\n| Team B | 2 |</pre><p>Hauptthemen:<br/>+ Tore<br/>+ Karten und Platzverweise</p>"},
		{"English kill", englishKill, facts{
			PubStatus: story.Canceled, Signals: []string{"kill"}, Type: "text",
			VersionCreated: timeOf(t, "2013-11-12T12:00:00Z"), Urgency: intp(1),
			Slugline: "Germany-politics", Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"}, WordCount: intp(12),
			Subjects: []story.Entity{{Code: "i", Scheme: "iptc7901-category"}},
			Keywords: []string{"Germany-politics"}, Agency: "dpa", Format: Format,
		}, "", "<p>Berlin (dpa) - Editors are asked not to use the story.</p>"},
		{"English urgent", englishUrgent, facts{
			PubStatus: story.Usable, Signals: []string{"flash"}, Type: "text",
			FirstCreated: timeOf(t, "2013-11-13T12:00:00Z"), VersionCreated: timeOf(t, "2013-11-13T12:00:00Z"), Urgency: intp(2),
			Headline: "Merkel wins vote", Slugline: "Germany-politics",
			Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"}, WordCount: intp(9),
			Subjects: []story.Entity{{Code: "i", Scheme: "iptc7901-category"}},
			Keywords: []string{"Germany-politics"}, Agency: "dpa", Format: Format,
		}, "", "<p>Berlin (dpa) - Merkel won the vote on Friday.</p>"},
		{"no-break space", noBreakSpace, facts{
			PubStatus: story.Usable, Type: "text",
			FirstCreated: timeOf(t, "2013-11-13T12:00:00Z"), VersionCreated: timeOf(t, "2013-11-13T12:00:00Z"), Urgency: intp(4),
			Headline: "Price rises to 10\u00a0euros", Slugline: "Germany-politics",
			Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"}, WordCount: intp(6),
			Subjects: []story.Entity{{Code: "i", Scheme: "iptc7901-category"}},
			Keywords: []string{"Germany-politics"}, Agency: "dpa", Format: Format,
		}, "", "<p>Berlin (dpa) - It costs 10\u00a0euros now.</p>"},
		{"plain 7901", plain, facts{
			PubStatus: story.Usable, Type: "text", Urgency: intp(4), Headline: "Regierung tagt", WordCount: intp(5),
			Subjects: []story.Entity{{Code: "pol", Scheme: "iptc7901-category"}}, Agency: "AGENCY", Format: Format,
		}, "", "<p>Wien - Die Regierung tagt heute.</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.in), &wire.Options{Location: berlin(t), Agency: "AGENCY"})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(items) != 1 {
				t.Fatalf("got %d items, want 1", len(items))
			}
			it := &items[0]
			if diff := cmp.Diff(tt.want, factsOf(it)); diff != "" {
				t.Errorf("facts mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantEdNote, it.EdNote); diff != "" {
				t.Errorf("ednote mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantBody, it.BodyHTML); diff != "" {
				t.Errorf("body_html mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIdentity checks that derived ids are stable for a re-sent story and
// different for different stories under the same keyword line.
func TestIdentity(t *testing.T) {
	decode := func(s string) string {
		t.Helper()
		items, err := Decode([]byte(s), nil)
		if err != nil {
			t.Fatal(err)
		}
		return items[0].URI
	}
	other := strings.Replace(englishUrgent, "Merkel wins vote", "Merkel loses vote", 1)
	resent := strings.Replace(englishUrgent, "eca0101", "eca0107", 1)
	if decode(englishUrgent) == decode(other) {
		t.Error("two stories under one keyword line got the same uri")
	}
	if got, want := decode(resent), decode(englishUrgent); got != want {
		t.Errorf("re-sent story got uri %q, want %q", got, want)
	}
	if got, want := decode(englishUrgent), "iptc7901:dpa:2013-11-13:Germany-politics:"; !strings.HasPrefix(got, want) {
		t.Errorf("uri = %q, want it to start %q", got, want)
	}
}

// TestMultipleMessages checks that a payload of several messages gives one
// item each, and that a broken one is skipped, not fatal.
func TestMultipleMessages(t *testing.T) {
	merkel := readFixture(t, "dpa_iptc7901_merkel.txt")
	eil := readFixture(t, "dpa_eil_flash.iptc")
	cut := eil[:300]

	t.Run("two good", func(t *testing.T) {
		items, err := Decode(bytes.Join([][]byte{merkel, eil}, []byte("\r\n")), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Headline)
		}
		want := []string{"Germany Social Democrats: Coalition talks with Merkel could fail", "Grünen-Spitze tritt nach Wahlniederlagen ab"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("headlines mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("one truncated", func(t *testing.T) {
		doc := bytes.Join([][]byte{merkel, cut}, nil)
		items, err := Decode(doc, nil)
		var pe *wire.PartialError
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v, want a *wire.PartialError", err)
		}
		if len(items) != 1 || len(pe.Skipped) != 1 || pe.Skipped[0].Index != 1 {
			t.Fatalf("got %d items and skips %+v, want 1 item and message 1 skipped", len(items), pe.Skipped)
		}
		if want := "no ETX"; !strings.Contains(pe.Skipped[0].Reason, want) {
			t.Errorf("skip reason %q does not say %q", pe.Skipped[0].Reason, want)
		}
	})
	t.Run("all broken", func(t *testing.T) {
		items, err := Decode(bytes.Join([][]byte{cut, cut}, nil), nil)
		var we *wire.Error
		if !errors.As(err, &we) || items != nil {
			t.Fatalf("Decode = %d items, %v; want a *wire.Error", len(items), err)
		}
		if want := "none of the 2 messages"; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	})
}

// billionLaughs is the classic XML entity bomb.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n  <!ENTITY lol \"lol\">\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := "lol" + string(rune('0'+i))
		b.WriteString("  <!ENTITY " + name + " \"" + strings.Repeat("&"+prev+";", 10) + "\">\n")
		prev = name
	}
	b.WriteString("]>\n<lolz>&lol9;</lolz>")
	return b.String()
}

// TestBadInput checks that broken and foreign input gets a clear
// *wire.Error, quickly, and never a panic or a half item.
func TestBadInput(t *testing.T) {
	eil := readFixture(t, "dpa_eil_flash.iptc")
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/13)
	}
	tests := []struct {
		name string
		in   []byte
		want string // in the error text
	}{
		{"empty", nil, "decode iptc7901: empty document"},
		{"whitespace", []byte(" \r\n\t"), "empty document"},
		{"truncated in the body", eil[:200], "truncated at byte 200: no ETX (end of text) after the STX at byte 58"},
		{"truncated in the header", eil[:20], "truncated at byte 20: no STX"},
		{"RSS", []byte(`<?xml version="1.0"?><rss version="2.0"><channel/></rss>`), `not an IPTC 7901 message: byte 0 is "<?xml version=\"1.0\"?><rs", not SOH`},
		{"XML entity bomb", []byte(billionLaughs()), "not an IPTC 7901 message: byte 0"},
		{"JSON", []byte(`{"uri":"x"}`), "not an IPTC 7901 message"},
		{"binary garbage", garbage, "not an IPTC 7901 message"},
		{"SOH then garbage", append([]byte{ctlframe.SOH}, garbage...), "is not an IPTC 7901 header"},
		{"ANPA 1312", []byte("\x16\x16\x01W2870\x1fasian\nf l\x13\x11 BC-LT--X  11-13 10\n\x02^X<\n\x03\n\x04"), "is not an IPTC 7901 header"},
		{"header only", []byte("\x01eca062 4 i 211\r\n\x02\x03"), "neither a headline nor text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			items, err := Decode(tt.in, nil)
			if d := time.Since(start); d > time.Second {
				t.Errorf("Decode took %v", d)
			}
			var we *wire.Error
			if !errors.As(err, &we) || items != nil {
				t.Fatalf("Decode = %d items, %v; want a *wire.Error and no items", len(items), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestDecodeRefusesOversized checks that a payload over the limit is
// refused before it is read.
func TestDecodeRefusesOversized(t *testing.T) {
	doc := make([]byte, wire.MaxDocumentBytes+1)
	copy(doc, "\x01eca062 4 i 211\r\n\x02Headline =\r\n")
	items, err := Decode(doc, nil)
	var we *wire.Error
	if !errors.As(err, &we) || items != nil {
		t.Fatalf("Decode = %d items, %v; want a *wire.Error", len(items), err)
	}
	if !strings.Contains(we.Reason, "over the 64 MiB limit") {
		t.Errorf("reason %q does not name the limit", we.Reason)
	}
}

// TestMatch checks that Match claims this format's fixtures and nothing
// else in the shared fixtures, nor plain text.
func TestMatch(t *testing.T) {
	mine := map[string]bool{}
	for _, n := range fixtureNames {
		mine[n] = true
	}
	root := filepath.Dir(wiretest.FixtureDir(t, "anpa"))
	for _, dir := range []string{"anpa", "ap", "atom", "dpa-digitalwires", "jsonfeed", "newsml-g2", "newsml1", "ninjs", "nitf", "rss"} {
		for _, path := range wiretest.Fixtures(t, dir) {
			shape := wire.SniffShape(wiretest.Read(t, path))
			want := dir == "anpa" && mine[filepath.Base(path)]
			if got := Match(&shape); got != want {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("Match(%s) = %v, want %v", rel, got, want)
			}
		}
	}
	for _, s := range []string{
		"", "hello world", "eca062 4 i 211 ccccb   dpa 061\n\x02Headline", "\x01hello", "\x01W2870\x1fasian\nf l\x13\x11",
		"ZCZC 123\r\n", "<html><body>\x01eca062 4 i 211</body></html>", "\x01eca062 x i 211",
	} {
		shape := wire.SniffShape([]byte(s))
		if Match(&shape) {
			t.Errorf("Match(%q) = true, want false", s)
		}
	}
}
