package rss

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
)

// decodeSkips runs Decode and splits a *wire.PartialError into its skips;
// any other error fails the test.
func decodeSkips(t *testing.T, doc []byte, opts *wire.Options) ([]story.Item, []wire.Skip) {
	t.Helper()
	items, err := Decode(doc, opts)
	var pe *wire.PartialError
	switch {
	case errors.As(err, &pe):
		return items, pe.Skipped
	case err != nil:
		t.Fatalf("Decode: %v", err)
	}
	return items, nil
}

func utf16Doc(t testing.TB, e unicode.Endianness, bom unicode.BOMPolicy, doc string) []byte {
	t.Helper()
	out, err := unicode.UTF16(e, bom).NewEncoder().String(doc)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

// charsetCase is one feed in some encoding and the text it must decode to.
type charsetCase struct {
	name         string
	in           []byte
	wantHeadline string
	wantText     string // body_text
	wantAgency   string // from the feed title
}

func charsetCases(t testing.TB) []charsetCase {
	// rssDoc is an RSS feed whose channel title, item title and
	// description are given as raw bytes in some encoding.
	rssDoc := func(decl, channel, title, desc string) []byte {
		return []byte(decl + `<rss version="2.0"><channel><title>` + channel + `</title><item><guid>1</guid><title>` +
			title + `</title><description>` + desc + `</description></item></channel></rss>`)
	}
	const utf8Decl = `<?xml version="1.0" encoding="UTF-8"?>`
	const latin1Decl = `<?xml version="1.0" encoding="ISO-8859-1"?>`
	const utf16Decl = `<?xml version="1.0" encoding="UTF-16"?>`
	utf8RSS := string(rssDoc("", "Grüße", "Straße à la carte", "München – “zitiert”"))
	jsonFeed := `{"version":"https://jsonfeed.org/version/1.1","title":"Grüße","items":[{"id":"1","title":"Straße à la carte","content_text":"München – “zitiert”"}]}`
	return []charsetCase{
		{"Latin-1 without any declaration",
			rssDoc("", "Gr\xfc\xdfe", "Stra\xdfe \xe0 la carte", "M\xfcnchen"), "Straße à la carte", "München", "Grüße"},
		{"declared UTF-8, bytes Latin-1",
			rssDoc(utf8Decl, "Gr\xfc\xdfe", "Stra\xdfe \xe0 la carte", "M\xfcnchen"), "Straße à la carte", "München", "Grüße"},
		{"declared ISO-8859-1, bytes Latin-1",
			rssDoc(latin1Decl, "Gr\xfc\xdfe", "Stra\xdfe \xe0 la carte", "M\xfcnchen"), "Straße à la carte", "München", "Grüße"},
		{"declared ISO-8859-1, bytes UTF-8",
			rssDoc(latin1Decl, "Grüße", "Straße à la carte", "München – “zitiert”"), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"declared ISO-8859-1, windows-1252 smart quotes and dashes",
			rssDoc(latin1Decl, "Gr\xfc\xdfe", "\x93Stra\xdfe\x94 \x96 \x84gut\x93 \x85", "M\xfcnchen \x80 5"), "“Straße” – „gut“ …", "München € 5", "Grüße"},
		{"declared windows-1252",
			rssDoc(`<?xml version="1.0" encoding="windows-1252"?>`, "Gr\xfc\xdfe", "\x91Stra\xdfe\x92", "M\xfcnchen"), "‘Straße’", "München", "Grüße"},
		{"UTF-8 byte order mark",
			append([]byte("\xEF\xBB\xBF"), utf8RSS...), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"UTF-8 byte order mark wins over an ISO-8859-1 declaration",
			append([]byte("\xEF\xBB\xBF"), rssDoc(latin1Decl, "Grüße", "Straße à la carte", "München – “zitiert”")...), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"UTF-16 LE with byte order mark",
			utf16Doc(t, unicode.LittleEndian, unicode.UseBOM, utf16Decl+utf8RSS), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"UTF-16 BE with byte order mark",
			utf16Doc(t, unicode.BigEndian, unicode.UseBOM, utf16Decl+utf8RSS), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"UTF-16 LE without byte order mark",
			utf16Doc(t, unicode.LittleEndian, unicode.IgnoreBOM, utf16Decl+utf8RSS), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"Atom declared ISO-8859-1",
			[]byte(latin1Decl + "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Gr\xfc\xdfe</title><entry><id>1</id><title>Stra\xdfe \xe0 la carte</title><content type=\"html\">M\xfcnchen</content></entry></feed>"),
			"Straße à la carte", "München", "Grüße"},
		{"JSON Feed with UTF-8 byte order mark",
			append([]byte("\xEF\xBB\xBF"), jsonFeed...), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"JSON Feed in UTF-16 LE with byte order mark",
			utf16Doc(t, unicode.LittleEndian, unicode.UseBOM, jsonFeed), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"JSON Feed in UTF-16 BE with byte order mark",
			utf16Doc(t, unicode.BigEndian, unicode.UseBOM, jsonFeed), "Straße à la carte", "München – “zitiert”", "Grüße"},
		{"JSON Feed in Latin-1",
			[]byte("{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"Gr\xfc\xdfe\",\"items\":[{\"id\":\"1\",\"title\":\"Stra\xdfe \xe0 la carte\",\"content_text\":\"M\xfcnchen\"}]}"),
			"Straße à la carte", "München", "Grüße"},
	}
}

// TestCharsets checks that feeds in any encoding, declared rightly,
// wrongly or not at all, decode to the right text.
func TestCharsets(t *testing.T) {
	for _, tt := range charsetCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			items, skips := decodeSkips(t, tt.in, nil)
			if len(items) != 1 || len(skips) != 0 {
				t.Fatalf("got %d items and skips %v, want one item", len(items), skips)
			}
			got := [3]string{items[0].Headline, items[0].BodyText, items[0].Source.Agency}
			want := [3]string{tt.wantHeadline, tt.wantText, tt.wantAgency}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headline, body_text, agency mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// dateCase is one date as a feed writes it, and the time it must give.
type dateCase struct {
	name string
	in   string
	loc  *time.Location
	want string // RFC 3339 with the offset kept; "" means unknown
}

func dateCases(t testing.TB) []dateCase {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	return []dateCase{
		// Localized day and month names.
		{"German", "Mo, 28 Okt 2018 10:00:00 +0100", nil, "2018-10-28T10:00:00+01:00"},
		{"German with dots", "Mo., 29. Okt. 2018 10:00:00 +0100", nil, "2018-10-29T10:00:00+01:00"},
		{"French", "lun., 29 oct. 2018 10:00:00 +0100", nil, "2018-10-29T10:00:00+01:00"},
		{"French written out", "lundi 29 octobre 2018 10:00:00 +0100", nil, "2018-10-29T10:00:00+01:00"},
		{"Spanish", "Dom, 28 Oct 2018 10:00:00 +0100", nil, "2018-10-28T10:00:00+01:00"},
		{"Spanish written out", "domingo, 28 de octubre de 2018 10:00 +0100", nil, "2018-10-28T10:00:00+01:00"},
		{"Italian", "dom, 28 ott 2018 10:00:00 +0100", nil, "2018-10-28T10:00:00+01:00"},
		{"Dutch", "zo, 28 okt 2018 10:00:00 +0100", nil, "2018-10-28T10:00:00+01:00"},
		{"Portuguese", "Dom, 28 Out 2018 10:00:00 -0300", nil, "2018-10-28T10:00:00-03:00"},
		{"Portuguese -feira", "segunda-feira, 29 de outubro de 2018 10:00 -0300", nil, "2018-10-29T10:00:00-03:00"},
		// Offsets and zones.
		{"offset without colon", "Sun, 28 Oct 2018 10:00:00 +0530", nil, "2018-10-28T10:00:00+05:30"},
		{"offset with colon", "Sun, 28 Oct 2018 10:00:00 +05:30", nil, "2018-10-28T10:00:00+05:30"},
		{"GMT", "Sun, 28 Oct 2018 10:00:00 GMT", nil, "2018-10-28T10:00:00Z"},
		{"UTC", "Sun, 28 Oct 2018 10:00:00 UTC", nil, "2018-10-28T10:00:00Z"},
		{"EST", "Sun, 28 Oct 2018 10:00:00 EST", nil, "2018-10-28T10:00:00-05:00"},
		{"EDT", "Sun, 28 Oct 2018 10:00:00 EDT", nil, "2018-10-28T10:00:00-04:00"},
		{"CET", "Sun, 28 Oct 2018 10:00:00 CET", nil, "2018-10-28T10:00:00+01:00"},
		{"CEST", "Sat, 27 Oct 2018 10:00:00 CEST", nil, "2018-10-27T10:00:00+02:00"},
		{"PST", "Sun, 28 Oct 2018 10:00:00 PST", nil, "2018-10-28T10:00:00-08:00"},
		{"PDT", "Sun, 28 Oct 2018 10:00:00 PDT", nil, "2018-10-28T10:00:00-07:00"},
		{"military Z", "Sun, 28 Oct 2018 10:00:00 Z", nil, "2018-10-28T10:00:00Z"},
		{"military letter (RFC 5322: -0000)", "Sun, 28 Oct 2018 10:00:00 A", nil, "2018-10-28T10:00:00Z"},
		{"unknown zone abbreviation", "Sun, 28 Oct 2018 10:00:00 XST", nil, ""},
		// No zone: the source's configured zone.
		{"no zone, source in Berlin", "Sun, 28 Oct 2018 10:00:00", berlin, "2018-10-28T10:00:00+01:00"},
		{"no zone, source in Berlin, summer", "Sat, 27 Oct 2018 10:00:00", berlin, "2018-10-27T10:00:00+02:00"},
		{"no zone, no configured zone", "Sun, 28 Oct 2018 10:00:00", nil, "2018-10-28T10:00:00Z"},
		// ISO 8601.
		{"RFC 3339", "2018-10-28T10:00:00+01:00", nil, "2018-10-28T10:00:00+01:00"},
		{"ISO without seconds", "2018-10-28T10:30+01:00", nil, "2018-10-28T10:30:00+01:00"},
		{"ISO without seconds or zone", "2018-10-28T10:30", berlin, "2018-10-28T10:30:00+01:00"},
		{"ISO without seconds, Z", "2018-10-28T10:30Z", nil, "2018-10-28T10:30:00Z"},
		// Placeholders: unknown.
		{"zero time", "0001-01-01T00:00:00Z", nil, ""},
		{"Unix epoch", "1970-01-01T00:00:00Z", nil, ""},
		{"Unix epoch RFC 822", "Thu, 01 Jan 1970 00:00:00 +0000", nil, ""},
		{"MySQL zero date", "0000-00-00 00:00:00", nil, ""},
		{"before 1980", "Fri, 01 Jun 1979 10:00:00 +0000", nil, ""},
		{"far future", "Fri, 01 Jan 2999 10:00:00 +0000", nil, ""},
		// Unreadable: unknown, never now.
		{"words", "gestern", nil, ""},
		{"now", "now", nil, ""},
		{"empty", "", nil, ""},
	}
}

// dateRSS is an RSS feed whose one item has the given pubDate.
func dateRSS(pubDate string) []byte {
	return []byte(`<rss version="2.0"><channel><title>T</title><item><guid>1</guid><title>x</title><pubDate>` +
		pubDate + `</pubDate></item></channel></rss>`)
}

// TestDates checks the dates real feeds write, in RSS pubDate, Atom
// published and JSON Feed date_published alike.
func TestDates(t *testing.T) {
	for _, tt := range dateCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			docs := map[string][]byte{
				"rss": dateRSS(tt.in),
				"atom": []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><published>` + tt.in +
					`</published></entry></feed>`),
				"jsonfeed": []byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","date_published":"` +
					tt.in + `"}]}`),
			}
			for format, doc := range docs {
				items, _ := decodeSkips(t, doc, &wire.Options{Location: tt.loc})
				if len(items) != 1 {
					t.Fatalf("%s: got %d items, want 1", format, len(items))
				}
				got := [2]string{rfc3339(items[0].FirstCreated), rfc3339(items[0].VersionCreated)}
				if want := [2]string{tt.want, tt.want}; got != want {
					t.Errorf("%s: firstcreated, versioncreated = %q, want %q", format, got, want)
				}
			}
		})
	}
}

