package newsmlg2

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// fixture returns the bytes of a shared newsml-g2 fixture.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "newsml-g2"), name))
}

// facts is the part of an item the fixture table checks, with times as
// RFC 3339 text so that a lost offset shows; the goldens pin the rest.
type facts struct {
	URI, Version   string
	PubStatus      story.PubStatus
	Type           string
	Signals        []string
	FirstCreated   string
	VersionCreated string
	Embargoed      string
	Urgency        string
	Language       string
	Headline       string
	Slugline       string
	Byline         string
	Dateline       *story.Dateline
	EdNote         string
	Description    string
	WordCount      string
	Keywords       []string
	Copyright      string
	UsageTerms     string
	Agency         string
}

func factsOf(it story.Item) facts {
	rfc := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	num := func(n *int) string {
		if n == nil {
			return ""
		}
		return fmt.Sprint(*n)
	}
	return facts{
		URI: it.URI, Version: it.Version, PubStatus: it.PubStatus, Type: it.Type, Signals: it.Signals,
		FirstCreated: rfc(it.FirstCreated), VersionCreated: rfc(it.VersionCreated), Embargoed: rfc(it.Embargoed),
		Urgency: num(it.Urgency), Language: it.Language, Headline: it.Headline, Slugline: it.Slugline,
		Byline: it.Byline, Dateline: it.Dateline, EdNote: it.EdNote, Description: it.Description,
		WordCount: num(it.WordCount), Keywords: it.Keywords, Copyright: it.Copyright,
		UsageTerms: it.UsageTerms, Agency: it.Source.Agency,
	}
}

