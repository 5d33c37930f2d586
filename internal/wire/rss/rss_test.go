package rss

import (
	"errors"
	"fmt"
	"path"
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

func decodeFixture(t *testing.T, rel string, opts *wire.Options) []story.Item {
	t.Helper()
	items, err := Decode(readFixture(t, rel), opts)
	if err != nil {
		t.Fatalf("Decode(%s): %v", rel, err)
	}
	return items
}

// readFixture reads a shared fixture named by its folder and file name,
// "rss/guardian_us.xml".
func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	dir, file := path.Split(rel)
	return wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, path.Clean(dir)), file))
}

// rfc3339 formats a time as the canonical JSON does, offset included, or
// "" for an unknown time.
func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// itemFacts is the part of an item the fixture table below checks; the
// golden files pin down the rest. Times are RFC 3339 strings so that the
// offset is checked too, not only the instant.
type itemFacts struct {
	URI            string
	IDDerived      bool
	Link           string
	Headline       string
	Byline         string
	FirstCreated   string
	VersionCreated string
	Language       string
	Copyright      string
	Agency         string
	Format         string
}

func factsOf(it story.Item) itemFacts {
	return itemFacts{
		URI: it.URI, IDDerived: it.IDDerived, Link: it.Link, Headline: it.Headline, Byline: it.Byline,
		FirstCreated: rfc3339(it.FirstCreated), VersionCreated: rfc3339(it.VersionCreated),
		Language: it.Language, Copyright: it.Copyright, Agency: it.Source.Agency, Format: it.Source.Format,
	}
}

