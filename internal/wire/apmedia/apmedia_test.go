package apmedia

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// facts are the fields of an item the tests assert, with times as RFC 3339
// text so that the offset is compared too.
type facts struct {
	URI, Version, PubStatus, Type           string
	Signals                                 []string
	FirstCreated, VersionCreated, Embargoed string
	Urgency, WordCount                      *int
	Language, Headline, Slugline, Byline    string
	Dateline, Description, EdNote           string
	Copyright, UsageTerms, Agency, Format   string
	BodyHTML                                string
}

func factsOf(it story.Item) facts {
	f := facts{
		URI: it.URI, Version: it.Version, PubStatus: string(it.PubStatus), Type: it.Type, Signals: it.Signals,
		FirstCreated: rfc3339(it.FirstCreated), VersionCreated: rfc3339(it.VersionCreated), Embargoed: rfc3339(it.Embargoed),
		Urgency: it.Urgency, WordCount: it.WordCount,
		Language: it.Language, Headline: it.Headline, Slugline: it.Slugline, Byline: it.Byline,
		Description: it.Description, EdNote: it.EdNote,
		Copyright: it.Copyright, UsageTerms: it.UsageTerms, Agency: it.Source.Agency, Format: it.Source.Format,
		BodyHTML: it.BodyHTML,
	}
	if it.Dateline != nil {
		f.Dateline = it.Dateline.Place
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

const usage = "This content is intended for editorial use only. For other uses, additional clearances may be required."

// TestFixtures asserts what EXPECTED.md states about the AP fixtures
// (exactly 1 item; headline "BC-BBN--Top Ten") and what MANIFEST.md says
// makes them hard: the feed envelope with its next_page link, the itemid as
// identity (the item's uri is a per-query API address), version 0 kept as
// "0", the NITF rendition only linked (no body).
func TestFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []facts
	}{
		{
			file: "ap_media_text_feed.json",
			want: []facts{{
				URI: "5ee9b4b40ea5fe9c9ca60f890fb2e1d9", Version: "0", PubStatus: "usable", Type: "text",
				FirstCreated: "2019-07-03T04:05:12Z", VersionCreated: "2019-07-03T04:05:12Z",
				WordCount: intp(206), Headline: "BC-BBN--Top Ten",
				Copyright: "Copyright 2019 The Associated Press.", UsageTerms: usage,
				Agency: "AP", Format: Format,
			}},
		},
		{
			file: "ap_media_text_item.json",
			want: []facts{{
				URI: "5ee9b4b40ea5fe9c9ca60f890fb2e1d9", Version: "0", PubStatus: "usable", Type: "text",
				FirstCreated: "2019-07-03T04:05:12Z", VersionCreated: "2019-07-03T04:05:12Z",
				Urgency: intp(4), WordCount: intp(206), Language: "en",
				// EXPECTED's slugline "BBN--Top Ten" is Superdesk's, which
				// strips AP's "BC-"; we keep the slugline as sent.
				Headline: "BC-BBN--Top Ten", Slugline: "BC-BBN--Top Ten",
				Copyright:  "Copyright 2019 The Associated Press. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
				UsageTerms: usage, Agency: "AP", Format: Format,
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "ap"), tt.file))
			items, err := Decode(data, fixtureOptions(data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var got []facts
			for _, it := range items {
				got = append(got, factsOf(it))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFixtureTagging checks the item response's classification: AP's
// subjects (its category code among them), people, places and keywords.
func TestFixtureTagging(t *testing.T) {
	data := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "ap"), "ap_media_text_item.json"))
	items, err := Decode(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	it := items[0]
	const apid = "http://cv.ap.org/id/"
	wantSubjects := []story.Entity{
		{Code: "s", Name: "s"},
		{Code: "94aaa8f88c0c100489d7b9433d2f4c0e", Name: "MLB baseball", Scheme: apid},
		{Code: "20dd2c287e4e100488e5d0913b2d075c", Name: "Professional baseball", Scheme: apid},
		{Code: "20d82ae87e4e100488a0d0913b2d075c", Name: "Baseball", Scheme: apid},
		{Code: "54df6c687df7100483dedf092526b43e", Name: "Sports", Scheme: apid},
		{Code: "039d42210158410db74f393deea38897", Name: "Men's sports", Scheme: apid},
	}
	if diff := cmp.Diff(wantSubjects, it.Subjects); diff != "" {
		t.Errorf("subjects mismatch (-want +got):\n%s", diff)
	}
	wantPeople := []story.Entity{{Code: "9f20931c4c3f49e8a45cff69f00fe0b0", Name: "Ariane Bellamar", Scheme: apid}}
	if diff := cmp.Diff(wantPeople, it.People); diff != "" {
		t.Errorf("people mismatch (-want +got):\n%s", diff)
	}
	var places []string
	for _, p := range it.Places {
		places = append(places, p.Name)
	}
	wantPlaces := []string{"San Diego", "California", "United States", "North America", "Wisconsin", "Pittsburgh", "Pennsylvania", "Los Angeles"}
	if diff := cmp.Diff(wantPlaces, places); diff != "" {
		t.Errorf("places mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"BBN--Top Ten"}, it.Keywords); diff != "" {
		t.Errorf("keywords mismatch (-want +got):\n%s", diff)
	}
}

func TestNextPage(t *testing.T) {
	feed := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "ap"), "ap_media_text_feed.json"))
	item := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "ap"), "ap_media_text_item.json"))
	tests := []struct {
		name   string
		in     []byte
		want   string
		wantOK bool
	}{
		{"feed", feed, "https://a.b.c", true},
		{"item response has none", item, "", false},
		{"empty next_page", []byte(`{"data":{"items":[],"next_page":" "}}`), "", false},
		{"not JSON", []byte(`<rss/>`), "", false},
		{"empty", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NextPage(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("NextPage = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestDecodeFields covers AP members the fixtures do not have: editorial
// types, bylines, datelines, embargoes, summaries.
func TestDecodeFields(t *testing.T) {
	tests := []struct {
		name string
		item string // an item's members, without braces
		want facts
	}{
		{"Kill cancels", `"editorialtypes":["Kill"],"pubstatus":"usable"`,
			facts{PubStatus: "canceled", Signals: []string{"kill"}}},
		{"Corrective is a correction; Writethru kept", `"editorialtypes":["Corrective","Writethru"]`,
			facts{PubStatus: "usable", Signals: []string{"correction", "writethru"}}},
		{"Advisory", `"editorialtypes":["Advisory"],"ednote":"Eds: For planning."`,
			facts{PubStatus: "usable", Signals: []string{"advisory"}, EdNote: "Eds: For planning."}},
		{"withheld", `"pubstatus":"withheld"`, facts{PubStatus: "withheld"}},
		{"embargoed status is usable with its embargo", `"pubstatus":"embargoed","embargoed":"2026-12-01T05:00:00Z"`,
			facts{PubStatus: "usable", Embargoed: "2026-12-01T05:00:00Z"}},
		{"no version: the etag is the version key", `"version":null`, facts{PubStatus: "usable", Version: "E1"}},
		{"version 0 kept as written", `"version":0`, facts{PubStatus: "usable", Version: "0"}},
		{"bylines joined, words kept", `"bylines":[{"by":"By JOHN DOE","title":"AP Writer"},{"by":"JANE ROE"}]`,
			facts{PubStatus: "usable", Byline: "By JOHN DOE, JANE ROE"}},
		{"picture byline from photographer, caption as description", `"type":"picture","photographer":{"name":"Ann Lee"},"description_caption":"A cat."`,
			facts{PubStatus: "usable", Type: "picture", Byline: "Ann Lee", Description: "A cat."}},
		{"summary over extended headline", `"description_summary":"S.","headline_extended":"E."`,
			facts{PubStatus: "usable", Description: "S."}},
		{"extended headline when no summary", `"headline_extended":"E."`,
			facts{PubStatus: "usable", Description: "E."}},
		{"dateline from located, else datelinelocation", `"datelinelocation":{"city":"San Diego","countryname":"United States"}`,
			facts{PubStatus: "usable", Dateline: "San Diego"}},
		{"usage terms as a string", `"usageterms":"One."`, facts{PubStatus: "usable", UsageTerms: "One."}},
		{"no provider: configured agency", `"provider":{"name":"x"}`, facts{PubStatus: "usable", Agency: "Configured Agency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"api_version":"1.1","data":{"item":{"altids":{"itemid":"I1","etag":"E1"},` + tt.item + `}}}`
			items, err := Decode([]byte(doc), &wire.Options{Agency: "Configured Agency"})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := tt.want
			want.URI, want.Format = "I1", Format
			if want.Version == "" {
				want.Version = "E1" // the etag: these items have no version
			}
			if want.Agency == "" {
				want.Agency = "Configured Agency"
			}
			if diff := cmp.Diff(want, factsOf(items[0])); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFeedEntries: one bad entry of a feed does not lose the others.
func TestFeedEntries(t *testing.T) {
	doc := `{"api_version":"1.1","data":{"items":[
		{"item":{"altids":{"itemid":"A","etag":"A_1"},"version":1}},
		{"meta":{}},
		{"item":{"altids":{"etag":"x"}}},
		{"item":{"altids":{"itemid":"B","etag":"B_1"},"urgency":"high"}},
		{"item":{"altids":{"itemid":"C","etag":"C_1"},"headline":["x"]}},
		{"item":{"altids":{"itemid":"D","etag":"D_1"},"pubstatus":"draft"}},
		{"item":{"altids":{"itemid":"E","etag":"E_1"}}}
	]}}`
	items, err := Decode([]byte(doc), nil)
	var partial *wire.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("Decode error = %v, want a *wire.PartialError", err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.URI+"@"+it.Version)
	}
	if diff := cmp.Diff([]string{"A@1", "E@E_1"}, got); diff != "" {
		t.Errorf("items mismatch (-want +got):\n%s", diff)
	}
	wantSkips := []wire.Skip{
		{Index: 1, Reason: "feed entry has no item"},
		{Index: 2, Reason: `missing required key "altids.itemid"`},
		{Index: 3, Reason: `urgency: "high" is not a whole number`},
		{Index: 4, Reason: `member "headline" is a JSON array, want a string`},
		{Index: 5, Reason: `pubstatus "draft" is not usable, embargoed, withheld or canceled`},
	}
	if diff := cmp.Diff(wantSkips, partial.Skipped); diff != "" {
		t.Errorf("skips mismatch (-want +got):\n%s", diff)
	}
}

func TestBadInput(t *testing.T) {
	item := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "ap"), "ap_media_text_item.json"))
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`
	tests := []struct {
		name    string
		in      []byte
		wantErr []string
	}{
		{"empty", nil, []string{"decode ap-media: empty document"}},
		{"truncated", item[:len(item)/3], []string{"truncated JSON", "line 124, column 28"}},
		{"broken", []byte("{\"data\":\n{\"item\": {,}}}"), []string{"malformed JSON at line 2, column 11"}},
		{"wrong root: array", []byte(`[]`), []string{"not a ap-media document: JSON array"}},
		{"wrong root: XML", []byte(`<nitf/>`), []string{"not a ap-media document: XML root element <nitf>"}},
		{"XML entity bomb", []byte(bomb), []string{"not a ap-media document"}},
		{"binary garbage", []byte("\x89PNG\r\n\x1a\n\x00\x00"), []string{"not a ap-media document"}},
		{"not an AP response", []byte(`{"uri":"u","headline":"H"}`), []string{`not an AP Media API response`}},
		{"item without itemid", []byte(`{"data":{"item":{"altids":{"etag":"e"}}}}`), []string{`data.item: missing required key "altids.itemid"`}},
		{"data not an object", []byte(`{"data":"x"}`), []string{`member "data" is a JSON string, want an object`}},
		{"over the size limit", make([]byte, wire.MaxDocumentBytes+1), []string{"over the 64 MiB limit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			items, err := Decode(tt.in, nil)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Decode took %v", d)
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

// TestMatch: Match claims the AP Media API fixtures and no other shared
// fixture (AP's NITF rendition is NITF).
func TestMatch(t *testing.T) {
	mine := map[string]bool{}
	for _, p := range fixtures(t) {
		mine[filepath.Base(p)] = true
	}
	for _, dir := range []string{"ninjs", "ap", "dpa-digitalwires", "jsonfeed", "rss", "atom", "nitf", "newsml-g2", "newsml1", "anpa"} {
		entries, err := os.ReadDir(wiretest.FixtureDir(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(wiretest.FixtureDir(t, dir), e.Name())
			t.Run(dir+"/"+e.Name(), func(t *testing.T) {
				shape := wire.SniffShape(wiretest.Read(t, path))
				if got, want := Match(&shape), mine[e.Name()]; got != want {
					t.Errorf("Match = %v, want %v (%s)", got, want, shape.Describe())
				}
			})
		}
	}
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{"uri":"https://api.ap.org/media/v/content/x","altids":{"itemid":"x","etag":"x_1"}}`, true},
		{`{"data":{"item":{"altids":{"itemid":"x","etag":"x_1"}}}}`, true},
		{`{"data":{"items":[]}}`, false},
		{`{"data":{"items":[{"item":{"altids":{"itemid":"x","etag":"y"}}}]}}`, true},
		{`{"data":{"id":1}}`, false},
	} {
		shape := wire.SniffShape([]byte(tt.doc))
		if got := Match(&shape); got != tt.want {
			t.Errorf("Match(%s) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

// TestBareItem: an item without the response envelope, as AP's agent
// saves it, decodes the same.
func TestBareItem(t *testing.T) {
	items, err := Decode([]byte(`{"uri":"https://api.ap.org/x","altids":{"itemid":"x","etag":"x_1"},"headline":"H"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := items[0].URI + " " + items[0].Version + " " + items[0].Headline; got != "x x_1 H" {
		t.Errorf("item = %q, want %q", got, "x x_1 H")
	}
}
