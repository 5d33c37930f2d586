package site

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

// tagLink is a tag as a story page links it.
type tagLink struct {
	// Kind names the kind for readers: "Subject", "Place"...
	Kind string
	Name string
	URL  string
}

// tagKinds names each tag kind for readers.
var tagKinds = map[string]string{
	store.TagSubject:      "Subject",
	store.TagPlace:        "Place",
	store.TagPerson:       "Person",
	store.TagOrganisation: "Organisation",
}

func tagLinks(tags []store.Tag) []tagLink {
	var links []tagLink
	for _, t := range tags {
		links = append(links, tagLink{Kind: tagKinds[t.Kind], Name: t.Name, URL: tagURL(t.Ref())})
	}
	return links
}

// tagURL is the path of a tag's page.
func tagURL(ref store.TagRef) string {
	return "/tag/" + url.PathEscape(ref.Kind) + "/" + url.PathEscape(ref.Slug)
}

// serveTag lists the visible stories carrying a tag, newest first. A tag
// no visible story carries is not a page.
func (s *Site) serveTag(w http.ResponseWriter, r *http.Request) error {
	ref := store.TagRef{Kind: r.PathValue("kind"), Slug: r.PathValue("slug")}
	if !store.ValidTagKind(ref.Kind) || ref.Slug == "" || story.Slug(ref.Slug) != ref.Slug {
		return fmt.Errorf("tag %s/%s: %w", ref.Kind, ref.Slug, store.ErrNotFound)
	}
	tag, err := s.store.GetTag(r.Context(), &ref)
	if err != nil {
		return fmt.Errorf("tag page %s/%s: %w", ref.Kind, ref.Slug, err)
	}
	return s.serveList(w, r, &listSpec{
		path:    tagURL(ref),
		title:   tag.Name + " | " + s.siteName,
		heading: tag.Name,
		kind:    tagKinds[ref.Kind],
		filter:  store.ListStoriesParams{Tag: &ref},
	})
}
