package dedup

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The evaluation: labelled pairs of texts, SAME story or DIFFERENT story,
// generated deterministically from evalSeed, and the precision and recall
// of the fingerprints at MinSimilarity on them, through the band index as
// the store searches it. The floors are set just under what was measured,
// so a change to Normalize, the shingles, the hashes or the bands that
// makes detection worse fails here.
const (
	evalSeed             = 20261129
	precisionFloor       = 0.99
	recallFloor          = 0.97
	candidateRecallFloor = 0.99
)

// labelledPair is one evaluation case.
type labelledPair struct {
	Kind string // which variant or trap, for the per-kind breakdown
	Same bool
	Real bool // built from the shared fixtures' agency copy, not generated
	A, B string
}

// Kinds of SAME pairs: how the second copy differs from the first.
const (
	kindMarkup     = "same: identical copy, other markup/whitespace"
	kindDateline   = "same: other agency's dateline and credit"
	kindAgencies   = "same: two agencies, own datelines and markup"
	kindHeadline   = "same: headline changed, carried in the body"
	kindTypos      = "same: 1-3 typos corrected"
	kindAdded      = "same: writethru, one paragraph added"
	kindRemoved    = "same: writethru, one paragraph removed"
	kindReordered  = "same: last paragraphs reordered"
	kindCrossFeed  = "same: writethru from another feed (added + dateline + markup)"
	kindRealFormat = "same: one dpa flash decoded from two formats (real)"
)

// Kinds of DIFFERENT pairs.
const (
	kindTemplate   = "different: same template, other event (generated)"
	kindAPEarnings = "different: AP automated earnings, other company (real)"
	kindSameFeed   = "different: other item in the same feed (real)"
	kindSameFolder = "different: other story in the same format (real)"
)

// evaluationSet builds every labelled pair.
func evaluationSet(t *testing.T) []labelledPair {
	t.Helper()
	r := rand.New(rand.NewPCG(evalSeed, evalSeed>>1))
	var pairs []labelledPair

	// Generated stories: each base yields one pair of every SAME kind, and
	// every topic yields pairs of independent stories from its template.
	gens := []func(*rand.Rand) draft{genEarnings, genStorm, genCourt, genMatch}
	for _, gen := range gens {
		for range 12 {
			d := gen(r)
			pairs = append(pairs, sameVariants(r, &d, r.IntN(agencies))...)
		}
		for range 60 {
			a, b := gen(r), gen(r)
			if r.IntN(2) == 0 {
				// the same town and day: only the event tells them apart
				b.Place, b.Region, b.Month, b.Day = a.Place, a.Region, a.Month, a.Day
			}
			agency, style := r.IntN(agencies), r.IntN(styles)
			pairs = append(pairs, labelledPair{Kind: kindTemplate, A: render(&a, agency, style), B: render(&b, agency, style)})
		}
	}

	// Real agency copy from the shared fixtures.
	stories := readFixtureStories(t, 40)
	for i, s := range stories {
		if countWords(s.Paras) < 80 {
			continue // a feed teaser: too short to vary paragraph by paragraph
		}
		spare := stories[(i+1)%len(stories)].Paras
		d := fixtureDraft(r, s, spare)
		for _, p := range sameVariants(r, &d, agencyOwn) {
			p.Real = true
			pairs = append(pairs, p)
		}
	}
	byName := map[string]fixtureStory{}
	for _, s := range stories {
		byName[s.Name] = s
	}
	if a, b := byName["anpa/dpa_eil_flash.iptc"], byName["newsml-g2/dpa_dw_eil_flash.g2.xml"]; a.Name != "" && b.Name != "" {
		// The IPTC 7901 copy carries the headline in its text; a decoder
		// takes it out, and so does this crude extraction.
		pairs = append(pairs, labelledPair{Kind: kindRealFormat, Same: true, Real: true, A: strings.Join(a.Paras[1:], "\n\n"), B: strings.Join(b.Paras, "\n\n")})
	}
	for i, a := range stories {
		for _, b := range stories[i+1:] {
			if a.File == b.File && a.File == "newsml-g2/ap_newsmessage_3items.xml" {
				pairs = append(pairs, labelledPair{Kind: kindAPEarnings, Real: true, A: joinParas(a), B: joinParas(b)})
				continue
			}
			if knownSameStory(a.Name, b.Name) {
				continue
			}
			switch {
			case a.File == b.File && strings.HasSuffix(b.Name, nextItem(a.Name)):
				pairs = append(pairs, labelledPair{Kind: kindSameFeed, Real: true, A: joinParas(a), B: joinParas(b)})
			case a.File != b.File && !strings.Contains(a.Name, "#") && !strings.Contains(b.Name, "#") && folder(a.File) == folder(b.File):
				pairs = append(pairs, labelledPair{Kind: kindSameFolder, Real: true, A: joinParas(a), B: joinParas(b)})
			}
		}
	}
	return pairs
}

