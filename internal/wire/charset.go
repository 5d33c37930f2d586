package wire

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// xmlDeclEncoding finds the encoding label of an XML declaration at the
// start of a document (after optional whitespace).
var xmlDeclEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']`)

// utf8BOM is the byte order mark some producers put before UTF-8 text.
const utf8BOM = "\xEF\xBB\xBF"

// XMLToUTF8 returns an XML document as UTF-8, whatever it was sent in, with
// its declaration rewritten to say so, so that parsers need no charset
// handling of their own:
//   - a byte order mark (UTF-8, UTF-16) is honoured and removed;
//   - a declared encoding (ISO-8859-1, windows-1252, ...) is converted;
//   - bytes that are not valid UTF-8 in a document declared as UTF-8, or not
//     declared at all, are read as windows-1252, the superset of Latin-1
//     that such documents are in practice (RepairUTF8).
//
// It never fails: an unknown label is treated like no label.
//
// Declarations lie in both directions, so the bytes have the last word: a
// UTF-8 byte order mark wins over any declaration (as in browsers), and a
// document declared in an 8-bit charset whose bytes are valid UTF-8 with
// non-ASCII characters in them is read as UTF-8, since text in a legacy
// charset practically never forms valid multi-byte UTF-8 sequences.
func XMLToUTF8(data []byte) []byte {
	bom := bytes.HasPrefix(data, []byte(utf8BOM))
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if utf16, ok := utf16Decoder(data); ok && !bom {
		if out, err := utf16.Bytes(data); err == nil {
			return rewriteDeclEncoding(RepairUTF8(out))
		}
	}
	m := xmlDeclEncoding.FindSubmatch(data)
	if m == nil {
		return RepairUTF8(data)
	}
	if bom || isMultiByteUTF8(data) {
		return rewriteDeclEncoding(data)
	}
	enc, name := charset.Lookup(strings.TrimSpace(string(m[1])))
	switch {
	case enc == nil, name == "utf-8", name == "replacement",
		// A UTF-16 label on a document that is not UTF-16 (no BOM, no NULs:
		// we got here) is a mislabelled 8-bit document.
		strings.HasPrefix(name, "utf-16"):
		return rewriteDeclEncoding(RepairUTF8(data))
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return rewriteDeclEncoding(RepairUTF8(data))
	}
	return rewriteDeclEncoding(out)
}

// utf16Decoder recognises UTF-16 by its byte order mark, or by the NUL bytes
// around the "<" that must start an XML document (or the "{" or "[" of a
// JSON one).
func utf16Decoder(data []byte) (interface{ Bytes([]byte) ([]byte, error) }, bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder(), true
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder(), true
	case len(data) >= 2 && data[1] == 0 && isDocumentStart(data[0]):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder(), true
	case len(data) >= 2 && data[0] == 0 && isDocumentStart(data[1]):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder(), true
	}
	return nil, false
}

// isMultiByteUTF8 reports whether b is valid UTF-8 holding at least one
// character outside ASCII.
func isMultiByteUTF8(b []byte) bool {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:])
		}
	}
	return false
}

// JSONToUTF8 returns a JSON document as UTF-8: a UTF-8 byte order mark is
// removed, UTF-16 (told by its byte order mark, or by the NUL bytes around
// the "{" or "[" that starts a document, RFC 4627 section 3) is converted,
// and bytes that are not valid UTF-8 are read as windows-1252 (RepairUTF8).
// It never fails.
func JSONToUTF8(data []byte) []byte {
	if bytes.HasPrefix(data, []byte(utf8BOM)) {
		return RepairUTF8(data[len(utf8BOM):])
	}
	if utf16, ok := utf16Decoder(data); ok {
		if out, err := utf16.Bytes(data); err == nil {
			return RepairUTF8(out)
		}
	}
	return RepairUTF8(data)
}

func isDocumentStart(c byte) bool { return c == '<' || c == '{' || c == '[' }

// rewriteDeclEncoding makes the declaration of a document now in UTF-8 say
// so; otherwise an XML parser would convert it a second time.
func rewriteDeclEncoding(data []byte) []byte {
	loc := xmlDeclEncoding.FindSubmatchIndex(data)
	if loc == nil || string(data[loc[2]:loc[3]]) == "UTF-8" {
		return data
	}
	out := make([]byte, 0, len(data)+5)
	out = append(out, data[:loc[2]]...)
	out = append(out, "UTF-8"...)
	return append(out, data[loc[3]:]...)
}

// RepairUTF8 returns b unchanged when it is valid UTF-8, and otherwise reads
// each byte that is not part of a valid UTF-8 sequence as windows-1252. That
// recovers Latin-1 text sent without a declaration, and Latin-1 bytes mixed
// into otherwise UTF-8 text, without touching the valid UTF-8 around them.
func RepairUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	dec := charmap.Windows1252
	out := make([]byte, 0, len(b)+len(b)/8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			out = utf8.AppendRune(out, dec.DecodeByte(b[0]))
			b = b[1:]
			continue
		}
		out = append(out, b[:size]...)
		b = b[size:]
	}
	return out
}
