package store

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/wiredesk/wiredesk/internal/story"
)

// ReadingStore is what readers browse and search by, beside the story list:
// the tags of stories, the sections in use and full-text search. Every
// method sees visible stories only.
type ReadingStore interface {
	// SearchStories finds visible stories whose current version's headline
	// or text holds every word of p.Query, one per cluster, with the
	// matches marked in the headline and a snippet. Among the newest
	// matches (SQLite ranks the 2,000 newest), those with every word in
	// the headline come first, then the rest; newest first within each.
	SearchStories(ctx context.Context, p *SearchParams) (*SearchResult, error)
	// GetTag returns the tag ref names, with its display name, when a
	// visible story carries it; ErrNotFound otherwise.
	GetTag(ctx context.Context, ref *TagRef) (*Tag, error)
	// ListTags returns the tags carried by the most visible stories, most
	// used first, then by name.
	ListTags(ctx context.Context, p *ListTagsParams) ([]*TagCount, error)
	// ListSections returns the sections visible stories are filed under,
	// sorted, without "".
	ListSections(ctx context.Context) ([]string, error)
}

// Tag is one subject, place, person or organisation a story's current
// version carries, as a tag page lists it.
type Tag struct {
	// Kind is TagSubject, TagPlace, TagPerson or TagOrganisation.
	Kind string
	// Slug is story.Slug of Name: the tag's part of its page's URL.
	Slug string
	// Name is as the agency wrote it, for the page's title.
	Name string
}

// Ref is the tag's key.
func (t Tag) Ref() TagRef { return TagRef{Kind: t.Kind, Slug: t.Slug} }

// TagsOf returns the tags of an item: its subjects, places, people and
// organisations, in that order and in the agency's order within each, one
// per (kind, slug), the first name given winning. An entity without a name
// (a bare code such as medtop:11000000) makes no tag: a page titled by an
// opaque code helps no reader. Both backends store exactly these tags, and
// the story page links exactly these, so every link finds its page.
func TagsOf(it *story.Item) []Tag {
	if it == nil {
		return nil
	}
	var tags []Tag
	seen := map[TagRef]bool{}
	for _, group := range []struct {
		kind     string
		entities []story.Entity
	}{
		{TagSubject, it.Subjects},
		{TagPlace, it.Places},
		{TagPerson, it.People},
		{TagOrganisation, it.Organisations},
	} {
		for _, e := range group.entities {
			name := strings.Join(strings.Fields(e.Name), " ")
			slug := story.Slug(name)
			if slug == "" {
				continue
			}
			ref := TagRef{Kind: group.kind, Slug: slug}
			if seen[ref] {
				continue
			}
			seen[ref] = true
			tags = append(tags, Tag{Kind: group.kind, Slug: slug, Name: name})
		}
	}
	return tags
}

// ValidTagKind reports whether kind is one of the four tag kinds.
func ValidTagKind(kind string) bool {
	switch kind {
	case TagSubject, TagPlace, TagPerson, TagOrganisation:
		return true
	}
	return false
}

// ListTagsParams asks for the most used tags.
type ListTagsParams struct {
	// Kind keeps one kind of tag; "" for all.
	Kind string
	// Limit bounds the answer: default 20, at most 200.
	Limit int
}

// TagCount is a tag with the number of visible stories carrying it.
type TagCount struct {
	Tag
	Stories int
}

// SearchParams is one search. Query is what the reader typed: it is split
// into words (SearchTerms), never handed to the database's query language.
type SearchParams struct {
	Query string
	// Filters, as in ListStoriesParams; the zero value of each means none.
	Section string
	Agency  string
	Since   *time.Time
	// Limit is the page size: default 20, at most 100. Offset skips that
	// many hits, at most MaxSearchOffset: ranked results have no stable
	// keyset to page by, and nobody reads past the first few pages.
	Limit  int
	Offset int
}

// Search paging bounds.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
	MaxSearchOffset    = 1000
)

// Page returns the page size and offset asked for, within bounds.
func (p *SearchParams) Page() (limit, offset int) {
	limit = p.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	return min(limit, MaxSearchLimit), min(max(p.Offset, 0), MaxSearchOffset)
}

