package rss

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
)

func decodeFixture(t *testing.T, rel string, opts *wire.Options) []story.Item {
	t.Helper()
	items, err := Decode(readFixture(t, filepath.Join(fixtureRoot, rel)), opts)
	if err != nil {
		t.Fatalf("Decode(%s): %v", rel, err)
	}
	return items
}

func timeOf(t *testing.T, s string) *time.Time {
	t.Helper()
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// itemFacts is the part of an item the fixture table below checks; the
// golden files pin down the rest.
type itemFacts struct {
	URI            string
	IDDerived      bool
	Headline       string
	Byline         string
	FirstCreated   *time.Time
	VersionCreated *time.Time
	Language       string
	Agency         string
	Format         string
}

func factsOf(it story.Item) itemFacts {
	return itemFacts{
		URI: it.URI, IDDerived: it.IDDerived, Headline: it.Headline, Byline: it.Byline,
		FirstCreated: it.FirstCreated, VersionCreated: it.VersionCreated,
		Language: it.Language, Agency: it.Source.Agency, Format: it.Source.Format,
	}
}

// TestDecodeFixtureFacts checks the values the fixtures' source projects
// assert upstream (shared/fixtures/wire/EXPECTED.md), and the charset,
// identity and date rules of this decoder.
func TestDecodeFixtureFacts(t *testing.T) {
	tests := []struct {
		file      string
		wantCount int
		index     int // which item to check; negative counts from the end
		want      itemFacts
	}{
		{"rss/guardian_us.xml", 55, 0, itemFacts{
			URI:      "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord",
			Headline: "Trump State of the Union address promised unity but emphasized discord",
			Byline:   "David Smith in Washington", FirstCreated: timeOf(t, "2018-01-31T07:26:05Z"),
			VersionCreated: timeOf(t, "2018-01-31T07:26:05Z"), Language: "en-GB", Agency: "The Guardian", Format: "rss",
		}},
		{"rss/guardian_us.xml", 55, -1, itemFacts{
			URI:          "https://www.theguardian.com/artanddesign/gallery/2018/jan/31/earths-ultimate-yogis-in-pictures-yoga",
			Headline:     "Earth's ultimate yogis – in pictures", // an empty dc:creator: no byline
			FirstCreated: timeOf(t, "2018-01-31T07:00:20Z"), VersionCreated: timeOf(t, "2018-01-31T07:00:20Z"),
			Language: "en-GB", Agency: "The Guardian", Format: "rss",
		}},
		{"rss/huffpost_canada_cdata_whitespace.xml", 2, 0, itemFacts{
			URI: "23246627", Headline: "Winnipeg High School Orders Custom Hijabs For Muslim Athletes",
			Byline: "Canadian Press", FirstCreated: timeOf(t, "2017-10-17T22:17:00Z"), VersionCreated: timeOf(t, "2017-10-17T22:17:00Z"),
			Language: "en", Agency: "HuffPost Canada - Athena2 - All Posts", Format: "rss",
		}},
		// No guid: identity from the link, never from the media:content's
		// nested dc:identifier ("1", shared by every image).
		{"rss/huffpost_canada_cdata_whitespace.xml", 2, 1, itemFacts{
			URI:       "http://www.huffingtonpost.ca/adrian-sutherland/the-once-in-a-lifetime-thrill-of-opening-for-tom-petty_a_23234370/",
			IDDerived: true, Headline: "The Once-In-A-Lifetime Thrill Of Opening For Tom Petty", Byline: "Adrian Sutherland",
			FirstCreated: timeOf(t, "2017-10-17T21:38:00Z"), VersionCreated: timeOf(t, "2017-10-17T21:38:00Z"),
			Language: "en", Agency: "HuffPost Canada - Athena2 - All Posts", Format: "rss",
		}},
		// pubDate without a zone: read in the source's zone (UTC here).
		{"rss/nbcny_nonstandard_pubdate.xml", 1, 0, itemFacts{
			URI:      "4956764",
			Headline: "NYC cops search for stabbing suspect after leaving 18-year-old to bleed out on sidewalk",
			Byline:   "Gaby Acevedo and Jessica Cunnington", FirstCreated: timeOf(t, "2023-12-16T14:02:33Z"),
			VersionCreated: timeOf(t, "2023-12-16T14:02:33Z"), Language: "en-US", Agency: "NBC New York", Format: "rss",
		}},
		// Declared ISO-8859-1: umlauts must come out as UTF-8.
		{"rss/golem_rss2_iso8859-1.xml", 40, 4, itemFacts{
			URI:          "https://www.golem.de/1810/137353-rss.html",
			Headline:     "Machine Learning: Von KI erstelltes Porträt für 432.500 US.Dollar versteigert",
			FirstCreated: timeOf(t, "2018-10-27T12:33:00Z"), VersionCreated: timeOf(t, "2018-10-27T12:33:00Z"),
			Language: "de", Agency: "Golem.de", Format: "rss",
		}},
		// RSS 0.9 RDF: no guids, no dates.
		{"rss/heise_rdf_rss090.xml", 60, 1, itemFacts{
			URI:       "https://www.heise.de/newsticker/meldung/Mega-Deal-IBM-uebernimmt-Red-Hat-4205582.html?wt_mc=rss.ho.beitrag.rdf",
			IDDerived: true, Headline: "Mega-Deal: IBM übernimmt Red Hat", Agency: "heise online News", Format: "rdf",
		}},
		{"rss/bbc_urdu_rtl_cdata.xml", 26, 0, itemFacts{
			URI:          "http://www.bbc.com/urdu/pakistan-42575603",
			Headline:     "امریکی عسکری امداد کی بندش کی وجوہات: انڈیا سے جنگ، جوہری پروگرام اور اب دہشت گردوں کی پشت پناہی",
			FirstCreated: timeOf(t, "2018-01-05T16:51:00Z"), VersionCreated: timeOf(t, "2018-01-05T16:51:00Z"),
			Language: "ur", Agency: "BBC News اردو - پاکستان کے لیے امریکی امداد کی بہار و خزاں", Format: "rss",
		}},
		{"atom/heise_developer.atom", 15, 0, itemFacts{
			URI: "http://heise.de/-3088438", Headline: "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei",
			Byline: "heise online", FirstCreated: timeOf(t, "2016-02-01T16:22:00Z"), VersionCreated: timeOf(t, "2016-02-01T16:54:50Z"),
			Agency: "heise developer neueste Meldungen", Format: "atom",
		}},
		{"atom/heise_developer.atom", 15, -1, itemFacts{
			URI: "http://heise.de/-3086458", Headline: "Apache Software Foundation bekommt ein neues Logo",
			Byline: "heise online", FirstCreated: timeOf(t, "2016-01-28T16:07:00Z"), VersionCreated: timeOf(t, "2016-01-28T16:07:04Z"),
			Agency: "heise developer neueste Meldungen", Format: "atom",
		}},
		// Atom entry with updated only: no first-publication time.
		{"atom/theregister_science.atom", 2, 0, itemFacts{
			URI:      "tag:theregister.co.uk,2005:story204156",
			Headline: "Will someone plz dump our shizz on the Moon, NASA begs as one of the space biz vendors drops out",
			Byline:   "Richard Speed", VersionCreated: timeOf(t, "2019-07-31T11:54:28Z"),
			Language: "en", Agency: "The Register - Science", Format: "atom",
		}},
		{"atom/theregister_science.atom", 2, 1, itemFacts{
			URI:      "tag:theregister.co.uk,2005:story204131",
			Headline: "Satellites with lasers and machine guns coming! China's new plans? Trump's Space Force? Nope, the French",
			Byline:   "Kieren McCarthy", VersionCreated: timeOf(t, "2019-07-30T05:41:09Z"),
			Language: "en", Agency: "The Register - Science", Format: "atom",
		}},
		// HTML in titles reduced to text.
		{"atom/google_alerts_html_titles.atom", 20, 0, itemFacts{
			URI:          "tag:google.com,2013:googlealerts/feed:8974135267215335962",
			Headline:     "Report offers Prediction of Automotive Slack Market by Top key players like Haldex, Meritor, Bendix ...",
			FirstCreated: timeOf(t, "2019-07-10T11:53:37Z"), VersionCreated: timeOf(t, "2019-07-10T11:53:37Z"),
			Agency: "Google Alert - Slack", Format: "atom",
		}},
		{"jsonfeed/daringfireball_1.0.json", 2, 0, itemFacts{
			URI: "https://daringfireball.net/linked/2020/01/24/bezos-iphone-x", Headline: "How Jeff Bezos’s iPhone X Was Hacked",
			Byline: "John Gruber", FirstCreated: timeOf(t, "2020-01-24T23:46:57Z"), VersionCreated: timeOf(t, "2020-01-24T23:46:57Z"),
			Agency: "Daring Fireball", Format: "jsonfeed",
		}},
		{"jsonfeed/daringfireball_1.0.json", 2, 1, itemFacts{
			URI: "https://daringfireball.net/linked/2020/01/20/instagram-for-win95", Headline: "Instagram for Windows 95",
			Byline: "John Gruber", FirstCreated: timeOf(t, "2020-01-21T01:07:00Z"), VersionCreated: timeOf(t, "2020-01-21T20:58:36Z"),
			Agency: "Daring Fireball", Format: "jsonfeed",
		}},
		// No item ids: derived from the url; author and authors merged;
		// the item without authors inherits the feed's.
		{"jsonfeed/influxdata_1.1_missing_ids.json", 3, 0, itemFacts{
			URI:       "https://www.influxdata.com/blog/influxdb-outperforms-graphite-in-time-series-data-metrics-benchmark",
			IDDerived: true, Headline: "InfluxDB vs. Graphite for Time Series Data & Metrics Benchmark",
			Byline:       "Fake Author 2, Chris Churilo, Fake Author 1",
			FirstCreated: timeOf(t, "2019-05-31T19:17:58Z"), VersionCreated: timeOf(t, "2019-05-31T19:17:58Z"),
			Language: "en-US", Agency: "Blog – InfluxData", Format: "jsonfeed",
		}},
		{"jsonfeed/influxdata_1.1_missing_ids.json", 3, 1, itemFacts{
			URI:       "https://www.influxdata.com/blog/influxdb-markedly-elasticsearch-in-time-series-data-metrics-benchmark",
			IDDerived: true, Headline: "InfluxDB vs. Elasticsearch for Time Series Data & Metrics Benchmark", Byline: "Chris Churilo",
			FirstCreated: timeOf(t, "2018-02-06T13:34:12Z"), VersionCreated: timeOf(t, "2018-02-06T13:34:12Z"),
			Language: "en-AU", Agency: "Blog – InfluxData", Format: "jsonfeed",
		}},
		{"jsonfeed/influxdata_1.1_missing_ids.json", 3, 2, itemFacts{
			URI: "https://example.com/", IDDerived: true, Headline: "Fake item", Byline: "Fake Author 3, Fake Author 4",
			Language: "en-US", Agency: "Blog – InfluxData", Format: "jsonfeed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
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

func TestDecodeOptions(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	items := decodeFixture(t, "rss/nbcny_nonstandard_pubdate.xml", &wire.Options{
		Agency: "NBC", Location: newYork, SHA256: "abc",
	})
	got := factsOf(items[0])
	if want := timeOf(t, "2023-12-16T19:02:33Z"); !got.FirstCreated.Equal(*want) {
		t.Errorf("FirstCreated = %v, want %v (the zoneless pubDate read in New York time)", got.FirstCreated, want)
	}
	if want := (story.ItemSource{Format: "rss", Agency: "NBC", SHA256: "abc"}); items[0].Source != want {
		t.Errorf("Source = %+v, want %+v", items[0].Source, want)
	}
}

// TestDecodeBodiesAreVerbatim checks every decoded body of every fixture
// against the feed's own HTML: sanitizing removed markup, not words.
func TestDecodeBodiesAreVerbatim(t *testing.T) {
	for _, path := range feedFixtures(t) {
		data := readFixture(t, path)
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
		{"HTML page fixture", readFixture(t, filepath.Join(fixtureRoot, "rss/marketwatch_html_document_moved.xml")), "not a feed: this is an HTML page"},
		{"truncated fixture", readFixture(t, filepath.Join(fixtureRoot, "rss/reuters_truncated_invalid.xml")), "truncated or malformed XML at line 19"},
		{"empty", nil, "empty document"},
		{"whitespace", []byte(" \n\t"), "empty document"},
		{"HTML with doctype", []byte("<!DOCTYPE html><html><body>Moved</body></html>"), "not a feed: this is an HTML page"},
		{"other XML", []byte(`<nitf><head/></nitf>`), "not a feed: XML root element <nitf>"},
		{"other JSON", []byte(`{"uri":"x","version":"2"}`), "not a feed: JSON object with keys uri, version"},
		{"truncated Atom", []byte("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<entry>\n<id>x</id>"), "truncated or malformed XML at line 3"},
		{"broken JSON Feed", []byte(`{"version":"https://jsonfeed.org/version/1","items":[`), "malformed document"},
		{"JSON Feed with items not a list", []byte(`{"version":"https://jsonfeed.org/version/1","items":{}}`), "cannot read JSON Feed"},
		{"plain text", []byte("ZCZC hello"), "not a feed: not XML or JSON"},
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
				{URI: "urn:1", Headline: "A", Byline: "Desk", VersionCreated: timeOf(t, "2024-03-12T10:00:00Z"), Agency: "T", Format: "atom"},
				{URI: "urn:2", Headline: "B", Byline: "Ann, Bob", FirstCreated: timeOf(t, "2024-03-12T08:00:00Z"), VersionCreated: timeOf(t, "2024-03-12T10:00:00Z"), Agency: "T", Format: "atom"},
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
				{URI: "https://news.example/a/b?x=1", IDDerived: true, Headline: "link", Agency: "T", Format: "rss"},
				{URI: "https://news.example/c/d", IDDerived: true, Headline: "relative link", Agency: "T", Format: "rss"},
				{URI: "https://news.example/e", Headline: "permalink guid", Agency: "T", Format: "rss"},
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
			want: []itemFacts{{URI: "https://x.example/1", IDDerived: true, Headline: "Eins", Byline: "Ann, Bob", FirstCreated: timeOf(t, "2024-03-12T09:00:00Z"), VersionCreated: timeOf(t, "2024-03-12T09:00:00Z"), Language: "de-DE", Agency: "X", Format: "rdf"}},
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

func TestDecodeBOMAndUTF16(t *testing.T) {
	doc := `<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><item><guid>1</guid><title>Grüße</title></item></channel></rss>`
	var utf16 []byte
	utf16 = append(utf16, 0xFF, 0xFE)
	for _, r := range doc {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	for name, in := range map[string][]byte{
		"UTF-8 BOM":   append([]byte{0xEF, 0xBB, 0xBF}, strings.Replace(doc, "UTF-16", "UTF-8", 1)...),
		"UTF-16 BOM":  utf16,
		"JSON BOM":    append([]byte{0xEF, 0xBB, 0xBF}, `{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","title":"Grüße"}]}`...),
		"JSON Latin1": []byte("{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[{\"id\":\"1\",\"title\":\"Gr\xfc\xdfe\"}]}"),
	} {
		t.Run(name, func(t *testing.T) {
			items, err := Decode(in, nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(items) != 1 || items[0].Headline != "Grüße" {
				t.Errorf("items = %+v, want one headlined Grüße", items)
			}
		})
	}
}

// FuzzDecode checks that Decode never panics, that it returns either items
// or a *wire.Error, and that every item it returns has an id.
func FuzzDecode(f *testing.F) {
	// Small seeds only: the fuzzer minimizes every new input it finds, and
	// on the 150 KB fixtures that takes longer than a fuzzing run.
	for _, path := range feedFixtures(f) {
		if data := readFixture(f, path); len(data) <= 4096 {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`<rss version="2.0"><channel><title>T</title><item><guid>1</guid><title>a &amp; b</title><pubDate>Sun, 17 Dec 2023 00:58:40 -0500</pubDate><description>&lt;p&gt;x&lt;/p&gt;</description></item></channel></rss>`,
		`<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><item><link>http://x/</link><title>Gr` + "\xfc" + `</title></item></channel></rss>`,
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item><link>https://x/1</link></item></rdf:RDF>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><updated>2024-03-12T10:00:00Z</updated><content type="xhtml"><div><p>x</p></div></content></entry></feed>`,
		`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":1,"content_text":"a

b","authors":[{"name":"A"}]}]}`,
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
		}
	})
}
