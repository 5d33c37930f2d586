package site

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
	"github.com/wiredesk/wiredesk/internal/story"
)

// Sitemaps as a search engine reads them: by namespace and local name.
type parsedIndex struct {
	XMLName  xml.Name
	Sitemaps []struct {
		Loc string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 loc"`
	} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 sitemap"`
}

type parsedURLSet struct {
	XMLName xml.Name
	URLs    []struct {
		Loc     string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 loc"`
		LastMod string `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 lastmod"`
		News    *struct {
			Name            string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication>name"`
			Language        string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication>language"`
			PublicationDate string `xml:"http://www.google.com/schemas/sitemap-news/0.9 publication_date"`
			Title           string `xml:"http://www.google.com/schemas/sitemap-news/0.9 title"`
		} `xml:"http://www.google.com/schemas/sitemap-news/0.9 news"`
	} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
}

func parseXMLBody(t *testing.T, body string, v any) {
	t.Helper()
	if !strings.HasPrefix(body, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60q", body)
	}
	if err := xml.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
}

// sitemapNewsroom stores stories published around now: within the news
// window, just outside it, and a killed one.
type sitemapNewsroom struct {
	now                    time.Time
	recent, edge, old      int64
	killed, german, others []int64
}

func seedSitemapNewsroom(t *testing.T, s store.Store) sitemapNewsroom {
	t.Helper()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	n := sitemapNewsroom{now: now}
	put := func(uri, headline, lang string, at time.Time, killed bool) int64 {
		it := item("Northport Wire", uri, headline)
		it.Language = lang
		vs := []version{{item: it, state: story.Published, at: at}}
		if killed {
			vs = append(vs, version{item: &story.Item{URI: uri, Version: "kill", PubStatus: story.Canceled, Source: it.Source}, state: story.Killed, at: at.Add(time.Minute)})
		}
		return putStory(t, s, vs...)
	}
	n.old = put("old", "Old story from three days ago", "en", now.Add(-72*time.Hour), false)
	n.edge = put("edge", "Story from 49 hours ago", "en", now.Add(-49*time.Hour), false)
	for i := range 3 {
		n.others = append(n.others, put(fmt.Sprintf("other-%d", i), fmt.Sprintf("Other story %d", i), "en-GB", now.Add(-time.Duration(30-i)*time.Hour), false))
	}
	n.killed = append(n.killed, put("killed", "Harbourmaster resigns", "en", now.Add(-2*time.Hour), true))
	n.german = append(n.german, put("german", "Bundestag beschließt Haushalt", "de-DE", now.Add(-90*time.Minute), false))
	n.recent = put("recent", "Ferry & tug collide <at dawn>", "", now.Add(-time.Hour), false)
	return n
}

// storyLoc is a story's canonical URL; sitemaps want it escaped.
func storyLoc(id int64, slug string) string {
	return fmt.Sprintf("%s/story/%d/%s", testPublicURL, id, url.PathEscape(slug))
}

