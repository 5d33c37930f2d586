package ninjs

import (
	"encoding/json"
	"errors"
	"os"
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

// facts are the fields of an item the fixture tests assert, with times as
// RFC 3339 text so that the offset the source wrote is compared too.
type facts struct {
	URI, Version, PubStatus, Type                  string
	Signals                                        []string
	FirstCreated, VersionCreated, Embargoed        string
	Urgency, WordCount                             *int
	Language, Headline, Byline, Slugline, Dateline string
	Agency, Format                                 string
}

func factsOf(it story.Item) facts {
	f := facts{
		URI: it.URI, Version: it.Version, PubStatus: string(it.PubStatus), Type: it.Type,
		Signals:      it.Signals,
		FirstCreated: rfc3339(it.FirstCreated), VersionCreated: rfc3339(it.VersionCreated), Embargoed: rfc3339(it.Embargoed),
		Urgency: it.Urgency, WordCount: it.WordCount,
		Language: it.Language, Headline: it.Headline, Byline: it.Byline, Slugline: it.Slugline,
		Agency: it.Source.Agency, Format: it.Source.Format,
	}
	if it.Dateline != nil {
		f.Dateline = it.Dateline.Place + "|" + it.Dateline.Source
	}
	return f
}

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func intp(n int) *int { return &n }

func fixturePath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(wiretest.FixtureDir(t, "ninjs"), name)
}

