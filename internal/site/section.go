package site

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// sectionURL is the path of a section's page.
func sectionURL(name string) string {
	return "/section/" + url.PathEscape(name)
}

// serveSection lists the visible stories filed under a section, newest
// first. Section names are slugs; any other name, or a section nothing
// visible is filed under, is not a page.
func (s *Site) serveSection(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if name == "" || story.Slug(name) != name {
		return fmt.Errorf("section %q: %w", name, store.ErrNotFound)
	}
	title := sectionTitle(name)
	return s.serveList(w, r, &listSpec{
		path:          sectionURL(name),
		title:         title + " | " + s.siteName,
		heading:       title,
		kind:          "Section",
		filter:        store.ListStoriesParams{Section: name},
		section:       name,
		emptyNotFound: true,
	})
}
