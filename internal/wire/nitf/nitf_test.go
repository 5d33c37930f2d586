package nitf

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// fixtures lists every fixture this package decodes: the nitf folder and
// the NITF rendition of the AP Media API item.
func fixtures(t testing.TB) []string {
	t.Helper()
	return append(wiretest.Fixtures(t, "nitf"), filepath.Join(wiretest.FixtureDir(t, "ap"), "ap_media_text_item_nitf.xml"))
}

func ptr[T any](v T) *T { return &v }

func mustTime(t *testing.T, s string) *time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// TestFixtures asserts what EXPECTED.md states for each fixture, mapped to
// the canonical item, and what its MANIFEST entry says makes it hard.
func TestFixtures(t *testing.T) {
	type fixtureWant struct {
		uri, version, headline, slugline, byline, ednote, description string
		pubstatus                                                     story.PubStatus
		firstCreated, versionCreated, embargoed                       string // RFC 3339, "" = absent
		urgency, wordcount                                            *int
		dateline                                                      *story.Dateline
		subjects, places                                              []story.Entity
		keywords                                                      []string
		agency, copyright, language                                   string
		bodyPrefix                                                    string   // body_html starts with
		bodyContains                                                  []string // body_html contains
		bodyExcludes                                                  []string // body_html does not contain
	}
	tests := []struct {
		file string
		want fixtureWant
	}{
		{"aap_abc_monitor.xml", fixtureWant{
			uri:         "AAP.115314987.5417374",
			pubstatus:   story.Usable,
			headline:    "The main stories on today's 1900 ABC TV news",
			slugline:    "Monitor 1900 ABC News",
			description: "The main stories on today's 1900 ABC TV news", // the abstract
			byline:      "By John Doe",
			dateline:    &story.Dateline{Place: "Sydney"},
			// 20131020T192751+1100 keeps its offset: 2013-10-20T08:27:51Z.
			firstCreated:   "2013-10-20T19:27:51+11:00",
			versionCreated: "2013-10-20T19:27:51+11:00",
			urgency:        ptr(5),
			wordcount:      ptr(349), // anpa-wordcount "0349"
			subjects: []story.Entity{
				{Code: "02000000", Name: "Justice", Scheme: "iptc-subjectcode"},
				{Code: "02003000", Name: "Police", Scheme: "iptc-subjectcode"},
				{Code: "02003001", Name: "law enforcement", Scheme: "iptc-subjectcode"},
				{Code: "02003002", Name: "investigation", Scheme: "iptc-subjectcode"},
			},
			agency:       "Australian Associated Press",
			copyright:    "Australian Associated Press",
			bodyPrefix:   "<p>   The main stories on ABC television&#39;s 1900 news:</p>",
			bodyContains: []string{"<p>   1A) More extreme weather forecast over the next few days the <br/>fire situation is likely"},
			bodyExcludes: []string{"body.content", "<p></p>"},
		}},
		{"efe_honduras.xml", fixtureWant{
			uri:       "22751909",
			pubstatus: story.Usable,
			headline:  "Honduran president announces Cabinet changes",
			// EXPECTED: no byline key upstream (EFE's parser drops it); the
			// document's byline is the desk code "gr/bp", kept as sent.
			byline: "gr/bp",
			// The comment in the file: story.date's text is wrong, the norm
			// attribute is right; the dateline keeps the text as written and
			// the times come from date.issue@norm.
			dateline:       &story.Dateline{Date: "20170102T222800+0000"},
			firstCreated:   "2017-01-02T22:28:00Z",
			versionCreated: "2017-01-02T22:28:00Z",
			urgency:        ptr(5),
			wordcount:      ptr(279), // pubdata item-length, unit word
			description:    "HONDURAS GOVERNMENT\n\nTest Abstract",
			subjects: []story.Entity{
				{Code: "11000000", Name: "Politics", Scheme: "iptc-subjectcode"},
				{Code: "11006000", Name: "Government", Scheme: "iptc-subjectcode"},
				{Code: "11006005", Name: "Executive (government)", Scheme: "iptc-subjectcode"},
				{Code: "F01001000", Name: "GOVERNMENT", Scheme: "EFE"},
			},
			places:     []story.Entity{{Code: "HND", Name: "Tegucigalpa", Scheme: "iso3166-1a3"}},
			keywords:   []string{"HONDURAS GOVERNMENT"},
			agency:     "Agencia EFE",
			language:   "en-US",
			bodyPrefix: "<p>Tegucigalpa, Jan 2 (EFE).- Test body.",
		}},
		{"iptc_fishing_canceled.xml", fixtureWant{
			uri:       "iptc.321656141.b",
			version:   "1",
			pubstatus: story.Canceled, // the kill
			headline:  "Weather and Tide Updates for Norfolk",
			slugline:  "ongoing-winter-tide-updates",
			byline:    "By Alan Karben",
			ednote:    "Today begins an expanded format of this popular column.",
			dateline:  &story.Dateline{Place: "Newport News, VA"},
			// It replaces an earlier document (management-doc-idref): its
			// issue time is this version's, not the story's first.
			versionCreated: "2002-02-25T14:30:00-05:00",
			embargoed:      "2002-02-26T09:30:00-05:00", // released after issue
			urgency:        ptr(3),
			description:    "A sample, fictitious NITF article\n\nSuperb weather in Norfolk today. Tides coming in and out as per usual.",
			subjects: []story.Entity{
				{Code: "17000000", Name: "Weather", Scheme: "iptc-subjectcode"},
				{Code: "17004000", Name: "Statistics", Scheme: "iptc-subjectcode"},
				{Code: "04001002", Name: "Fishing Industry", Scheme: "iptc-subjectcode"},
			},
			places: []story.Entity{
				{Code: "US", Name: "Norfolk", Scheme: "iso3166-1a2"},
				{Code: "23602", Scheme: "zipcodes.usps.gov"}, // identified-content
			},
			keywords:   []string{"fishing", "lures", "tides"},
			agency:     "XML Team Solutions, Inc.",
			copyright:  "International Press Telecommunications Council",
			bodyPrefix: "<p>The weather was superb today in Norfolk, Virginia.",
			bodyContains: []string{
				"manufactured by the Acme Boat Company.</p>",
				"<h2>The Tides are High</h2>",
				"<h2>Local Nooks</h2>",
				"<li><em>Deer Creek:</em> This area",
				"<p>Stewart Klometers contributed to this article.</p>", // body.end tagline
			},
			bodyExcludes: []string{"high-tide.jpg", "captured on film", "created completely from scratch"},
		}},
		{"pa_brexit_latin1_pound.xml", fixtureWant{
			uri:            "17b7b4c3-6e05-4690-b7cb-37b5c99c9a86HHH-5-1",
			pubstatus:      story.Usable,
			headline:       "HARD BREXIT TO COST UK UP TO £66BN A YEAR, SAYS TREASURY",
			slugline:       "PA-HHH-POLITICS-Brexit",
			byline:         "By Sam Lister, Press Association Political Correspondent",
			description:    "Treasury coffers will take a £66 billion annual hit if Britain goes for a so-called hard Brexit, Cabinet ministers have been warned.",
			firstCreated:   "2016-10-11T00:13:27+01:00",
			versionCreated: "2016-10-11T00:13:27+01:00",
			urgency:        ptr(4),
			keywords:       []string{"Brexit"},
			agency:         "Press Association",
			copyright:      "Press Association",
			bodyPrefix:     "<p>Treasury coffers will take a £66 billion annual hit if Britain goes for a so-called hard Brexit",
			bodyContains:   []string{"between £38 billion and £66 billion", "published by George Osborne in April"},
			bodyExcludes:   []string{"<person>", "<location>", "\ufffd"},
		}},
		{"ap_media_text_item_nitf.xml", fixtureWant{
			// doc-id has no id-string: the AP rendition's id is in its JSON
			// item (ap_media_text_item.json), so ParseDocument leaves it out.
			pubstatus:      story.Usable,
			headline:       "BC-BBN--Top Ten",
			firstCreated:   "2019-07-03T04:05:12Z",
			versionCreated: "2019-07-03T04:05:12Z",
			agency:         "The Associated Press",
			copyright:      "AP",
			bodyPrefix:     "<h2>BC-BBN--Top Ten</h2>",
			bodyContains:   []string{"<th>BASEBALL&#39;S TOP TEN</th>", "<td>McNeil NYM</td>", "<td>.351</td>", "<p>Yelich, Milwaukee, 31;"},
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var path string
			for _, p := range fixtures(t) {
				if filepath.Base(p) == tt.file {
					path = p
				}
			}
			if path == "" {
				t.Fatalf("fixture %s not found", tt.file)
			}
			seen[tt.file] = true
			data := wiretest.Read(t, path)
			it, err := ParseDocument(data, &wire.Options{Agency: "configured", SHA256: "abc"})
			if err != nil {
				t.Fatalf("ParseDocument: %v", err)
			}
			w := tt.want
			want := story.Item{
				URI: w.uri, Version: w.version, PubStatus: w.pubstatus, Type: "text",
				Urgency: w.urgency, Headline: w.headline, Slugline: w.slugline, Byline: w.byline,
				Dateline: w.dateline, EdNote: w.ednote, Description: w.description, WordCount: w.wordcount,
				Subjects: w.subjects, Places: w.places, Keywords: w.keywords, Copyright: w.copyright,
				Language: w.language,
				Source:   story.ItemSource{Format: "nitf", Agency: w.agency, SHA256: "abc"},
			}
			for _, d := range []struct {
				s   string
				dst **time.Time
			}{{w.firstCreated, &want.FirstCreated}, {w.versionCreated, &want.VersionCreated}, {w.embargoed, &want.Embargoed}} {
				if d.s != "" {
					*d.dst = mustTime(t, d.s)
				}
			}
			got := *it
			// Checked on their own below, or not stated by EXPECTED.md.
			got.BodyHTML, got.BodyText, got.UsageTerms, got.Signals = "", "", "", nil
			got.People, got.Organisations, got.Link = nil, nil, ""
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("item mismatch (-want +got):\n%s", diff)
			}
			// Offsets are the ones the agency wrote, not UTC.
			for _, tm := range []*time.Time{it.FirstCreated, it.VersionCreated, it.Embargoed} {
				if tm == nil {
					continue
				}
				if tm.Location() == time.Local {
					t.Errorf("time %v is in the machine's zone", tm)
				}
			}
			if !strings.HasPrefix(it.BodyHTML, w.bodyPrefix) {
				t.Errorf("body_html begins %.120q, want %q", it.BodyHTML, w.bodyPrefix)
			}
			for _, s := range w.bodyContains {
				if !strings.Contains(it.BodyHTML, s) {
					t.Errorf("body_html does not contain %q", s)
				}
			}
			for _, s := range w.bodyExcludes {
				if strings.Contains(it.BodyHTML+it.BodyText, s) {
					t.Errorf("body contains %q", s)
				}
			}
			if it.BodyText == "" || it.BodyText != sanitize.New().Text(it.BodyHTML) {
				t.Errorf("body_text is not the text of body_html: %.80q", it.BodyText)
			}
		})
	}
	for _, p := range fixtures(t) {
		if !seen[filepath.Base(p)] {
			t.Errorf("fixture %s has no assertions", filepath.Base(p))
		}
	}
}