// knownSameStory lists fixture files that hold one story in two formats
// (MANIFEST.md): never a DIFFERENT pair.
func knownSameStory(a, b string) bool {
	same := [][2]string{{"anpa/dpa_eil_flash.iptc", "newsml-g2/dpa_dw_eil_flash.g2.xml"}}
	for _, s := range same {
		if (a == s[0] && b == s[1]) || (a == s[1] && b == s[0]) {
			return true
		}
	}
	return false
}

// nextItem is the "#x" suffix of the item after name's in the same file.
func nextItem(name string) string {
	_, suffix, _ := strings.Cut(name, "#")
	if suffix == "" {
		return "\x00" // matches nothing
	}
	n := int(suffix[0]-'a') + 26*strings.Count(suffix, "'") + 1
	return "#" + string(rune('a'+n%26)) + strings.Repeat("'", n/26)
}

func folder(file string) string {
	f, _, _ := strings.Cut(file, "/")
	return f
}

func joinParas(s fixtureStory) string { return strings.Join(s.Paras, "\n\n") }

// fixtureDatelineRE finds a dateline in real copy so the dateline variants
// can swap it for another agency's; deliberately not the package's own
// pattern, so a bug there is not mirrored here.
var fixtureDatelineRE = regexp.MustCompile(`^[A-Za-z .,]{0,40}\((AP|dpa|Reuters|BusinessDesk|AFP)\)\s*(-|--|_|—)\s*`)

// fixtureDraft turns a real story into a draft the variants can work on:
// its own dateline is kept apart (agencyOwn renders it, other agencies
// replace it), a body of one or two paragraphs is split into sentences,
// and spare copy comes from another story.
func fixtureDraft(r *rand.Rand, s fixtureStory, spare []string) draft {
	paras := slices.Clone(s.Paras)
	if len(paras) < 3 {
		paras = sentences(strings.Join(paras, " "))
	}
	own := fixtureDatelineRE.FindString(paras[0])
	paras[0] = paras[0][len(own):]
	return draft{
		OwnDateline: own,
		Topic:       "fixture " + s.Name,
		Headline:    headlineFrom(paras[0]),
		Place:       pick(r, places), Region: pick(r, regions), Month: pick(r, months), Day: 1 + r.IntN(28),
		Paras: paras, Spare: slices.Clone(spare),
	}
}

// headlineFrom makes a headline for real copy out of its lead's first
// words, as desks often do.
func headlineFrom(lead string) string {
	words := strings.Fields(lead)
	return strings.Join(words[:min(len(words), 7)], " ")
}

var sentenceEnd = regexp.MustCompile(`[.!?]["”»]? +`)

// sentences splits prose at sentence ends, keeping the punctuation.
func sentences(text string) []string {
	var out []string
	for {
		loc := sentenceEnd.FindStringIndex(text)
		if loc == nil {
			break
		}
		out = append(out, strings.TrimSpace(text[:loc[1]]))
		text = text[loc[1]:]
	}
	if strings.TrimSpace(text) != "" {
		out = append(out, strings.TrimSpace(text))
	}
	return out
}

