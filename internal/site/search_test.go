package site

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

func TestTidySpans(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []store.TextSpan
		want []store.TextSpan
	}{
		{"none", nil, nil},
		{"line breaks and runs of spaces fold", []store.TextSpan{{Text: "  Dock\nworkers   walked "}, {Text: "out", Match: true}, {Text: "\n\nat dawn.\n"}},
			[]store.TextSpan{{Text: "Dock workers walked "}, {Text: "out", Match: true}, {Text: " at dawn."}}},
		{"space between two matches is kept", []store.TextSpan{{Text: "Harbour", Match: true}, {Text: "\n"}, {Text: "strike", Match: true}},
			[]store.TextSpan{{Text: "Harbour", Match: true}, {Text: " "}, {Text: "strike", Match: true}}},
		{"no space is invented", []store.TextSpan{{Text: "pre"}, {Text: "fix", Match: true}},
			[]store.TextSpan{{Text: "pre"}, {Text: "fix", Match: true}}},
		{"blank ends go", []store.TextSpan{{Text: " \n"}, {Text: "word", Match: true}, {Text: "\t"}},
			[]store.TextSpan{{Text: "word", Match: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tidySpans(tt.in)); diff != "" {
				t.Errorf("tidySpans (-want +got):\n%s", diff)
			}
		})
	}
}

// Matches are marked with <mark> around text the template escapes: markup
// in agency copy, matched or not, never becomes markup on the page.
func TestSearchMarksMatchesAsText(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		it := item("AP", "urn:ap:markup", "Police <script>alert(1)</script> close road")
		it.BodyText = `Police said <img src=x onerror=alert(2)> the road is closed.`
		putStory(t, s, version{item: it, state: story.Published, at: t0})
		h := newSite(t, s, io.Discard)

		// PostgreSQL's parser drops what looks like an HTML tag from the
		// words it indexes, so the words searched for are outside them.
		rec := serve(h, httptest.NewRequest(http.MethodGet, "/search?q=police+road", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{
			`<mark>Police</mark> &lt;script&gt;alert(1)&lt;/script&gt; close <mark>road</mark>`,
			`<mark>Police</mark> said &lt;img src=x onerror=alert(2)&gt; the <mark>road</mark> is closed`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("results lack %s:\n%s", want, body)
			}
		}
		for _, unsafe := range []string{"<script", "<img"} {
			if strings.Contains(body, unsafe) {
				t.Errorf("results contain %q:\n%s", unsafe, body)
			}
		}
	})
}

// Results come a page at a time, with links both ways between pages.
func TestSearchPages(t *testing.T) {
	s := dbtest.SQLite(t)
	for i := range searchLimit + 5 {
		it := item("dpa", fmt.Sprintf("urn:dpa:s:%02d", i), fmt.Sprintf("Budget vote number %02d", i))
		putStory(t, s, version{item: it, state: story.Published, at: t0.Add(time.Duration(i) * time.Minute)})
	}
	h := newSite(t, s, io.Discard)
	type view struct {
		Hits       int
		Prev, Next bool
	}
	for _, tc := range []struct {
		path string
		want view
	}{
		{"/search?q=budget", view{Hits: searchLimit, Next: true}},
		{"/search?q=budget&page=2", view{Hits: 5, Prev: true}},
		{"/search?q=budget&page=3", view{Prev: true}},
	} {
		body := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil)).Body.String()
		got := view{
			Hits: strings.Count(body, `<article class="summary">`),
			Prev: strings.Contains(body, `rel="prev"`),
			Next: strings.Contains(body, `<a href="/search?page=2&amp;q=budget" rel="next">`),
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tc.path, diff)
		}
	}
}

// FuzzParseCursor: ?before= is read strictly, and what it reads writes
// back to the same cursor.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"1709631000000000-3", "0-1", "-1-2", "1-0", "x", "1-2-3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := parseCursor(raw)
		if err != nil || c == nil {
			return
		}
		again, err := parseCursor(formatCursor(*c))
		if err != nil || !again.PublishedAt.Equal(c.PublishedAt) || again.ID != c.ID {
			t.Fatalf("cursor %q reads as %v, which writes as %q and reads back as %v, %v", raw, c, formatCursor(*c), again, err)
		}
	})
}