// SearchResult is one page of hits.
type SearchResult struct {
	Hits []*SearchHit
	// More is set when hits follow this page.
	More bool
}

// SearchHit is one story found, with where the words matched. The spans
// are plain text: whoever renders them escapes them, and marks the spans
// with Match set.
type SearchHit struct {
	Story    *story.Story
	Headline []TextSpan
	Snippet  []TextSpan
}

// TextSpan is a run of text, a match of the query or not.
type TextSpan struct {
	Text  string
	Match bool
}

// Search terms are bounded so a pasted page cannot make a query of
// thousands of words.
const (
	maxSearchTerms    = 16
	maxSearchTermRune = 64
)

// SearchTerms splits a reader's query into the words both backends search
// for: runs of letters and digits, lowercased, at most 16 of at most 64
// characters each, repeats dropped. Everything else (quotes, operators,
// punctuation) separates words, so no input can reach a query language.
func SearchTerms(q string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(q, notWordRune) {
		w = strings.ToLower(w)
		if r := []rune(w); len(r) > maxSearchTermRune {
			w = string(r[:maxSearchTermRune])
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		terms = append(terms, w)
		if len(terms) == maxSearchTerms {
			break
		}
	}
	return terms
}

// notWordRune says where words end: at anything but a letter, a number or
// a combining mark (which belongs to the letter before it in many scripts),
// as SQLite's unicode61 tokenizer splits them.
func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
}

// The markers backends put around matches in highlighted text: Unicode
// private-use characters, which agency copy does not use. Markers are never
// shown: SplitMarked turns them into spans.
const (
	MatchStart = "\uE000"
	MatchEnd   = "\uE001"
)

// SplitMarked turns text with MatchStart/MatchEnd markers into spans. An
// unbalanced marker ends or starts a match where it stands; it can only
// misplace a highlight, never let markup through, since spans are text.
func SplitMarked(s string) []TextSpan {
	var spans []TextSpan
	match := false
	for s != "" {
		marker := MatchStart
		if match {
			marker = MatchEnd
		}
		i := strings.Index(s, marker)
		if i < 0 {
			// Drop a stray marker of the other kind rather than show it.
			spans = appendSpan(spans, TextSpan{Text: strings.NewReplacer(MatchStart, "", MatchEnd, "").Replace(s), Match: match})
			break
		}
		spans = appendSpan(spans, TextSpan{Text: strings.NewReplacer(MatchStart, "", MatchEnd, "").Replace(s[:i]), Match: match})
		s = s[i+len(marker):]
		match = !match
	}
	return spans
}

// appendSpan appends sp, merging it into the last span of the same kind and
// dropping it when empty.
func appendSpan(spans []TextSpan, sp TextSpan) []TextSpan {
	if sp.Text == "" {
		return spans
	}
	if n := len(spans); n > 0 && spans[n-1].Match == sp.Match {
		spans[n-1].Text += sp.Text
		return spans
	}
	return append(spans, sp)
}

// SearchText is what search indexes of an item: its headline, and its
// plain text, else its description. NULs (which PostgreSQL text cannot
// hold) and the match markers (which must mark nothing but matches) are
// taken out; they are no words.
func SearchText(it *story.Item) (headline, body string) {
	body = it.BodyText
	if strings.TrimSpace(body) == "" {
		body = it.Description
	}
	clean := strings.NewReplacer("\x00", "", MatchStart, "", MatchEnd, "")
	return clean.Replace(it.Headline), clean.Replace(body)
}

// FillHits puts each hit's story, read after the ranked query, in its
// place, and drops a hit whose story went out of sight in between (a kill
// committed between the two reads).
func FillHits(hits []*SearchHit, stories map[int64]*story.Story) []*SearchHit {
	kept := hits[:0]
	for _, h := range hits {
		st := stories[h.Story.ID]
		if st == nil || !st.State.Visible() || st.Current == nil {
			continue
		}
		h.Story = st
		kept = append(kept, h)
	}
	return kept
}
