// Package dedup fingerprints story text to find duplicate wire copy (DESIGN
// §4 rule 9): normalized words, their SHA-256 for identical copy, and a
// MinHash signature over word shingles, with LSH band keys, for
// near-identical copy.
//
// Why MinHash and not SimHash: the commonest duplicates of wire copy (one
// story through two feeds, from two agencies with their own datelines, in
// other markup) have equal normalized words, and TextSHA256 catches them
// whatever the method. What is left is versions of one story: typo fixes,
// a rewritten headline, reordered tail paragraphs, and above all writethrus
// that add or drop a paragraph. A 64-bit SimHash, searchable through four
// 16-bit bands only within 3 bits, reached precision 1.000 but recall 0.452
// on the 881 same-story pairs of the evaluation, and 0.01 to 0.05 on
// writethrus: a paragraph added or removed moves it 2 to 26 bits (median
// 9), beyond any threshold its band index allows. MinHash estimates the
// Jaccard similarity of the shingle sets directly, which a writethru lowers
// only by the share of shingles it adds or drops; different stories from
// one template (automated earnings copy) stay below 0.42 exact Jaccard. At
// MinSimilarity 0.6, with 128 hashes in 32 bands of 4 rows, the evaluation
// measures precision 1.000 and recall 0.975 end to end, 0.84 to 0.97 on
// writethrus (see TestEvaluation). The price is 512 bytes of signature and 32 indexed band
// keys per version, and 128 hashes per shingle: about 0.15 ms for a
// 575-word story on top of the 0.23 ms of normalizing it
// (BenchmarkSignature).
package dedup

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
)

// The MinHash signature's shape. These values are stored: changing any of
// them changes every stored signature and band key, so it must come with a
// migration that fingerprints every version again.
const (
	// SignatureSize is the number of hash functions, so of values in a
	// signature. The similarity of two signatures estimates the Jaccard
	// similarity of their shingle sets with a standard error of
	// sqrt(J(1-J)/128), at most 0.044.
	SignatureSize = 128
	// BandCount is the number of LSH bands the signature is cut into; each
	// band of BandRows consecutive values gives one key (Bands). Two
	// signatures are candidates when one whole band is equal, which for
	// Jaccard similarity J happens with probability 1-(1-J^4)^32: 0.87 at
	// 0.5, 0.99 at 0.6, 0.9998 at 0.7, and 0.63 at the 0.42 of the closest
	// different stories, which the similarity then rejects.
	BandCount = 32
	// BandRows is the number of signature values in one band.
	BandRows = SignatureSize / BandCount
)

// MinSimilarity is the lowest signature similarity at which two texts
// count as the same story. The different-story pairs of the evaluation
// (closest: generated earnings copy from one template) reach an exact
// Jaccard similarity of 0.418 and a signature similarity of 0.523, the
// estimate erring by up to a few standard errors of 0.044. 0.55 is the
// lowest threshold without a false positive there; 0.6 keeps four standard
// errors above a true 0.418 (a chance of about 1 in 50,000 per pair) and
// still catches 0.975 of the same-story pairs, against 0.980 at 0.55.
// TestEvaluation shows precision and recall from 0.3 to 0.9.
const MinSimilarity = 0.6

// ShingleWords is the number of consecutive words in one shingle, the unit
// MinHash hashes. Three words keep a one-word typo to three changed
// shingles while making template sentences with different figures or names
// differ in most of their shingles.
const ShingleWords = 3

// TextSHA256 returns the lowercase hex SHA-256 of the normalized words of
// text joined by single spaces: equal for identical copy whatever its
// markup, whitespace or dateline. Text without words hashes as the empty
// string does; callers should not compare such text at all.
func TextSHA256(text string) string {
	return wordsSHA256(Normalize(text))
}

func wordsSHA256(words []string) string {
	sum := sha256.Sum256([]byte(strings.Join(words, " ")))
	return hex.EncodeToString(sum[:])
}

// Fingerprint is what the store keeps of one version's text to find its
// duplicates: TextSHA256, Signature and Bands, from one normalization of
// the text. ok is false for text without words, which is not to be
// compared at all (every such text would look identical).
func Fingerprint(text string) (sha string, sig []uint32, bands []uint64, ok bool) {
	words := Normalize(text)
	if len(words) == 0 {
		return "", nil, nil, false
	}
	sig = signature(words)
	return wordsSHA256(words), sig, Bands(sig), true
}