// TestFixtures checks, for every fixture, the facts EXPECTED.md states (in
// our keys) and what MANIFEST.md says makes the file hard.
func TestFixtures(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file      string
		opts      *wire.Options
		wantCount int
		index     int
		want      facts
		// bodyStart is what body_html starts with; bodyHas, words it holds.
		bodyStart string
		bodyHas   []string
		wantSkips []wire.Skip
	}{
		// IPTC's text item: embargoed, sig:update, version 9. No `by`: its
		// creator is not a byline.
		{file: "iptc_LISTING_1_news_item_v9.xml", wantCount: 1, want: facts{
			URI: "urn:newsml:acmenews.com:20161018:US-FINANCE-FED", Version: "9", PubStatus: story.Usable,
			Type: "text", Signals: []string{"update"},
			FirstCreated: "2016-10-18T13:12:21-05:00", VersionCreated: "2016-10-21T16:25:32-05:00", Embargoed: "2016-10-23T12:00:00Z",
			Language: "en-GB", Headline: `Fed to halt QE to avert "bubble"`, Slugline: "US-Finance-Fed",
			Dateline:  &story.Dateline{Place: "Berlin"},
			EdNote:    "Note to editors: STRICTLY EMBARGOED. Not for public release until 12noon on Friday, October 23, 2016.",
			Copyright: "Copyright 2016 Example Enews LLP, all rights reserved", UsageTerms: "Not for use outside the United States",
			Agency: "REUTERS",
		}},
		// The body is a NITF document inside inlineXML.
		{file: "iptc_LISTING_2_text_document_nitf.xml", wantCount: 1, want: facts{
			URI: "urn:newsml:acmenews.com:20161121:US-FINANCE-FED", Version: "11", PubStatus: story.Usable, Type: "text",
			VersionCreated: "2018-11-21T16:25:32-05:00", Language: "en-US", Headline: `Fed to halt QE to avert "bubble"`,
			Slugline: "US-Finance-Fed", Byline: "By Meredith Jameson", Dateline: &story.Dateline{Place: "New York, NY"},
			Copyright: "Copyright 2017-18 Acme News and Media LLC", Agency: "Acme News and Media LLC",
		}, bodyStart: "<p>(New York, NY - October 21) Et, sent luptat luptat, commy", bodyHas: []string{"esto cons dolutpat, si."}},
		// A package is not a story: no item, one skip.
		{file: "iptc_LISTING_6_simple_package.xml", wantCount: 0,
			wantSkips: []wire.Skip{{Index: 0, Reason: "packageItem: a package of other items, not a story"}}},
		// Reuters: CRLF, a one-paragraph body of wire copy laid out as
		// paragraphs, a caption description that is not a summary.
		{file: "reuters_L4N1FL0N0_precious_text.xml", wantCount: 1, want: facts{
			URI: "tag:reuters.com,0000:newsml_L4N1FL0N0", Version: "1132689232", PubStatus: story.Usable, Type: "text",
			Signals: []string{"table", "update"}, FirstCreated: "2017-01-31T03:47:29Z", VersionCreated: "2017-01-31T03:47:29Z",
			Urgency: "3", Language: "en", Headline: "PRECIOUS-Gold rises as Trump policy fuels safe haven demand",
			Slugline: "GLOBAL-PRECIOUS/ (UPDATE 1)", WordCount: "348",
			Copyright: "(c) Copyright Thomson Reuters 2017. Click For Restrictions - http://about.reuters.com/fulllegal.asp",
			Agency:    "reuters.com",
		}, bodyStart: "<p>(Adds comments, detail)</p><p>* Spot gold may edge up to $1,205 per ounce- technicals</p>",
			bodyHas: []string{"<p>Jan 30 (Reuters) - Gold rose on Tuesday on increased safe haven demand as", "<p>(Reporting by Arpan Varghese in Bengaluru; Editing by Joseph Radford and Richard Pullin)</p>"}},
		// A results table: kept aligned; wordcount="" is no word count.
		{file: "reuters_ISS149709_results_table.xml", wantCount: 1, want: facts{
			URI: "tag:reuters.com,0000:newsml_ISS149709", Version: "1618095828", PubStatus: story.Usable, Type: "text",
			Signals: []string{"table"}, FirstCreated: "2017-01-30T18:54:14Z", VersionCreated: "2017-01-30T18:54:14Z",
			Urgency: "3", Language: "en", Headline: "Soccer-Turkish championship results and standings",
			Slugline:  "SOCCER-TURKEY/RESULTS",
			Copyright: "(c) Copyright Thomson Reuters 2017. Click For Restrictions - http://about.reuters.com/fulllegal.asp",
			Agency:    "reuters.com",
		}, bodyStart: "<pre>Jan 30 (Gracenote) - Results and standings from the Turkish championship matches on Monday \nMonday, January 30  \nAdanaspor           2 Kasimpasa            0  \n",
			bodyHas: []string{"\n16-18: Relegation</pre>"}},
		// AP: three items in one message, a writethru take key, NITF bodies.
		{file: "ap_newsmessage_3items.xml", wantCount: 3, index: 0, want: facts{
			URI: "tag:ap.org,2011:5e565888b587889c5c8bd62b6164118c-text", Version: "2", PubStatus: story.Usable, Type: "text",
			Signals: []string{"writethru"}, FirstCreated: "2018-02-26T21:20:36Z", VersionCreated: "2018-02-26T21:20:34Z",
			Urgency: "4", Language: "en", Headline: "Nutrisystem beats 4Q earnings and revenue expectations",
			Slugline: "BC-US--Earns-Nutrisystem, 1st Ld-Writethru", Dateline: &story.Dateline{Place: "FORT WASHINGTON, Pa."},
			EdNote: "Eds: Adds full-year results.", WordCount: "233", Keywords: []string{"Nutrisystem", "Earnings Report", "Pennsylvania"},
			Copyright: "Automated Insights", Agency: "Automated Insights",
		}, bodyStart: "<p>FORT WASHINGTON, Pa. (AP) _ Nutrisystem Inc. (NTRI) on Monday"},
		{file: "ap_newsmessage_3items.xml", wantCount: 3, index: 1, want: facts{
			URI: "tag:ap.org,2011:b6d5d4eb781939b5fe8722f3fba28ee2-text", Version: "2", PubStatus: story.Usable, Type: "text",
			Signals: []string{"writethru"}, FirstCreated: "2018-02-26T21:22:18Z", VersionCreated: "2018-02-26T21:22:17Z",
			Urgency: "4", Language: "en", Headline: "DiamondRock Hospitality posts 4Q FFO of $50.7 million, results top expectations",
			Slugline: "BC-US--Earns-DiamondRock Hospitality, 1st Ld-Writethru", Dateline: &story.Dateline{Place: "BETHESDA, Md."},
			EdNote: "Eds: Adds full-year results.", WordCount: "254", Keywords: []string{"DiamondRock Hospitality", "Earnings Report", "Maryland"},
			Copyright: "Automated Insights", Agency: "Automated Insights",
		}},
		// The third has an empty provider and located: the agency comes
		// from the copyright holder, no place from the empty located.
		{file: "ap_newsmessage_3items.xml", wantCount: 3, index: 2, want: facts{
			URI: "tag:ap.org,2011:4db5f9c37aac8924db872ba5a7e287e6-text", Version: "1", PubStatus: story.Usable, Type: "text",
			FirstCreated: "2018-02-26T21:27:10Z", VersionCreated: "2018-02-26T21:27:09Z",
			Urgency: "4", Language: "en", Headline: "Scripps Networks tops 4Q profit and revenue expectations",
			Slugline: "BC-US--Earns-Scripps Networks", Dateline: &story.Dateline{Place: "KNOXVILLE, Tenn."},
			WordCount: "190", Keywords: []string{"Scripps Networks", "Earnings Report", "Tennessee"},
			Copyright: "Automated Insights", Agency: "Automated Insights",
		}},
		// dpa: no firstCreated, the offset kept, «guillemets», notes by role,
		// the body's <header> left out.
		{file: "dpa_eintracht_newsml.xml", wantCount: 1, want: facts{
			URI: "urn:newsml:dpa.com:20090101:221011-930-4303", Version: "1", PubStatus: story.Usable, Type: "text",
			VersionCreated: "2022-10-11T11:14:42+02:00", Urgency: "4", Language: "de",
			Headline:  "Eintracht in London: Hintereggers Tränen und Attacke auf Reporter",
			Dateline:  &story.Dateline{Place: "London", Source: "dpa"},
			EdNote:    "Zu diesem Text finden Sie folgende Bilder im dpa Bildangebot:\nEintracht Frankfurt - Martin Hinteregger (1 Bild)\nWest Ham United - Eintracht Frankfurt (1 Bild)\nFoto Archiv",
			WordCount: "226", Keywords: []string{"Champions League", "Frankfurt", "London"},
			Copyright: "Copyright 2022, dpa (www.dpa.de). Alle Rechte vorbehalten", UsageTerms: "Nutzung nur nach schriftlicher Vereinbarung mit dpa",
			Agency: "Deutsche Presse-Agentur GmbH",
		}, bodyStart: "<p>London (dpa) - 2019 gab es bittere Tränen in der Kurve", bodyHas: []string{"die «Blues» aus der Europa League werfen"}},
		// Scoop: BOM, CRLF, <Header>, an empty packageItem first, empty
		// <embargoed/> and <ednote>, a zone-less date read in the source's
		// zone, the headline only in the NITF title.
		{file: "scoop_bom_crlf_v3.xml", opts: &wire.Options{Location: auckland}, wantCount: 1, want: facts{
			URI: "BD-20160112123540", Version: "3", PubStatus: story.Usable, Type: "text",
			VersionCreated: "2016-01-12T12:35:40+13:00", Urgency: "5",
			Headline: "Dick Smith receivers install Don Grover as acting CEO as Abboud quits; retailer put up for sale",
			Byline:   "ByStaff Reporter", Agency: "CL",
		}, bodyStart: "<p>By Jonathan Underhill</p>", bodyHas: []string{"The receivers of Dick Smith Holdings"},
			wantSkips: []wire.Skip{{Index: 0, Reason: "packageItem: a package of other items, not a story"}}},
		// dpa's flash (Eilmeldung), the same story as the digitalwires and
		// IPTC 7901 fixtures.
		{file: "dpa_dw_eil_flash.g2.xml", wantCount: 1, want: facts{
			URI: "urn:newsml:dpa.com:20090101:240925-930-242744", Version: "1", PubStatus: story.Usable, Type: "text",
			Signals: []string{"flash"}, VersionCreated: "2024-09-25T10:37:24+02:00", Urgency: "2", Language: "de",
			Headline: "Grünen-Spitze tritt nach Wahlniederlagen ab", Dateline: &story.Dateline{Place: "Berlin", Source: "dpa"},
			EdNote:   "Zu diesem Text finden Sie Bilder mit folgendem Titel im dpa Bildangebot:\ndpa-Eilmeldung",
			Keywords: []string{"Grüne"}, Copyright: "Copyright 2024, dpa (www.dpa.de). Alle Rechte vorbehalten",
			UsageTerms: "Nutzung nur nach schriftlicher Vereinbarung mit dpa Use only with the written agreement with dpa",
			Agency:     "dpa",
		}, bodyStart: "<p>Berlin (dpa) - Die Grünen-Spitze zieht nach den Misserfolgen der Partei"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.file, tt.index), func(t *testing.T) {
			items, err := Decode(fixture(t, tt.file), tt.opts)
			var skips []wire.Skip
			var pe *wire.PartialError
			switch {
			case errors.As(err, &pe):
				skips = pe.Skipped
			case err != nil:
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.wantSkips, skips); diff != "" {
				t.Errorf("skips mismatch (-want +got):\n%s", diff)
			}
			if len(items) != tt.wantCount {
				t.Fatalf("got %d items, want %d", len(items), tt.wantCount)
			}
			if tt.wantCount == 0 {
				return
			}
			it := items[tt.index]
			if diff := cmp.Diff(tt.want, factsOf(it)); diff != "" {
				t.Errorf("item %d mismatch (-want +got):\n%s", tt.index, diff)
			}
			if !strings.HasPrefix(it.BodyHTML, tt.bodyStart) {
				t.Errorf("body_html starts %q, want %q", head(it.BodyHTML, len(tt.bodyStart)+20), tt.bodyStart)
			}
			for _, s := range tt.bodyHas {
				if !strings.Contains(it.BodyHTML, s) {
					t.Errorf("body_html lacks %q", s)
				}
			}
			if it.Source.Format != Format {
				t.Errorf("source.format = %q, want %q", it.Source.Format, Format)
			}
		})
	}
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// TestFixtureTags checks subjects, places and the other tagging where the
// fixtures exercise its rules: concept types, names in the item's
// language, codes split into scheme and code, genres and located places.
func TestFixtureTags(t *testing.T) {
	type tags struct {
		Subjects, Places, People, Organisations []story.Entity
	}
	tests := []struct {
		file  string
		index int
		want  tags
	}{
		{"iptc_LISTING_1_news_item_v9.xml", 0, tags{
			Subjects: []story.Entity{
				{Code: "04000000", Name: "economy, business and finance", Scheme: "medtop"},
				{Code: "20000523", Name: "labour market", Scheme: "medtop"}, // en-GB, not "Arbeitsmarkt"
				{Code: "interview", Name: "Interview", Scheme: "genre"},
			},
			Places: []story.Entity{{Code: "345678", Name: "Berlin", Scheme: "geo"}},
		}},
		{"dpa_dw_eil_flash.g2.xml", 0, tags{
			Subjects: []story.Entity{
				{Code: "pl", Name: "pl", Scheme: "dpacat"},
				{Code: "20000651", Name: "Partei", Scheme: "medtop"},
				{Code: "1", Name: "Meldung", Scheme: "dpatextgenre"},
			},
			Places: []story.Entity{{Code: "1", Name: "Deutschland", Scheme: "dpacountry"}},
		}},
		// Display names over short and mnemonic ones; a point of interest
		// is a place.
		{"dpa_eintracht_newsml.xml", 0, tags{
			Subjects: []story.Entity{
				{Code: "20001065", Name: "Fußball", Scheme: "medtop"},
				{Code: "sp", Name: "Sport", Scheme: "dpacat"},
				{Code: "7", Name: "Extra", Scheme: "dpatextgenre"},
			},
			Places: []story.Entity{
				{Code: "1", Name: "Deutschland", Scheme: "dpacountry"},
				{Code: "7", Name: "Hessen", Scheme: "dpaarea"},
				{Code: "54", Name: "Großbritannien", Scheme: "dpacountry"},
				{Code: "196", Name: "International", Scheme: "dpacountry"},
				{Code: "ID0E2E", Name: "Tottenham Hotspur Stadium, High Road 782, N17 , Vereinigtes Königreich"},
				{Name: "London"},
			},
		}},
		{"ap_newsmessage_3items.xml", 0, tags{
			Subjects: []story.Entity{
				{Code: "f", Name: "f", Scheme: "apcategorycode"},
				{Code: "5235a7a088e910048f29f8851349f9bd", Name: "Corporate stock", Scheme: "apsubject"},
				{Code: "4d3302d8857510048d06ff2260dd383e", Name: "Corporate news", Scheme: "apsubject"},
				{Code: "c8e409f8858510048872ff2260dd383e", Name: "Business", Scheme: "apsubject"},
				{Code: "11494c9888fc10048d50ba0a2b2ca13e", Name: "Earnings reports", Scheme: "apsubject"},
				{Code: "523620b888e910048f3af8851349f9bd", Name: "Earnings", Scheme: "apsubject"},
				{Code: "5234f3f088e910048f18f8851349f9bd", Name: "Financial performance", Scheme: "apsubject"},
			},
			Places:        []story.Entity{{Name: "Pittsburgh"}},
			Organisations: []story.Entity{{Code: "792af22b8f0b4133ba38fcf117561e66", Name: "NutriSystem Inc", Scheme: "apcompany"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			items, err := Decode(fixture(t, tt.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			it := items[tt.index]
			got := tags{Subjects: it.Subjects, Places: it.Places, People: it.People, Organisations: it.Organisations}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tags mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// upstreamBody returns the body_html EXPECTED.md quotes for a fixture,
// after checking it against the SHA-256 stated with it.
func upstreamBody(t *testing.T, file string) string {
	t.Helper()
	doc := string(wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, ""), "EXPECTED.md")))
	start := strings.Index(doc, "### "+file)
	if start < 0 {
		t.Fatalf("EXPECTED.md has no section for %s", file)
	}
	section := doc[start:]
	if end := strings.Index(section[4:], "\n### "); end >= 0 {
		section = section[:end+4]
	}
	m := regexp.MustCompile("sha256 `([0-9a-f]{64})`[^\n]*\n```\n(.*)\n```").FindStringSubmatch(section)
	if m == nil {
		t.Fatalf("EXPECTED.md section for %s quotes no body", file)
	}
	var body string
	if err := json.Unmarshal([]byte(m[2]), &body); err != nil {
		t.Fatal(err)
	}
	if got := story.SHA256Hex([]byte(body)); got != m[1] {
		t.Fatalf("quoted body has sha256 %s, EXPECTED.md says %s", got, m[1])
	}
	return body
}

// TestUpstreamBodies compares our bodies with the body_html that the
// upstream tests assert. The HTML necessarily differs: upstream keeps the
// agency's spans (dpa's dateline and credit) and AP's links as plain text,
// where the sanitizer removes spans and keeps links; so the check is that a
// reader sees the same paragraphs with the same words in the same order:
// the plain text of both is equal.
func TestUpstreamBodies(t *testing.T) {
	policy := sanitize.New()
	for _, file := range []string{"ap_newsmessage_3items.xml", "dpa_eintracht_newsml.xml"} {
		t.Run(file, func(t *testing.T) {
			want := policy.Text(policy.HTML(upstreamBody(t, file)))
			items, err := Decode(fixture(t, file), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, items[0].BodyText); diff != "" {
				t.Errorf("body text mismatch (-upstream +ours):\n%s", diff)
			}
		})
	}
}

// TestVerbatim checks every fixture body against the source's own body
// markup: sanitizing and re-laying out the wire copy removed markup, never
// words. The source is the inner XML of the XHTML body (without its
// <header>, see xhtmlBody) or of the NITF body.content, read as HTML.
func TestVerbatim(t *testing.T) {
	policy := sanitize.New()
	header := regexp.MustCompile(`(?s)<header>.*?</header>`)
	bodies := regexp.MustCompile(`(?s)<body>(.*?)</body>`)
	nitfContent := regexp.MustCompile(`(?s)<body\.content>(.*)</body\.content>`)
	for _, path := range wiretest.Fixtures(t, "newsml-g2") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, nil)
			var pe *wire.PartialError
			if err != nil && !errors.As(err, &pe) {
				t.Fatal(err)
			}
			// Each item's body, in order: an XHTML body, or the
			// body.content of a NITF body (after its body.head).
			var sources []string
			for _, m := range bodies.FindAllStringSubmatch(string(data), -1) {
				inner := m[1]
				if c := nitfContent.FindStringSubmatch(inner); c != nil {
					inner = c[1]
				}
				sources = append(sources, header.ReplaceAllString(inner, ""))
			}
			withBody := 0
			for _, it := range items {
				if it.BodyHTML == "" {
					continue
				}
				if withBody >= len(sources) {
					t.Fatalf("more bodies than the source has")
				}
				if err := sanitize.VerbatimCheck(sources[withBody], it.BodyHTML); err != nil {
					t.Errorf("item %s: %v", it.URI, err)
				}
				if it.BodyText != policy.Text(it.BodyHTML) {
					t.Errorf("item %s: body_text is not the text of body_html", it.URI)
				}
				withBody++
			}
			if withBody != len(sources) {
				t.Errorf("%d items with a body, the source has %d bodies", withBody, len(sources))
			}
		})
	}
}

func TestDecodeOptions(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	items, err := Decode(fixture(t, "scoop_bom_crlf_v3.xml"), &wire.Options{Location: newYork, SHA256: "abc", Agency: "BusinessDesk"})
	var pe *wire.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Decode = %v, want the packageItem skipped", err)
	}
	if got, want := items[0].VersionCreated.Format(time.RFC3339), "2016-01-12T12:35:40-05:00"; got != want {
		t.Errorf("versioncreated = %s, want %s (zone-less, read in the source's zone)", got, want)
	}
	// The payload names its provider (CL): it wins over the configuration.
	if want := (story.ItemSource{Format: Format, Agency: "CL", SHA256: "abc"}); items[0].Source != want {
		t.Errorf("source = %+v, want %+v", items[0].Source, want)
	}
	// Without a named agency the configured one is used.
	doc := `<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g1"><itemMeta><provider qcode="x:1"/></itemMeta></newsItem>`
	items, err = Decode([]byte(doc), &wire.Options{Agency: "Configured"})
	if err != nil {
		t.Fatal(err)
	}
	if got := items[0].Source.Agency; got != "Configured" {
		t.Errorf("agency = %q, want the configured one", got)
	}
}

