package worddiff

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b string
		want []Op
	}{
		{"both empty", "", "", nil},
		{"identical", "The vote ends talks.", "The vote ends talks.", []Op{{Equal, "The vote ends talks."}}},
		{"all inserted", "", "New story.", []Op{{Insert, "New story."}}},
		{"all deleted", "Old story.", "", []Op{{Delete, "Old story."}}},
		{
			"one word corrected",
			"approved by 390 votes to 280.",
			"approved by 391 votes to 279.",
			[]Op{{Equal, "approved by "}, {Delete, "390 "}, {Insert, "391 "}, {Equal, "votes to "}, {Delete, "280."}, {Insert, "279."}},
		},
		{
			"words inserted in the middle",
			"The parliament approved the budget.",
			"The German parliament approved the 2024 budget.",
			[]Op{{Equal, "The "}, {Insert, "German "}, {Equal, "parliament approved the "}, {Insert, "2024 "}, {Equal, "budget."}},
		},
		{
			"words deleted",
			"Police said on Tuesday the road is closed.",
			"Police said the road is closed.",
			[]Op{{Equal, "Police said "}, {Delete, "on Tuesday "}, {Equal, "the road is closed."}},
		},
		{
			"first word changed",
			"Berlin (dpa) The vote",
			"BERLIN (dpa) The vote",
			[]Op{{Delete, "Berlin "}, {Insert, "BERLIN "}, {Equal, "(dpa) The vote"}},
		},
		{
			"sentence appended",
			"The vote ends talks.",
			"The vote ends talks. More follows.",
			// The last word of a has no space after it; it is still the
			// same word.
			[]Op{{Equal, "The vote ends talks."}, {Insert, " More follows."}},
		},
		{
			"paragraph break kept with its word",
			"First paragraph.\n\nSecond paragraph.",
			"First paragraph.\n\nA new one.\n\nSecond paragraph.",
			[]Op{{Equal, "First paragraph.\n\n"}, {Insert, "A new one.\n\n"}, {Equal, "Second paragraph."}},
		},
		{
			"leading whitespace is its own token",
			"  Berlin votes",
			"\tBerlin votes",
			[]Op{{Delete, "  "}, {Insert, "\t"}, {Equal, "Berlin votes"}},
		},
		{
			"whitespace change keeps the word equal",
			"one two three",
			"one two\nthree",
			[]Op{{Equal, "one two"}, {Delete, " "}, {Insert, "\n"}, {Equal, "three"}},
		},
		{
			"paragraph appended after the last word",
			"There were no reports of damage.",
			"There were no reports of damage.\n\nThe minister said roads were checked.",
			[]Op{{Equal, "There were no reports of damage."}, {Insert, "\n\nThe minister said roads were checked."}},
		},
		{
			"shared paragraph break stays out of the change",
			"as oil prices climbed.\n\nBrent crude rose",
			"as oil prices jumped.\n\nBrent crude rose",
			[]Op{{Equal, "as oil prices "}, {Delete, "climbed."}, {Insert, "jumped."}, {Equal, "\n\nBrent crude rose"}},
		},
		{
			"shared space stays inside the change",
			"stocks slipped on Tuesday",
			"stocks slid on Tuesday",
			[]Op{{Equal, "stocks "}, {Delete, "slipped "}, {Insert, "slid "}, {Equal, "on Tuesday"}},
		},
		{
			"multi-byte spaces sharing their last bytes are not split",
			"a b\u3000\nc",
			"a d\u2000\nc",
			[]Op{{Equal, "a "}, {Delete, "b\u3000"}, {Insert, "d\u2000"}, {Equal, "\nc"}},
		},
		{
			"non-ASCII words and no-break space",
			"Der Bundestag beschloss «den Haushalt» 2024",
			"Der Bundestag beschloß «den Haushalt»\u00a02024",
			// U+00A0 is whitespace to unicode.IsSpace, so it ends a word.
			[]Op{{Equal, "Der Bundestag "}, {Delete, "beschloss "}, {Insert, "beschloß "}, {Equal, "«den Haushalt»"}, {Delete, " "}, {Insert, "\u00a0"}, {Equal, "2024"}},
		},
		{
			"replacement runs become one delete and one insert",
			"a b c d e",
			"a x c y e",
			[]Op{{Equal, "a "}, {Delete, "b "}, {Insert, "x "}, {Equal, "c "}, {Delete, "d "}, {Insert, "y "}, {Equal, "e"}},
		},
		{
			"nothing in common",
			"alpha beta gamma",
			"delta epsilon",
			[]Op{{Delete, "alpha beta gamma"}, {Insert, "delta epsilon"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(tc.a, tc.b)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff(%q, %q) mismatch (-want +got):\n%s", tc.a, tc.b, diff)
			}
			checkOps(t, tc.a, tc.b, got)
		})
	}
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"word", []string{"word"}},
		{"  ", []string{"  "}},
		{"  lead and trail \n", []string{"  ", "lead ", "and ", "trail \n"}},
		{"a\tb\r\nc", []string{"a\t", "b\r\n", "c"}},
		{"bad \xff utf8", []string{"bad ", "\xff ", "utf8"}},
	} {
		if diff := cmp.Diff(tc.want, tokens(tc.in)); diff != "" {
			t.Errorf("tokens(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

// checkOps asserts what Diff promises for any input: the ops rebuild both
// texts, none is empty, and no two neighbours have the same kind.
func checkOps(t *testing.T, a, b string, ops []Op) {
	t.Helper()
	var gotA, gotB strings.Builder
	for i, op := range ops {
		if op.Text == "" {
			t.Errorf("op %d (%v) is empty", i, op.Kind)
		}
		if i > 0 && ops[i-1].Kind == op.Kind {
			t.Errorf("ops %d and %d are both %v: not merged", i-1, i, op.Kind)
		}
		if i > 0 && ops[i-1].Kind == Insert && op.Kind == Delete {
			t.Errorf("op %d: insert before delete", i)
		}
		switch op.Kind {
		case Equal:
			gotA.WriteString(op.Text)
			gotB.WriteString(op.Text)
		case Delete:
			gotA.WriteString(op.Text)
		case Insert:
			gotB.WriteString(op.Text)
		default:
			t.Errorf("op %d has kind %v", i, op.Kind)
		}
	}
	if gotA.String() != a {
		t.Errorf("equal+delete ops give %q, want a = %q", gotA.String(), a)
	}
	if gotB.String() != b {
		t.Errorf("equal+insert ops give %q, want b = %q", gotB.String(), b)
	}
}

// checkMinimal asserts that the search keeps as many tokens equal as the
// longest common subsequence has: the edit script is a shortest one.
func checkMinimal(t *testing.T, ta, tb []string) {
	t.Helper()
	equal := 0
	for _, s := range compareTokens(ta, tb).spans {
		if s.kind == Equal {
			equal += s.end - s.start
		}
	}
	if want := lcsLen(ta, tb); equal != want {
		t.Errorf("search keeps %d tokens equal, want %d (not minimal)", equal, want)
	}
}

// lcsLen is the length of the longest common subsequence of two token
// lists, by the textbook quadratic table: the yardstick for minimality.
func lcsLen(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// randomText draws words from a small vocabulary, so that texts share many
// words in many orders, with varied whitespace between them.
func randomText(r *rand.Rand, words int) string {
	vocab := []string{"the", "vote", "budget", "391", "390", "Berlin", "«dpa»", "said"}
	spaces := []string{" ", " ", " ", "\n\n", "\t", "  "}
	var b strings.Builder
	if r.IntN(8) == 0 {
		b.WriteString(" ")
	}
	for i := range words {
		b.WriteString(vocab[r.IntN(len(vocab))])
		if i < words-1 || r.IntN(4) == 0 {
			b.WriteString(spaces[r.IntN(len(spaces))])
		}
	}
	return b.String()
}

func TestSearchIsMinimalAndDiffRebuildsBothTexts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		a := randomText(r, r.IntN(40))
		b := randomText(r, r.IntN(40))
		checkOps(t, a, b, Diff(a, b))
		// Inputs this small stay far below costLimit: the search is exact.
		checkMinimal(t, tokens(a), tokens(b))
		if t.Failed() {
			t.Fatalf("case %d: a = %q, b = %q", i, a, b)
		}
	}
}

// story builds a wire story of the given number of words, drawn with
// Zipf's law over a vocabulary of a few thousand words as real copy is:
// "the" everywhere, most words rare.
func story(r *rand.Rand, words int) []string {
	zipf := rand.NewZipf(r, 1.1, 2, 4000)
	out := make([]string, words)
	for i := range out {
		out[i] = fmt.Sprintf("w%d", zipf.Uint64())
	}
	return out
}

// smallVocabStory builds a story from 8 words only: every word matches
// everywhere, the worst case for the search.
func smallVocabStory(r *rand.Rand, words int) []string {
	vocab := []string{"the", "vote", "budget", "said", "police", "road", "closed", "on"}
	out := make([]string, words)
	for i := range out {
		out[i] = vocab[r.IntN(len(vocab))]
	}
	return out
}

// edited replaces, inserts after or deletes one word in `every` each: with
// every = 4, three words in four change, far more than any write-through.
func edited(r *rand.Rand, words []string, every int) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		switch r.IntN(every) {
		case 0:
			out = append(out, "changed")
		case 1:
			out = append(out, w, "inserted")
		case 2: // deleted
		default:
			out = append(out, w)
		}
	}
	return out
}

func TestDiffLargeStoriesStayBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := story(r, 5000)
	for _, tc := range []struct {
		name string
		b    []string
	}{
		{"many changes", edited(r, base, 4)},
		{"unrelated stories", story(r, 5000)},
		{"eight-word vocabulary", smallVocabStory(r, 5000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := strings.Join(base, " "), strings.Join(tc.b, " ")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ops := Diff(a, b)
			runtime.ReadMemStats(&after)
			checkOps(t, a, b, ops)
			// A quadratic table over 5,000 by 5,000 words would take 100 MB
			// at 4 bytes a cell; the linear-space search needs the tokens,
			// two arrays of N+M ints and the result.
			const limit = 8 << 20
			if got := after.TotalAlloc - before.TotalAlloc; got > limit {
				t.Errorf("Diff allocated %d bytes, want at most %d", got, limit)
			}
		})
	}
}

func FuzzDiff(f *testing.F) {
	f.Add("approved by 390 votes to 280.", "approved by 391 votes to 279.")
	f.Add("", "New story.")
	f.Add("  lead\n\nparagraph", "lead\tparagraph  ")
	f.Add("a b c a b", "b a c b a")
	f.Add("bad \xff utf8", "bad utf8 \xfe")
	f.Fuzz(func(t *testing.T, a, b string) {
		checkOps(t, a, b, Diff(a, b))
		// Up to 2*costLimit tokens in all, the search is exact.
		if ta, tb := tokens(a), tokens(b); len(ta)+len(tb) <= 2*costLimit {
			checkMinimal(t, ta, tb)
		}
	})
}

func BenchmarkDiff(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	base := story(r, 5000)
	small := smallVocabStory(r, 5000)
	for _, bc := range []struct {
		name string
		a, b []string
	}{
		{"5000 words/identical", base, base},
		{"5000 words/one change in 50", base, edited(r, base, 50)},
		{"5000 words/three changes in 4", base, edited(r, base, 4)},
		{"5000 words/unrelated", base, story(r, 5000)},
		{"5000 words/eight-word vocabulary", small, smallVocabStory(r, 5000)},
	} {
		x, y := strings.Join(bc.a, " "), strings.Join(bc.b, " ")
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Diff(x, y)
			}
		})
	}
}
