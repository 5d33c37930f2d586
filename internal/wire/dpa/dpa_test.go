package dpa

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
	"github.com/wiredesk/wiredesk/internal/wire/newsmlg2"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

func eilPath(t testing.TB) string {
	return filepath.Join(wiretest.FixtureDir(t, "dpa-digitalwires"), "eil.json")
}

func intp(n int) *int { return &n }

func timep(t *testing.T, s string) *time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// TestFixture asserts what EXPECTED.md states about eil.json (urn, version
// 1, urgency 2, version_created 2024-09-25T10:37:24+02:00 with its offset,
// the headline) and the rest of the mapping: dateline split into place and
// source, editorial notes without the sign-off line, categories as
// subjects, places and keywords, the provider as agency.
func TestFixture(t *testing.T) {
	data := wiretest.Read(t, eilPath(t))
	items, err := Decode(data, fixtureOptions(data))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("Decode gave %d items, want 1", len(items))
	}
	got := items[0]
	if vc := got.VersionCreated.Format(time.RFC3339); vc != "2024-09-25T10:37:24+02:00" {
		t.Errorf("versioncreated = %s, want the offset dpa wrote", vc)
	}
	got.BodyHTML, got.BodyText = "", "" // checked below
	want := story.Item{
		URI:            "urn:newsml:dpa.com:20090101:240925-930-242744",
		Version:        "1",
		PubStatus:      story.Usable,
		Type:           "text",
		VersionCreated: timep(t, "2024-09-25T10:37:24+02:00"),
		Urgency:        intp(2),
		Language:       "de",
		Headline:       "Grünen-Spitze tritt nach Wahlniederlagen ab",
		Dateline:       &story.Dateline{Place: "Berlin", Source: "dpa"},
		EdNote:         "Zu diesem Text finden Sie Bilder mit folgendem Titel im dpa Bildangebot:\ndpa-Eilmeldung",
		Subjects: []story.Entity{
			{Code: "20000651", Name: "Partei", Scheme: "medtop"},
			{Code: "pl", Name: "pl", Scheme: "dpacat"},
		},
		Places:     []story.Entity{{Code: "1", Name: "Deutschland", Scheme: "dpacountry"}},
		Keywords:   []string{"Grüne"},
		Copyright:  "Copyright 2024, dpa (www.dpa.de). Alle Rechte vorbehalten",
		UsageTerms: "Nutzung nur nach schriftlicher Vereinbarung mit dpa\nUse only with the written agreement with dpa",
		Source:     story.ItemSource{Format: Format, Agency: "dpa", SHA256: story.SHA256Hex(data)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("item mismatch (-want +got):\n%s", diff)
	}
	wantBody := "<p>Die Grünen-Spitze zieht nach den Misserfolgen der Partei bei mehreren Wahlen personelle Konsequenzen. Die Co-Vorsitzenden Ricarda Lang und Omid Nouripour gaben in Berlin den Rücktritt des gesamten Parteivorstandes im November bekannt. Zuvor hatte das Nachrichtenportal «Table Media» berichtet.</p>"
	if diff := cmp.Diff(wantBody, items[0].BodyHTML); diff != "" {
		t.Errorf("body_html mismatch (-want +got):\n%s", diff)
	}
}