// g2 wraps newsItem parts into a newsItem document.
func g2(guid, itemMeta, contentMeta, contentSet string) string {
	return `<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="` + guid + `" version="1">` +
		`<itemMeta>` + itemMeta + `</itemMeta><contentMeta>` + contentMeta + `</contentMeta>` +
		`<contentSet>` + contentSet + `</contentSet></newsItem>`
}

func TestDecodeSynthetic(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     facts
		wantBody string
	}{
		{
			name: "withheld and canceled, sig:correction",
			in:   g2("g1", `<pubStatus qcode="stat:withheld"/><signal qcode="sig:correction"/><signal qcode="prodId:TXT"/>`, ``, ``),
			want: facts{URI: "g1", Version: "1", PubStatus: story.Withheld, Signals: []string{"correction"}},
		},
		{
			name: "canceled",
			in:   g2("g1", `<pubStatus qcode="stat:canceled"/>`, ``, ``),
			want: facts{URI: "g1", Version: "1", PubStatus: story.Canceled},
		},
		{
			name: "no pubStatus is usable; an empty embargoed and urgency are unknown",
			in:   g2("g1", `<embargoed/>`, `<urgency></urgency>`, ``),
			want: facts{URI: "g1", Version: "1", PubStatus: story.Usable},
		},
		{
			name: "the main headline over a subtitle; headline text as sent",
			in: g2("g1", ``, `<headline role="hlrole:sub">Sub</headline><headline role="hlrole:main">Main  –
	«one»&#160;two</headline>`, ``),
			want: facts{URI: "g1", Version: "1", PubStatus: story.Usable, Headline: "Main – «one»\u00a0two"},
		},
		{
			name: "inlineData plain text",
			in: g2("g1", `<itemClass qcode="ninat:text"/>`, ``, `<inlineData contenttype="text/plain" wordcount="3">One &lt;two&gt;

three</inlineData>`),
			want:     facts{URI: "g1", Version: "1", PubStatus: story.Usable, Type: "text", WordCount: "3"},
			wantBody: "<p>One &lt;two&gt;</p><p>three</p>",
		},
		{
			name: "a picture: caption as description, no body",
			in: g2("g1", `<itemClass qcode="ninat:picture"/>`, `<headline>Pic</headline><description role="drol:caption">A caption.</description>`,
				`<remoteContent href="https://x.example/p.jpg" contenttype="image/jpeg"/>`),
			want: facts{URI: "g1", Version: "1", PubStatus: story.Usable, Type: "picture", Headline: "Pic", Description: "A caption."},
		},
		{
			name: "XHTML body without html wrapper, scripts removed",
			in: g2("g1", ``, ``, `<inlineXML contenttype="application/xhtml+xml"><body xmlns="http://www.w3.org/1999/xhtml">`+
				`<header><h1>Head</h1></header><p>One&nbsp;<script>x()</script><b onclick="y()">two</b></p></body></inlineXML>`),
			want:     facts{URI: "g1", Version: "1", PubStatus: story.Usable},
			wantBody: "<p>One\u00a0<b>two</b></p>",
		},
		{
			name: "dateline from located when there is none",
			in:   g2("g1", ``, `<located qcode="geo:1"><name>Paris</name></located>`, ``),
			want: facts{URI: "g1", Version: "1", PubStatus: story.Usable, Dateline: &story.Dateline{Place: "Paris"}},
		},
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
			got := factsOf(items[0])
			got.Agency = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if items[0].BodyHTML != tt.wantBody {
				t.Errorf("body_html = %q, want %q", items[0].BodyHTML, tt.wantBody)
			}
		})
	}
}

