package wire

import (
	"html"
	"net/url"
	"strings"
)

// asciiSpace is the whitespace markup languages collapse. U+00A0 (no-break
// space) is deliberately not in it: it is part of the agency's text.
const asciiSpace = " \t\n\r\f"

// OneLine returns s for a one-line field (headline, byline): trimmed, with
// every run of ASCII whitespace, newlines included, made a single space.
// Words and no-break spaces are kept as they are.
func OneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if strings.ContainsRune(asciiSpace, r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// LanguageTag tidies a language code as feeds send it ("en_US", "EN-us",
// " de ") into BCP 47 case conventions ("en-US", "de"). It does not check
// that the language exists.
func LanguageTag(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	for i, p := range parts {
		switch {
		case i == 0:
			parts[i] = strings.ToLower(p)
		case len(p) == 2:
			parts[i] = strings.ToUpper(p) // region
		case len(p) == 4:
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:]) // script
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-")
}

// NormalizeLink returns the form of an absolute http(s) link used to derive
// a story id from it (DESIGN §4 rule 1): scheme and host in lower case, no
// default port, no fragment, no utm_* tracking parameters, "/" for an empty
// path. Other query parameters keep their order and spelling. ok is false
// for anything that is not an absolute http or https URL with a host.
func NormalizeLink(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	u.Host = strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		u.Host = u.Hostname()
		if strings.Contains(u.Host, ":") {
			u.Host = "[" + u.Host + "]" // IPv6 literal
		}
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	var kept []string
	for _, p := range strings.Split(u.RawQuery, "&") {
		key, _, _ := strings.Cut(p, "=")
		if p == "" || strings.HasPrefix(strings.ToLower(key), "utm_") {
			continue
		}
		kept = append(kept, p)
	}
	u.RawQuery = strings.Join(kept, "&")
	u.ForceQuery = false
	return u.String(), true
}

// PlainTextToHTML turns plain text into HTML that shows the same words: the
// text escaped, blank lines as paragraph breaks, single newlines as <br>.
func PlainTextToHTML(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var b strings.Builder
	for _, para := range strings.Split(s, "\n\n") {
		para = strings.Trim(para, asciiSpace)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(html.EscapeString(line))
		}
		b.WriteString("</p>")
	}
	return b.String()
}