// TestDecodeFixtures checks what Decode adds to ParseDocument: one item with
// the format, or, for the AP rendition without an id, a skip that says why.
func TestDecodeFixtures(t *testing.T) {
	for _, path := range fixtures(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			items, err := Decode(wiretest.Read(t, path), nil)
			if name == "ap_media_text_item_nitf.xml" {
				var pe *wire.PartialError
				if !errors.As(err, &pe) || len(items) != 0 || len(pe.Skipped) != 1 || !strings.Contains(pe.Skipped[0].Reason, "no doc-id") {
					t.Fatalf("Decode = %d items, %v; want none and a skip naming the missing doc-id", len(items), err)
				}
				return
			}
			if err != nil || len(items) != 1 {
				t.Fatalf("Decode = %d items, %v; want 1 item", len(items), err)
			}
			if got := items[0].Source.Format; got != Format {
				t.Errorf("source.format = %q, want %q", got, Format)
			}
		})
	}
}

// TestGolden pins the whole canonical item of every fixture.
func TestGolden(t *testing.T) {
	for _, path := range fixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, &wire.Options{SHA256: story.SHA256Hex(data)})
			wiretest.Golden(t, wiretest.GoldenName(path), wiretest.Lines(items, err))
		})
	}
}

// TestVerbatimFixtures proves that sanitizing each fixture's body (and
// abstract) removed markup and never words.
func TestVerbatimFixtures(t *testing.T) {
	p := sanitize.New()
	for _, path := range fixtures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			root, err := parseDocument(wire.XMLToUTF8(wiretest.Read(t, path)))
			if err != nil {
				t.Fatal(err)
			}
			body := root.Child("body")
			sources := []string{bodyHTML(bodyParts(body))}
			for _, a := range body.Child("body.head").Children("abstract") {
				sources = append(sources, bodyHTML(a.Kids))
			}
			for _, src := range sources {
				if src == "" {
					continue
				}
				if err := sanitize.VerbatimCheck(src, p.HTML(src)); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// doc builds a small NITF document around docdata, body.head and
// body.content parts.
func doc(docdata, bodyHead, bodyContent string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<nitf><head><docdata>` + docdata + `</docdata></head>
<body><body.head>` + bodyHead + `</body.head><body.content>` + bodyContent + `</body.content></body></nitf>`
}

func TestParseDocumentMapping(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	const id = `<doc-id id-string="x-1"/>`
	tests := []struct {
		name  string
		in    string
		opts  *wire.Options
		check func(t *testing.T, it *story.Item)
	}{
		{"withheld", `<nitf><head><docdata management-status="withheld">` + id + `</docdata></head></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.PubStatus != story.Withheld {
					t.Errorf("pubstatus = %q, want withheld", it.PubStatus)
				}
			}},
		{"cancelled spelled the British way", `<nitf><head><docdata management-status="Cancelled">` + id + `</docdata></head></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.PubStatus != story.Canceled {
					t.Errorf("pubstatus = %q, want canceled", it.PubStatus)
				}
			}},
		{"embargoed status with a release time", `<nitf><head><docdata management-status="embargoed">` + id + `<date.release norm="20300101T060000+0100"/></docdata></head></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.PubStatus != story.Usable || it.Embargoed == nil || it.Embargoed.Format(time.RFC3339) != "2030-01-01T06:00:00+01:00" {
					t.Errorf("pubstatus %q embargoed %v, want usable and 2030-01-01T06:00:00+01:00", it.PubStatus, it.Embargoed)
				}
			}},
		{"release at issue time is no embargo", doc(id+`<date.issue norm="20200101T100000Z"/><date.release norm="20200101T100000Z"/>`, "", ""), nil,
			func(t *testing.T, it *story.Item) {
				if it.Embargoed != nil {
					t.Errorf("embargoed = %v, want none", it.Embargoed)
				}
			}},
		{"zone-less time in the configured zone", doc(id+`<date.issue norm="20200701T100000"/>`, "", ""), &wire.Options{Location: berlin},
			func(t *testing.T, it *story.Item) {
				if it.VersionCreated == nil || it.VersionCreated.Format(time.RFC3339) != "2020-07-01T10:00:00+02:00" {
					t.Errorf("versioncreated = %v, want 2020-07-01T10:00:00+02:00", it.VersionCreated)
				}
			}},
		{"a later du-key version has no first-created time", doc(id+`<du-key key="k" version="3"/><date.issue norm="20200101T100000Z"/>`, "", ""), nil,
			func(t *testing.T, it *story.Item) {
				if it.Version != "3" || it.FirstCreated != nil || it.VersionCreated == nil {
					t.Errorf("version %q firstcreated %v versioncreated %v; want 3, none, set", it.Version, it.FirstCreated, it.VersionCreated)
				}
			}},
		{"empty urgency and word count are unknown", `<nitf><head><meta name="anpa-wordcount" content=""/><pubdata item-length="" unit-of-measure="word"/><docdata>` + id + `<urgency ed-urg=""/></docdata></head></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.Urgency != nil || it.WordCount != nil {
					t.Errorf("urgency %v wordcount %v, want both unknown", it.Urgency, it.WordCount)
				}
			}},
		{"signals from the take key and editor's message type", `<nitf><head><meta name="anpa-takekey" content="1stLd-Writethru"/><docdata>` + id + `<ed-msg info="Fixes name" msg-type="Correction"/></docdata></head></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if diff := cmp.Diff([]string{"update", "writethru", "correction"}, it.Signals); diff != "" {
					t.Errorf("signals (-want +got):\n%s", diff)
				}
				if it.EdNote != "Fixes name" {
					t.Errorf("ednote = %q", it.EdNote)
				}
			}},
		{"headline keeps no-break spaces and quotes, line breaks become spaces",
			doc(id, "<hedline><hl1>\n  «Hard»\u00a0Brexit:\n\t“10\u00a0km” <em>now</em><br/>too </hl1></hedline>", ""), nil,
			func(t *testing.T, it *story.Item) {
				if want := "«Hard»\u00a0Brexit: “10\u00a0km” now too"; it.Headline != want {
					t.Errorf("headline = %q, want %q", it.Headline, want)
				}
			}},
		{"headline from the title when there is no hl1",
			`<nitf><head><title>Title words</title><docdata>` + id + `</docdata></head></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.Headline != "Title words" {
					t.Errorf("headline = %q", it.Headline)
				}
			}},
		{"byline without the writer's title, two bylines",
			doc(id, "<byline>By Meredith Jameson, <byttl>Staff Reporter</byttl></byline><byline>\n  By <person>Ann Lee</person>\n</byline>", ""), nil,
			func(t *testing.T, it *story.Item) {
				if want := "By Meredith Jameson, By Ann Lee"; it.Byline != want {
					t.Errorf("byline = %q, want %q", it.Byline, want)
				}
			}},
		{"free-text dateline is the place",
			doc(id, "<dateline>BERLIN, Jan. 5</dateline>", ""), nil,
			func(t *testing.T, it *story.Item) {
				if diff := cmp.Diff(&story.Dateline{Place: "BERLIN, Jan. 5"}, it.Dateline); diff != "" {
					t.Errorf("dateline (-want +got):\n%s", diff)
				}
			}},
		{"identified content: people, organisations, places",
			doc(id+`<identified-content><person idsrc="wd" value="Q1">Ann Lee</person><org value="ACME">Acme Corp</org><location>Berlin</location></identified-content>`, "", ""), nil,
			func(t *testing.T, it *story.Item) {
				want := [][]story.Entity{
					{{Name: "Berlin"}},
					{{Code: "Q1", Name: "Ann Lee", Scheme: "wd"}},
					{{Code: "ACME", Name: "Acme Corp"}},
				}
				if diff := cmp.Diff(want, [][]story.Entity{it.Places, it.People, it.Organisations}); diff != "" {
					t.Errorf("entities (-want +got):\n%s", diff)
				}
			}},
		{"language from xml:lang, agency from the options when the document names none",
			`<nitf xml:lang="de_DE"><head><docdata>` + id + `</docdata></head></nitf>`, &wire.Options{Agency: "dpa"},
			func(t *testing.T, it *story.Item) {
				if it.Language != "de-DE" || it.Source.Agency != "dpa" {
					t.Errorf("language %q agency %q, want de-DE and dpa", it.Language, it.Source.Agency)
				}
			}},
		{"namespaced NITF 3.4", `<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><head><docdata>` + id + `</docdata></head><body><body.content><p>x</p></body.content></body></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.URI != "x-1" || it.BodyHTML != "<p>x</p>" {
					t.Errorf("uri %q body %q", it.URI, it.BodyHTML)
				}
			}},
		{"a kill without a body still decodes", `<nitf><head><docdata management-status="canceled">` + id + `</docdata></head><body/></nitf>`, nil,
			func(t *testing.T, it *story.Item) {
				if it.PubStatus != story.Canceled || it.BodyHTML != "" {
					t.Errorf("pubstatus %q body %q", it.PubStatus, it.BodyHTML)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := ParseDocument([]byte(tt.in), tt.opts)
			if err != nil {
				t.Fatalf("ParseDocument: %v", err)
			}
			tt.check(t, it)
		})
	}
}