func TestDecodeMessageSkips(t *testing.T) {
	in := `<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header/><itemSet>
<newsItem guid="a"><itemMeta><pubStatus qcode="stat:usable"/></itemMeta></newsItem>
<newsItem><itemMeta/></newsItem>
<conceptItem guid="c"/>
<newsItem guid="b"><itemMeta><pubStatus qcode="stat:bogus"/></itemMeta></newsItem>
<newsItem guid="d"/>
</itemSet></newsMessage>`
	items, err := Decode([]byte(in), nil)
	var pe *wire.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Decode error = %v, want a *wire.PartialError", err)
	}
	var uris []string
	for _, it := range items {
		uris = append(uris, it.URI)
	}
	if diff := cmp.Diff([]string{"a", "d"}, uris); diff != "" {
		t.Errorf("items mismatch (-want +got):\n%s", diff)
	}
	want := []wire.Skip{
		{Index: 1, Reason: "newsItem: no guid"},
		{Index: 2, Reason: "conceptItem: a concept of a vocabulary, not a story"},
		{Index: 3, Reason: `newsItem: unknown pubStatus "stat:bogus"`},
	}
	if diff := cmp.Diff(want, pe.Skipped); diff != "" {
		t.Errorf("skips mismatch (-want +got):\n%s", diff)
	}
}