// sameVariants makes one SAME pair of every kind from a draft. The first
// copy of each pair is the draft as agency sent it; the second is how the
// same story also arrives.
func sameVariants(r *rand.Rand, d *draft, agency int) []labelledPair {
	style := r.IntN(styles)
	other := func(n, not int) int { return (not + 1 + r.IntN(n-1)) % n }
	base := render(d, agency, style)
	var out []labelledPair
	add := func(kind string, a string, e *draft, agency, style int) {
		out = append(out, labelledPair{Kind: kind, Same: true, A: a, B: render(e, agency, style)})
	}

	add(kindMarkup, base, d, agency, other(styles, style))
	add(kindDateline, base, d, other(agencies, agency), style)
	add(kindAgencies, base, d, other(agencies, agency), other(styles, style))

	// Both copies carry a headline in the body (AP's NITF repeats hl1
	// inside body.content); the desk rewrote it.
	headed := *d
	headed.BodyHeadline = d.Headline
	rewritten := *d
	rewritten.BodyHeadline = "UPDATE: " + d.Headline + ", officials say"
	out = append(out, labelledPair{Kind: kindHeadline, Same: true, A: render(&headed, agency, style), B: render(&rewritten, agency, style)})

	typos := *d
	typos.Paras = slices.Clone(d.Paras)
	for range 1 + r.IntN(3) {
		i := r.IntN(len(typos.Paras))
		typos.Paras[i] = typo(r, typos.Paras[i])
	}
	out = append(out, labelledPair{Kind: kindTypos, Same: true, A: render(&typos, agency, style), B: base})

	added := withAddedParagraph(r, d)
	add(kindAdded, base, &added, agency, style)

	if len(d.Paras) > 2 {
		removed := *d
		i := 1 + r.IntN(len(d.Paras)-1)
		removed.Paras = slices.Delete(slices.Clone(d.Paras), i, i+1)
		add(kindRemoved, base, &removed, agency, style)

		reordered := *d
		reordered.Paras = slices.Clone(d.Paras)
		n := len(reordered.Paras)
		j := n - 2 - r.IntN(min(2, n-2)) // swap the last with one of the two before it
		reordered.Paras[n-1], reordered.Paras[j] = reordered.Paras[j], reordered.Paras[n-1]
		add(kindReordered, base, &reordered, agency, style)
	}

	add(kindCrossFeed, base, &added, other(agencies, agency), other(styles, style))
	return out
}

// withAddedParagraph is d with one spare paragraph inserted after the lead
// or further down, as a writethru adds comments or detail.
func withAddedParagraph(r *rand.Rand, d *draft) draft {
	e := *d
	spare := "Officials said more details would be released later."
	if len(d.Spare) > 0 {
		spare = pick(r, d.Spare)
	}
	i := 1 + r.IntN(len(d.Paras))
	e.Paras = slices.Insert(slices.Clone(d.Paras), i, spare)
	return e
}

// typo swaps two adjacent inner letters of one word of five or more
// letters, the commonest typing error.
func typo(r *rand.Rand, p string) string {
	words := strings.Split(p, " ")
	var candidates []int
	for i, w := range words {
		if utf8.RuneCountInString(w) >= 5 && w == strings.Trim(w, ".,;:\"'()") {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return p
	}
	i := pick(r, candidates)
	rs := []rune(words[i])
	j := 1 + r.IntN(len(rs)-3)
	rs[j], rs[j+1] = rs[j+1], rs[j]
	words[i] = string(rs)
	return strings.Join(words, " ")
}

// confusion counts predictions against labels.
type confusion struct{ tp, fp, fn, tn int }

func (c confusion) precision() float64 {
	if c.tp+c.fp == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fp)
}

func (c confusion) recall() float64 {
	if c.tp+c.fn == 0 {
		return 1
	}
	return float64(c.tp) / float64(c.tp+c.fn)
}

