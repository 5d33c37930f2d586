package anpa

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
// holds IPTC 7901).
var fixtureNames = [...]string{"ap_anpa_1stld_writethru.tst", "ap_anpa_argentina_cancer.tst"}

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
	URI            string
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
	Agency         string
	Format         string
}

func factsOf(it *story.Item) facts {
	return facts{
		URI: it.URI, PubStatus: it.PubStatus, Signals: it.Signals, Type: it.Type,
		FirstCreated: it.FirstCreated, VersionCreated: it.VersionCreated, Urgency: it.Urgency,
		Headline: it.Headline, Slugline: it.Slugline, Byline: it.Byline, Dateline: it.Dateline,
		WordCount: it.WordCount, Subjects: it.Subjects, Agency: it.Source.Agency, Format: it.Source.Format,
	}
}

// TestFixtures checks what EXPECTED.md states for each fixture (mapped to
// our keys) and what MANIFEST.md says makes it hard.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		want       facts
		bodyPrefix string
		ednoteHas  string
	}{
		// ANPAFeedParser: type text, category l, word count 1049 from the
		// header, headline, byline, body starting "BUENOS", firstcreated
		// 2013-11-13T15:09 GMT (the trailer), priority f (flash: urgency
		// 1). The slug line is kept whole: AP's "BC-LT--" codes and the
		// keyword with its space, where superdesk's pattern stops at
		// "Argentina-Cancer".
		{"argentina", "ap_anpa_argentina_cancer.tst", facts{
			URI: "anpa:asian:2013-11-13:BC-LT--Argentina-CancerB", PubStatus: story.Usable, Type: "text",
			FirstCreated: timeOf(t, "2013-11-13T15:09:00Z"), VersionCreated: timeOf(t, "2013-11-13T15:09:00Z"),
			Urgency:  intp(1),
			Headline: "For Argentine chemo patients, mirrors can hurt", Slugline: "BC-LT--Argentina-Cancer Beauty",
			Byline:    "By PAUL BYRNE and ALMUDENA CALATRAVA",
			Dateline:  &story.Dateline{Place: "BUENOS AIRES, Argentina", Source: "AP"},
			WordCount: intp(1049), Subjects: []story.Entity{{Code: "l", Scheme: "anpa-category"}},
			Agency: "AP", Format: Format,
		}, "<p>BUENOS AIRES, Argentina (AP) _ For cancer patients", "Eds: With AP Photos."},
		// ANPAFeedParser test_ed_note: the editor's note; take key
		// 1stLd-Writethru, a writethru of an update: no firstcreated.
		{"1stLd-Writethru", "ap_anpa_1stld_writethru.tst", facts{
			URI: "anpa:asian:2013-11-13:BC-US--Ethanol-LosingGra", PubStatus: story.Usable, Signals: []string{"update", "writethru"}, Type: "text",
			VersionCreated: timeOf(t, "2013-11-13T07:45:00Z"),
			Headline:       "Prairies vanish in the US push for green energy",
			Slugline:       "BC-US--Ethanol-Losing Grassland, 1st Ld-Writethru",
			Byline:         "By CHET BROKAW and JACK GILLUM",
			Dateline:       &story.Dateline{Place: "ROSCOE, South Dakota", Source: "AP"},
			WordCount:      intp(1693), Subjects: []story.Entity{{Code: "a", Scheme: "anpa-category"}},
			Agency: "AP", Format: Format,
		}, "<p>ROSCOE, South Dakota (AP) _ Robert Malsam", "EDITOR'S NOTE _ This is part of an Associated Press investigation into the hidden costs of green energy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(readFixture(t, tt.file), &wire.Options{SHA256: "abc", Agency: "configured"})
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
			if !strings.Contains(it.EdNote, tt.ednoteHas) {
				t.Errorf("ednote %q does not contain %q", it.EdNote, tt.ednoteHas)
			}
			// Header lines and the trailer are not copy; the tagline is.
			for _, s := range []string{"AP Photo", "Eds:", "Associated Press=", "AP-WF", "^", "\t"} {
				if strings.Contains(it.BodyText, s) {
					t.Errorf("body_text contains %q", s)
				}
			}
			if !strings.HasSuffix(it.BodyText, "story.") && !strings.HasSuffix(it.BodyText, "from Washington.") {
				t.Errorf("body_text ends %q, want the tagline", it.BodyText[max(0, len(it.BodyText)-60):])
			}
			if !it.IDDerived || it.Source.SHA256 != "abc" {
				t.Errorf("IDDerived %v, sha256 %q", it.IDDerived, it.Source.SHA256)
			}
		})
	}
}