// Signature returns the MinHash signature of text's normalized words: for
// each of SignatureSize hash functions, the smallest value it gives over
// the shingles of ShingleWords words. Text shorter than one shingle is one
// shingle of all its words; text without words has no signature (nil).
//
// The signature is stored, so it depends only on the bytes of the words:
// each shingle is hashed once with FNV-1a 64 finished by a fixed bit mixer
// (shingleHash), and hash function j maps that hash h to the top 32 bits of
// mix64(h XOR (j+1)·0x9e3779b97f4a7c15). Nothing seeded at run time, no map
// order, no runtime hash.
func Signature(text string) []uint32 {
	return signature(Normalize(text))
}

// hashSeed is 2^64 divided by the golden ratio, an odd number: its
// multiples (j+1)·hashSeed, the seeds of the hash functions, are distinct
// for every j below 2^64 and spread over all 64 bits.
const hashSeed = 0x9e3779b97f4a7c15

func signature(words []string) []uint32 {
	if len(words) == 0 {
		return nil
	}
	k := min(ShingleWords, len(words))
	var seeds [SignatureSize]uint64
	for j := range seeds {
		seeds[j] = uint64(j+1) * hashSeed
	}
	sig := make([]uint32, SignatureSize)
	for j := range sig {
		sig[j] = math.MaxUint32
	}
	for i := 0; i+k <= len(words); i++ {
		h := shingleHash(words[i : i+k])
		for j, seed := range seeds {
			sig[j] = min(sig[j], uint32(mix64(h^seed)>>32))
		}
	}
	return sig
}

// Bands returns the locality-sensitive hashing keys of a signature, what
// the store indexes: one 64-bit key per band of BandRows consecutive
// values (BandCount keys for a signature of SignatureSize), equal for two
// signatures exactly when that whole band is equal, barring a 64-bit
// collision. The band number is mixed in, so equal values in different
// bands make different keys and a key matches only its own band. Key b is
// computed as k = (b+1)·0x9e3779b97f4a7c15, then k = mix64(k XOR v) for
// each value v of the band in order. A nil signature has no bands.
func Bands(sig []uint32) []uint64 {
	n := len(sig) / BandRows
	if n == 0 {
		return nil
	}
	keys := make([]uint64, n)
	for b := range keys {
		key := uint64(b+1) * hashSeed
		for _, v := range sig[b*BandRows : (b+1)*BandRows] {
			key = mix64(key ^ uint64(v))
		}
		keys[b] = key
	}
	return keys
}

// Similarity is the share of positions in which two signatures are equal:
// the estimated Jaccard similarity of the two texts' shingle sets, from 0
// to 1. It is 0 when either signature is empty, and when their lengths
// differ, since such signatures were not made by the same function.
func Similarity(a, b []uint32) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	equal := 0
	for i := range a {
		if a[i] == b[i] {
			equal++
		}
	}
	return float64(equal) / float64(len(a))
}

// Similar compares two texts: identical is true when their normalized
// words are equal (similarity 1), and otherwise similarity is that of
// their signatures. They are the same story when identical or similarity
// >= MinSimilarity. Texts without words are never the same as anything:
// Similar reports them as not identical, at similarity 0.
func Similar(a, b string) (identical bool, similarity float64) {
	wa, wb := Normalize(a), Normalize(b)
	if len(wa) == 0 || len(wb) == 0 {
		return false, 0
	}
	if equalWords(wa, wb) {
		return true, 1
	}
	return false, Similarity(signature(wa), signature(wb))
}

func equalWords(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FNV-1a 64 parameters (the FNV specification's offset basis and prime).
const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// shingleHash hashes the words of one shingle separated by spaces:
// FNV-1a 64 over those bytes, then mix64.
//
// FNV-1a alone would make poor MinHash functions: multiplication only
// carries bits upwards, so its low bits depend on few input bits, and the
// XOR with a seed would reorder shingles alike for every function.
func shingleHash(shingle []string) uint64 {
	h := uint64(fnvOffset64)
	for i, w := range shingle {
		if i > 0 {
			h ^= ' '
			h *= fnvPrime64
		}
		for j := 0; j < len(w); j++ {
			h ^= uint64(w[j])
			h *= fnvPrime64
		}
	}
	return mix64(h)
}

// mix64 is the 64-bit finalizer of MurmurHash3: a bijection that spreads
// every input bit over every output bit.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
