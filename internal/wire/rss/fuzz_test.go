package rss

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// syntheticDocs are the hand-written documents of this package's tests, as
// fuzz seeds.
func syntheticDocs(t testing.TB) [][]byte {
	var docs [][]byte
	for _, c := range charsetCases(t) {
		docs = append(docs, c.in)
	}
	for _, c := range dateCases(t) {
		docs = append(docs, dateRSS(c.in))
	}
	for _, c := range titleCases() {
		docs = append(docs, []byte(c.in))
	}
	for _, c := range identityCases() {
		docs = append(docs, []byte(c.in))
	}
	for _, c := range hostileCases() {
		docs = append(docs, []byte(c.in))
	}
	for _, s := range []string{
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item><link>https://x/1</link></item></rdf:RDF>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><updated>2024-03-12T10:00:00Z</updated><content type="xhtml"><div><p>x</p></div></content></entry></feed>`,
		"{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":1,\"content_text\":\"a\\n\\nb\",\"authors\":[{\"name\":\"A\"}]}]}",
		`<rss version="2.0"><channel><item><guid>1</guid></item>`,
	} {
		docs = append(docs, []byte(s))
	}
	return docs
}

// FuzzDecode checks that Decode never panics; that it returns items, items
// with a *wire.PartialError, or a *wire.Error and no items; and that every
// item has an id, a valid pubstatus and no placeholder date.
func FuzzDecode(f *testing.F) {
	for _, path := range feedFixtures(f) {
		f.Add(wiretest.Read(f, path))
	}
	for _, doc := range syntheticDocs(f) {
		f.Add(doc)
	}
	earliest := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := Decode(data, nil)
		var we *wire.Error
		var pe *wire.PartialError
		switch {
		case err == nil, errors.As(err, &pe):
		case errors.As(err, &we):
			if len(items) > 0 {
				t.Errorf("Decode returned %d items with error %v", len(items), err)
			}
		default:
			t.Errorf("Decode error %T %v is not a *wire.Error", err, err)
		}
		for i, it := range items {
			if strings.TrimSpace(it.URI) == "" {
				t.Errorf("item %d has an empty uri", i)
			}
			switch it.PubStatus {
			case story.Usable, story.Withheld, story.Canceled:
			default:
				t.Errorf("item %d has pubstatus %q", i, it.PubStatus)
			}
			for _, d := range []*time.Time{it.FirstCreated, it.VersionCreated} {
				if d != nil && d.Before(earliest) {
					t.Errorf("item %d has the placeholder date %v", i, d)
				}
			}
		}
	})
}