// titleCase is one title as a feed sends it and the headline it gives.
type titleCase struct {
	name string
	in   string
	want string
}

func titleCases() []titleCase {
	rss := func(title string) string {
		return `<rss version="2.0"><channel><item><guid>1</guid><title>` + title + `</title></item></channel></rss>`
	}
	atom := func(title string) string {
		return `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>` + title + `</entry></feed>`
	}
	json := func(title string) string {
		return `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"` + title + `"}]}`
	}
	return []titleCase{
		// RSS titles are read as HTML, as feed readers show them.
		{"RSS escaped tags", rss(`Automotive &lt;b&gt;Slack&lt;/b&gt; Market`), "Automotive Slack Market"},
		{"RSS tags as markup", rss(`Automotive <b>Slack</b> Market`), "Automotive Slack Market"},
		{"RSS double-escaped ampersand", rss(`Tom &amp;amp; Jerry`), "Tom & Jerry"},
		{"RSS double-escaped numeric entity", rss(`Blog &amp;#8211; News`), "Blog – News"},
		{"RSS triple escape shows one level", rss(`Tom &amp;amp;amp; Jerry`), "Tom &amp; Jerry"},
		{"RSS lone less-than", rss(`3 &lt; 5 &amp; 7 &gt; 6`), "3 < 5 & 7 > 6"},
		{"RSS HTML entity", rss(`Caf&eacute; &amp;eacute;`), "Café é"},
		{"RSS CDATA with surrounding whitespace", rss("\n      <![CDATA[\n   Winnipeg High School  Orders Hijabs\t]]>\n    "), "Winnipeg High School Orders Hijabs"},
		{"RSS CDATA with markup", rss(`<![CDATA[<b>Eil</b>: Merkel &amp; Macron]]>`), "Eil: Merkel & Macron"},
		{"RSS line break and tab become spaces", rss("Line one\nline\ttwo<br>three"), "Line one line two three"},
		{"RSS no-break spaces kept", rss(`10&#160;km&amp;nbsp;race`), "10\u00a0km\u00a0race"},
		{"RSS quotes, dashes and guillemets as sent", rss(`«Nein» – sagt „sie“ ‹x› "y" 'z' — ok`), `«Nein» – sagt „sie“ ‹x› "y" 'z' — ok`},
		// Atom says which it is.
		{"Atom html", atom(`<title type="html">Automotive &lt;b&gt;Slack&lt;/b&gt; &amp;amp; more</title>`), "Automotive Slack & more"},
		{"Atom html in CDATA", atom(`<title type="html"><![CDATA[<i>Slack</i> &amp; more]]></title>`), "Slack & more"},
		{"Atom text shows escaped markup as is", atom(`<title type="text">a &lt;b&gt; c</title>`), "a <b> c"},
		{"Atom text shows a double escape as is", atom(`<title type="text">Tom &amp;amp; Jerry</title>`), "Tom &amp; Jerry"},
		{"Atom without type is text", atom(`<title>x &lt;y&gt;</title>`), "x <y>"},
		{"Atom text with whitespace", atom("<title type=\"text\">\n  Grüße\n  aus Köln  </title>"), "Grüße aus Köln"},
		{"Atom text with elements inside is markup", atom(`<title>a <b>b</b></title>`), "a b"},
		{"Atom xhtml", atom(`<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><b>Bold</b> &amp; more</div></title>`), "Bold & more"},
		{"Atom 0.3 escaped text/html", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><id>1</id><title type="text/html" mode="escaped">&lt;b&gt;x&lt;/b&gt; y</title></entry></feed>`, "x y"},
		// JSON Feed titles are plain text by the spec, but publishers
		// escape them as HTML (EXPECTED.md: influxdata's "&#8211;").
		{"JSON Feed entity", json(`Blog &#8211; InfluxData &amp; more`), "Blog – InfluxData & more"},
		{"JSON Feed markup", json(`<b>Eil</b>: Merkel`), "Eil: Merkel"},
	}
}

// TestTitles checks that HTML in titles becomes plain text the way a
// browser shows the feed's title, words unchanged.
func TestTitles(t *testing.T) {
	for _, tt := range titleCases() {
		t.Run(tt.name, func(t *testing.T) {
			items, _ := decodeSkips(t, []byte(tt.in), nil)
			if len(items) != 1 {
				t.Fatalf("got %d items, want 1", len(items))
			}
			if got := items[0].Headline; got != tt.want {
				t.Errorf("headline = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFixtureTitles checks the titles MANIFEST.md names as hard: Google
// Alerts' escaped <b> tags and HuffPost's CDATA between newlines.
func TestFixtureTitles(t *testing.T) {
	t.Run("google alerts", func(t *testing.T) {
		data := readFixture(t, "atom/google_alerts_html_titles.atom")
		f, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		items := decodeFixture(t, "atom/google_alerts_html_titles.atom", nil)
		withTags := 0
		for i, it := range items {
			if strings.Contains(f.Entries[i].Title, "<b>") {
				withTags++
			}
			if strings.ContainsAny(it.Headline, "<>") || strings.Contains(it.Headline, "&") && strings.Contains(it.Headline, ";") {
				t.Errorf("item %d headline %q still has markup or entities", i, it.Headline)
			}
			if f.Entries[i].TitleIsText {
				t.Errorf("item %d title read as text; the feed says type=\"html\"", i)
			}
		}
		// 17 of the 20 titles highlight the alert's word in <b>.
		if withTags != 17 {
			t.Errorf("%d raw titles have <b> tags, want 17", withTags)
		}
	})
	t.Run("huffpost", func(t *testing.T) {
		data := readFixture(t, "rss/huffpost_canada_cdata_whitespace.xml")
		// The channel's title, then the items'.
		raw := regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindAllSubmatch(data, -1)
		items := decodeFixture(t, "rss/huffpost_canada_cdata_whitespace.xml", nil)
		if len(raw) != len(items)+1 {
			t.Fatalf("found %d title elements, want %d", len(raw), len(items)+1)
		}
		for i, it := range items {
			title := string(raw[i+1][1])
			trimmed := strings.TrimSpace(title)
			inner := strings.TrimSuffix(strings.TrimPrefix(trimmed, "<![CDATA["), "]]>")
			if title == trimmed || inner == trimmed || it.Headline != inner {
				t.Errorf("item %d: title element %q gave headline %q; want the CDATA text, trimmed at the ends only", i, title, it.Headline)
			}
		}
		if got, want := items[0].Source.Agency, "HuffPost Canada - Athena2 - All Posts"; got != want {
			t.Errorf("agency = %q, want %q (the CDATA channel title, trimmed)", got, want)
		}
	})
}

// identityCase is a feed and the ids Decode must give its entries.
type identityCase struct {
	name      string
	in        string
	want      []itemFacts // URI, IDDerived and Headline only
	wantSkips []wire.Skip
}

func identityCases() []identityCase {
	rss := func(items string) string {
		return `<rss version="2.0"><channel><title>T</title><link>https://news.example/</link>` + items + `</channel></rss>`
	}
	return []identityCase{
		{
			name: "guid missing: the normalized link",
			in:   rss(`<item><title>a</title><link>HTTPS://News.Example:443/a?utm_source=rss&amp;id=7#top</link></item>`),
			want: []itemFacts{{URI: "https://news.example/a?id=7", IDDerived: true, Headline: "a"}},
		},
		{
			name: "guid empty or whitespace: the normalized link",
			in: rss(`<item><title>a</title><guid></guid><link>https://news.example/a</link></item>` +
				"<item><title>b</title><guid isPermaLink=\"false\">  \n\t </guid><link>https://news.example/b</link></item>"),
			want: []itemFacts{
				{URI: "https://news.example/a", IDDerived: true, Headline: "a"},
				{URI: "https://news.example/b", IDDerived: true, Headline: "b"},
			},
		},
		{
			name: "permalink guid used as it is",
			in: rss(`<item><title>a</title><guid isPermaLink="true">https://News.Example/a?utm_source=x</guid><link>https://news.example/other</link></item>` +
				`<item><title>b</title><guid>https://news.example/b#frag</guid></item>`),
			want: []itemFacts{
				{URI: "https://News.Example/a?utm_source=x", Headline: "a"},
				{URI: "https://news.example/b#frag", Headline: "b"},
			},
		},
		{
			name: "non-permalink guid used as it is",
			in:   rss(`<item><title>a</title><guid isPermaLink="false">4956764</guid><link>https://news.example/a</link></item>`),
			want: []itemFacts{{URI: "4956764", Headline: "a"}},
		},
		{
			name: "the same derived id twice: the first kept",
			in: rss(`<item><title>first</title><link>https://news.example/a</link></item>` +
				`<item><title>other</title><link>https://news.example/b</link></item>` +
				`<item><title>second</title><link>https://news.example/a?utm_medium=feed#comments</link></item>`),
			want: []itemFacts{
				{URI: "https://news.example/a", IDDerived: true, Headline: "first"},
				{URI: "https://news.example/b", IDDerived: true, Headline: "other"},
			},
			wantSkips: []wire.Skip{{Index: 2, Reason: "same id as entry 0 (https://news.example/a), derived from the link: the first is kept"}},
		},
		{
			name: "a derived id equal to an earlier guid",
			in: rss(`<item><title>first</title><guid>https://news.example/a</guid></item>` +
				`<item><title>second</title><link>https://news.example/a</link></item>`),
			want:      []itemFacts{{URI: "https://news.example/a", Headline: "first"}},
			wantSkips: []wire.Skip{{Index: 1, Reason: "same id as entry 0 (https://news.example/a), derived from the link: the first is kept"}},
		},
		{
			name: "the same explicit guid twice: two versions, both kept for apply to order",
			in: rss(`<item><title>v1</title><guid isPermaLink="false">g-1</guid></item>` +
				`<item><title>v2</title><guid isPermaLink="false">g-1</guid></item>`),
			want: []itemFacts{{URI: "g-1", Headline: "v1"}, {URI: "g-1", Headline: "v2"}},
		},
		{
			name: "neither id nor link: skipped",
			in: rss(`<item><title>lost</title><guid> </guid></item>` +
				`<item><title>kept</title><link>/relative</link></item>`),
			want:      []itemFacts{{URI: "https://news.example/relative", IDDerived: true, Headline: "kept"}},
			wantSkips: []wire.Skip{{Index: 0, Reason: "no id and no link"}},
		},
		{
			name: "Atom entry with an empty id: the link",
			in: `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id> </id><title>a</title><link href="https://news.example/a"/></entry>` +
				`<entry><title>b</title><link rel="alternate" href="https://news.example/a#x"/></entry></feed>`,
			want:      []itemFacts{{URI: "https://news.example/a", IDDerived: true, Headline: "a"}},
			wantSkips: []wire.Skip{{Index: 1, Reason: "same id as entry 0 (https://news.example/a), derived from the link: the first is kept"}},
		},
		{
			name: "JSON Feed numeric id and missing id",
			in:   `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":42,"title":"a"},{"title":"b","url":"https://news.example/b"},{"title":"c"}]}`,
			want: []itemFacts{
				{URI: "42", Headline: "a"},
				{URI: "https://news.example/b", IDDerived: true, Headline: "b"},
			},
			wantSkips: []wire.Skip{{Index: 2, Reason: "no id and no link"}},
		},
	}
}

// TestIdentity checks how entries without usable ids are identified
// (DESIGN §4 rule 1), and which are skipped.
func TestIdentity(t *testing.T) {
	for _, tt := range identityCases() {
		t.Run(tt.name, func(t *testing.T) {
			items, skips := decodeSkips(t, []byte(tt.in), nil)
			var got []itemFacts
			for _, it := range items {
				got = append(got, itemFacts{URI: it.URI, IDDerived: it.IDDerived, Headline: it.Headline})
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
