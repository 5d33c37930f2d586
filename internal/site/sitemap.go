package site

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// Google News sitemap limits: stories published in the last two days, at
// most a thousand of them.
const (
	newsSitemapWindow = 48 * time.Hour
	newsSitemapMax    = 1000
)

const (
	nsSitemap     = "http://www.sitemaps.org/schemas/sitemap/0.9"
	nsSitemapNews = "http://www.google.com/schemas/sitemap-news/0.9"
)

// sitemapRoutes are the sitemap index, the news sitemap and the paged
// sitemaps. The paged ones are /sitemap-{n}.xml: a pattern wildcard must
// be a whole path segment, so they take the one-segment paths no other
// route claims, and any other such path is not found.
func (s *Site) sitemapRoutes() []outputRoute {
	return []outputRoute{
		{"GET /sitemap.xml", s.handle(s.serveSitemapIndex)},
		{"GET /sitemap-news.xml", s.handle(s.serveNewsSitemap)},
		{"GET /{file}", s.handle(s.serveSitemapPage)},
	}
}

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemapindex"`
	Sitemaps []sitemapRef `xml:"sitemap"`
}

type sitemapRef struct {
	Loc string `xml:"loc"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	NewsNS  string       `xml:"xmlns:news,attr,omitempty"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string    `xml:"loc"`
	LastMod string    `xml:"lastmod,omitempty"`
	News    *newsInfo `xml:"news:news"`
}

type newsInfo struct {
	Publication     newsPublication `xml:"news:publication"`
	PublicationDate string          `xml:"news:publication_date"`
	Title           string          `xml:"news:title"`
}

type newsPublication struct {
	Name     string `xml:"news:name"`
	Language string `xml:"news:language"`
}

func (s *Site) serveSitemapIndex(w http.ResponseWriter, r *http.Request) error {
	page, err := s.out.reader.ListSitemapEntries(r.Context(), &store.ListSitemapEntriesParams{Limit: 1})
	if err != nil {
		return fmt.Errorf("count stories for the sitemap index: %w", err)
	}
	base := s.baseURL(r)
	idx := sitemapIndex{Sitemaps: []sitemapRef{{Loc: base + "/sitemap-news.xml"}}}
	for n := 1; (n-1)*s.out.sitemapPageSize < page.Total; n++ {
		idx.Sitemaps = append(idx.Sitemaps, sitemapRef{Loc: fmt.Sprintf("%s/sitemap-%d.xml", base, n)})
	}
	return writeXML(w, idx)
}

var sitemapPagePath = regexp.MustCompile(`^sitemap-([1-9][0-9]{0,8})\.xml$`)

func (s *Site) serveSitemapPage(w http.ResponseWriter, r *http.Request) error {
	m := sitemapPagePath.FindStringSubmatch(r.PathValue("file"))
	if m == nil {
		return s.serveNotFound(w, r)
	}
	n, _ := strconv.Atoi(m[1])
	page, err := s.out.reader.ListSitemapEntries(r.Context(), &store.ListSitemapEntriesParams{
		Offset: (n - 1) * s.out.sitemapPageSize, Limit: s.out.sitemapPageSize,
	})
	if err != nil {
		return fmt.Errorf("list sitemap page %d: %w", n, err)
	}
	// The pages past the last are not found, except the first: an empty
	// site still has a (empty) first sitemap.
	if len(page.Entries) == 0 && n > 1 {
		return fmt.Errorf("sitemap page %d of %d stories: %w", n, page.Total, store.ErrNotFound)
	}
	base := s.baseURL(r)
	set := urlSet{URLs: make([]sitemapURL, 0, len(page.Entries))}
	for _, e := range page.Entries {
		set.URLs = append(set.URLs, sitemapURL{
			Loc:     base + sitemapStoryURL(e),
			LastMod: latest(e.UpdatedAt, e.PublishedAt).UTC().Format(time.RFC3339),
		})
	}
	return writeXML(w, set)
}

// sitemapStoryURL is storyURL for a sitemap entry: the same canonical path.
func sitemapStoryURL(e *store.SitemapEntry) string {
	return storyURL(&story.Story{ID: e.ID, Slug: e.Slug, Current: &story.Item{Headline: e.Headline, Slugline: e.Slugline}})
}

func (s *Site) serveNewsSitemap(w http.ResponseWriter, r *http.Request) error {
	since := s.out.now().Add(-newsSitemapWindow)
	base := s.baseURL(r)
	set := urlSet{NewsNS: nsSitemapNews, URLs: []sitemapURL{}}
	p := &store.ListStoriesParams{Since: &since, Limit: 500}
	for len(set.URLs) < newsSitemapMax {
		stories, err := s.store.ListStories(r.Context(), p)
		if err != nil {
			return fmt.Errorf("list stories for the news sitemap: %w", err)
		}
		for _, st := range stories {
			// The list is newest first: the window ends at the first
			// older story, whatever the backend made of Since.
			if st.PublishedAt.Before(since) {
				return writeXML(w, set)
			}
			if !st.State.Visible() || st.Current == nil {
				continue
			}
			set.URLs = append(set.URLs, sitemapURL{
				Loc: base + storyURL(st),
				News: &newsInfo{
					Publication:     newsPublication{Name: s.siteName, Language: newsLanguage(st.Current.Language)},
					PublicationDate: st.PublishedAt.UTC().Format(time.RFC3339),
					Title:           headline(st),
				},
			})
			if len(set.URLs) == newsSitemapMax {
				break
			}
		}
		if len(stories) < p.Limit {
			break
		}
		last := stories[len(stories)-1]
		p.Before = &store.StoryCursor{PublishedAt: last.PublishedAt, ID: last.ID}
	}
	return writeXML(w, set)
}

// newsLanguage is a story's language as Google News wants it: an ISO 639
// code, with zh-cn and zh-tw the only forms with a region. A story without
// a language is taken to be in English, the most common case and the
// site's own.
func newsLanguage(tag string) string {
	tag = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	if tag == "" {
		return "en"
	}
	primary, rest, _ := strings.Cut(tag, "-")
	if primary == "zh" {
		if strings.Contains(rest, "tw") || strings.Contains(rest, "hk") || strings.Contains(rest, "hant") {
			return "zh-tw"
		}
		return "zh-cn"
	}
	return primary
}

func writeXML(w http.ResponseWriter, v any) error {
	body, err := marshalXML(v)
	if err != nil {
		return fmt.Errorf("encode sitemap: %w", err)
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, err = w.Write(body)
	return err
}