// TestFixtures checks, for every feed fixture, the values the fixtures'
// source projects assert upstream (shared/fixtures/wire/EXPECTED.md, mapped
// to our keys), and what the MANIFEST says makes each file hard: charsets,
// identity without ids, dates without zones, HTML in titles.
func TestFixtures(t *testing.T) {
	const (
		guardianRights = "Guardian News and Media Limited or its affiliated companies. All rights reserved. 2018"
		huffpost       = "HuffPost Canada - Athena2 - All Posts"
		heiseAtom      = "heise developer neueste Meldungen"
		register       = "The Register - Science"
		registerRights = "Copyright © 2019, Situation Publishing"
		influx         = "Blog – InfluxData"
	)
	tests := []struct {
		file      string
		wantCount int
		index     int // which item to check; negative counts from the end
		want      itemFacts
	}{
		// EXPECTED: 55 items; guid = link; dc:creator; pubDate in GMT.
		{"rss/guardian_us.xml", 55, 0, itemFacts{
			URI:      "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord",
			Link:     "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord",
			Headline: "Trump State of the Union address promised unity but emphasized discord",
			Byline:   "David Smith in Washington", FirstCreated: "2018-01-31T07:26:05Z",
			VersionCreated: "2018-01-31T07:26:05Z", Language: "en-GB", Copyright: guardianRights, Agency: "The Guardian", Format: "rss",
		}},
		{"rss/guardian_us.xml", 55, -1, itemFacts{
			URI:          "https://www.theguardian.com/artanddesign/gallery/2018/jan/31/earths-ultimate-yogis-in-pictures-yoga",
			Link:         "https://www.theguardian.com/artanddesign/gallery/2018/jan/31/earths-ultimate-yogis-in-pictures-yoga",
			Headline:     "Earth's ultimate yogis – in pictures", // an empty dc:creator: no byline
			FirstCreated: "2018-01-31T07:00:20Z", VersionCreated: "2018-01-31T07:00:20Z",
			Language: "en-GB", Copyright: guardianRights, Agency: "The Guardian", Format: "rss",
		}},
		// EXPECTED: feed title stripped, 2 entries, entries[0].id 23246627.
		// Titles are CDATA between newlines and indentation: trimmed at the
		// ends only.
		{"rss/huffpost_canada_cdata_whitespace.xml", 2, 0, itemFacts{
			URI:      "23246627",
			Link:     "http://www.huffingtonpost.ca/2017/10/17/winnipeg-high-school-orders-custom-hijabs-for-muslim-athletes_a_23246627/",
			Headline: "Winnipeg High School Orders Custom Hijabs For Muslim Athletes",
			Byline:   "Canadian Press", FirstCreated: "2017-10-17T22:17:00Z", VersionCreated: "2017-10-17T22:17:00Z",
			Language: "en", Copyright: "copyright AOL 2017", Agency: huffpost, Format: "rss",
		}},
		// No guid: identity from the link, never from the media:content's
		// nested dc:identifier ("1", shared by every image), which is what
		// feedjira's test asserts for entries[1].
		{"rss/huffpost_canada_cdata_whitespace.xml", 2, 1, itemFacts{
			URI:       "http://www.huffingtonpost.ca/adrian-sutherland/the-once-in-a-lifetime-thrill-of-opening-for-tom-petty_a_23234370/",
			IDDerived: true,
			Link:      "http://www.huffingtonpost.ca/adrian-sutherland/the-once-in-a-lifetime-thrill-of-opening-for-tom-petty_a_23234370/",
			Headline:  "The Once-In-A-Lifetime Thrill Of Opening For Tom Petty", Byline: "Adrian Sutherland",
			FirstCreated: "2017-10-17T21:38:00Z", VersionCreated: "2017-10-17T21:38:00Z",
			Language: "en", Copyright: "copyright AOL 2017", Agency: huffpost, Format: "rss",
		}},
		// EXPECTED: id 4956764 and the title. The pubDate has no zone:
		// read in the source's zone (UTC here; New York in
		// TestDecodeOptions, as feed-rs's custom parser test does).
		{"rss/nbcny_nonstandard_pubdate.xml", 1, 0, itemFacts{
			URI:      "4956764",
			Link:     "https://www.nbcnewyork.com/news/local/nyc-cops-search-for-stabbing-suspect-after-leaving-18-year-old-to-bleed-out-on-sidewalk/4956764/",
			Headline: "NYC cops search for stabbing suspect after leaving 18-year-old to bleed out on sidewalk",
			Byline:   "Gaby Acevedo and Jessica Cunnington", FirstCreated: "2023-12-16T14:02:33Z",
			VersionCreated: "2023-12-16T14:02:33Z", Language: "en-US", Copyright: "Copyright 2023", Agency: "NBC New York", Format: "rss",
		}},
		// Declared ISO-8859-1: umlauts must come out as UTF-8.
		{"rss/golem_rss2_iso8859-1.xml", 40, 4, itemFacts{
			URI:          "https://www.golem.de/1810/137353-rss.html",
			Link:         "https://www.golem.de/news/machine-learning-von-ki-erstelltes-portraet-fuer-432-500-us-dollar-versteigert-1810-137353-rss.html",
			Headline:     "Machine Learning: Von KI erstelltes Porträt für 432.500 US.Dollar versteigert",
			FirstCreated: "2018-10-27T13:33:00+01:00", VersionCreated: "2018-10-27T13:33:00+01:00",
			Language: "de", Agency: "Golem.de", Format: "rss",
		}},
		// RSS 0.9 RDF: no guids, no dates.
		{"rss/heise_rdf_rss090.xml", 60, 1, itemFacts{
			URI:       "https://www.heise.de/newsticker/meldung/Mega-Deal-IBM-uebernimmt-Red-Hat-4205582.html?wt_mc=rss.ho.beitrag.rdf",
			IDDerived: true,
			Link:      "https://www.heise.de/newsticker/meldung/Mega-Deal-IBM-uebernimmt-Red-Hat-4205582.html?wt_mc=rss.ho.beitrag.rdf",
			Headline:  "Mega-Deal: IBM übernimmt Red Hat", Agency: "heise online News", Format: "rdf",
		}},
		// Right-to-left text in CDATA.
		{"rss/bbc_urdu_rtl_cdata.xml", 26, 0, itemFacts{
			URI:          "http://www.bbc.com/urdu/pakistan-42575603",
			Link:         "http://www.bbc.com/urdu/pakistan-42575603",
			Headline:     "امریکی عسکری امداد کی بندش کی وجوہات: انڈیا سے جنگ، جوہری پروگرام اور اب دہشت گردوں کی پشت پناہی",
			FirstCreated: "2018-01-05T16:51:00Z", VersionCreated: "2018-01-05T16:51:00Z",
			Language: "ur", Copyright: "کاپی رائٹ بی بی سی", Agency: "BBC News اردو - پاکستان کے لیے امریکی امداد کی بہار و خزاں", Format: "rss",
		}},
		// EXPECTED: 15 items; items[0] id and title, isoDate
		// 2016-02-01T16:22:00Z from source 2016-02-01T17:22:00+01:00 (we
		// keep the source's offset); last item title and date.
		{"atom/heise_developer.atom", 15, 0, itemFacts{
			URI: "http://heise.de/-3088438", Link: "http://www.heise.de/developer/meldung/Java-Anwendungsserver-Red-Hat-gibt-WildFly-10-frei-3088438.html?wt_mc=rss.developer.beitrag.atom",
			Headline: "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei",
			Byline:   "heise online", FirstCreated: "2016-02-01T17:22:00+01:00", VersionCreated: "2016-02-01T17:54:50+01:00",
			Copyright: "Copyright (c) 2016 Heise Medien", Agency: heiseAtom, Format: "atom",
		}},
		{"atom/heise_developer.atom", 15, -1, itemFacts{
			URI: "http://heise.de/-3086458", Link: "http://www.heise.de/developer/meldung/Apache-Software-Foundation-bekommt-ein-neues-Logo-3086458.html?wt_mc=rss.developer.beitrag.atom",
			Headline: "Apache Software Foundation bekommt ein neues Logo",
			Byline:   "heise online", FirstCreated: "2016-01-28T17:07:00+01:00", VersionCreated: "2016-01-28T17:07:04+01:00",
			Copyright: "Copyright (c) 2016 Heise Medien", Agency: heiseAtom, Format: "atom",
		}},
		// EXPECTED (full equality upstream): ids, updated, authors, titles
		// (type html), language en, rights. Entries with updated only have
		// no first-publication time.
		{"atom/theregister_science.atom", 2, 0, itemFacts{
			URI:      "tag:theregister.co.uk,2005:story204156",
			Link:     "http://go.theregister.com/feed/www.theregister.co.uk/2019/07/31/orbitbeyond_drops_nasa_moon_contract/",
			Headline: "Will someone plz dump our shizz on the Moon, NASA begs as one of the space biz vendors drops out",
			Byline:   "Richard Speed", VersionCreated: "2019-07-31T11:54:28Z",
			Language: "en", Copyright: registerRights, Agency: register, Format: "atom",
		}},
		{"atom/theregister_science.atom", 2, 1, itemFacts{
			URI:      "tag:theregister.co.uk,2005:story204131",
			Link:     "http://go.theregister.com/feed/www.theregister.co.uk/2019/07/30/french_arming_satellites/",
			Headline: "Satellites with lasers and machine guns coming! China's new plans? Trump's Space Force? Nope, the French",
			Byline:   "Kieren McCarthy", VersionCreated: "2019-07-30T05:41:09Z",
			Language: "en", Copyright: registerRights, Agency: register, Format: "atom",
		}},
		// EXPECTED: 20 entries; the title with its <b> tags stripped;
		// published == updated; the link is the url= target of Google's
		// redirect.
		{"atom/google_alerts_html_titles.atom", 20, 0, itemFacts{
			URI:          "tag:google.com,2013:googlealerts/feed:8974135267215335962",
			Link:         "https://www.aglobalmarketresearch.com/report-offers-prediction-of-automotive-slack-market-by-top-key-players-like-haldex-meritor-bendix-mei-wabco-accuride-stemco-tbk-febi-aydinsan/",
			Headline:     "Report offers Prediction of Automotive Slack Market by Top key players like Haldex, Meritor, Bendix ...",
			FirstCreated: "2019-07-10T11:53:37Z", VersionCreated: "2019-07-10T11:53:37Z",
			Agency: "Google Alert - Slack", Format: "atom",
		}},
		{"atom/google_alerts_html_titles.atom", 20, 1, itemFacts{
			URI:          "tag:google.com,2013:googlealerts/feed:13685523368333461374",
			Link:         "https://investorplace.com/2019/07/slack-stock-truly-compelling/",
			Headline:     "Slack Stock Has a Compelling Story and the Numbers to Back It Up",
			FirstCreated: "2019-07-10T11:46:48Z", VersionCreated: "2019-07-10T11:46:48Z",
			Agency: "Google Alert - Slack", Format: "atom",
		}},
		// EXPECTED (full equality upstream): titles, ids, dates, the author.
		// The link is url, not external_url.
		{"jsonfeed/daringfireball_1.0.json", 2, 0, itemFacts{
			URI: "https://daringfireball.net/linked/2020/01/24/bezos-iphone-x", Link: "https://daringfireball.net/linked/2020/01/24/bezos-iphone-x",
			Headline: "How Jeff Bezos’s iPhone X Was Hacked",
			Byline:   "John Gruber", FirstCreated: "2020-01-24T23:46:57Z", VersionCreated: "2020-01-24T23:46:57Z",
			Agency: "Daring Fireball", Format: "jsonfeed",
		}},
		{"jsonfeed/daringfireball_1.0.json", 2, 1, itemFacts{
			URI: "https://daringfireball.net/linked/2020/01/20/instagram-for-win95", Link: "https://daringfireball.net/linked/2020/01/20/instagram-for-win95",
			Headline: "Instagram for Windows 95",
			Byline:   "John Gruber", FirstCreated: "2020-01-21T01:07:00Z", VersionCreated: "2020-01-21T20:58:36Z",
			Agency: "Daring Fireball", Format: "jsonfeed",
		}},
		// EXPECTED: every id non-empty although the feed has none (derived
		// from the url); author and authors merged; the item without
		// authors inherits the feed's; the third item has no dates. The feed
		// title's "&#8211;" is decoded, as a reader shows it (feed-rs keeps
		// the entity raw).
		{"jsonfeed/influxdata_1.1_missing_ids.json", 3, 0, itemFacts{
			URI:          "https://www.influxdata.com/blog/influxdb-outperforms-graphite-in-time-series-data-metrics-benchmark",
			IDDerived:    true,
			Link:         "https://www.influxdata.com/blog/influxdb-outperforms-graphite-in-time-series-data-metrics-benchmark",
			Headline:     "InfluxDB vs. Graphite for Time Series Data & Metrics Benchmark",
			Byline:       "Fake Author 2, Chris Churilo, Fake Author 1",
			FirstCreated: "2019-05-31T12:17:58-07:00", VersionCreated: "2019-05-31T12:17:58-07:00",
			Language: "en-US", Agency: influx, Format: "jsonfeed",
		}},
		{"jsonfeed/influxdata_1.1_missing_ids.json", 3, 1, itemFacts{
			URI:       "https://www.influxdata.com/blog/influxdb-markedly-elasticsearch-in-time-series-data-metrics-benchmark",
			IDDerived: true,
			Link:      "https://www.influxdata.com/blog/influxdb-markedly-elasticsearch-in-time-series-data-metrics-benchmark",
			Headline:  "InfluxDB vs. Elasticsearch for Time Series Data & Metrics Benchmark", Byline: "Chris Churilo",
			FirstCreated: "2018-02-06T06:34:12-07:00", VersionCreated: "2018-02-06T06:34:12-07:00",
			Language: "en-AU", Agency: influx, Format: "jsonfeed",
		}},
		{"jsonfeed/influxdata_1.1_missing_ids.json", 3, 2, itemFacts{
			URI: "https://example.com/", IDDerived: true, Link: "https://example.com",
			Headline: "Fake item", Byline: "Fake Author 3, Fake Author 4",
			Language: "en-US", Agency: influx, Format: "jsonfeed",
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s[%d]", tt.file, tt.index), func(t *testing.T) {
			items := decodeFixture(t, tt.file, nil)
			if len(items) != tt.wantCount {
				t.Fatalf("got %d items, want %d", len(items), tt.wantCount)
			}
			i := tt.index
			if i < 0 {
				i += len(items)
			}
			if diff := cmp.Diff(tt.want, factsOf(items[i])); diff != "" {
				t.Errorf("item %d mismatch (-want +got):\n%s", i, diff)
			}
		})
	}
}