// billionLaughs is the classic entity bomb: nine levels of ten references,
// a gigabyte if expanded.
func billionLaughs(root string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE ` + root + ` [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, `<!ENTITY lol%d "`, i)
		for range 10 {
			fmt.Fprintf(&b, "&lol%d;", i-1)
		}
		b.WriteString(`">`)
	}
	b.WriteString(`]><` + root + ` xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"><contentMeta><headline>&lol9;</headline></contentMeta></` + root + `>`)
	return b.String()
}

func TestDecodeErrors(t *testing.T) {
	ap := fixture(t, "ap_newsmessage_3items.xml")
	tests := []struct {
		name       string
		in         []byte
		wantReason string // the whole error text must contain it
	}{
		{"empty", nil, "decode newsml-g2: empty document"},
		{"whitespace", []byte(" \r\n"), "empty document"},
		{"truncated", ap[:len(ap)/2], "truncated XML: the document ends inside an element at line 216, column"},
		{"broken tag", []byte("<newsItem xmlns=\"http://iptc.org/std/nar/2006-10-01/\" guid=\"x\">\n<itemMeta>\n</newsItem>"), "malformed XML: element <itemMeta> closed by </newsItem> at line 3, column"},
		{"wrong root", []byte(`<nitf><head/></nitf>`), "not NewsML-G2: XML root element <nitf>"},
		{"wrong namespace", []byte(`<newsItem xmlns="urn:other"/>`), `not NewsML-G2: XML root element <newsItem xmlns="urn:other">`},
		{"RSS", []byte(`<rss version="2.0"><channel/></rss>`), "not NewsML-G2: XML root element <rss>"},
		{"HTML", []byte("<!DOCTYPE html><html><body>x</body></html>"), "not NewsML-G2: an HTML page"},
		{"JSON", []byte(`{"uri":"x"}`), "not NewsML-G2: JSON object with keys uri"},
		{"binary garbage", []byte("\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n"), "not NewsML-G2: not XML or JSON"},
		{"entity bomb", []byte(billionLaughs("newsItem")), "the document type declares entities (<!ENTITY>); refused without expanding them at line 1"},
		{"undeclared entity", []byte(`<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"><contentMeta><headline>&bogus;</headline></contentMeta></newsItem>`), "malformed XML: invalid character entity &bogus;"},
		{"newsItem without guid", []byte(`<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"/>`), "newsItem: no guid"},
		{"too large", make([]byte, wire.MaxDocumentBytes+1), "document is 64.1 MiB, over the 64 MiB limit"},
		{"nested too deep", []byte(`<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x">` + strings.Repeat("<a>", 300) + strings.Repeat("</a>", 300) + `</newsItem>`), "elements nested deeper than 256 levels"},
		{"second root", []byte(`<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"/><newsItem guid="y"/>`), "a second root element <newsItem>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			items, err := Decode(tt.in, nil)
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("Decode = %d items, %v; want a *wire.Error", len(items), err)
			}
			if we.Format != Format {
				t.Errorf("error format %q, want %q", we.Format, Format)
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("error %q does not say %q", err, tt.wantReason)
			}
			if items != nil {
				t.Errorf("items = %v, want none with an error", items)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"newsMessage", `<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"/>`, true},
		{"newsItem", `<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"/>`, true},
		{"packageItem", `<packageItem xmlns="http://iptc.org/std/nar/2006-10-01/"/>`, true},
		{"no namespace", `<newsItem guid="x"/>`, true},
		{"namespace without slash", `<newsItem xmlns="http://iptc.org/std/nar/2006-10-01"/>`, true},
		{"after BOM, declaration and comments", "\xEF\xBB\xBF<?xml version=\"1.0\"?>\r\n<!-- x -->\r\n<newsMessage xmlns=\"http://iptc.org/std/nar/2006-10-01/\"/>", true},
		{"other namespace", `<newsItem xmlns="urn:x"/>`, false},
		{"NITF", `<nitf/>`, false},
		{"NewsML 1", `<NewsML Version="1.2"/>`, false},
		{"RSS", `<rss version="2.0"/>`, false},
		{"Atom", `<feed xmlns="http://www.w3.org/2005/Atom"/>`, false},
		{"HTML", `<html><body/></html>`, false},
		{"JSON", `{"guid":"x"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := wire.SniffShape([]byte(tt.in))
			if got := Match(&s); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	for _, path := range wiretest.Fixtures(t, "newsml-g2") {
		s := wire.SniffShape(wiretest.Read(t, path))
		if !Match(&s) {
			t.Errorf("Match(%s) = false", filepath.Base(path))
		}
	}
	// No other format's fixture is NewsML-G2.
	others, err := os.ReadDir(wiretest.FixtureDir(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range others {
		if !dir.IsDir() || dir.Name() == "newsml-g2" {
			continue
		}
		for _, path := range wiretest.Fixtures(t, dir.Name()) {
			s := wire.SniffShape(wiretest.Read(t, path))
			if Match(&s) {
				t.Errorf("Match(%s/%s) = true", dir.Name(), filepath.Base(path))
			}
		}
	}
}

func TestSplitDateline(t *testing.T) {
	tests := []struct {
		in   string
		want *story.Dateline
	}{
		{"STOCKHOLM, Aug 29, 2014 (AFP) -", &story.Dateline{Place: "STOCKHOLM", Date: "Aug 29, 2014", Source: "AFP"}},
		{"London (dpa) - ", &story.Dateline{Place: "London", Source: "dpa"}},
		{"FORT WASHINGTON, Pa.", &story.Dateline{Place: "FORT WASHINGTON, Pa."}},
		{"Jan. 12 (BusinessDesk) -", &story.Dateline{Date: "Jan. 12", Source: "BusinessDesk"}},
		{"BERLIN, 12. März (dpa) —", &story.Dateline{Place: "BERLIN", Date: "12. März", Source: "dpa"}},
		{"WASHINGTON,\n  Jan 30 (Reuters) -", &story.Dateline{Place: "WASHINGTON", Date: "Jan 30", Source: "Reuters"}},
		{"(AP) -", &story.Dateline{Source: "AP"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, SplitDateline(tt.in)); diff != "" {
			t.Errorf("SplitDateline(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSignals(t *testing.T) {
	tests := []struct {
		name      string
		itemMeta  string
		slugline  string
		want      []string
		wantNotes string
	}{
		{"IPTC signals", `<signal qcode="sig:update"/><signal qcode="sig:correction"/><signal qcode="sic:TABLE"/><signal qcode="apsig:consumerready"/>`, "", []string{"update", "correction", "table"}, ""},
		{"dpa flash note", `<edNote role="dpaednoterole:editorialnote">dpa-Eilmeldung</edNote>`, "", []string{"flash"}, "dpa-Eilmeldung"},
		{"dpa correction note", `<edNote>Berichtigung: Name korrigiert</edNote>`, "", []string{"correction"}, "Berichtigung: Name korrigiert"},
		{"nonpublic notes are left out", `<edNote pubconstraint="dpapconstraint:nonpublic">Kontakt: 030</edNote><edNote role="dpaednoterole:closingline">dpa xy</edNote>`, "", nil, ""},
		{"AP writethru take key", ``, "BC-US--Earns-X, 2nd Ld-Writethru", []string{"writethru"}, ""},
		{"AP correction take key", ``, "BC-EU--Britain-Brexit, Correction", []string{"correction"}, ""},
		{"AP keyword is not a take key", ``, "BC-US--Correction Officers-Strike", nil, ""},
		{"Reuters update", ``, "GLOBAL-PRECIOUS/ (UPDATE 2)", []string{"update"}, ""},
		{"Reuters corrected", ``, "USA-FED/ (CORRECTED)", []string{"correction"}, ""},
		{"repeats once", `<signal qcode="sig:update"/>`, "X/ (UPDATE 1)", []string{"update"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := g2("g", tt.itemMeta, `<slugline>`+tt.slugline+`</slugline>`, ``)
			items, err := Decode([]byte(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, items[0].Signals); diff != "" {
				t.Errorf("signals mismatch (-want +got):\n%s", diff)
			}
			if items[0].EdNote != tt.wantNotes {
				t.Errorf("ednote = %q, want %q", items[0].EdNote, tt.wantNotes)
			}
		})
	}
}

func TestWireTextHTML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"indented lines start paragraphs, wrapped lines join", "(Adds x)\n    * One\n    By A\n    Lead line\nwrapped  here \n\n (Reporting by B;\nEditing by C)", "<p>(Adds x)</p><p>* One</p><p>By A</p><p>Lead line wrapped  here</p><p>(Reporting by B; Editing by C)</p>"},
		{"a table stays aligned", "Results\nA    1 B    2\nC    3 D    4\nE    5 F    6\n", "<pre>Results\nA    1 B    2\nC    3 D    4\nE    5 F    6</pre>"},
		{"markup is escaped", "a < b\n  & c", "<p>a &lt; b</p><p>&amp; c</p>"},
		{"no-break spaces are text", "\u00a0x\n  y", "<p>\u00a0x</p><p>y</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wireTextHTML(tt.in); got != tt.want {
				t.Errorf("wireTextHTML(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
