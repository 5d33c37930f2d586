package ingest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Discovery is what a feed says about its WebSub hub.
type Discovery struct {
	// Hub is the hub's URL, absolute; empty when the feed names none.
	Hub string
	// Self is the feed's canonical URL (rel="self"), the topic to
	// subscribe to; empty when the feed names none.
	Self string
}

// discoveryTokens bounds the XML read for links: they sit in the feed's
// head, before the first item, and a feed is not worth reading whole for
// them.
const discoveryTokens = 2000

// DiscoverHub finds the hub and self links of a feed response: HTTP Link
// headers first (as WebSub says), then <link rel="hub"> / <atom:link
// rel="hub"> in the feed's head, or a JSON Feed's hubs. Relative URLs are
// resolved against base, the URL the feed came from.
func DiscoverHub(header http.Header, body []byte, base string) Discovery {
	var d Discovery
	for _, v := range header.Values("Link") {
		for _, l := range parseLinkHeader(v) {
			d.take(l.rels, l.href)
		}
	}
	if d.Hub == "" || d.Self == "" {
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) > 0 && trimmed[0] == '{' {
			d.fromJSONFeed(trimmed)
		} else {
			d.fromXML(body)
		}
	}
	d.Hub = resolve(base, d.Hub)
	d.Self = resolve(base, d.Self)
	return d
}

// take keeps the first hub and the first self seen.
func (d *Discovery) take(rels []string, href string) {
	if href == "" {
		return
	}
	for _, r := range rels {
		switch strings.ToLower(r) {
		case "hub":
			if d.Hub == "" {
				d.Hub = href
			}
		case "self":
			if d.Self == "" {
				d.Self = href
			}
		}
	}
}

func (d *Discovery) fromXML(body []byte) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	// Hub URLs are ASCII; a feed's declared charset does not matter here,
	// and encoding/xml refuses any it cannot convert.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for range discoveryTokens {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "item", "entry":
			return
		case "link":
			var rel, href string
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "rel":
					rel = a.Value
				case "href":
					href = a.Value
				}
			}
			d.take(strings.Fields(rel), strings.TrimSpace(href))
		}
	}
}

func (d *Discovery) fromJSONFeed(body []byte) {
	var f struct {
		FeedURL string `json:"feed_url"`
		Hubs    []struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"hubs"`
	}
	if json.Unmarshal(body, &f) != nil {
		return
	}
	if d.Self == "" {
		d.Self = f.FeedURL
	}
	for _, h := range f.Hubs {
		if d.Hub == "" && (strings.EqualFold(h.Type, "websub") || strings.EqualFold(h.Type, "pubsubhubbub")) {
			d.Hub = h.URL
		}
	}
}

func resolve(base, ref string) string {
	if ref == "" {
		return ""
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	b, err := url.Parse(base)
	if err != nil {
		return r.String()
	}
	return b.ResolveReference(r).String()
}

type linkValue struct {
	href string
	rels []string
}

// parseLinkHeader reads one Link header value (RFC 8288): comma-separated
// "<uri>; param=value" entries, where the URI may itself hold commas and
// semicolons and a quoted value may hold either.
func parseLinkHeader(v string) []linkValue {
	var out []linkValue
	for {
		start := strings.IndexByte(v, '<')
		if start < 0 {
			return out
		}
		end := strings.IndexByte(v[start:], '>')
		if end < 0 {
			return out
		}
		l := linkValue{href: strings.TrimSpace(v[start+1 : start+end])}
		v = v[start+end+1:]
		// Parameters run to the next comma outside quotes.
		params, rest := v, ""
		inQuote := false
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case c == '"':
				inQuote = !inQuote
			case c == '\\' && inQuote:
				i++
			case c == ',' && !inQuote:
				params, rest = v[:i], v[i+1:]
				i = len(v)
			}
		}
		for p := range strings.SplitSeq(params, ";") {
			name, value, ok := strings.Cut(p, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
				continue
			}
			l.rels = strings.Fields(strings.Trim(strings.TrimSpace(value), `"`))
		}
		out = append(out, l)
		v = rest
	}
}
