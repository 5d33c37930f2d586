package site

import (
	"net/http"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
)

// headMeta is what a page tells search engines and link previews in its
// head: the canonical URL, a description, Open Graph properties and the
// schema.org description of a story.
type headMeta struct {
	// Canonical is the page's absolute URL.
	Canonical   string
	Description string
	// NoIndex asks search engines not to index the page (search results).
	NoIndex bool
	// OpenGraph are <meta property content> pairs, in order.
	OpenGraph []metaProperty
	// Article is rendered as JSON-LD. html/template encodes it as JSON in
	// the script element's own escaping ("<" as \u003c and so on), so no
	// agency text can end the element; browsers do not run a script of
	// type application/ld+json, so the CSP's script-src 'none' stays.
	Article *newsArticle
}

type metaProperty struct {
	Property string
	Content  string
}

// newsArticle is a schema.org NewsArticle: the fields search engines read
// for news.
type newsArticle struct {
	Context          string        `json:"@context"`
	Type             string        `json:"@type"`
	Headline         string        `json:"headline"`
	Description      string        `json:"description,omitempty"`
	DatePublished    string        `json:"datePublished"`
	DateModified     string        `json:"dateModified"`
	Author           []schemaThing `json:"author"`
	Publisher        schemaThing   `json:"publisher"`
	ArticleSection   string        `json:"articleSection,omitempty"`
	Keywords         []string      `json:"keywords,omitempty"`
	InLanguage       string        `json:"inLanguage,omitempty"`
	URL              string        `json:"url"`
	MainEntityOfPage schemaThing   `json:"mainEntityOfPage"`
	// SourceOrganization is the agency the words came from.
	SourceOrganization *schemaThing `json:"sourceOrganization,omitempty"`
}

// schemaThing is a schema.org Organization, Person or WebPage.
type schemaThing struct {
	Type string `json:"@type"`
	ID   string `json:"@id,omitempty"`
	Name string `json:"name,omitempty"`
}

// descriptionRunes bounds a page's description: search engines show about
// this much.
const descriptionRunes = 200

// storyMeta is the head of a story page: its canonical URL on the public
// address, Open Graph properties and the NewsArticle.
func (s *Site) storyMeta(r *http.Request, st *story.Story, sp *storyPage) headMeta {
	it := st.Current
	canonical := s.baseURL(r) + storyURL(st)
	description := strings.TrimSpace(it.Description)
	if description == "" {
		description = excerpt(it, s.policy.Text)
	}
	description = shorten(strings.Join(strings.Fields(description), " "), descriptionRunes)
	modified := st.PublishedAt
	if !sp.Updated.IsZero() {
		modified = sp.Updated
	}
	section := ""
	if sp.Section != nil {
		section = sp.Section.Name
	}

	og := []metaProperty{
		{"og:type", "article"},
		{"og:site_name", s.siteName},
		{"og:title", sp.Headline},
		{"og:url", canonical},
	}
	if description != "" {
		og = append(og, metaProperty{"og:description", description})
	}
	if locale := ogLocale(it.Language); locale != "" {
		og = append(og, metaProperty{"og:locale", locale})
	}
	og = append(og,
		metaProperty{"article:published_time", isoTime(st.PublishedAt)},
		metaProperty{"article:modified_time", isoTime(modified)},
	)
	if section != "" {
		og = append(og, metaProperty{"article:section", section})
	}
	var keywords []string
	for _, tag := range sp.Tags {
		og = append(og, metaProperty{"article:tag", tag.Name})
		keywords = append(keywords, tag.Name)
	}

	article := &newsArticle{
		Context:          "https://schema.org",
		Type:             "NewsArticle",
		Headline:         sp.Headline,
		Description:      description,
		DatePublished:    isoTime(st.PublishedAt),
		DateModified:     isoTime(modified),
		Author:           []schemaThing{author(sp.Byline, st.Agency)},
		Publisher:        schemaThing{Type: "Organization", Name: s.siteName},
		ArticleSection:   section,
		Keywords:         keywords,
		InLanguage:       it.Language,
		URL:              canonical,
		MainEntityOfPage: schemaThing{Type: "WebPage", ID: canonical},
	}
	if st.Agency != "" {
		article.SourceOrganization = &schemaThing{Type: "Organization", Name: st.Agency}
	}
	return headMeta{Canonical: canonical, Description: description, OpenGraph: og, Article: article}
}

// author is who wrote the story: the person the byline names, else the
// agency.
func author(byline, agency string) schemaThing {
	words := strings.Fields(byline)
	if len(words) > 0 && strings.EqualFold(words[0], "by") {
		words = words[1:]
	}
	name := strings.Join(words, " ")
	if name == "" {
		return schemaThing{Type: "Organization", Name: agency}
	}
	return schemaThing{Type: "Person", Name: name}
}

// ogLocale turns a BCP 47 tag into Open Graph's language_TERRITORY form:
// "en-GB" as en_GB, "de" as de; "" when there is none.
func ogLocale(lang string) string {
	lang = strings.TrimSpace(lang)
	if lang == "" {
		return ""
	}
	parts := strings.Split(lang, "-")
	out := strings.ToLower(parts[0])
	if len(parts) > 1 && len(parts[1]) == 2 {
		out += "_" + strings.ToUpper(parts[1])
	}
	return out
}

// isoTime is a time as metadata carries it: RFC 3339 in UTC.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
