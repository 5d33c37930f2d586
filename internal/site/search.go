package site

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// readingReader is what the section, tag and search pages read beyond the
// story list.
type readingReader interface {
	SearchStories(ctx context.Context, p *store.SearchParams) (*store.SearchResult, error)
	GetTag(ctx context.Context, ref *store.TagRef) (*store.Tag, error)
	ListSections(ctx context.Context) ([]string, error)
}

// searchLimit is how many hits a page of search results shows.
const searchLimit = 20

// maxSearchPage is the last page of results a reader can ask for.
const maxSearchPage = store.MaxSearchOffset/searchLimit + 1

// searchPage is the search form and one page of its results.
type searchPage struct {
	page
	// Searched is set when the query had words to search for; without
	// any the page shows only the form.
	Searched bool
	Hits     []searchHit
	// PageNumber is the page of results shown, from 1.
	PageNumber int
	PrevURL    string
	NextURL    string
}

// searchHit is one result, its matches marked.
type searchHit struct {
	URL       string
	Lang      string
	Headline  []store.TextSpan
	Snippet   []store.TextSpan
	Agency    string
	Place     string
	Published time.Time
}

// serveSearch answers /search?q=words&page=n: visible stories holding
// every word, those with every word in the headline first, newest first
// within each, each with its matches marked. Marked text is
// spans of plain text, escaped like any other by the template: a match is
// never HTML from the store.
func (s *Site) serveSearch(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	pageNumber := 1
	if raw := r.URL.Query().Get("page"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxSearchPage {
			return &badRequestError{reason: fmt.Sprintf("results page %q is not between 1 and %d", raw, maxSearchPage)}
		}
		pageNumber = n
	}
	title := "Search | " + s.siteName
	if q != "" {
		title = q + " | Search | " + s.siteName
	}
	pg, err := s.newPage(r, title, "")
	if err != nil {
		return err
	}
	pg.Query = q
	// Result pages are endless and say nothing a story page does not.
	pg.Head = headMeta{NoIndex: true}
	sp := searchPage{page: pg, PageNumber: pageNumber}
	if len(store.SearchTerms(q)) == 0 {
		return s.render(w, "search", sp)
	}
	sp.Searched = true
	res, err := s.store.SearchStories(r.Context(), &store.SearchParams{
		Query: q, Limit: searchLimit, Offset: (pageNumber - 1) * searchLimit,
	})
	if err != nil {
		return fmt.Errorf("search %q page %d: %w", q, pageNumber, err)
	}
	for _, h := range res.Hits {
		st := h.Story
		hit := searchHit{
			URL:       storyURL(st),
			Lang:      st.Current.Language,
			Headline:  tidySpans(h.Headline),
			Snippet:   tidySpans(h.Snippet),
			Agency:    st.Agency,
			Published: st.PublishedAt,
		}
		if len(hit.Headline) == 0 {
			hit.Headline = []store.TextSpan{{Text: headline(st)}}
		}
		if d := st.Current.Dateline; d != nil {
			hit.Place = d.Place
		}
		sp.Hits = append(sp.Hits, hit)
	}
	if pageNumber > 1 {
		sp.PrevURL = searchURL(q, pageNumber-1)
	}
	if res.More && pageNumber < maxSearchPage {
		sp.NextURL = searchURL(q, pageNumber+1)
	}
	return s.render(w, "search", sp)
}

// searchURL is the address of a page of results.
func searchURL(q string, pageNumber int) string {
	v := url.Values{"q": {q}}
	if pageNumber > 1 {
		v.Set("page", strconv.Itoa(pageNumber))
	}
	return pageURL("/search", v)
}

// tidySpans folds the line breaks and runs of spaces of agency text into
// single spaces, as a one-paragraph snippet reads, and trims the ends.
func tidySpans(spans []store.TextSpan) []store.TextSpan {
	var out []store.TextSpan
	for i, sp := range spans {
		text := strings.Join(strings.Fields(sp.Text), " ")
		if text == "" {
			if strings.TrimSpace(sp.Text) == "" && sp.Text != "" && i > 0 && i < len(spans)-1 {
				out = append(out, store.TextSpan{Text: " "})
			}
			continue
		}
		if i > 0 && startsWithSpace(sp.Text) {
			text = " " + text
		}
		if i < len(spans)-1 && endsWithSpace(sp.Text) {
			text += " "
		}
		out = append(out, store.TextSpan{Text: text, Match: sp.Match})
	}
	return out
}

func startsWithSpace(s string) bool { return s != "" && strings.TrimLeft(s, " \t\r\n") != s }
func endsWithSpace(s string) bool   { return s != "" && strings.TrimRight(s, " \t\r\n") != s }
