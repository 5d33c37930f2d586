package ingest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiscoverHub(t *testing.T) {
	const base = "https://wire.example/feeds/top.xml"
	tests := []struct {
		name  string
		links []string
		body  string
		want  Discovery
	}{
		{
			name:  "Link header, hub and self in one value",
			links: []string{`<https://hub.example/>; rel="hub", <https://wire.example/top>; rel="self"`},
			want:  Discovery{Hub: "https://hub.example/", Self: "https://wire.example/top"},
		},
		{
			name:  "Link headers in two values, unquoted rel, extra params",
			links: []string{`<https://hub.example/a>; title="a, b; c"; rel=hub`, `<https://wire.example/top>;rel="self"`},
			want:  Discovery{Hub: "https://hub.example/a", Self: "https://wire.example/top"},
		},
		{
			name:  "one link with two relations",
			links: []string{`<https://wire.example/top>; rel="self alternate"`, `<https://hub.example/?a=1,2>; rel="HUB"`},
			want:  Discovery{Hub: "https://hub.example/?a=1,2", Self: "https://wire.example/top"},
		},
		{
			name:  "header first, body fills in what the header lacks",
			links: []string{`<https://hub.example/h>; rel="hub"`},
			body:  `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/b"/><link rel="self" href="https://wire.example/self"/></feed>`,
			want:  Discovery{Hub: "https://hub.example/h", Self: "https://wire.example/self"},
		},
		{
			name: "Atom links, relative hub",
			body: `<?xml version="1.0" encoding="ISO-8859-1"?><feed xmlns="http://www.w3.org/2005/Atom"><link rel="alternate" href="/"/><link rel="hub" href="/hub"/><link href="top.xml" rel="self"/></feed>`,
			want: Discovery{Hub: "https://wire.example/hub", Self: "https://wire.example/feeds/top.xml"},
		},
		{
			name: "RSS with atom:link",
			body: `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><link>https://wire.example/</link><atom:link rel="hub" href="https://pubsubhubbub.example/"/><atom:link rel="self" type="application/rss+xml" href="https://wire.example/rss"/></channel></rss>`,
			want: Discovery{Hub: "https://pubsubhubbub.example/", Self: "https://wire.example/rss"},
		},
		{
			name: "links inside items are not the feed's",
			body: `<rss><channel><item><atom:link rel="hub" href="https://hub.example/"/></item></channel></rss>`,
			want: Discovery{},
		},
		{
			name: "JSON Feed hubs",
			body: ` {"version":"https://jsonfeed.org/version/1.1","feed_url":"https://wire.example/feed.json","hubs":[{"type":"rssCloud","url":"https://cloud.example/"},{"type":"WebSub","url":"https://hub.example/"}]}`,
			want: Discovery{Hub: "https://hub.example/", Self: "https://wire.example/feed.json"},
		},
		{
			name: "no hub",
			body: `<rss><channel><link>https://wire.example/</link></channel></rss>`,
			want: Discovery{},
		},
		{
			name: "broken XML keeps what came before the break",
			body: `<feed><link rel="hub" href="https://hub.example/"/><link rel="self" href="https://wire`,
			want: Discovery{Hub: "https://hub.example/"},
		},
		{name: "empty", want: Discovery{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.links {
				h.Add("Link", l)
			}
			got := DiscoverHub(h, []byte(tt.body), base)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DiscoverHub (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckHubSignature(t *testing.T) {
	body := []byte("<rss/>")
	tests := []struct {
		header string
		want   string // "" for valid
	}{
		{SignHubContent("sha1", "s", body), ""},
		{SignHubContent("sha256", "s", body), ""},
		{SignHubContent("sha384", "s", body), ""},
		{SignHubContent("sha512", "s", body), ""},
		{"", "unsigned"},
		{"sha256", "unsigned"},
		{SignHubContent("sha256", "t", body), "bad_signature"},
		{"md5=00", "bad_signature"},
		{"sha256=not-hex", "bad_signature"},
	}
	for _, tt := range tests {
		got, ok := checkHubSignature(tt.header, "s", body)
		if got != tt.want || ok != (tt.want == "") {
			t.Errorf("checkHubSignature(%q) = %q, %v; want %q", tt.header, got, ok, tt.want)
		}
	}
}

// The feed and its headers come from the upstream: discovery must not
// panic on any of them, and what it finds is an absolute URL or nothing.
func FuzzDiscoverHub(f *testing.F) {
	f.Add(`<https://hub.example/>; rel="hub"`, []byte(`<feed><link rel="hub" href="/h"/></feed>`))
	f.Add(`<a>;rel="hub self",<b`, []byte(`{"hubs":[{"type":"WebSub","url":"x"}]}`))
	f.Add(`<;;,"\",>`, []byte(`<rss><channel><atom:link rel="self" href="%zz"/>`))
	f.Fuzz(func(t *testing.T, link string, body []byte) {
		h := http.Header{}
		h.Set("Link", link)
		d := DiscoverHub(h, body, "https://wire.example/feed")
		for _, u := range []string{d.Hub, d.Self} {
			if u == "" {
				continue
			}
			if p, err := url.Parse(u); err != nil || !p.IsAbs() {
				t.Errorf("DiscoverHub gave %q, want an absolute URL or nothing", u)
			}
		}
	})
}