func TestDecodeIdentity(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantURI     string
		wantDerived bool
		wantSkip    bool
	}{
		{"doc-id", doc(`<doc-id id-string=" a.1 "/>`, "", ""), "a.1", false, false},
		{"ex-ref link when there is no doc-id",
			`<nitf><head><docdata/><pubdata ex-ref="HTTP://Example.ORG/doc?utm_source=x&amp;id=7#top"/></head></nitf>`,
			"http://example.org/doc?id=7", true, false},
		{"neither", doc(`<doc-id regsrc="AP"/>`, "", ""), "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.in), nil)
			if tt.wantSkip {
				var pe *wire.PartialError
				if !errors.As(err, &pe) || len(items) != 0 {
					t.Fatalf("Decode = %v, %v; want no items and a *wire.PartialError", items, err)
				}
				return
			}
			if err != nil || len(items) != 1 {
				t.Fatalf("Decode = %d items, %v", len(items), err)
			}
			if items[0].URI != tt.wantURI || items[0].IDDerived != tt.wantDerived {
				t.Errorf("uri %q derived %v, want %q %v", items[0].URI, items[0].IDDerived, tt.wantURI, tt.wantDerived)
			}
		})
	}
}

// billionLaughs is the classic entity bomb: ten levels of ten references.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		b.WriteString(`<!ENTITY lol` + string(rune('0'+i)) + ` "`)
		for j := 0; j < 10; j++ {
			b.WriteString(`&lol` + string(rune('0'+i-1)) + `;`)
		}
		b.WriteString(`">`)
	}
	b.WriteString(`]><nitf><head><title>&lol9;</title></head></nitf>`)
	return b.String()
}