// TestFixtures asserts, for every ninjs fixture, what EXPECTED.md states
// about it (mapped to our keys) and what MANIFEST.md says makes it hard.
func TestFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []facts
		// bodyHas and bodyLacks are checked on the first item's body_html.
		bodyHas, bodyLacks []string
		// description is the first item's, when the document has one.
		description string
	}{
		{
			// EXPECTED: exactly 1 item; versioncreated 2013-07-09T10:37:00Z;
			// body contains GROSSETO. The upstream guid
			// urn:ninjs.example.com:newsitems:20130709simp123 is Superdesk's
			// tag made from the uri; our uri is the uri as sent.
			// MANIFEST: minimal 1.x item; its body is in body_xhtml.
			file: "iptc_1.4_simple_text.json",
			want: []facts{{
				URI: "http://ninjs.example.com/newsitems/20130709simp123", PubStatus: "usable", Type: "text",
				VersionCreated: "2013-07-09T10:37:00Z",
				Headline:       "Captain of wrecked cruise ship on trial in Italy",
				Byline:         "Paulo Santalucia and Frances d'Emilio",
				Agency:         "Configured Agency", Format: Format,
			}},
			bodyHas: []string{"<p>GROSSETO, Italy (AP) -- The trial", "Schettino has denied wrongdoing.</p>"},
		},
		{
			// MANIFEST: 2.x headlines[]/bodies[]; version "2"; +02:00 offset.
			file: "dpa_2.1_text_v2.json",
			want: []facts{{
				URI: "urn:newsml:dpa.com:20090101:190510-99-167362", Version: "2", PubStatus: "usable",
				VersionCreated: "2019-05-10T16:02:28+02:00", Urgency: intp(4), Language: "de",
				Headline: "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?",
				Byline:   "Von Christian Hollmann, dpa",
				Agency:   "dpa", Format: Format,
			}},
			bodyHas:   []string{"<p>Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».", "«nie und nimmer ein Elfmeter»"},
			bodyLacks: []string{"<section"},
		},
		{
			// MANIFEST: TTNINJS profile; four bodies renditions (text/plain,
			// html5, ttnitf XML, richhtml5): the first HTML one is used, as
			// a browser shows it (no <title>); an associated picture is its
			// own item, after the text.
			file: "tt_2.1_text_image.json",
			want: []facts{
				{
					URI: "http://tt.se/media/text/210526-militarovning-a0f2d045", Version: "1", PubStatus: "usable", Type: "text",
					VersionCreated: "2021-05-26T13:40:18+02:00", Urgency: intp(3), Language: "sv",
					Headline: "Militärövning i jätteformat hålls 2023", Slugline: "militärövning",
					Agency: "TT", Format: Format,
				},
				{
					URI: "http://tt.se/media/image/sdlk2sirkPaauM", PubStatus: "usable", Type: "picture",
					Byline: "Karl Melander/TT", Agency: "TT", Format: Format,
				},
			},
			bodyHas: []string{
				"<h2>Militärövning i jätteformat hålls 2023</h2>",
				// html5 has the text before the picture; richhtml5 after.
				"Gotland. Arkivbild från militärövningen Aurora 17.</figcaption></figure>",
				"25 000 deltagare",
			},
			bodyLacks:   []string{"<title>", "TTNITF", "BRODTEXT"},
			description: "Pandemin satte stopp för den stora internationella militärövningen Aurora 2020 förra våren. Redan då sade Försvarsmakten att den skulle genomföras senare och nu står det klart att det blir 2023, rapporterar Sydöstran . \u2013 Aurora 2023 kommer att genomföra",
		},
		{
			// MANIFEST: ninjs 3.0 camelCase keys (versionCreated, pubStatus,
			// representationType); version "2"; the body is NITF XML in a
			// JSON string (role nitf), converted; the stated wordCount 0 is a
			// placeholder, not a count.
			file: "aap_3.0_ninjs_with_nitf_body.json",
			want: []facts{{
				URI:     "https://antidopingdatabase.com/news/anti-doping-measures-at-the-tour-down-under-will-be-the-toughest-ever",
				Version: "2", PubStatus: "usable", Type: "text",
				VersionCreated: "2023-10-08T02:34:03+02:00", Urgency: intp(4), Language: "en",
				Headline: "Anti-doping measures at the 'Tour Down Under' will be the toughest ever",
				Byline:   "Trond Husø, The Anti-Doping Database",
				Dateline: "Oslo, Norway|",
				Agency:   "Configured Agency", Format: Format,
			}},
			bodyHas: []string{
				"<p>The Australian Sports Anti-Doping Authority (ASADA) today announced",
				"<p>Email:   media@asada.gov.au</p>",
			},
			bodyLacks:   []string{"body.content", "hedline", "<block", "DopingWatch"},
			description: "The Australian Sports Anti-Doping Authority (ASADA) today announced a range of anti-doping initiatives to protect the integrity of the 2008 \u2018Tour Down Under\u2019 to be held in South Australia from January 22-27.",
		},
		{
			// EXPECTED: 2 items; embargoed 2022-06-29T02:30:00+00:00 (on
			// upstream's items[1], the text, which Superdesk lists after its
			// picture; ours comes first). MANIFEST: version "11", associated
			// picture. Superdesk writes guid, not uri, and +0000 offsets.
			file: "superdesk_ninjs_embargoed_v11.json",
			want: []facts{
				{
					URI: "fd8e441b-a698-4411-9246-7d5de21cced9", Version: "11", PubStatus: "usable", Type: "text",
					FirstCreated: "2022-06-20T23:20:35Z", VersionCreated: "2022-06-26T23:54:25Z", Embargoed: "2022-06-29T02:30:00Z",
					WordCount: intp(750), Language: "en",
					Headline: "Trouble is brewing for the future of beer", Slugline: "Climate-smart food",
					Byline: "Aaron J. Staples, Michigan State University", Dateline: "Aaron J. Staples, Michigan|",
					Agency: "360info", Format: Format,
				},
				{
					URI: "ae041266-2700-4c52-94fe-a46ebca0d3a9", Version: "3", PubStatus: "usable", Type: "picture",
					FirstCreated: "2022-06-21T07:42:38Z", VersionCreated: "2022-06-21T07:42:39Z",
					Urgency: intp(3), Language: "en", Headline: "Ekegs in Manchester",
					Byline: "Photograph by Pea, available at https://bit.ly/3Najj58",
					Agency: "360info", Format: Format,
				},
			},
			bodyHas:     []string{"<p>What does torched earth taste like?", "hopheads.\u00a0</p>"},
			description: "Brewers are pursuing solutions to reduce water usage, encourage more sustainable farming, limit material use, and power facilities with clean energy.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := wiretest.Read(t, fixturePath(t, tt.file))
			items, err := Decode(data, fixtureOptions(data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var got []facts
			for _, it := range items {
				got = append(got, factsOf(it))
				if it.Source.SHA256 != story.SHA256Hex(data) {
					t.Errorf("%s: source.sha256 = %q, want the delivery's", it.URI, it.Source.SHA256)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items mismatch (-want +got):\n%s", diff)
			}
			body := items[0].BodyHTML
			for _, s := range tt.bodyHas {
				if !strings.Contains(body, s) {
					t.Errorf("body_html lacks %q", s)
				}
			}
			for _, s := range tt.bodyLacks {
				if strings.Contains(body, s) {
					t.Errorf("body_html has %q", s)
				}
			}
			if got := items[0].Description; got != tt.description {
				t.Errorf("description = %q, want %q", got, tt.description)
			}
		})
	}
}

// TestFixtureEntities checks the tagging that 2.x and 1.x write differently.
func TestFixtureEntities(t *testing.T) {
	tests := []struct {
		file                         string
		subjects, places, people, or []story.Entity
	}{
		{
			file: "tt_2.1_text_image.json",
			subjects: []story.Entity{
				{Code: "16000000", Name: "Krig, konflikter och oroligheter", Scheme: "http://tt.se/spec/subref/1.0/"},
			},
			places: []story.Entity{{Name: "Sverige"}, {Name: "Gotland"}, {Name: "Finland"}},
			people: []story.Entity{{Name: "Jonas Svensson"}},
			or:     []story.Entity{{Name: "Aurora"}},
		},
		{
			file: "aap_3.0_ninjs_with_nitf_body.json",
			subjects: []story.Entity{
				{Code: "15000000", Name: "Sport", Scheme: "http://cv.iptc.org/newscodes/mediatopic/"},
				{Code: "20001105", Name: "drug abuse in sport", Scheme: "http://cv.iptc.org/newscodes/mediatopic/"},
				{Code: "20000892", Name: "Cycling", Scheme: "http://cv.iptc.org/newscodes/mediatopic/"},
			},
		},
		{
			file:     "superdesk_ninjs_embargoed_v11.json",
			subjects: []story.Entity{{Code: "06011000", Name: "global warming"}, {Code: "04001000", Name: "agriculture"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := wiretest.Read(t, fixturePath(t, tt.file))
			items, err := Decode(data, nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got := items[0]
			for _, c := range []struct {
				name      string
				got, want []story.Entity
			}{
				{"subjects", got.Subjects, tt.subjects},
				{"places", got.Places, tt.places},
				{"people", got.People, tt.people},
				{"organisations", got.Organisations, tt.or},
			} {
				if diff := cmp.Diff(c.want, c.got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", c.name, diff)
				}
			}
		})
	}
}

// TestVerbatim proves for every fixture body that sanitizing removed
// markup and never words: the body as chosen and converted (HTML rendition,
// NITF, plain text) against the item's body_html.
func TestVerbatim(t *testing.T) {
	for _, path := range wiretest.Fixtures(t, "ninjs") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			var d document
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			body, err := chooseBody(&d)
			if err != nil {
				t.Fatal(err)
			}
			items, err := Decode(data, nil)
			if err != nil && !errors.As(err, new(*wire.PartialError)) {
				t.Fatal(err)
			}
			if body.html == "" || items[0].BodyHTML == "" {
				t.Fatal("fixture has no body")
			}
			if err := sanitize.VerbatimCheck(body.html, items[0].BodyHTML); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestBodyChoice(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // body_html
	}{
		{"HTML over text", `{"uri":"u","bodies":[{"role":"text","contenttype":"text/plain","value":"plain"},{"role":"main","contenttype":"text/html","value":"<p>html</p>"}]}`, "<p>html</p>"},
		{"NITF over text", `{"uri":"u","bodies":[{"contenttype":"text/plain","value":"plain"},{"role":"nitf","value":"<body.content><p>nitf</p></body.content>"}]}`, "<p>nitf</p>"},
		{"plain text made paragraphs", `{"uri":"u","bodies":[{"contenttype":"text/plain","value":"One <b>\n\nTwo"}]}`, "<p>One &lt;b&gt;</p><p>Two</p>"},
		{"unknown XML rendition ignored", `{"uri":"u","bodies":[{"role":"ttnitf","contenttype":"application/xml","value":"<TTNITF>x</TTNITF>"}]}`, ""},
		{"bare value sniffed as HTML", `{"uri":"u","bodies":[{"value":"<p>a</p>"}]}`, "<p>a</p>"},
		{"bare value sniffed as text", `{"uri":"u","bodies":[{"value":"a < b"}]}`, "<p>a &lt; b</p>"},
		{"broken NITF falls back to its text rendition", `{"uri":"u","bodies":[{"role":"nitf","value":"<body.content><p>x</body.content>"},{"role":"text","value":"t"}]}`, "<p>t</p>"},
		{"1.x body_html over body_text", `{"uri":"u","body_text":"t","body_html":"<p>h</p>"}`, "<p>h</p>"},
		{"1.x body_text", `{"uri":"u","body_text":"t"}`, "<p>t</p>"},
		{"whole HTML document: body only", `{"uri":"u","body_html":"<!DOCTYPE html><html><head><title>T</title></head><body><p>b</p></body></html>"}`, "<p>b</p>"},
		{"script removed, words kept", `{"uri":"u","body_html":"<p onclick=\"x()\">a<script>evil()</script> b</p>"}`, "<p>a b</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.doc), nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, items[0].BodyHTML); diff != "" {
				t.Errorf("body_html mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeFields covers members the fixtures do not exercise.
func TestDecodeFields(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want facts
	}{
		{"version as a number kept as written", `{"uri":"u","version":3}`,
			facts{URI: "u", Version: "3", PubStatus: "usable", Format: Format}},
		{"canceled", `{"uri":"u","pubstatus":"canceled"}`,
			facts{URI: "u", PubStatus: "canceled", Format: Format}},
		{"withheld, ninjs 3 camelCase", `{"uri":"u","pubStatus":"withheld","embargoedUntil":"2030-01-02T03:04:05+01:00"}`,
			facts{URI: "u", PubStatus: "withheld", Embargoed: "2030-01-02T03:04:05+01:00", Format: Format}},
		{"zone-less time read in the configured zone", `{"uri":"u","versioncreated":"2024-01-15T10:00:00"}`,
			facts{URI: "u", PubStatus: "usable", VersionCreated: "2024-01-15T10:00:00+13:00", Format: Format}},
		{"urgency as a string; empty wordcount unknown", `{"uri":"u","urgency":"2","bodies":[{"value":"x","wordcount":""}]}`,
			facts{URI: "u", PubStatus: "usable", Urgency: intp(2), Format: Format}},
		{"headline line breaks become spaces, no-break space kept", "{\"uri\":\"u\",\"headlines\":[{\"role\":\"sub\",\"value\":\"S\"},{\"role\":\"main\",\"value\":\"A\\n\\tB\u00a0C\"}]}",
			facts{URI: "u", PubStatus: "usable", Headline: "A B\u00a0C", Format: Format}},
		{"signals read back from wiredesk genres", `{"uri":"u","genres":[{"uri":"urn:wiredesk:signal:correction"},{"uri":"http://cv.iptc.org/newscodes/genre/Actuality"}]}`,
			facts{URI: "u", PubStatus: "usable", Signals: []string{"correction"}, Format: Format}},
		{"wrapped id unwrapped", `{"uri":"urn:wiredesk:id:5ee9b4b4%20x"}`,
			facts{URI: "5ee9b4b4 x", PubStatus: "usable", Format: Format}},
		{"agency from infosources", `{"uri":"u","infosources":[{"name":"Harbour Wire"}]}`,
			facts{URI: "u", PubStatus: "usable", Agency: "Harbour Wire", Format: Format}},
		{"Latin-1 bytes read as windows-1252", "{\"uri\":\"u\",\"headline\":\"Gr\xfc\xdfe\"}",
			facts{URI: "u", PubStatus: "usable", Headline: "Grüße", Format: Format}},
	}
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.doc), &wire.Options{Location: auckland})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, factsOf(items[0])); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAssociations(t *testing.T) {
	doc := `{"uri":"text-1","type":"text","headline":"H","associations":[
		{"name":"a","type":"picture","uri":"pic-1","headlines":[{"value":"Pic"}],"renditions":[{"name":"r","href":"https://img.example/1.jpg"}]},
		{"name":"b","type":"text","uri":"text-2","representationtype":"partial"},
		{"name":"c","type":"picture"},
		{"name":"d","type":"picture","uri":"pic-2","pubstatus":"gone"}
	]}`
	items, err := Decode([]byte(doc), nil)
	var partial *wire.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("Decode error = %v, want a *wire.PartialError", err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.URI+" "+it.Type+" "+it.Link)
	}
	want := []string{"text-1 text ", "pic-1 picture https://img.example/1.jpg"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items mismatch (-want +got):\n%s", diff)
	}
	wantSkips := []wire.Skip{
		{Index: 2, Reason: `association "b" is a text object, not a media item of its own`},
		{Index: 3, Reason: `association "c": missing required key "uri"`},
		{Index: 4, Reason: `association "d": pubstatus "gone" is not usable, withheld or canceled`},
	}
	if diff := cmp.Diff(wantSkips, partial.Skipped); diff != "" {
		t.Errorf("skips mismatch (-want +got):\n%s", diff)
	}
}

// TestBadInput: every broken payload is a clear *wire.Error, quickly, and
// never a panic or an item.
func TestBadInput(t *testing.T) {
	fixture := wiretest.Read(t, fixturePath(t, "dpa_2.1_text_v2.json"))
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><lolz>&lol4;</lolz>`
	tests := []struct {
		name    string
		in      []byte
		wantErr []string // substrings of the error text
	}{
		{"empty", nil, []string{"decode ninjs: empty document"}},
		{"whitespace", []byte(" \r\n\t"), []string{"empty document"}},
		{"truncated", fixture[:len(fixture)/2], []string{"truncated JSON", "line 14, column 1524"}},
		{"broken in the middle", []byte("{\n  \"uri\": \"u\",\n  \"headline\": x\n}"), []string{"malformed JSON at line 3, column 15"}},
		{"trailing garbage", []byte(`{"uri":"u"} {"uri":"v"}`), []string{"malformed JSON at line 1, column 13"}},
		{"wrong root: array", []byte(`[{"uri":"u"}]`), []string{"not a ninjs document: JSON array"}},
		{"wrong root: XML", []byte(`<nitf><head/></nitf>`), []string{"not a ninjs document: XML root element <nitf>"}},
		{"XML entity bomb", []byte(bomb), []string{"not a ninjs document"}},
		{"binary garbage", []byte("\x00\x01\xff\xfe\x89PNG\r\n\x1a\n"), []string{"not a ninjs document"}},
		{"no uri", []byte(`{"headline":"H","versioncreated":"2020-01-01T00:00:00Z"}`), []string{`missing required key "uri"`}},
		{"wrong type", []byte("{\"uri\":\"u\",\n\"headline\":{\"x\":1}}"), []string{`member "headline" is a JSON object, want a string`, "line 2"}},
		{"wrong type in a flexible member", []byte(`{"uri":"u","version":{"n":1}}`), []string{`member "version" is a JSON object, want a string or a number`}},
		{"unknown pubstatus", []byte(`{"uri":"u","pubstatus":"draft"}`), []string{`pubstatus "draft" is not usable, withheld or canceled`}},
		{"urgency not a whole number", []byte(`{"uri":"u","urgency":2.5}`), []string{`urgency: "2.5" is not a whole number`}},
		{"deep nesting", []byte(`{"uri":"u","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`), []string{"decode ninjs"}},
		{"over the size limit", make([]byte, wire.MaxDocumentBytes+1), []string{"over the 64 MiB limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			items, err := Decode(tt.in, nil)
			if time.Since(start) > 2*time.Second {
				t.Errorf("Decode took %v", time.Since(start))
			}
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("Decode error = %v (%T), want a *wire.Error", err, err)
			}
			if len(items) != 0 {
				t.Errorf("Decode returned %d items with the error", len(items))
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// jsonFixtureDirs are the shared fixture folders holding JSON payloads.
var jsonFixtureDirs = []string{"ninjs", "ap", "dpa-digitalwires", "jsonfeed"}

// TestMatch: Match claims every ninjs fixture and nothing else, from the
// other JSON formats (AP Media API, dpa digitalwires, JSON Feed) to XML,
// HTML and plain text.
func TestMatch(t *testing.T) {
	dirs := append([]string{"rss", "atom", "nitf", "newsml-g2", "newsml1", "anpa"}, jsonFixtureDirs...)
	for _, dir := range dirs {
		entries, err := os.ReadDir(wiretest.FixtureDir(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(wiretest.FixtureDir(t, dir), e.Name())
			t.Run(dir+"/"+e.Name(), func(t *testing.T) {
				shape := wire.SniffShape(wiretest.Read(t, path))
				if got, want := Match(&shape), dir == "ninjs"; got != want {
					t.Errorf("Match = %v, want %v (%s)", got, want, shape.Describe())
				}
			})
		}
	}
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{"uri":"u","$schema":"http://www.iptc.org/std/ninjs/ninjs-schema_2.1.json"}`, true},
		{`{"uri":"u","standard":{"name":"ninjs","version":"3.0"}}`, true},
		{`{"guid":"g","headline":"H"}`, true},
		{`{"uri":"u"}`, false},
		{`{"uri":"u","type":"Feature"}`, false},
		{`{"headline":"H","versioncreated":"2020-01-01T00:00:00Z"}`, false},
	} {
		shape := wire.SniffShape([]byte(tt.doc))
		if got := Match(&shape); got != tt.want {
			t.Errorf("Match(%s) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}
