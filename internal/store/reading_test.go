package store

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wiredesk/wiredesk/internal/story"
)

func TestTagsOf(t *testing.T) {
	it := &story.Item{
		Subjects:      []story.Entity{{Code: "medtop:11000000", Name: "Politics"}, {Code: "x", Name: "  politics "}, {Code: "medtop:20000000"}, {Name: "Élections  2024"}},
		Places:        []story.Entity{{Name: "Politics"}, {Name: "São Paulo"}},
		People:        []story.Entity{{Name: "!!!"}},
		Organisations: []story.Entity{{Name: "U.N."}},
	}
	want := []Tag{
		{Kind: TagSubject, Slug: "politics", Name: "Politics"},
		{Kind: TagSubject, Slug: "élections-2024", Name: "Élections 2024"},
		{Kind: TagPlace, Slug: "politics", Name: "Politics"},
		{Kind: TagPlace, Slug: "são-paulo", Name: "São Paulo"},
		{Kind: TagOrganisation, Slug: "u-n", Name: "U.N."},
	}
	if diff := cmp.Diff(want, TagsOf(it)); diff != "" {
		t.Errorf("TagsOf (-want +got):\n%s", diff)
	}
	if got := TagsOf(nil); got != nil {
		t.Errorf("TagsOf(nil) = %v, want nil", got)
	}
}

func TestSearchTerms(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"", nil},
		{`  "*()^:-  `, nil},
		{"Harbour STRIKE harbour", []string{"harbour", "strike"}},
		{`"harbour" AND (strike*) NEAR/3 -dawn`, []string{"harbour", "and", "strike", "near", "3", "dawn"}},
		{"Köln's x-ray 2024", []string{"köln", "s", "x", "ray", "2024"}},
		{"नमस्ते दुनिया", []string{"नमस्ते", "दुनिया"}},
		{strings.Repeat("a", 100), []string{strings.Repeat("a", 64)}},
		{strings.Repeat("w ", 3) + "a b c d e f g h i j k l m n o p q r", []string{"w", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, SearchTerms(tt.q)); diff != "" {
			t.Errorf("SearchTerms(%q) (-want +got):\n%s", tt.q, diff)
		}
	}
}

func TestSplitMarked(t *testing.T) {
	m := func(s string) string { return MatchStart + s + MatchEnd }
	tests := []struct {
		in   string
		want []TextSpan
	}{
		{"", nil},
		{"plain", []TextSpan{{Text: "plain"}}},
		{m("Harbour") + " " + m("strike") + " halts", []TextSpan{{Text: "Harbour", Match: true}, {Text: " "}, {Text: "strike", Match: true}, {Text: " halts"}}},
		{"a " + m("b") + m("c") + " d", []TextSpan{{Text: "a "}, {Text: "bc", Match: true}, {Text: " d"}}},
		{"unclosed " + MatchStart + "match", []TextSpan{{Text: "unclosed "}, {Text: "match", Match: true}}},
		{"stray " + MatchEnd + "end", []TextSpan{{Text: "stray end"}}},
		{"<b>" + m("x") + "</b>", []TextSpan{{Text: "<b>"}, {Text: "x", Match: true}, {Text: "</b>"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, SplitMarked(tt.in)); diff != "" {
			t.Errorf("SplitMarked(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzSplitMarked: the spans hold exactly the text, markers removed, with
// no empty span and no two neighbours of one kind.
func FuzzSplitMarked(f *testing.F) {
	f.Add("a" + MatchStart + "b" + MatchEnd + "c")
	f.Add(MatchEnd + MatchStart + MatchStart)
	f.Fuzz(func(t *testing.T, s string) {
		spans := SplitMarked(s)
		var b strings.Builder
		for i, sp := range spans {
			if sp.Text == "" {
				t.Fatalf("empty span in %+v", spans)
			}
			if i > 0 && spans[i-1].Match == sp.Match {
				t.Fatalf("neighbouring spans of one kind in %+v", spans)
			}
			b.WriteString(sp.Text)
		}
		want := strings.NewReplacer(MatchStart, "", MatchEnd, "").Replace(s)
		if b.String() != want {
			t.Fatalf("spans of %q hold %q, want %q", s, b.String(), want)
		}
	})
}

func FuzzSearchTerms(f *testing.F) {
	for _, s := range []string{"harbour strike", `"x" OR y*`, "Köln", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := SearchTerms(q)
		if len(terms) > maxSearchTerms {
			t.Fatalf("%d terms, want at most %d", len(terms), maxSearchTerms)
		}
		for _, term := range terms {
			if term == "" || strings.IndexFunc(term, notWordRune) >= 0 {
				t.Fatalf("term %q of %q is empty or holds a separator", term, q)
			}
		}
	})
}
