package newsml1

import (
	"bytes"
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

const afpFixture = "afp_newsml12_saab.xml"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "newsml1"), name))
}

func timeOf(t *testing.T, s string) *time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

func intOf(n int) *int { return &n }

// TestFixtures checks the facts EXPECTED.md states for the AFP file, in our
// keys. The story id is the PublicIdentifier without its revision (":1"),
// so that every revision of the story keys to the same story; the version
// is the RevisionId.
func TestFixtures(t *testing.T) {
	items, err := Decode(fixture(t, afpFixture), &wire.Options{SHA256: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("got %d items, want 1", len(items))
	}
	got := items[0]
	bodyHTML, bodyText := got.BodyHTML, got.BodyText
	got.BodyHTML, got.BodyText = "", ""
	want := story.Item{
		URI: "urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86", Version: "1", PubStatus: story.Usable, Type: "text",
		FirstCreated: timeOf(t, "2014-08-29T13:49:51Z"), VersionCreated: timeOf(t, "2014-08-29T13:49:51Z"),
		Urgency: intOf(4), Language: "en", Headline: "Sweden court accepts receivership for Saab carmaker",
		Slugline: "Sweden-SAAB", Dateline: &story.Dateline{Place: "STOCKHOLM", Date: "Aug 29, 2014", Source: "AFP"},
		WordCount: intOf(224),
		Subjects: []story.Entity{
			{Code: "04011002", Scheme: subjectScheme},
			{Code: "04016007", Scheme: subjectScheme},
			{Code: "04000000", Scheme: subjectScheme},
			{Code: "04016038", Scheme: subjectScheme},
			{Code: "04011000", Scheme: subjectScheme},
			{Name: "business", Scheme: "genre"},
			{Name: "bankruptcy", Scheme: "genre"},
		},
		Places:     []story.Entity{{Code: "SWE", Scheme: "iso3166-1a3"}, {Name: "Stockholm"}},
		Keywords:   []string{"Sweden", "China", "auto", "business", "bankruptcy", "Saab"},
		UsageTerms: "NO ARCHIVAL USE",
		Source:     story.ItemSource{Format: Format, Agency: "AFP", SHA256: "abc"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("item mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(bodyHTML, "<p>A Chinese-owned company set up to take over Saab&#39;s assets") {
		t.Errorf("body_html starts %q", bodyHTML[:80])
	}
	if !strings.HasSuffix(bodyHTML, "<p>hh/ph/ts/hd</p>") || strings.Contains(bodyHTML, "body.content") {
		t.Errorf("body_html ends %q, want the last paragraph and no <body.content>", bodyHTML[len(bodyHTML)-40:])
	}
	if paras := strings.Count(bodyText, "\n\n") + 1; paras != 10 {
		t.Errorf("body_text has %d paragraphs, want 10", paras)
	}
}

// TestVerbatim checks the body against the fixture's own body.content.
func TestVerbatim(t *testing.T) {
	data := fixture(t, afpFixture)
	m := regexp.MustCompile(`(?s)<body\.content>(.*)</body\.content>`).FindSubmatch(data)
	if m == nil {
		t.Fatal("fixture has no body.content")
	}
	items, err := Decode(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sanitize.VerbatimCheck(string(m[1]), items[0].BodyHTML); err != nil {
		t.Error(err)
	}
	if items[0].BodyText != sanitize.New().Text(items[0].BodyHTML) {
		t.Error("body_text is not the text of body_html")
	}
}

func TestGolden(t *testing.T) {
	for _, path := range wiretest.Fixtures(t, "newsml1") {
		t.Run(wiretest.GoldenName(path), func(t *testing.T) {
			data := wiretest.Read(t, path)
			items, err := Decode(data, &wire.Options{SHA256: story.SHA256Hex(data)})
			wiretest.Golden(t, wiretest.GoldenName(path), wiretest.Lines(items, err))
		})
	}
}

// newsItem builds a NewsItem with the given identifier, management and
// component content.
func newsItem(identifier, management, component string) string {
	return `<NewsItem><Identification><NewsIdentifier>` + identifier + `</NewsIdentifier></Identification>` +
		`<NewsManagement>` + management + `</NewsManagement><NewsComponent>` + component + `</NewsComponent></NewsItem>`
}

const afpID = `<ProviderId>afp.com</ProviderId><DateId>20240101</DateId><NewsItemId>X1</NewsItemId><RevisionId>2</RevisionId>`

func TestDecodeSynthetic(t *testing.T) {
	in := `<NewsML Version="1.2">` +
		// A PublicIdentifier with an update qualifier after its revision.
		newsItem(afpID+`<PublicIdentifier>urn:newsml:afp.com:20240101:X1:2N</PublicIdentifier>`,
			`<Status FormalName="Canceled"/><NewsItemType FormalName="Advisory"/>`, `<NewsLines><HeadLine>Killed</HeadLine></NewsLines>`) +
		// No PublicIdentifier: the URN composed; an embargo.
		newsItem(afpID, `<Status FormalName="Embargoed"/><StatusWillChange><FutureStatus FormalName="Usable"/><DateAndTime>20240102T060000+0100</DateAndTime></StatusWillChange>`,
			`<NewsLines><HeadLine>Held</HeadLine></NewsLines>`) +
		// An embargo without a time is withheld.
		newsItem(`<NewsItemId>X2</NewsItemId>`, `<Status FormalName="Embargoed"/>`, ``) +
		// No identifier at all: skipped.
		newsItem(``, ``, ``) +
		newsItem(`<NewsItemId>X3</NewsItemId>`, `<Status FormalName="Draft"/>`, ``) +
		// Nested components: the text one gives the body, a photo is not.
		newsItem(`<NewsItemId>X4</NewsItemId>`, `<Status FormalName="Usable"/>`,
			`<NewsLines><HeadLine>Main</HeadLine><ByLine>By Ann</ByLine><CopyrightLine>© AFP 2024</CopyrightLine></NewsLines>
<NewsComponent><ContentItem><MediaType FormalName="Photo"/><DataContent/></ContentItem></NewsComponent>
<NewsComponent><ContentItem><MediaType FormalName="Text"/><DataContent><html xmlns="http://www.w3.org/1999/xhtml"><body><p>XHTML&nbsp;body</p></body></html></DataContent></ContentItem></NewsComponent>`) +
		// A photo alone is a picture; plain-text data is a body.
		newsItem(`<NewsItemId>X5</NewsItemId>`, ``, `<ContentItem><MediaType FormalName="Photo"/></ContentItem>`) +
		newsItem(`<NewsItemId>X6</NewsItemId>`, ``, `<ContentItem><DataContent>Line one
line two

Para &lt;2&gt;</DataContent></ContentItem>`) +
		`</NewsML>`
	items, err := Decode([]byte(in), nil)
	var pe *wire.PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("Decode error = %v, want a *wire.PartialError", err)
	}
	type facts struct {
		URI, Version string
		PubStatus    story.PubStatus
		Signals      []string
		Embargoed    *time.Time
		Type         string
		Headline     string
		Byline       string
		Copyright    string
		BodyHTML     string
	}
	var got []facts
	for _, it := range items {
		got = append(got, facts{it.URI, it.Version, it.PubStatus, it.Signals, it.Embargoed, it.Type, it.Headline, it.Byline, it.Copyright, it.BodyHTML})
	}
	want := []facts{
		{URI: "urn:newsml:afp.com:20240101:X1", Version: "2", PubStatus: story.Canceled, Signals: []string{"advisory"}, Headline: "Killed"},
		{URI: "urn:newsml:afp.com:20240101:X1", Version: "2", PubStatus: story.Usable, Embargoed: timeOf(t, "2024-01-02T06:00:00+01:00"), Headline: "Held"},
		{URI: "urn:newsml:::X2", PubStatus: story.Withheld},
		{URI: "urn:newsml:::X4", PubStatus: story.Usable, Type: "text", Headline: "Main", Byline: "By Ann", Copyright: "© AFP 2024", BodyHTML: "<p>XHTML\u00a0body</p>"},
		{URI: "urn:newsml:::X5", PubStatus: story.Usable, Type: "picture"},
		{URI: "urn:newsml:::X6", PubStatus: story.Usable, Type: "text", BodyHTML: "<p>Line one<br/>line two</p><p>Para &lt;2&gt;</p>"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items mismatch (-want +got):\n%s", diff)
	}
	wantSkips := []wire.Skip{
		{Index: 3, Reason: "NewsItem without a PublicIdentifier or NewsItemId"},
		{Index: 4, Reason: `NewsItem urn:newsml:::X3: unknown Status "Draft"`},
	}
	if diff := cmp.Diff(wantSkips, pe.Skipped); diff != "" {
		t.Errorf("skips mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	afp := fixture(t, afpFixture)
	bomb := `<?xml version="1.0"?><!DOCTYPE NewsML [<!ENTITY a "aaaaaaaaaa">` +
		`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><NewsML>&c;</NewsML>`
	tests := []struct {
		name       string
		in         []byte
		wantReason string
	}{
		{"empty", nil, "decode newsml1: empty document"},
		{"truncated", afp[:len(afp)/2], "truncated XML: the document ends inside an element at line 86, column"},
		{"wrong root", []byte(`<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"/>`), `not NewsML 1: XML root element <newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">`},
		{"HTML", []byte("<html><body>x</body></html>"), "not NewsML 1: an HTML page"},
		{"binary garbage", []byte("\x00\xff\x10\x80garbage"), "not NewsML 1: not XML or JSON"},
		{"entity bomb", []byte(bomb), "the document type declares entities (<!ENTITY>); refused without expanding them"},
		{"too large", make([]byte, wire.MaxDocumentBytes+1), "document is 64.1 MiB, over the 64 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(tt.in, nil)
			var we *wire.Error
			if !errors.As(err, &we) {
				t.Fatalf("Decode = %d items, %v; want a *wire.Error", len(items), err)
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("error %q does not say %q", err, tt.wantReason)
			}
			if items != nil {
				t.Errorf("items = %v, want none", items)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`<NewsML Version="1.2"/>`, true},
		{`<NewsML xmlns="http://iptc.org/std/NewsML/2003-10-10/"/>`, true},
		{`<newsml/>`, true},
		{`<NewsML xmlns="urn:other"/>`, false},
		{`<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"/>`, false},
		{`<nitf/>`, false},
		{`<rss/>`, false},
	}
	for _, tt := range tests {
		s := wire.SniffShape([]byte(tt.in))
		if got := Match(&s); got != tt.want {
			t.Errorf("Match(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	others, err := os.ReadDir(wiretest.FixtureDir(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range others {
		if !dir.IsDir() {
			continue
		}
		for _, path := range wiretest.Fixtures(t, dir.Name()) {
			s := wire.SniffShape(wiretest.Read(t, path))
			if got, want := Match(&s), dir.Name() == "newsml1"; got != want {
				t.Errorf("Match(%s/%s) = %v, want %v", dir.Name(), filepath.Base(path), got, want)
			}
		}
	}
}

// FuzzDecode checks that Decode never panics, returns either items or a
// *wire.Error, and that every item has a uri and a valid pubstatus.
func FuzzDecode(f *testing.F) {
	for _, path := range wiretest.Fixtures(f, "newsml1") {
		f.Add(wiretest.Read(f, path))
	}
	f.Add([]byte(`<NewsML>` + newsItem(afpID, `<Status FormalName="Withheld"/>`, `<NewsLines><DateLine>PARIS, Jan 1 (AFP) -</DateLine></NewsLines><ContentItem><DataContent><nitf><body><body.content><p>x</p></body.content></body></nitf></DataContent></ContentItem>`) + `</NewsML>`))
	f.Add([]byte(`<NewsML>` + newsItem(`<PublicIdentifier>urn:x:1</PublicIdentifier><RevisionId>1</RevisionId>`, ``, `<NewsComponent><ContentItem><DataContent><body.content><p>y</p></body.content></DataContent></ContentItem></NewsComponent>`) + `</NewsML>`))
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

func BenchmarkDecode(b *testing.B) {
	var docs [][]byte
	total := 0
	for _, path := range wiretest.Fixtures(b, "newsml1") {
		data := wiretest.Read(b, path)
		docs = append(docs, data)
		total += len(data)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		for _, data := range docs {
			its, err := Decode(data, nil)
			if err != nil {
				b.Fatal(err)
			}
			items += len(its)
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkTokenScan(b *testing.B) {
	var docs [][]byte
	total := 0
	for _, path := range wiretest.Fixtures(b, "newsml1") {
		data := wiretest.Read(b, path)
		docs = append(docs, data)
		total += len(data)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range docs {
			if _, err := wiretest.XMLTokenScan(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))); err != nil {
				b.Fatal(fmt.Errorf("scan: %w", err))
			}
		}
	}
}
