package site

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/sanitize"
	"github.com/wiredesk/wiredesk/internal/story"
)

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("word ", 100)
	for _, tc := range []struct {
		name string
		item story.Item
		want string
	}{
		{"plain text wins", story.Item{BodyText: "  First line.\n\nSecond  line. ", BodyHTML: "<p>HTML</p>"}, "First line. Second line."},
		{"html text with block breaks", story.Item{BodyHTML: "<p>One.</p><p>Two <b>bold</b>er &amp; more.</p>"}, "One. Two bolder & more."},
		{"html without text falls back to description", story.Item{BodyHTML: "<img src=x>", Description: "Summary."}, "Summary."},
		{"script and style are not text", story.Item{BodyHTML: "<p>Kept</p><script>var x = 1;</script><style>p{}</style>"}, "Kept"},
		{"description when no body", story.Item{Description: "A summary."}, "A summary."},
		{"cut at a word with an ellipsis", story.Item{BodyText: long}, strings.TrimSpace(strings.Repeat("word ", excerptRunes/5)) + "…"},
		{"nothing", story.Item{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, excerpt(&tc.item, sanitize.New().Text)); diff != "" {
				t.Errorf("excerpt mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShortenKeepsRunesWhole(t *testing.T) {
	got := shorten(strings.Repeat("ü", 300), 10)
	if want := strings.Repeat("ü", 10) + "…"; got != want {
		t.Errorf("shorten = %q, want %q", got, want)
	}
}

func TestParagraphs(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{"blank lines", "One\nstill one.\n\n  \nTwo.", []string{"One\nstill one.", "Two."}},
		{"crlf blank lines", "One.\r\n\r\nTwo.", []string{"One.", "Two."}},
		{"single line breaks", "One.\nTwo.\n", []string{"One.", "Two."}},
		{"empty", "  \n ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, paragraphs(tc.text)); diff != "" {
				t.Errorf("paragraphs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDateline(t *testing.T) {
	for _, tc := range []struct {
		in   *story.Dateline
		want string
	}{
		{nil, ""},
		{&story.Dateline{Place: "BERLIN"}, "BERLIN"},
		{&story.Dateline{Place: "Berlin", Date: "March 5", Source: "dpa"}, "Berlin, March 5 (dpa)"},
		{&story.Dateline{Source: "AP"}, "(AP)"},
	} {
		if got := dateline(tc.in); got != tc.want {
			t.Errorf("dateline(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStoryURL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		story story.Story
		want  string
	}{
		{"stored slug", story.Story{ID: 7, Slug: "budget-passes", Current: &story.Item{Headline: "Other"}}, "/story/7/budget-passes"},
		{"slug from headline", story.Story{ID: 7, Current: &story.Item{Headline: "Budget passes"}}, "/story/7/budget-passes"},
		{"no words at all", story.Story{ID: 7, Current: &story.Item{Headline: "!!!"}}, "/story/7/story"},
		{"slug taken by a route", story.Story{ID: 7, Slug: "original", Current: &story.Item{Headline: "Original"}}, "/story/7/original-story"},
		{"non-ASCII escaped", story.Story{ID: 7, Slug: "köln", Current: &story.Item{}}, "/story/7/k%C3%B6ln"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := storyURL(&tc.story); got != tc.want {
				t.Errorf("storyURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWebLink(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.dpa.com/x":  "https://www.dpa.com/x",
		" http://ap.org/a?b=c ":  "http://ap.org/a?b=c",
		"javascript:alert(1)":    "",
		"/relative/path":         "",
		"urn:newsml:dpa.com:123": "",
		"":                       "",
	} {
		if got := webLink(in); got != want {
			t.Errorf("webLink(%q) = %q, want %q", in, got, want)
		}
	}
}