// TestSitemapIndexAndPages: the index names the news sitemap and every
// page; the pages together list every visible story once, killed ones
// never; there is no page past the last.
func TestSitemapIndexAndPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedSitemapNewsroom(t, s)
		h := newOutputSite(t, s, Config{SitemapPageSize: 3, Now: func() time.Time { return n.now }})

		code, hdr, body := fetch(t, h, "/sitemap.xml")
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/xml; charset=utf-8" {
			t.Fatalf("index: %d %q", code, hdr.Get("Content-Type"))
		}
		var idx parsedIndex
		parseXMLBody(t, body, &idx)
		if idx.XMLName != (xml.Name{Space: nsSitemap, Local: "sitemapindex"}) {
			t.Errorf("index root %+v", idx.XMLName)
		}
		var locs []string
		for _, sm := range idx.Sitemaps {
			locs = append(locs, sm.Loc)
		}
		// 7 visible stories, 3 a page.
		wantLocs := []string{testPublicURL + "/sitemap-news.xml", testPublicURL + "/sitemap-1.xml", testPublicURL + "/sitemap-2.xml", testPublicURL + "/sitemap-3.xml"}
		if diff := cmp.Diff(wantLocs, locs); diff != "" {
			t.Errorf("index (-want +got):\n%s", diff)
		}

		var listed []string
		for page := 1; page <= 3; page++ {
			code, _, body := fetch(t, h, fmt.Sprintf("/sitemap-%d.xml", page))
			if code != http.StatusOK {
				t.Fatalf("page %d: status %d", page, code)
			}
			var set parsedURLSet
			parseXMLBody(t, body, &set)
			if set.XMLName != (xml.Name{Space: nsSitemap, Local: "urlset"}) {
				t.Errorf("page %d root %+v", page, set.XMLName)
			}
			if len(set.URLs) > 3 {
				t.Errorf("page %d lists %d URLs, over the page size 3", page, len(set.URLs))
			}
			for _, u := range set.URLs {
				if _, err := time.Parse(time.RFC3339, u.LastMod); err != nil {
					t.Errorf("%s: lastmod %q: %v", u.Loc, u.LastMod, err)
				}
				if u.News != nil {
					t.Errorf("%s: a paged sitemap carries news tags", u.Loc)
				}
				listed = append(listed, u.Loc)
			}
		}
		want := []string{
			storyLoc(n.old, "old-story-from-three-days-ago"), storyLoc(n.edge, "story-from-49-hours-ago"),
			storyLoc(n.others[0], "other-story-0"), storyLoc(n.others[1], "other-story-1"), storyLoc(n.others[2], "other-story-2"),
			storyLoc(n.german[0], "bundestag-beschließt-haushalt"), storyLoc(n.recent, "ferry-tug-collide-at-dawn"),
		}
		slices.Sort(want)
		slices.Sort(listed)
		if diff := cmp.Diff(want, listed); diff != "" {
			t.Errorf("stories listed by the pages (-want +got):\n%s", diff)
		}
		for _, p := range []string{"/sitemap-4.xml", "/sitemap-0.xml", "/sitemap-x.xml", "/sitemap-01.xml", "/sitemaps.xml"} {
			if code, _, _ := fetch(t, h, p); code != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", p, code)
			}
		}
	})
}

// TestNewsSitemap: the Google News sitemap lists the stories published in
// the last 48 hours, newest first, each with its publication (site name and
// language), W3C publication date and title; killed stories are absent.
func TestNewsSitemap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		n := seedSitemapNewsroom(t, s)
		h := newOutputSite(t, s, Config{SiteName: "Northport Daily", Now: func() time.Time { return n.now }})
		code, _, body := fetch(t, h, "/sitemap-news.xml")
		if code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		for _, ns := range []string{`xmlns="` + nsSitemap + `"`, `xmlns:news="` + nsSitemapNews + `"`} {
			if !strings.Contains(body, ns) {
				t.Errorf("news sitemap lacks %s", ns)
			}
		}
		var set parsedURLSet
		parseXMLBody(t, body, &set)
		type newsURL struct{ Loc, Name, Language, Date, Title string }
		var got []newsURL
		for _, u := range set.URLs {
			if u.News == nil {
				t.Errorf("%s has no news:news", u.Loc)
				continue
			}
			got = append(got, newsURL{u.Loc, u.News.Name, u.News.Language, u.News.PublicationDate, u.News.Title})
		}
		date := func(d time.Duration) string { return n.now.Add(d).Format(time.RFC3339) }
		want := []newsURL{
			{storyLoc(n.recent, "ferry-tug-collide-at-dawn"), "Northport Daily", "en", date(-time.Hour), "Ferry & tug collide <at dawn>"},
			{storyLoc(n.german[0], "bundestag-beschließt-haushalt"), "Northport Daily", "de", date(-90 * time.Minute), "Bundestag beschließt Haushalt"},
			{storyLoc(n.others[2], "other-story-2"), "Northport Daily", "en", date(-28 * time.Hour), "Other story 2"},
			{storyLoc(n.others[1], "other-story-1"), "Northport Daily", "en", date(-29 * time.Hour), "Other story 1"},
			{storyLoc(n.others[0], "other-story-0"), "Northport Daily", "en", date(-30 * time.Hour), "Other story 0"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("news sitemap (-want +got):\n%s", diff)
		}
	})
}

func TestNewsLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"": "en", "en": "en", "en-GB": "en", "de_DE": "de", "zh": "zh-cn", "zh-Hans-CN": "zh-cn",
		"zh-TW": "zh-tw", "zh-Hant": "zh-tw", "pt-BR": "pt", "FR": "fr",
	} {
		if got := newsLanguage(in); got != want {
			t.Errorf("newsLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}