func (c *confusion) add(same, predicted bool) {
	switch {
	case same && predicted:
		c.tp++
	case same:
		c.fn++
	case predicted:
		c.fp++
	default:
		c.tn++
	}
}

// scoredPair is a labelled pair with what the fingerprints say about it.
type scoredPair struct {
	labelledPair
	Identical  bool    // equal normalized words: TextSHA256 finds it
	Similarity float64 // of the two signatures, 1 when identical
	Banded     bool    // the two signatures share a band key: the store finds it
	Jaccard    float64 // exact, of the shingle sets: what Similarity estimates
}

// predicted is what the store reports at threshold: identical text (found
// by its hash), or a candidate through a shared band whose signature is at
// least threshold similar.
func (s scoredPair) predicted(threshold float64) bool {
	return s.Identical || s.Banded && s.Similarity >= threshold
}

// score fingerprints both texts of every pair the way apply and the store
// do.
func score(pairs []labelledPair) []scoredPair {
	scored := make([]scoredPair, len(pairs))
	for i, p := range pairs {
		wa, wb := Normalize(p.A), Normalize(p.B)
		identical, similarity := Similar(p.A, p.B)
		scored[i] = scoredPair{
			labelledPair: p,
			Identical:    identical,
			Similarity:   similarity,
			Banded:       shareBand(Bands(Signature(p.A)), Bands(Signature(p.B))),
			Jaccard:      jaccard(shingleSet(wa), shingleSet(wb)),
		}
	}
	return scored
}

// shareBand reports whether two lists of band keys have a key in common,
// in any position, as the store's lookup of each key does.
func shareBand(a, b []uint64) bool {
	for _, k := range a {
		if slices.Contains(b, k) {
			return true
		}
	}
	return false
}

// thresholds are the similarity thresholds the evaluation reports: 0.30 to
// 0.90 in steps of 0.05, exact in hundredths.
func thresholds() []float64 {
	var out []float64
	for p := 30; p <= 90; p += 5 {
		out = append(out, float64(p)/100)
	}
	return out
}