// TestVerbatim: sanitizing the fixture's article removed markup, never
// words.
func TestVerbatim(t *testing.T) {
	data := wiretest.Read(t, eilPath(t))
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	items, err := Decode(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sanitize.VerbatimCheck(e.ArticleHTML, items[0].BodyHTML); err != nil {
		t.Error(err)
	}
}

// TestSameStoryAsNewsMLG2: eil.json and newsml-g2/dpa_dw_eil_flash.g2.xml
// (dpa's own conversion of it) are the same story: same uri, version,
// headline, urgency and version time.
func TestSameStoryAsNewsMLG2(t *testing.T) {
	g2data := wiretest.Read(t, filepath.Join(wiretest.FixtureDir(t, "newsml-g2"), "dpa_dw_eil_flash.g2.xml"))
	g2, err := newsmlg2.Decode(g2data, nil)
	if err != nil {
		t.Fatalf("newsmlg2.Decode: %v", err)
	}
	dw, err := Decode(wiretest.Read(t, eilPath(t)), nil)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	type same struct {
		URI, Version, Headline, VersionCreated string
		Urgency                                *int
	}
	pick := func(it story.Item) same {
		return same{it.URI, it.Version, it.Headline, it.VersionCreated.Format(time.RFC3339), it.Urgency}
	}
	if len(g2) != 1 || len(dw) != 1 {
		t.Fatalf("got %d NewsML-G2 and %d digitalwires items, want 1 each", len(g2), len(dw))
	}
	if diff := cmp.Diff(pick(g2[0]), pick(dw[0])); diff != "" {
		t.Errorf("digitalwires and NewsML-G2 differ (-g2 +digitalwires):\n%s", diff)
	}
}

// TestDecodeFields covers digitalwires members the fixture leaves empty.
func TestDecodeFields(t *testing.T) {
	tests := []struct {
		name  string
		entry string // members beside urn
		check func(t *testing.T, it story.Item)
	}{
		{"signal and correction note", `"signal":"sig:correction","ednotes":[{"role":"dpaednoterole:correctionshort","ednote":"Richtig ist 1997."}]`,
			func(t *testing.T, it story.Item) {
				if diff := cmp.Diff([]string{"correction"}, it.Signals); diff != "" {
					t.Errorf("signals (-want +got):\n%s", diff)
				}
				if it.EdNote != "Richtig ist 1997." {
					t.Errorf("ednote = %q", it.EdNote)
				}
			}},
		{"update signal", `"signal":"sig:update"`, func(t *testing.T, it story.Item) {
			if diff := cmp.Diff([]string{"update"}, it.Signals); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
		}},
		{"canceled", `"pubstatus":"canceled"`, func(t *testing.T, it story.Item) {
			if it.PubStatus != story.Canceled {
				t.Errorf("pubstatus = %q", it.PubStatus)
			}
		}},
		{"teaser, byline, embargo", `"teaser":"Kurz.","byline":"Von Anna Muster, dpa","embargoed":"2024-10-09T14:20:00+02:00"`,
			func(t *testing.T, it story.Item) {
				if it.Description != "Kurz." || it.Byline != "Von Anna Muster, dpa" || it.Embargoed.Format(time.RFC3339) != "2024-10-09T14:20:00+02:00" {
					t.Errorf("got description %q, byline %q, embargoed %v", it.Description, it.Byline, it.Embargoed)
				}
			}},
		{"no version_created: updated", `"updated":"2024-09-25T08:38:44Z"`, func(t *testing.T, it story.Item) {
			if it.VersionCreated.Format(time.RFC3339) != "2024-09-25T08:38:44Z" {
				t.Errorf("versioncreated = %v", it.VersionCreated)
			}
		}},
		{"info box after the article", `"article_html":"<section><p>A.</p></section>","infobox_html":"<section><p>Fakten.</p></section>"`,
			func(t *testing.T, it story.Item) {
				if it.BodyHTML != "<p>A.</p><p>Fakten.</p>" || it.Type != "text" {
					t.Errorf("body_html = %q, type %q", it.BodyHTML, it.Type)
				}
			}},
		{"dateline without agency", `"dateline":"Hamburg - "`, func(t *testing.T, it story.Item) {
			if diff := cmp.Diff(&story.Dateline{Place: "Hamburg"}, it.Dateline); diff != "" {
				t.Errorf("dateline (-want +got):\n%s", diff)
			}
		}},
		{"no provider: creditline", `"creditline":"dpa-AFX"`, func(t *testing.T, it story.Item) {
			if it.Source.Agency != "dpa-AFX" {
				t.Errorf("agency = %q", it.Source.Agency)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(`{"urn":"urn:x","entry_id":"e",`+tt.entry+`}`), nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.check(t, items[0])
		})
	}
}

// TestWireqEntries: a wireq response's entries are decoded one by one; a
// bad one does not lose the others.
func TestWireqEntries(t *testing.T) {
	doc := `{"entries":[{"urn":"a","version":1},{"headline":"no urn"},{"urn":"b","urgency":"eilig"},7,{"urn":"c","version":"2"}]}`
	items, err := Decode([]byte(doc), nil)
	var partial *wire.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("Decode error = %v, want a *wire.PartialError", err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.URI+"@"+it.Version)
	}
	if diff := cmp.Diff([]string{"a@1", "c@2"}, got); diff != "" {
		t.Errorf("items mismatch (-want +got):\n%s", diff)
	}
	wantSkips := []wire.Skip{
		{Index: 1, Reason: `missing required key "urn"`},
		{Index: 2, Reason: `urgency: "eilig" is not a whole number`},
		{Index: 3, Reason: `the document is a JSON number, want an object`},
	}
	if diff := cmp.Diff(wantSkips, partial.Skipped); diff != "" {
		t.Errorf("skips mismatch (-want +got):\n%s", diff)
	}
}

func TestBadInput(t *testing.T) {
	eil := wiretest.Read(t, eilPath(t))
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`
	tests := []struct {
		name    string
		in      []byte
		wantErr []string
	}{
		{"empty", nil, []string{"decode dpa-digitalwires: empty document"}},
		{"truncated", eil[:len(eil)/2], []string{"truncated JSON", "line 46, column 4"}},
		{"broken", []byte("{\"urn\": \"u\",\n\"headline\": 'x'}"), []string{"malformed JSON at line 2, column 13"}},
		{"wrong root: array", []byte(`[{"urn":"u"}]`), []string{"not a dpa-digitalwires document: JSON array"}},
		{"wrong root: XML", []byte(`<newsMessage/>`), []string{"not a dpa-digitalwires document: XML root element <newsMessage>"}},
		{"XML entity bomb", []byte(bomb), []string{"not a dpa-digitalwires document"}},
		{"binary garbage", []byte("\x1f\x8b\x08\x00\x00\x00"), []string{"not a dpa-digitalwires document"}},
		{"no urn", []byte(`{"entry_id":"e","headline":"H"}`), []string{`missing required key "urn"`}},
		{"wrong type", []byte(`{"urn":"u","ednotes":"x"}`), []string{`member "ednotes" is a JSON string, want an array`}},
		{"entries not an array", []byte(`{"entries":{}}`), []string{`"entries" is not an array`}},
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

// TestMatch: Match claims the digitalwires fixture and no other shared
// fixture.
func TestMatch(t *testing.T) {
	for _, dir := range []string{"ninjs", "ap", "dpa-digitalwires", "jsonfeed", "rss", "atom", "nitf", "newsml-g2", "newsml1", "anpa"} {
		entries, err := os.ReadDir(wiretest.FixtureDir(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(wiretest.FixtureDir(t, dir), e.Name())
			t.Run(dir+"/"+e.Name(), func(t *testing.T) {
				shape := wire.SniffShape(wiretest.Read(t, path))
				if got, want := Match(&shape), dir == "dpa-digitalwires"; got != want {
					t.Errorf("Match = %v, want %v (%s)", got, want, shape.Describe())
				}
			})
		}
	}
	for _, tt := range []struct {
		doc  string
		want bool
	}{
		{`{"urn":"u","format":"digitalwires@0.9.1"}`, true},
		{`{"urn":"u","version_created":"2024-01-01T00:00:00Z"}`, true},
		{`{"entries":[{"urn":"u","entry_id":"e"}]}`, true},
		{`{"entries":[]}`, false},
		{`{"urn":"u"}`, false},
	} {
		shape := wire.SniffShape([]byte(tt.doc))
		if got := Match(&shape); got != tt.want {
			t.Errorf("Match(%s) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}