// sourceWords is the words of a fixture's bytes as a teleprinter shows
// them: control characters dropped, and the "^" that starts a header line
// and the "<", "=" typesetting codes that end one taken off their words.
func sourceWords(data []byte) []string {
	words := strings.Fields(ctlframe.StripControls(string(wire.RepairUTF8(data))))
	for i, w := range words {
		words[i] = strings.TrimRight(strings.TrimPrefix(w, "^"), "<=")
	}
	return slices.DeleteFunc(words, func(w string) bool { return w == "" })
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
// and that body and headline are runs of the agency's words in the
// agency's order.
func TestVerbatim(t *testing.T) {
	policy := sanitize.New()
	for _, path := range fixturePaths(t) {
		t.Run(wiretest.GoldenName(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			frames, err := ctlframe.Split(data, "ANPA 1312")
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range frames {
				m, err := parseMessage(data, f.Start, f.End)
				if err != nil {
					t.Fatal(err)
				}
				raw := parseText(m).bodyHTML
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
	// A bulletin correction with bells, a wrapped headline line, Latin-1
	// bytes, and a trailer in US Eastern time.
	correctiveBulletin = "\x16\x16\x01a0123\x1fapn\nb a\x13\x11 BC-US--Storm-Damage Corrective   02-26 120\n" +
		"\x02^BC-US--Storm-Damage, Corrective,120<\n^Storm damages caf\xe9\nin Maine<\n^Eds: CORRECTS spelling of town.<\n" +
		"^By JANE DOE=\n^AP Writer=\n\x07\x07\x07\x07\n\t   PORTLAND, Maine (AP) _ A storm hit the caf\xe9.\n\t   It was open\n  again Monday.<\n\x03AP-NY-02-26-18 2129ET<\n\x04"
	// A Latin-1 no-break space (0xA0) stays one.
	noBreakSpace = "\x16\x16\x01a0125\x1fapn\nr a\x13\x11 BC-US--Prices    02-26 9\n" +
		"\x02^BC-US--Prices,9<\n^Price rises to 10\xa0dollars<\n\t   NEW YORK (AP) _ It costs 10\xa0dollars now.\n\x03AP-NY-02-26-18 2130GMT<\n\x04"
	// Tabular (agate) matter, as the format identifier DC4 DC2 says.
	agate = "\x16\x16\x01s0456\x1fsport\nr s\x14\x12 BC-BBO--Standings    02-26 40\n" +
		"\x02^BC-BBO--Standings,40<\n^Baseball standings<\n\t   Team        W   L\n\t   Boston     10   2\n\t   New York    9   3\n\x03AP-NY-02-26-18 2130GMT<\n\x04"
	// A kill advisory: the take key says Kill.
	kill = "\x16\x16\x01a0124\x1fapn\nu a\x13\x11 BC-US--Storm-Damage Kill   02-26 30\n" +
		"\x02^BC-US--Storm-Damage, Kill,30<\n^URGENT<\n^Eds: KILL the story. It is wrong.<\n\t   Editors: the story has been withdrawn.\n\x03AP-NY-02-27-18 0010GMT<\n\x04"
)

func TestSynthetic(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		want       facts
		wantEdNote string
		wantBody   string
	}{
		{"corrective bulletin", correctiveBulletin, facts{
			URI: "anpa:apn:2018-02-26:BC-US--Storm-Damage", PubStatus: story.Usable,
			Signals: []string{"bulletin", "correction"}, Type: "text",
			VersionCreated: timeOf(t, "2018-02-26T21:29:00-05:00"), Urgency: intp(2),
			Headline: "Storm damages café in Maine", Slugline: "BC-US--Storm-Damage, Corrective", Byline: "By JANE DOE",
			Dateline: &story.Dateline{Place: "PORTLAND, Maine", Source: "AP"}, WordCount: intp(120),
			Subjects: []story.Entity{{Code: "a", Scheme: "anpa-category"}}, Agency: "AP", Format: Format,
		}, "Eds: CORRECTS spelling of town.",
			"<p>PORTLAND, Maine (AP) _ A storm hit the café.</p><p>It was open again Monday.</p>"},
		{"no-break space", noBreakSpace, facts{
			URI: "anpa:apn:2018-02-26:BC-US--Prices", PubStatus: story.Usable, Type: "text",
			FirstCreated: timeOf(t, "2018-02-26T21:30:00Z"), VersionCreated: timeOf(t, "2018-02-26T21:30:00Z"),
			Headline: "Price rises to 10\u00a0dollars", Slugline: "BC-US--Prices", WordCount: intp(9),
			Dateline: &story.Dateline{Place: "NEW YORK", Source: "AP"},
			Subjects: []story.Entity{{Code: "a", Scheme: "anpa-category"}}, Agency: "AP", Format: Format,
		}, "", "<p>NEW YORK (AP) _ It costs 10\u00a0dollars now.</p>"},
		{"agate", agate, facts{
			URI: "anpa:sport:2018-02-26:BC-BBO--Standings", PubStatus: story.Usable, Type: "text",
			FirstCreated: timeOf(t, "2018-02-26T21:30:00Z"), VersionCreated: timeOf(t, "2018-02-26T21:30:00Z"),
			Headline: "Baseball standings", Slugline: "BC-BBO--Standings", WordCount: intp(40),
			Subjects: []story.Entity{{Code: "s", Scheme: "anpa-category"}}, Agency: "AP", Format: Format,
		}, "", "<pre>   Team        W   L\n   Boston     10   2\n   New York    9   3</pre>"},
		{"kill", kill, facts{
			URI: "anpa:apn:2018-02-26:BC-US--Storm-Damage", PubStatus: story.Canceled, Signals: []string{"kill"}, Type: "text",
			VersionCreated: timeOf(t, "2018-02-27T00:10:00Z"), Urgency: intp(3),
			Headline: "URGENT", Slugline: "BC-US--Storm-Damage, Kill", WordCount: intp(30),
			Subjects: []story.Entity{{Code: "a", Scheme: "anpa-category"}}, Agency: "AP", Format: Format,
		}, "Eds: KILL the story. It is wrong.", "<p>Editors: the story has been withdrawn.</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.in), nil)
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

// TestHeaderFields checks the reading of the priority line's fields, which
// producers pad with spaces.
func TestHeaderFields(t *testing.T) {
	tests := []struct {
		in   string
		want message
	}{
		{"BC-LT--Argentina-CancerB     11-13 1049", message{keyword: "BC-LT--Argentina-CancerB", filingDate: "11-13", wordCount: intp(1049)}},
		{"BC-US--Ethanol-LosingGra 1stLd-Writethru   11-13 1693", message{keyword: "BC-US--Ethanol-LosingGra", version: "1stLd-Writethru", filingDate: "11-13", wordCount: intp(1693)}},
		{"Dollar-Markets 7thWritethru TB06 31-10 588", message{keyword: "Dollar-Markets", version: "7thWritethru", reference: "TB06", filingDate: "31-10", wordCount: intp(588)}},
		{"BC-US--Earns TB06 02-26 0", message{keyword: "BC-US--Earns", reference: "TB06", filingDate: "02-26"}},
		{"BC-US--Earns", message{keyword: "BC-US--Earns"}},
		{"", message{}},
	}
	for _, tt := range tests {
		var got message
		got.readFields(strings.Fields(tt.in))
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(message{})); diff != "" {
			t.Errorf("readFields(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestMultipleMessages checks that a payload of several messages gives one
// item each, and that a broken one is skipped, not fatal.
func TestMultipleMessages(t *testing.T) {
	a := readFixture(t, "ap_anpa_argentina_cancer.tst")
	b := readFixture(t, "ap_anpa_1stld_writethru.tst")
	cut := b[:400]

	t.Run("two good", func(t *testing.T) {
		items, err := Decode(bytes.Join([][]byte{a, b}, nil), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Headline)
		}
		want := []string{"For Argentine chemo patients, mirrors can hurt", "Prairies vanish in the US push for green energy"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("headlines mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("one truncated", func(t *testing.T) {
		items, err := Decode(bytes.Join([][]byte{a, cut}, nil), nil)
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
	doc := readFixture(t, "ap_anpa_argentina_cancer.tst")
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i/13)
	}
	tests := []struct {
		name string
		in   []byte
		want string // in the error text
	}{
		{"empty", nil, "decode anpa: empty document"},
		{"whitespace and SYN", []byte("\x16\x16 \r\n"), "empty document"},
		{"truncated in the body", doc[:500], "message at byte 2: truncated at byte 500: no ETX (end of text) after the STX at byte 61"},
		{"truncated in the header", doc[:12], "truncated at byte 12: no priority line"},
		{"truncated before STX", doc[:55], "truncated at byte 55: no STX"},
		{"RSS", []byte(`<?xml version="1.0"?><rss version="2.0"><channel/></rss>`), `not an ANPA 1312 message: byte 0 is "<?xml version=\"1.0\"?><rs", not SOH`},
		{"XML entity bomb", []byte(billionLaughs()), "not an ANPA 1312 message: byte 0"},
		{"JSON", []byte(`{"uri":"x"}`), "not an ANPA 1312 message"},
		{"binary garbage", garbage, "not an ANPA 1312 message"},
		{"SOH then garbage", append([]byte{ctlframe.SOH}, garbage...), "is not ANPA 1312"},
		{"IPTC 7901", []byte("\x01eca062 4 i 211 ccccb   dpa 061\r\n\x02Headline =\r\n\x03"), "is not ANPA 1312"},
		{"bad priority line", []byte("\x01W1\x1fa\nfoo\n\x02x\x03"), `header line 2 "foo" is not ANPA 1312`},
		{"nothing in the text", []byte("\x01W1\x1fa\nr a\x13\x11 BC-X  11-13 1\n\x02\n\x03\n\x04"), "neither a headline nor text"},
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
	copy(doc, "\x16\x16\x01W2870\x1fasian\nf l\x13\x11 BC-X  11-13 1\n\x02^Headline<\n")
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
		"", "hello world", "W2870\x1fasian\nf l\x13\x11", "\x01hello\x1f", "\x01eca062 4 i 211 ccccb   dpa 061",
		"\x01W2870\x1fasian\nfoo bar baz", "<html>\x01W2870\x1fasian</html>", "{\"a\":\"\x01W2870\x1f\"}",
	} {
		shape := wire.SniffShape([]byte(s))
		if Match(&shape) {
			t.Errorf("Match(%q) = true, want false", s)
		}
	}
	// A long UPI pushes the second line beyond the shape's 32 bytes; the
	// framing up to US is still recognised.
	long := wire.SniffShape([]byte("\x16\x16\x01W2870UPI-0123456789AB\x1fasian\nf l\x13\x11 BC-X"))
	if !Match(&long) {
		t.Error("Match with a 16-byte UPI = false, want true")
	}
}
