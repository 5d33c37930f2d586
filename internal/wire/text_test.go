package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeLink(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"https://www.example.com/news/1", "https://www.example.com/news/1", true},
		{"HTTPS://WWW.Example.COM/News/1", "https://www.example.com/News/1", true},
		{"https://example.com/a#comments", "https://example.com/a", true},
		{"https://example.com/a?utm_source=rss&id=7&UTM_Medium=feed&b=2", "https://example.com/a?id=7&b=2", true},
		{"https://example.com/a?utm_source=rss", "https://example.com/a", true},
		{"https://example.com/a?b=%20c&a=1", "https://example.com/a?b=%20c&a=1", true},
		{"http://example.com:80/a", "http://example.com/a", true},
		{"https://example.com:443/a", "https://example.com/a", true},
		{"https://example.com:8443/a", "https://example.com:8443/a", true},
		{"https://example.com", "https://example.com/", true},
		{"  https://example.com/a  ", "https://example.com/a", true},
		{"https://user:pw@example.com/a", "https://example.com/a", true},
		{"/news/1", "", false},
		{"mailto:desk@example.com", "", false},
		{"javascript:alert(1)", "", false},
		{"ftp://example.com/a", "", false},
		{"", "", false},
		{"http://[::1", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeLink(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("NormalizeLink(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\n      Winnipeg High School\n    ", "Winnipeg High School"},
		{"a \t\r\n b", "a b"},
		{"10\u00a0km", "10\u00a0km"},
		{"\u00a0a\u00a0", "\u00a0a\u00a0"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLanguageTag(t *testing.T) {
	tests := []struct{ in, want string }{
		{"en_US", "en-US"},
		{"en-us", "en-US"},
		{" DE ", "de"},
		{"zh-hant-tw", "zh-Hant-TW"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := LanguageTag(tt.in); got != tt.want {
			t.Errorf("LanguageTag(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlainTextToHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"One <two> & three", "<p>One &lt;two&gt; &amp; three</p>"},
		{"Para one.\n\nPara two,\nsecond line.", "<p>Para one.</p><p>Para two,<br>second line.</p>"},
		{"\r\n\r\nA\r\n\r\n\r\nB\r\n", "<p>A</p><p>B</p>"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PlainTextToHTML(tt.in); got != tt.want {
			t.Errorf("PlainTextToHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPartialError(t *testing.T) {
	var err error = &PartialError{Format: "rss", Skipped: []Skip{
		{Index: 2, Reason: "no id and no link"},
		{Index: 5, Reason: "no id and no link"},
	}}
	var pe *PartialError
	if !errors.As(err, &pe) || len(pe.Skipped) != 2 {
		t.Fatalf("errors.As(%v) did not find the skips", err)
	}
	want := "decode rss: skipped 2 entries; entry 2: no id and no link; entry 5: no id and no link"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	many := &PartialError{Format: "atom", Skipped: make([]Skip, 5)}
	if got := many.Error(); !strings.HasSuffix(got, "; ...") {
		t.Errorf("Error() with 5 skips = %q, want it shortened", got)
	}
}