func TestDecodeBadInput(t *testing.T) {
	full := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "nitf"), "aap_abc_monitor.xml"))
	tests := []struct {
		name string
		in   []byte
		want string // in the error text
	}{
		{"empty", nil, "decode nitf: empty document"},
		{"whitespace and BOM", []byte("\xEF\xBB\xBF \n\t"), "empty document"},
		{"truncated", full[:len(full)/2], "truncated XML: unexpected end of document at line 36, column 17"},
		{"wrong root", []byte(`<rss version="2.0"><channel/></rss>`), "not NITF: the root element is <rss>"},
		{"HTML page", []byte("<!DOCTYPE html>\n<html><head><title>Moved</title></head><body>x</body></html>"), "not NITF: the root element is <html>"},
		{"entity bomb", []byte(billionLaughs()), "declares entities (<!ENTITY>); refused without expanding them at line 1"},
		{"undeclared entity", []byte(`<nitf><head><title>&lol9;</title></head></nitf>`), "line 1, column"},
		{"binary garbage", []byte("\x00\x01\x02\xff\xfe<\x00garbage\x1b[0m"), "illegal character code U+0000 at line 1, column 8"},
		{"text, not XML", []byte("ZCZC plain wire text"), "not XML: text where the root element should start at line 1"},
		{"text after the root", []byte("<nitf/>\ntrailing words"), "text after the root element at line 2"},
		{"second root", []byte("<nitf/><nitf/>"), "a second root element <nitf>"},
		{"mismatched tags", []byte("<nitf><head><title>x</head></title></nitf>"), "element <title> closed by </head>"},
		{"too deep", []byte(strings.Repeat("<p>", 300)), "nested deeper than 256 levels"},
		{"over the size limit", make([]byte, wire.MaxDocumentBytes+1), "over the 64 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			items, err := Decode(tt.in, nil)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
			var we *wire.Error
			if !errors.As(err, &we) || items != nil {
				t.Fatalf("Decode = %v, %v; want no items and a *wire.Error", items, err)
			}
			if we.Format != Format || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
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
		{"NITF without namespace", `<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "nitf.dtd"><nitf><head/></nitf>`, true},
		{"NITF 3.4 namespace", `<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/" version="-//IPTC//DTD NITF 3.4//EN"/>`, true},
		{"Latin-1 declared", "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><nitf>\xa3</nitf>", true},
		{"RSS", `<rss version="2.0"><channel/></rss>`, false},
		{"Atom", `<feed xmlns="http://www.w3.org/2005/Atom"/>`, false},
		{"NewsML-G2 with NITF inside", `<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"><contentSet><inlineXML><nitf/></inlineXML></contentSet></newsItem>`, false},
		{"nitf in another namespace", `<nitf xmlns="urn:example"/>`, false},
		{"HTML", `<!DOCTYPE html><html><body>nitf</body></html>`, false},
		{"JSON", `{"nitf": 1}`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := wire.SniffShape([]byte(tt.in))
			if got := Match(&s); got != tt.want {
				t.Errorf("Match(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	for _, path := range fixtures(t) {
		s := wire.SniffShape(wiretest.Read(t, path))
		if !Match(&s) {
			t.Errorf("Match(%s) = false", filepath.Base(path))
		}
	}
	if Match(nil) {
		t.Error("Match(nil) = true")
	}
}

func FuzzDecode(f *testing.F) {
	for _, path := range fixtures(f) {
		f.Add(wiretest.Read(f, path))
	}
	for _, s := range []string{
		``,
		`<nitf/>`,
		doc(`<doc-id id-string="x"/><urgency ed-urg="1"/><date.issue norm="20200101T000000Z"/>`, `<hedline><hl1>H</hl1></hedline><byline>By <person>A</person><byttl>T</byttl></byline>`, `<p>a<em>b</em></p><pre> x </pre><table><tr><td colspan="2">c</td></tr></table>`),
		`<nitf><head><pubdata ex-ref="https://example.org/a"/><tobject><tobject.subject tobject.subject.refnum="15000000" tobject.subject.type="Sport"/></tobject></head></nitf>`,
		billionLaughs(),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Decode(data, &wire.Options{Agency: "fuzz"})
		var pe *wire.PartialError
		if err != nil && !errors.As(err, &pe) {
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %v is not a *wire.Error", err)
			}
			if items != nil {
				t.Fatalf("items %v with error %v", items, err)
			}
			return
		}
		for _, it := range items {
			if it.URI == "" {
				t.Errorf("item without uri")
			}
			switch it.PubStatus {
			case story.Usable, story.Withheld, story.Canceled:
			default:
				t.Errorf("pubstatus %q", it.PubStatus)
			}
		}
	})
}

// fixtureBytes returns every fixture's bytes and their total size.
func fixtureBytes(b *testing.B) ([][]byte, int64) {
	var docs [][]byte
	var total int64
	for _, path := range fixtures(b) {
		d := wiretest.Read(b, path)
		docs = append(docs, d)
		total += int64(len(d))
	}
	return docs, total
}

func BenchmarkDecode(b *testing.B) {
	docs, total := fixtureBytes(b)
	b.SetBytes(total)
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

// BenchmarkTokenScan reads the same documents' tokens and nothing more:
// the floor BenchmarkDecode is compared to. The scan reads UTF-8 only, so
// the Latin-1 fixture is converted before the clock starts.
func BenchmarkTokenScan(b *testing.B) {
	docs, total := fixtureBytes(b)
	for i, d := range docs {
		docs[i] = wire.XMLToUTF8(d)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := wiretest.XMLTokenScan(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
