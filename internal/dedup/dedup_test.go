package dedup

import (
	"hash/fnv"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeRemovesDatelines(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"house style", "PORT ALDER, Nov 29 (HWS) - Storm hits", []string{"storm", "hits"}},
		{"Reuters", "LONDON (Reuters) - Gold rose", []string{"gold", "rose"}},
		{"Reuters with date", "NEW YORK, June 5 (Reuters) - Gold rose", []string{"gold", "rose"}},
		{"AP automated underscore", "FORT WASHINGTON, Pa. (AP) _ Nutrisystem Inc. (NTRI) on Monday", []string{"nutrisystem", "inc", "ntri", "on", "monday"}},
		{"AP double hyphen", "GROSSETO, Italy (AP) -- The trial", []string{"the", "trial"}},
		{"AP em dash", "WASHINGTON (AP) \u2014 The Senate voted", []string{"the", "senate", "voted"}},
		{"AFP with year", "STOCKHOLM, Aug 29, 2014 (AFP) - A Chinese-owned company", []string{"a", "chinese", "owned", "company"}},
		{"dpa mixed case", "Berlin (dpa) - Die Grünen", []string{"die", "grünen"}},
		{"dpa en dash", "Berlin (dpa) \u2013 Die Grünen", []string{"die", "grünen"}},
		{"Yonhap", "SEOUL, Dec. 3 (Yonhap) -- North Korea", []string{"north", "korea"}},
		{"no place, only a date", "Jan 30 (Gracenote) - Results and standings", []string{"results", "and", "standings"}},
		{"dpa XHTML spans", `<p><span class="dateline">London <span class="credit">(dpa)</span> - </span>2019 gab es</p>`, []string{"2019", "gab", "es"}},
		{"dateline in its own paragraph", "<p>LONDON (Reuters) -</p><p>Gold rose</p>", []string{"gold", "rose"}},
		{"version note, then dateline", "(Adds comments, detail) SINGAPORE, Jan 31 (Reuters) - Gold rose", []string{"gold", "rose"}},
		{"version note in its own paragraph", "<p>(Corrects paragraph 3)</p><p>SINGAPORE, Jan 31 (Reuters) - Gold rose</p>", []string{"gold", "rose"}},
		{"byline run into the dateline", "By Jonathan Underhill WELLINGTON (BusinessDesk) - The receivers", []string{"the", "receivers"}},
		{"newspaper dateline", "WASHINGTON \u2014 The Senate voted", []string{"the", "senate", "voted"}},
		{"newspaper dateline with state", "ST. LOUIS, Mo. -- The river rose", []string{"the", "river", "rose"}},
		{"ANPA indent and CRLF", "\t   BUENOS AIRES, Argentina (AP) _ For cancer\r\npatients", []string{"for", "cancer", "patients"}},
		{"no dateline", "Storm hits the coast", []string{"storm", "hits", "the", "coast"}},
		{"parenthesis without a dash stays", "Officials (including the mayor) said", []string{"officials", "including", "the", "mayor", "said"}},
		{"capitals too short for a place stay", "U.S. - China talks resume", []string{"u", "s", "china", "talks", "resume"}},
		{"dash inside the story stays", "The storm - the first this year - hit", []string{"the", "storm", "the", "first", "this", "year", "hit"}},
		{"only a dateline", "LONDON (Reuters) - ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestNormalizeWords(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"lower-cases Unicode", "TRÄNEN in İZMIR", []string{"tränen", "in", "izmir"}},
		{"apostrophes join, straight or curly", "Gov't said the company’s", []string{"govt", "said", "the", "companys"}},
		{"hyphens split", "fourth-quarter", []string{"fourth", "quarter"}},
		{"numbers stay whole", "$10.9 million, 1,000 people, 21.00 Uhr, 2:1-Erfolg", []string{"10.9", "million", "1,000", "people", "21.00", "uhr", "2", "1", "erfolg"}},
		{"sentence end after a number", "in 2019. Then", []string{"in", "2019", "then"}},
		{"quotes stripped", "«Blues» „Zitat“ \"quoted\" 'single'", []string{"blues", "zitat", "quoted", "single"}},
		{"entities decoded", "Standard &amp; Poor&#8217;s 500", []string{"standard", "poors", "500"}},
		{"tags are word boundaries", "end.</p><p>Start<br/>again", []string{"end", "start", "again"}},
		{"inline tags are not words", `<a href="https://x.example/">Zacks report</a> on <em>NTRI</em>`, []string{"zacks", "report", "on", "ntri"}},
		{"scripts, styles and comments dropped", "<script>alert(1)</script><style>p{}</style><!-- note -->Text", []string{"text"}},
		{"a lone < is text", "a < b and c > d", []string{"a", "b", "and", "c", "d"}},
		{"not a tag", "x <a+b> y <3", []string{"x", "a", "b", "y", "3"}},
		{"declarations and CDATA", "<?xml version=\"1.0\"?><!DOCTYPE html><![CDATA[Raw text]]>", []string{"raw", "text"}},
		{"upper-case script", "<SCRIPT type=x>var a = 1;</SCRIPT >Body", []string{"body"}},
		{"unclosed comment runs to the end", "Kept <!-- hidden", []string{"kept"}},
		{"invisible characters dropped", "Fu\u00dfball-Wett\u00adbewerb \ufeffZero\u200bwidth", []string{"fußball", "wettbewerb", "zerowidth"}},
		{"no-break space separates", "ten\u00a0miles", []string{"ten", "miles"}},
		{"right-to-left script kept", "پاکستان کے وزیر", []string{"پاکستان", "کے", "وزیر"}},
		{"empty", "", nil},
		{"only punctuation", " -- !!! ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// storyPlain is one story as plain text; the copies below carry the same
// words in other feeds' markup, whitespace and datelines.
const storyPlain = `PORT ALDER, Nov 29 (HWS) - Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90 mph, forecasters said.

"We are doing everything we can," Mayor Helen Novak said.`

func TestTextSHA256EqualAcrossMarkup(t *testing.T) {
	want := TextSHA256(storyPlain)
	copies := map[string]string{
		"HTML paragraphs": `<p>PORT ALDER, Nov 29 (HWS) - Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90 mph, forecasters said.</p>
<p>&quot;We are doing everything we can,&quot; Mayor Helen Novak said.</p>`,
		"curly quotes, compact HTML": `<p class="body">PORT ALDER, Nov 29 (HWS) - Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90&nbsp;mph, forecasters said.</p><p class="body">“We are doing everything we can,” Mayor Helen Novak said.</p>`,
		"ANPA wrapped, CRLF":         "\t   PORT ALDER, Ore. (AP) _ Storm Alba slammed into Port Alder on\r\nMonday, bringing winds of up to 90 mph, forecasters said. \r\n\t   ``We are doing everything we can,'' Mayor Helen Novak said. \r\n",
		"other agency, NITF spans": `<block><p><span class="dateline">Port Alder <span class="credit">(dpa)</span> - </span>Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90 mph, forecasters said.</p>
  <p>"We are doing everything we can," Mayor Helen Novak said.</p></block>`,
		"no dateline, line breaks": "Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90 mph, forecasters said.<br/><br/>\"We are doing everything we can,\" Mayor Helen Novak said.",
	}
	for name, text := range copies {
		if got := TextSHA256(text); got != want {
			t.Errorf("%s: TextSHA256 = %s, want %s (words %q)", name, got, want, Normalize(text))
		}
	}
	edited := strings.Replace(storyPlain, "90 mph", "95 mph", 1)
	if TextSHA256(edited) == want {
		t.Error("a changed figure kept the same TextSHA256")
	}
}

func TestTextSHA256Golden(t *testing.T) {
	tests := []struct{ text, want string }{
		// sha256 of the joined words, checkable with `printf %s 'storm hits' | sha256sum`
		{"<p>STORM,  Hits!</p>", "28e7c32eddd52f047cdf55b26efa8ee13da6322ce152e3d81bb6a05a2d6bcb49"},
		{"Storm", "9a105749cfcbac2e07d7640697861f62dfcc7c02bc24519e9c287431bc493f9d"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tt := range tests {
		if got := TextSHA256(tt.text); got != tt.want {
			t.Errorf("TextSHA256(%q) = %s, want %s", tt.text, got, tt.want)
		}
	}
}

// TestShingleHashIsFNV1a checks the first stage of the shingle hash
// against the standard library's FNV-1a, so the stored values rest on a
// published function.
func TestShingleHashIsFNV1a(t *testing.T) {
	for _, shingle := range [][]string{{"storm"}, {"storm", "hits"}, {"der", "größte", "skandal"}} {
		f := fnv.New64a()
		f.Write([]byte(strings.Join(shingle, " ")))
		if got, want := shingleHash(shingle), mix64(f.Sum64()); got != want {
			t.Errorf("shingleHash(%q) = %#x, want mix64(FNV-1a) = %#x", shingle, got, want)
		}
	}
}

// TestSignatureGolden pins the stored fingerprint: signatures live in the
// database, so a change of normalization, shingle size, hash functions or
// seeds must be a deliberate migration, not an accident. Only the first 8
// of the 128 values are pinned; any change to the hashing moves them.
func TestSignatureGolden(t *testing.T) {
	tests := []struct {
		text string
		want []uint32 // the first 8 values; nil for no signature
	}{
		{"", nil},
		{"LONDON (Reuters) - ", nil},
		{"Storm", []uint32{0xa7641510, 0x27be5a63, 0x945510c7, 0xf8d54a9e, 0xc4f8eead, 0xc935873b, 0xe25ca5f9, 0xfa8d2547}},
		{"Storm hits", []uint32{0xba2ffe36, 0xbca77a35, 0x351e2e54, 0xd6d15c67, 0x58408dfc, 0xd2371760, 0xbe1a264b, 0xf2c10c74}},
		{"Storm Alba slammed into Port Alder on Monday.", []uint32{0x009b9903, 0x129e4a6b, 0x2e3c8404, 0xa218dcc0, 0x7c577d0e, 0x0638a894, 0x5c4f2fb3, 0x749e408d}},
		{"PORT ALDER, Nov 29 (HWS) - Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90 mph and 6 inches of rain, forecasters said. More than 40,000 homes lost power.", []uint32{0x009b9903, 0x075ec346, 0x1814f2ad, 0x099e5d79, 0x0df3f8c7, 0x04628054, 0x12708f60, 0x082ec1ac}},
		{"Für Lucien Favre war es «der größte Skandal im Fußball seit Jahren».", []uint32{0x0a2a5ddc, 0x20789273, 0x0402738c, 0x05cd23d1, 0x0086483a, 0x07354d06, 0x0360cb33, 0x0540d01f}},
	}
	for _, tt := range tests {
		sig := Signature(tt.text)
		if tt.want == nil {
			if sig != nil {
				t.Errorf("Signature(%q) = %d values, want nil", tt.text, len(sig))
			}
			continue
		}
		if len(sig) != SignatureSize {
			t.Errorf("Signature(%q) has %d values, want %d", tt.text, len(sig), SignatureSize)
			continue
		}
		if diff := cmp.Diff(tt.want, sig[:8]); diff != "" {
			t.Errorf("Signature(%q)[:8] mismatch (-want +got):\n%s\ngot %#v", tt.text, diff, sig[:8])
		}
	}
}

// TestSignatureIsDocumentedFormula recomputes a one-shingle signature from
// the formula in Signature's doc and the standard library's FNV-1a, so the
// stored values rest on published functions and fixed constants.
func TestSignatureIsDocumentedFormula(t *testing.T) {
	f := fnv.New64a()
	f.Write([]byte("storm hits"))
	h := mix64(f.Sum64())
	want := make([]uint32, SignatureSize)
	for j := range want {
		want[j] = uint32(mix64(h^uint64(j+1)*0x9e3779b97f4a7c15) >> 32)
	}
	if diff := cmp.Diff(want, Signature("Storm, hits!")); diff != "" {
		t.Errorf("Signature of one shingle (-want +got):\n%s", diff)
	}
}

// TestBandsGolden pins the stored band keys, and their formula.
func TestBandsGolden(t *testing.T) {
	sig := make([]uint32, SignatureSize)
	for i := range sig {
		sig[i] = uint32(i) * 0x01000193
	}
	got := Bands(sig)
	if len(got) != BandCount {
		t.Fatalf("Bands gave %d keys, want %d", len(got), BandCount)
	}
	want := []uint64{0xaa83788ed5bb06e0, 0x9f8519cd62f658c0, 0xa96d4f6b9b3b098f, 0xeeb0e58accf8cec4}
	if diff := cmp.Diff(want, got[:4]); diff != "" {
		t.Errorf("Bands[:4] mismatch (-want +got):\n%s\ngot %#v", diff, got[:4])
	}
	for b, key := range got {
		k := uint64(b+1) * 0x9e3779b97f4a7c15
		for _, v := range sig[b*BandRows : (b+1)*BandRows] {
			k = mix64(k ^ uint64(v))
		}
		if key != k {
			t.Errorf("band %d key = %#x, want %#x by the documented formula", b, key, k)
		}
	}
}

func TestBands(t *testing.T) {
	if got := Bands(nil); got != nil {
		t.Errorf("Bands(nil) = %v, want nil", got)
	}
	// Equal rows in every band: the band number alone tells the keys apart.
	flat := make([]uint32, SignatureSize)
	for i := range flat {
		flat[i] = 7
	}
	keys := Bands(flat)
	seen := map[uint64]int{}
	for b, k := range keys {
		if other, ok := seen[k]; ok {
			t.Errorf("bands %d and %d of equal rows share key %#x", other, b, k)
		}
		seen[k] = b
	}
	// One value changed: exactly its band's key changes.
	base := Signature(storyPlain)
	baseKeys := Bands(base)
	for _, pos := range []int{0, 3, 4, 77, SignatureSize - 1} {
		changed := slices.Clone(base)
		changed[pos]++
		var differ []int
		for b, k := range Bands(changed) {
			if k != baseKeys[b] {
				differ = append(differ, b)
			}
		}
		if diff := cmp.Diff([]int{pos / BandRows}, differ); diff != "" {
			t.Errorf("value %d changed: bands that changed (-want +got):\n%s", pos, diff)
		}
	}
}

func TestSignatureShortTexts(t *testing.T) {
	// Fewer words than a shingle still fingerprint, each differently.
	short := []string{"Storm", "Storm hits", "Quake", "Quake hits"}
	var sigs [][]uint32
	for _, s := range short {
		sig := Signature(s)
		if len(sig) != SignatureSize {
			t.Fatalf("Signature(%q) has %d values, want %d", s, len(sig), SignatureSize)
		}
		for i, other := range sigs {
			if sim := Similarity(sig, other); sim > 0.1 {
				t.Errorf("Similarity(%q, %q) = %.3f, want about 0", s, short[i], sim)
			}
		}
		sigs = append(sigs, sig)
	}
	for _, s := range []string{"", "   ", "LONDON (Reuters) - ", " -- !!! "} {
		if sig := Signature(s); sig != nil {
			t.Errorf("Signature(%q) = %d values, want nil: no words", s, len(sig))
		}
	}
}

func TestSignatureNearAndFar(t *testing.T) {
	paras := []string{
		"Storm Alba slammed into Port Alder on Monday, bringing winds of up to 90 mph and heavy rain.",
		"More than 40,000 homes and businesses lost power, and crews could need three days to restore service.",
		"The mayor urged residents to stay off the roads and said shelters had opened at twelve locations.",
		"Schools in nine districts were closed and the regional airport canceled 140 flights on Monday.",
		"Forecasters said up to eight inches of additional rain could fall, raising the risk of flash floods along the Willow River.",
		"The governor declared a state of emergency for 14 counties and deployed 600 National Guard members.",
		"Insurers estimated damage at $2.5 billion, most of it from wind and flooding in low-lying neighborhoods near the coast.",
		"It is the sixth named storm of a season that forecasters had predicted would be busier than usual.",
	}
	long := strings.Join(paras, " ")
	added := strings.Join(slices.Insert(slices.Clone(paras), 2, "Officials said more details would be released later in the day."), " ")
	removed := strings.Join(slices.Delete(slices.Clone(paras), 5, 6), " ")
	tests := []struct {
		name     string
		a, b     string
		min, max float64 // inclusive
	}{
		{"same text", long, long, 1, 1},
		{"same words, other markup", long, "<p>" + strings.Join(paras, "</p>\n<p>") + "</p>", 1, 1},
		// 3 of about 140 shingles change: exact Jaccard 0.96.
		{"one typo", long, strings.Replace(long, "businesses", "businseses", 1), 0.85, 1},
		// A writethru's paragraph: exact Jaccard about 0.9.
		{"paragraph added", long, added, 0.75, 0.99},
		{"paragraph removed", long, removed, 0.75, 0.99},
		{"other story", long, "A jury in Millbrook on Tuesday found Robert Novak guilty of fraud in the 2019 death of a business partner, ending a trial that lasted six weeks and heard from 40 witnesses.", 0, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Similarity(Signature(tt.a), Signature(tt.b))
			if got < tt.min || got > tt.max {
				t.Errorf("Similarity = %.3f, want %.2f..%.2f", got, tt.min, tt.max)
			}
		})
	}
}

func TestSimilarity(t *testing.T) {
	// agreeing is a signature equal to base in the first k positions.
	base := make([]uint32, SignatureSize)
	for i := range base {
		base[i] = uint32(i)
	}
	agreeing := func(k int) []uint32 {
		s := slices.Clone(base)
		for i := k; i < len(s); i++ {
			s[i] += 1000
		}
		return s
	}
	tests := []struct {
		name string
		a, b []uint32
		want float64
	}{
		{"equal", base, base, 1},
		{"none equal", base, agreeing(0), 0},
		{"96 of 128", base, agreeing(96), 0.75},
		{"77 of 128", base, agreeing(77), 77.0 / 128},
		{"one nil", base, nil, 0},
		{"both nil", nil, nil, 0},
		{"both empty", []uint32{}, []uint32{}, 0},
		{"lengths differ", base, base[:64], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Similarity(tt.a, tt.b); got != tt.want {
				t.Errorf("Similarity = %v, want %v", got, tt.want)
			}
			if got := Similarity(tt.b, tt.a); got != tt.want {
				t.Errorf("Similarity reversed = %v, want %v (symmetry)", got, tt.want)
			}
		})
	}
}

func TestSimilar(t *testing.T) {
	a, b := "Gold rose on Tuesday as the dollar fell.", "Gold fell on Wednesday as the dollar rose."
	tests := []struct {
		name           string
		a, b           string
		wantIdentical  bool
		wantSimilarity float64
	}{
		{"identical after normalization", "LONDON (Reuters) - Gold rose on Tuesday.", "<p>LONDON (AP) — Gold rose on Tuesday.</p>", true, 1},
		{"no words on one side", "LONDON (Reuters) - ", "Gold rose on Tuesday.", false, 0},
		{"both without words", "", "  ", false, 0},
		{"different texts: the signatures' similarity", a, b, false, Similarity(Signature(a), Signature(b))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			identical, similarity := Similar(tt.a, tt.b)
			if identical != tt.wantIdentical || similarity != tt.wantSimilarity {
				t.Errorf("Similar = (%v, %v), want (%v, %v)", identical, similarity, tt.wantIdentical, tt.wantSimilarity)
			}
		})
	}
}

func FuzzSignature(f *testing.F) {
	f.Add(storyPlain)
	f.Add("")
	f.Add("LONDON (Reuters) - ")
	f.Add("(((((( - _ —")
	f.Add("<p><span class=\"dateline\">Berlin <span class=\"credit\">(dpa)</span> - </span>Text</p>")
	f.Add("\xff\xfe invalid \xc3 utf-8")
	if raw, err := os.ReadFile(fixtureDir + "/newsml-g2/ap_newsmessage_3items.xml"); err == nil {
		f.Add(string(raw))
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := Normalize(text)
		for _, w := range words {
			if w == "" || strings.IndexFunc(w, unicode.IsSpace) >= 0 {
				t.Fatalf("Normalize gave word %q", w)
			}
		}
		sig := Signature(text)
		if len(words) == 0 {
			if sig != nil || Bands(sig) != nil {
				t.Fatalf("text without words has a signature of %d values", len(sig))
			}
		} else {
			if len(sig) != SignatureSize {
				t.Fatalf("Signature has %d values, want %d", len(sig), SignatureSize)
			}
			if got := Similarity(sig, sig); got != 1 {
				t.Fatalf("Similarity(x, x) = %v", got)
			}
			if n := len(Bands(sig)); n != BandCount {
				t.Fatalf("Bands gave %d keys, want %d", n, BandCount)
			}
			identical, similarity := Similar(text, text)
			if !identical || similarity != 1 {
				t.Fatalf("Similar(x, x) = (%v, %v)", identical, similarity)
			}
		}
		if again := Signature(text); !slices.Equal(again, sig) {
			t.Fatalf("Signature not deterministic")
		}
		if sum := TextSHA256(text); len(sum) != 64 {
			t.Fatalf("TextSHA256 length %d", len(sum))
		}
	})
}

func BenchmarkSignature(b *testing.B) {
	raw, err := os.ReadFile(fixtureDir + "/nitf/pa_brexit_latin1_pound.xml")
	if err != nil {
		b.Skipf("shared fixtures: %v", err)
	}
	text := string(raw) // markup and all: the worst case for Normalize
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Bands(Signature(text))
	}
}

func TestFingerprintMatchesParts(t *testing.T) {
	text := "PORT ALDER, Nov 29 (HWS) - The harbour closed to all shipping as the storm strengthened overnight."
	sha, sig, bands, ok := Fingerprint(text)
	if !ok {
		t.Fatal("Fingerprint of a text with words: ok = false")
	}
	if sha != TextSHA256(text) || !slices.Equal(sig, Signature(text)) || !slices.Equal(bands, Bands(Signature(text))) {
		t.Error("Fingerprint differs from TextSHA256, Signature and Bands of the same text")
	}
	for _, empty := range []string{"", "   ", "PORT ALDER, Nov 29 (HWS) -", "-- !!"} {
		if _, _, _, ok := Fingerprint(empty); ok {
			t.Errorf("Fingerprint(%q): ok = true for a text without words", empty)
		}
	}
}
