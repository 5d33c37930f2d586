// Package worddiff compares two texts word by word, for showing readers what
// changed between two versions of a story.
package worddiff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// OpKind says what an Op does to the first text to make the second.
type OpKind int

// The kinds of Op.
const (
	// Equal text is in both texts.
	Equal OpKind = iota
	// Insert text is only in the second text.
	Insert
	// Delete text is only in the first text.
	Delete
)

func (k OpKind) String() string {
	switch k {
	case Equal:
		return "equal"
	case Insert:
		return "insert"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// Op is one run of words that is equal, inserted or deleted.
type Op struct {
	Kind OpKind
	Text string
}

// costLimit bounds how many edit steps the search for one middle snake may
// take before settling for a good split instead of the best one. It keeps
// the work on two very different 5,000-word texts near linear; texts that
// differ by fewer edits get a minimal diff.
const costLimit = 256

// Diff returns the word-level differences between a and b. Words are
// compared with the whitespace that follows them, and nothing is lost:
// concatenating the Equal and Delete ops gives a back byte for byte, and the
// Equal and Insert ops give b. Consecutive ops never have the same kind;
// where words were replaced, the Delete comes before the Insert. A word
// whose only change is the whitespace after it stays Equal, and so does a
// line break that both sides of a change end with, so paragraphs line up.
// The diff is minimal unless the texts differ in more than a few hundred
// places, where it is still correct but may mark more than it must.
func Diff(a, b string) []Op {
	ta, tb := tokens(a), tokens(b)
	return compareTokens(ta, tb).ops(ta, tb)
}

// compareTokens runs the search over two token lists, compared as whole
// tokens through small integer ids.
func compareTokens(ta, tb []string) *differ {
	ids := make(map[string]int32, len(ta)+len(tb))
	intern := func(ts []string) []int32 {
		out := make([]int32, len(ts))
		for i, t := range ts {
			id, ok := ids[t]
			if !ok {
				id = int32(len(ids))
				ids[t] = id
			}
			out[i] = id
		}
		return out
	}
	ia, ib := intern(ta), intern(tb)
	d := &differ{
		a: ia, b: ib,
		vf: make([]int, len(ia)+len(ib)+3),
		vb: make([]int, len(ia)+len(ib)+3),
	}
	d.compare(0, len(ia), 0, len(ib))
	return d
}

// tokens splits s into words, each with the whitespace after it; whitespace
// before the first word is a token of its own.
func tokens(s string) []string {
	var out []string
	start, i := 0, 0
	inSpace := true // the leading run, if any, is its own token
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		space := unicode.IsSpace(r)
		if !space && inSpace && i > start {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = space
		i += size
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// span is a run of tokens: Equal and Delete spans index a, Insert spans b.
type span struct {
	kind       OpKind
	start, end int
}

// differ is Myers' O(ND) difference algorithm with the linear-space
// refinement (Myers 1986, section 4b): find the middle snake of the
// shortest edit script, then solve both halves the same way, so memory
// stays O(N+M) however far apart the texts are.
type differ struct {
	a, b   []int32
	vf, vb []int // furthest-reaching x per diagonal, forward and backward
	spans  []span
}

func (d *differ) add(kind OpKind, start, end int) {
	if start == end {
		return
	}
	if n := len(d.spans); n > 0 && d.spans[n-1].kind == kind && d.spans[n-1].end == start {
		d.spans[n-1].end = end
		return
	}
	d.spans = append(d.spans, span{kind, start, end})
}

// compare records the edit script turning a[a0:a1] into b[b0:b1], in order.
func (d *differ) compare(a0, a1, b0, b1 int) {
	// Common prefix and suffix cost nothing and are the usual case for a
	// corrected story: most of the text is unchanged.
	p := a0
	for p < a1 && b0 < b1 && d.a[p] == d.b[b0] {
		p++
		b0++
	}
	d.add(Equal, a0, p)
	a0 = p
	sa, sb := a1, b1
	for sa > a0 && sb > b0 && d.a[sa-1] == d.b[sb-1] {
		sa--
		sb--
	}
	switch {
	case a0 == sa:
		d.add(Insert, b0, sb)
	case b0 == sb:
		d.add(Delete, a0, sa)
	default:
		x, y, u, v := d.middleSnake(a0, sa, b0, sb)
		if (x == sa && y == sb) || (u == a0 && v == b0) {
			// No split that makes progress: mark the whole range changed.
			d.add(Delete, a0, sa)
			d.add(Insert, b0, sb)
		} else {
			d.compare(a0, x, b0, y)
			d.add(Equal, x, u)
			d.compare(u, sa, v, sb)
		}
	}
	d.add(Equal, sa, a1)
}

// middleSnake finds a snake (x,y)→(u,v) that lies on a shortest edit path
// from (a0,b0) to (a1,b1); both ranges are non-empty and differ at both
// ends. Past costLimit edits it returns the point the search got furthest
// to, as an empty snake (u,v) = (x,y).
//
// Coordinates inside are relative to (a0,b0). Diagonal k holds the points
// with x-y = k; only diagonals that cross the grid, -m ≤ k ≤ n, are
// searched, and a move that would leave the grid is never taken, so every
// point recorded is a real point of the edit graph.
func (d *differ) middleSnake(a0, a1, b0, b1 int) (x, y, u, v int) {
	n, m := a1-a0, b1-b0
	delta := n - m
	odd := delta&1 != 0
	off := m + 1 // diagonal k lives at index k+off
	vf, vb := d.vf, d.vb
	// Unreachable diagonals hold x = -1 forward and x = n+1 backward.
	const unreachable = -1

	// Zero edits: both ranges differ at both ends, so the snakes from the
	// corners are empty.
	vf[off] = 0
	vb[off+delta] = n
	flo, fhi := 0, 0
	blo, bhi := delta, delta
	for dd := 1; dd <= n+m; dd++ {
		// Forward: extend every (dd-1)-path from the top-left corner by one
		// edit and then along its snake.
		lo, hi := clampDiagonals(-dd, dd, -m, n)
		for k := lo; k <= hi; k += 2 {
			px := unreachable
			if k+1 >= flo && k+1 <= fhi {
				if at := vf[off+k+1]; at >= 0 && at-k <= m {
					px = at // down from diagonal k+1
				}
			}
			if k-1 >= flo && k-1 <= fhi {
				if at := vf[off+k-1]; at >= 0 && at+1 <= n && at+1 > px {
					px = at + 1 // right from diagonal k-1
				}
			}
			if px == unreachable {
				vf[off+k] = unreachable
				continue
			}
			py := px - k
			sx, sy := px, py
			for px < n && py < m && d.a[a0+px] == d.b[b0+py] {
				px++
				py++
			}
			vf[off+k] = px
			if odd && k >= blo && k <= bhi && vb[off+k] <= n && px >= vb[off+k] {
				return a0 + sx, b0 + sy, a0 + px, b0 + py
			}
		}
		flo, fhi = lo, hi

		// Backward: the same from the bottom-right corner, towards smaller x.
		lo, hi = clampDiagonals(delta-dd, delta+dd, -m, n)
		for k := lo; k <= hi; k += 2 {
			px := n + 1
			if k-1 >= blo && k-1 <= bhi {
				if at := vb[off+k-1]; at <= n && at-k >= 0 {
					px = at // up from diagonal k-1
				}
			}
			if k+1 >= blo && k+1 <= bhi {
				if at := vb[off+k+1]; at <= n && at-1 >= 0 && at-1 < px {
					px = at - 1 // left from diagonal k+1
				}
			}
			if px > n {
				vb[off+k] = n + 1
				continue
			}
			py := px - k
			ex, ey := px, py
			for px > 0 && py > 0 && d.a[a0+px-1] == d.b[b0+py-1] {
				px--
				py--
			}
			vb[off+k] = px
			if !odd && k >= flo && k <= fhi && vf[off+k] >= 0 && vf[off+k] >= px {
				return a0 + px, b0 + py, a0 + ex, b0 + ey
			}
		}
		blo, bhi = lo, hi

		if dd >= costLimit {
			bx, by := d.bestSplit(n, m, off, flo, fhi, blo, bhi)
			return a0 + bx, b0 + by, a0 + bx, b0 + by
		}
	}
	// Unreachable: the two searches meet by n+m edits. Returning the
	// top-left corner makes the caller mark the whole range changed.
	return a0, b0, a0, b0
}

// clampDiagonals narrows the diagonals lo..hi (same parity) to those within
// gmin..gmax, keeping their parity.
func clampDiagonals(lo, hi, gmin, gmax int) (int, int) {
	if lo < gmin {
		lo += (gmin - lo + 1) / 2 * 2
	}
	if hi > gmax {
		hi -= (hi - gmax + 1) / 2 * 2
	}
	return lo, hi
}

// bestSplit is the point, on the forward or the backward paths, that got
// furthest from its own corner. Splitting there gives up minimality but
// keeps both halves smaller, as GNU diff does when a diff gets expensive.
func (d *differ) bestSplit(n, m, off, flo, fhi, blo, bhi int) (x, y int) {
	best := -1
	for k := flo; k <= fhi; k += 2 {
		if px := d.vf[off+k]; px >= 0 && 2*px-k > best {
			best, x, y = 2*px-k, px, px-k
		}
	}
	for k := blo; k <= bhi; k += 2 {
		if px := d.vb[off+k]; px <= n && n+m-(2*px-k) > best {
			best, x, y = n+m-(2*px-k), px, px-k
		}
	}
	return x, y
}

// ops turns the spans into texts, putting each run of changes between two
// equal runs as one Delete followed by one Insert, and tidies the edges of
// each run so that what readers see changed is what changed:
//   - a word whose only change is the whitespace after it, as with the last
//     word of a text when more is added after it, is equal;
//   - a line break that both sides of a change end with is equal, so that
//     paragraphs line up instead of appearing twice.
func (d *differ) ops(ta, tb []string) []Op {
	var out []Op
	emit := func(kind OpKind, text string) {
		if text == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Kind == kind {
			out[n-1].Text += text
			return
		}
		out = append(out, Op{kind, text})
	}
	var del, ins []string
	flush := func() {
		var word string
		if len(del) > 0 && len(ins) > 0 {
			if w := wordOf(del[0]); w != "" && w == wordOf(ins[0]) {
				word = w
			}
		}
		dt, it := join(del)[len(word):], join(ins)[len(word):]
		var brk string
		if dt != "" && it != "" {
			brk = sharedBreak(dt, it)
		}
		emit(Equal, word)
		emit(Delete, dt[:len(dt)-len(brk)])
		emit(Insert, it[:len(it)-len(brk)])
		emit(Equal, brk)
		del, ins = del[:0], ins[:0]
	}
	for _, s := range d.spans {
		switch s.kind {
		case Equal:
			flush()
			emit(Equal, join(ta[s.start:s.end]))
		case Delete:
			del = append(del, ta[s.start:s.end]...)
		case Insert:
			ins = append(ins, tb[s.start:s.end]...)
		}
	}
	flush()
	return out
}

// wordOf is a token without the whitespace after it.
func wordOf(token string) string {
	return strings.TrimRightFunc(token, unicode.IsSpace)
}

// sharedBreak is the whitespace both texts end with, when it holds a line
// break; "" otherwise.
func sharedBreak(a, b string) string {
	wa := a[len(wordOf(a)):]
	wb := b[len(wordOf(b)):]
	n := 0
	for n < len(wa) && n < len(wb) && wa[len(wa)-1-n] == wb[len(wb)-1-n] {
		n++
	}
	shared := wa[len(wa)-n:]
	// Two different multi-byte spaces can end in the same bytes.
	for shared != "" && !utf8.RuneStart(shared[0]) {
		shared = shared[1:]
	}
	if !strings.Contains(shared, "\n") {
		return ""
	}
	return shared
}

func join(ts []string) string {
	n := 0
	for _, t := range ts {
		n += len(t)
	}
	buf := make([]byte, 0, n)
	for _, t := range ts {
		buf = append(buf, t...)
	}
	return string(buf)
}