func TestEvaluation(t *testing.T) {
	pairs := evaluationSet(t)
	scored := score(pairs)
	var same, different, sameBanded int
	for _, s := range scored {
		if s.Same {
			same++
			if s.Banded {
				sameBanded++
			}
		} else {
			different++
		}
	}
	if same < 200 || different < 200 {
		t.Fatalf("evaluation set has %d SAME and %d DIFFERENT pairs, want at least 200 of each", same, different)
	}

	// pairwise is Similar alone, as if every pair were compared; store adds
	// the LSH step, so a pair sharing no band is missed whatever its
	// similarity; exact uses the true Jaccard similarity MinHash estimates.
	at := func(threshold float64) (pairwise, store, exact confusion) {
		for _, s := range scored {
			pairwise.add(s.Same, s.Identical || s.Similarity >= threshold)
			store.add(s.Same, s.predicted(threshold))
			exact.add(s.Same, s.Identical || s.Jaccard >= threshold)
		}
		return pairwise, store, exact
	}
	t.Logf("%d SAME pairs, %d DIFFERENT pairs; MinHash of %d hashes over %d-word shingles, %d bands of %d rows",
		same, different, SignatureSize, ShingleWords, BandCount, BandRows)
	t.Logf("predicted same = identical words, or similarity >= threshold (store: and a shared band key; exact: true Jaccard)")
	t.Logf("threshold  pairwise: precision  recall  store: precision  recall   TP   FP   FN   TN  exact: precision  recall")
	for _, threshold := range thresholds() {
		pairwise, store, exact := at(threshold)
		mark := ""
		if threshold == MinSimilarity {
			mark = "  <- MinSimilarity"
		}
		t.Logf("%9.2f  %19.3f  %6.3f  %16.3f  %6.3f  %3d  %3d  %3d  %3d  %16.3f  %6.3f%s",
			threshold, pairwise.precision(), pairwise.recall(), store.precision(), store.recall(),
			store.tp, store.fp, store.fn, store.tn, exact.precision(), exact.recall(), mark)
	}
	candidateRecall := float64(sameBanded) / float64(same)
	t.Logf("LSH candidate recall: %d of %d SAME pairs (%.3f) share at least one band key", sameBanded, same, candidateRecall)
	missed := 0
	for _, s := range scored {
		if s.Same && !s.Identical && !s.Banded && s.Similarity >= MinSimilarity {
			missed++
		}
	}
	t.Logf("SAME pairs similar enough at MinSimilarity but sharing no band (lost to LSH): %d", missed)

	var highestSimilarity, highestJaccard float64
	for _, s := range scored {
		if !s.Same {
			highestSimilarity = max(highestSimilarity, s.Similarity)
			highestJaccard = max(highestJaccard, s.Jaccard)
		}
	}
	t.Logf("highest DIFFERENT pair: similarity %.3f, exact Jaccard %.3f", highestSimilarity, highestJaccard)

	// Per kind: how often each variant is caught at MinSimilarity, how
	// often it is a candidate at all, and the spread of similarities, so a
	// weak spot shows by name.
	kinds := map[string][]scoredPair{}
	for _, s := range scored {
		kinds[s.Kind] = append(kinds[s.Kind], s)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range kinds {
			if !yield(k) {
				return
			}
		}
	})
	t.Logf("%-64s  pairs  predicted same  identical  banded  similarity min/median/max", "kind")
	for _, k := range names {
		list := kinds[k]
		var predicted, identical, banded int
		var sims []float64
		for _, s := range list {
			if s.predicted(MinSimilarity) {
				predicted++
			}
			if s.Identical {
				identical++
			}
			if s.Banded {
				banded++
			}
			sims = append(sims, s.Similarity)
		}
		slices.Sort(sims)
		t.Logf("%-64s  %5d  %14.3f  %9d  %6d  %.3f/%.3f/%.3f", k, len(list), float64(predicted)/float64(len(list)),
			identical, banded, sims[0], sims[len(sims)/2], sims[len(sims)-1])
	}

	for _, real := range []bool{false, true} {
		var c confusion
		for _, s := range scored {
			if s.Real == real {
				c.add(s.Same, s.predicted(MinSimilarity))
			}
		}
		origin := "generated copy"
		if real {
			origin = "real fixture copy"
		}
		t.Logf("pairs from %s: %d SAME, %d DIFFERENT; precision %.3f, recall %.3f", origin, c.tp+c.fn, c.fp+c.tn, c.precision(), c.recall())
	}

	_, c, _ := at(MinSimilarity)
	t.Logf("at MinSimilarity=%.2f through the band index: precision %.3f, recall %.3f", MinSimilarity, c.precision(), c.recall())
	if c.precision() < precisionFloor {
		t.Errorf("precision %.3f < floor %.3f", c.precision(), precisionFloor)
		for _, s := range scored {
			if !s.Same && s.predicted(MinSimilarity) {
				t.Logf("false positive (%s, similarity %.3f):\n  A: %.200q\n  B: %.200q", s.Kind, s.Similarity, s.A, s.B)
			}
		}
	}
	if c.recall() < recallFloor {
		t.Errorf("recall %.3f < floor %.3f", c.recall(), recallFloor)
	}
	if candidateRecall < candidateRecallFloor {
		t.Errorf("LSH candidate recall %.3f < floor %.3f", candidateRecall, candidateRecallFloor)
	}
}

// shingleSet is the set of shingles Signature hashes, for the exact
// Jaccard similarity.
func shingleSet(words []string) map[string]bool {
	set := map[string]bool{}
	k := min(ShingleWords, len(words))
	for i := 0; k > 0 && i+k <= len(words); i++ {
		set[strings.Join(words[i:i+k], " ")] = true
	}
	return set
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	inter := 0
	for s := range a {
		if b[s] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