// TestFixtureBodies checks the bodies EXPECTED.md states: the Google Alerts
// entry content with its <b> and &nbsp;, and the lengths of Daring
// Fireball's content_html as sent (feed-rs counts bytes).
func TestFixtureBodies(t *testing.T) {
	t.Run("google alerts content", func(t *testing.T) {
		items := decodeFixture(t, "atom/google_alerts_html_titles.atom", nil)
		want := [2]string{
			"Automotive <b>Slack</b> Market reports provides a comprehensive overview of the global market size and share. It provides strategists, marketers and senior\u00a0...",
			"Automotive Slack Market reports provides a comprehensive overview of the global market size and share. It provides strategists, marketers and senior\u00a0...",
		}
		if diff := cmp.Diff(want, [2]string{items[0].BodyHTML, items[0].BodyText}); diff != "" {
			t.Errorf("body_html, body_text mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("daring fireball content lengths", func(t *testing.T) {
		f, err := Parse(readFixture(t, "jsonfeed/daringfireball_1.0.json"))
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, e := range f.Entries {
			got = append(got, len(e.Content)) // bytes, as Rust counts
		}
		if diff := cmp.Diff([]int{177, 41}, got); diff != "" {
			t.Errorf("content_html lengths mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestDecodeOptions(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	items := decodeFixture(t, "rss/nbcny_nonstandard_pubdate.xml", &wire.Options{
		Agency: "NBC", Location: newYork, SHA256: "abc",
	})
	got := factsOf(items[0])
	if want := "2023-12-16T14:02:33-05:00"; got.FirstCreated != want {
		t.Errorf("FirstCreated = %v, want %v (the zoneless pubDate read in New York time: 19:02:33Z)", got.FirstCreated, want)
	}
	if want := (story.ItemSource{Format: "rss", Agency: "NBC", SHA256: "abc"}); items[0].Source != want {
		t.Errorf("Source = %+v, want %+v", items[0].Source, want)
	}
}

// TestDecodeBodiesAreVerbatim checks every decoded body of every fixture
// against the feed's own HTML: sanitizing removed markup, not words.
func TestDecodeBodiesAreVerbatim(t *testing.T) {
	for _, path := range feedFixtures(t) {
		data := wiretest.Read(t, path)
		f, err := Parse(data)
		if err != nil {
			continue // the rejected fixtures; see TestDecodeErrors
		}
		items, err := Decode(data, nil)
		if err != nil {
			t.Fatalf("Decode(%s): %v", path, err)
		}
		for i, it := range items {
			src := f.Entries[i].Content
			if strings.TrimSpace(src) == "" {
				src = f.Entries[i].Summary
			}
			if err := sanitize.VerbatimCheck(src, it.BodyHTML); err != nil {
				t.Errorf("%s item %d: %v", filepath.Base(path), i, err)
			}
			if it.BodyText != sanitize.New().Text(it.BodyHTML) {
				t.Errorf("%s item %d: body_text is not the text of body_html", filepath.Base(path), i)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		wantReason string // prefix
	}{
		{"HTML page fixture", readFixture(t, "rss/marketwatch_html_document_moved.xml"), "not a feed: this is an HTML page"},
		{"truncated fixture", readFixture(t, "rss/reuters_truncated_invalid.xml"), "truncated or malformed XML at line 19"},
		{"empty", nil, "empty document"},
		{"whitespace", []byte(" \n\t"), "empty document"},
		{"HTML with doctype", []byte("<!DOCTYPE html><html><body>Moved</body></html>"), "not a feed: this is an HTML page"},
		{"other XML", []byte(`<nitf><head/></nitf>`), "not a feed: XML root element <nitf>"},
		{"other JSON", []byte(`{"uri":"x","version":"2"}`), "not a feed: JSON object with keys uri, version"},
		{"truncated Atom", []byte("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<entry>\n<id>x</id>"), "truncated or malformed XML at line 3"},
		{"broken JSON Feed", []byte(`{"version":"https://jsonfeed.org/version/1","items":[`), "malformed document"},
		{"JSON Feed with items not a list", []byte(`{"version":"https://jsonfeed.org/version/1","items":{}}`), "cannot read JSON Feed"},
		{"plain text", []byte("ZCZC hello"), "not a feed: not XML or JSON"},
		{"wrong root: OPML", []byte(`<?xml version="1.0"?><opml version="2.0"><body/></opml>`), "not a feed: XML root element <opml>"},
		{"wrong root: RSS element in a namespace", []byte(`<feed xmlns="urn:example:other"><entry/></feed>`), `not a feed: XML root element <feed xmlns="urn:example:other">`},
		{"binary garbage", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"), "not a feed: not XML or JSON"},
		{"NUL bytes", make([]byte, 64), "not a feed: not XML or JSON"},
		{"garbage after a start tag", []byte("<rss>\x00\x01\x02\xff\xfe"), "truncated or malformed XML at line 1"},
		{"JSON Feed with a bad member", []byte(`{"version":"https://jsonfeed.org/version/1","title":7,"items":[]}`), "cannot read JSON Feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(tt.in, nil)
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("Decode = %v, %v; want a *wire.Error", items, err)
			}
			if !strings.HasPrefix(we.Reason, tt.wantReason) {
				t.Errorf("Reason = %q, want prefix %q", we.Reason, tt.wantReason)
			}
			if items != nil {
				t.Errorf("items = %v, want none with an error", items)
			}
		})
	}
}

func TestDecodeSynthetic(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      []itemFacts
		wantSkips []wire.Skip
	}{
		{
			name: "atom entry with updated only has no first publication",
			in: `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><author><name>Desk</name></author>
<entry><id>urn:1</id><title>A</title><updated>2024-03-12T10:00:00Z</updated></entry>
<entry><id>urn:2</id><title>B</title><published>2024-03-12T09:00:00+01:00</published><updated>2024-03-12T10:00:00Z</updated><author><name>Ann</name></author><author><name>Bob</name></author></entry>
</feed>`,
			want: []itemFacts{
				{URI: "urn:1", Headline: "A", Byline: "Desk", VersionCreated: "2024-03-12T10:00:00Z", Agency: "T", Format: "atom"},
				{URI: "urn:2", Headline: "B", Byline: "Ann, Bob", FirstCreated: "2024-03-12T09:00:00+01:00", VersionCreated: "2024-03-12T10:00:00Z", Agency: "T", Format: "atom"},
			},
		},
		{
			name: "entries without id or link are skipped, the others kept",
			in: `<rss version="2.0"><channel><title>T</title><link>https://news.example/</link>
<item><title>no id no link</title></item>
<item><title>guid</title><guid isPermaLink="false">  g-1  </guid></item>
<item><title>link</title><link>HTTPS://News.Example/a/b?utm_source=rss&amp;x=1#top</link></item>
<item><title>relative link</title><link>/c/d</link></item>
<item><title>bad link</title><link>mailto:desk@news.example</link></item>
<item><title>permalink guid</title><guid>https://news.example/e</guid></item>
</channel></rss>`,
			want: []itemFacts{
				{URI: "g-1", Headline: "guid", Agency: "T", Format: "rss"},
				{URI: "https://news.example/a/b?x=1", IDDerived: true, Link: "HTTPS://News.Example/a/b?utm_source=rss&x=1#top", Headline: "link", Agency: "T", Format: "rss"},
				{URI: "https://news.example/c/d", IDDerived: true, Link: "https://news.example/c/d", Headline: "relative link", Agency: "T", Format: "rss"},
				{URI: "https://news.example/e", Link: "https://news.example/e", Headline: "permalink guid", Agency: "T", Format: "rss"},
			},
			wantSkips: []wire.Skip{
				{Index: 0, Reason: "no id and no link"},
				{Index: 4, Reason: `no id, and the link "mailto:desk@news.example" is not an absolute http(s) URL`},
			},
		},
		{
			name: "undeclared Latin-1 and entity-encoded HTML titles",
			in:   "<rss version=\"2.0\"><channel><title>Gr\xfc\xdfe</title><item><guid>1</guid><title>Stra\xdfe &amp;amp; &lt;b&gt;Br\xfccke&lt;/b&gt;</title><author>desk@example.com (Jo M\xfcller)</author></item></channel></rss>",
			want: []itemFacts{{URI: "1", Headline: "Straße & Brücke", Byline: "Jo Müller", Agency: "Grüße", Format: "rss"}},
		},
		{
			name: "RDF with dc:date and dc:creator",
			in: `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://x.example/"><title>X</title><link>https://x.example/</link><dc:language>de-de</dc:language></channel>
<item rdf:about="https://x.example/1"><title>Eins</title><link>https://x.example/1</link><dc:date>2024-03-12T10:00:00+01:00</dc:date><dc:creator>Ann</dc:creator><dc:creator>Bob</dc:creator></item>
</rdf:RDF>`,
			want: []itemFacts{{URI: "https://x.example/1", IDDerived: true, Link: "https://x.example/1", Headline: "Eins", Byline: "Ann, Bob", FirstCreated: "2024-03-12T10:00:00+01:00", VersionCreated: "2024-03-12T10:00:00+01:00", Language: "de-DE", Agency: "X", Format: "rdf"}},
		},
		{
			name: "JSON Feed item that is not an object is skipped",
			in:   `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"ok"},"oops",{"title":"no id"}]}`,
			want: []itemFacts{{URI: "1", Headline: "ok", Agency: "J", Format: "jsonfeed"}},
			wantSkips: []wire.Skip{
				{Index: 1, Reason: "item is not a JSON object"},
				{Index: 2, Reason: "no id and no link"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.in), nil)
			var skips []wire.Skip
			var pe *wire.PartialError
			switch {
			case errors.As(err, &pe):
				skips = pe.Skipped
			case err != nil:
				t.Fatalf("Decode: %v", err)
			}
			var got []itemFacts
			for _, it := range items {
				got = append(got, factsOf(it))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkips, skips); diff != "" {
				t.Errorf("skips mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeBodyAndDescription(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantBody string
		wantText string
		wantDesc string
	}{
		{
			name:     "content:encoded is the body, description the summary",
			in:       `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item><guid>1</guid><description>Short &lt;b&gt;teaser&lt;/b&gt;.</description><content:encoded><![CDATA[<p>Full <script>x()</script>story.</p><p onclick="y()">Second&nbsp;para.</p>]]></content:encoded></item></channel></rss>`,
			wantBody: "<p>Full story.</p><p>Second\u00a0para.</p>",
			wantText: "Full story.\n\nSecond\u00a0para.",
			wantDesc: "Short teaser.",
		},
		{
			name:     "description alone is the body, not also the summary",
			in:       `<rss version="2.0"><channel><item><guid>1</guid><description>&lt;p&gt;Only this.&lt;/p&gt;</description></item></channel></rss>`,
			wantBody: "<p>Only this.</p>",
			wantText: "Only this.",
		},
		{
			name:     "summary equal to the body text is not repeated",
			in:       `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><summary>Same.</summary><content type="html">&lt;p&gt;Same.&lt;/p&gt;</content></entry></feed>`,
			wantBody: "<p>Same.</p>",
			wantText: "Same.",
		},
		{
			name:     "Atom text content is escaped, not read as HTML",
			in:       `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><content type="text">a &lt;b&gt; c</content></entry></feed>`,
			wantBody: "<p>a &lt;b&gt; c</p>",
			wantText: "a <b> c",
		},
		{
			name:     "JSON Feed content_text is escaped",
			in:       `{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","content_text":"x < y\n\nz","summary":"S"}]}`,
			wantBody: "<p>x &lt; y</p><p>z</p>",
			wantText: "x < y\n\nz",
			wantDesc: "S",
		},
		{
			name:     "relative links resolved against the item link",
			in:       `<rss version="2.0"><channel><link>https://news.example/</link><item><link>https://news.example/world/1.html</link><description>&lt;a href="2.html"&gt;next&lt;/a&gt;</description></item></channel></rss>`,
			wantBody: `<a href="https://news.example/world/2.html" rel="nofollow noopener">next</a>`,
			wantText: "next",
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
			got := [3]string{items[0].BodyHTML, items[0].BodyText, items[0].Description}
			want := [3]string{tt.wantBody, tt.wantText, tt.wantDesc}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body, text, description mismatch (-want +got):\n%s", diff)
			}
			if it := items[0]; it.Type != "text" || it.PubStatus != story.Usable || it.Version != "" {
				t.Errorf("type %q, pubstatus %q, version %q; want text, usable and no version", it.Type, it.PubStatus, it.Version)
			}
		})
	}
}

func TestDecodeKeywords(t *testing.T) {
	items, err := Decode([]byte(`<rss version="2.0"><channel><item><guid>1</guid>
<category> Politics </category><category>politics</category><category></category><category>EU</category></item></channel></rss>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Politics", "EU"}, items[0].Keywords); diff != "" {
		t.Errorf("Keywords mismatch (-want +got):\n%s", diff)
	}
}
