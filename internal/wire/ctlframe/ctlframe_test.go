package ctlframe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Frame
		wantErr string
	}{
		{"one message", "\x01head\x02text\x03trailer\x04", []Frame{{0, 19}}, ""},
		{"fill and BOM before SOH", "\xEF\xBB\xBF \r\n\x16\x00\x01a\x02b\x03", []Frame{{8, 13}}, ""},
		{"two messages", "\x01a\x02b\x03\x04\n\x01c\x02d\x03", []Frame{{0, 7}, {7, 12}}, ""},
		{"empty", " \r\n\x16", nil, "empty document"},
		{"not framed", "<rss/>", nil, `not an XY 1 message: byte 0 is "<rss/>", not SOH (0x01)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Split([]byte(tt.in), "XY 1")
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("Split error = %q, want %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("frames mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTextEnd(t *testing.T) {
	tests := []struct {
		name    string
		seg     string
		want    int
		wantErr string
	}{
		{"text ends at ETX", "\x01h\x02text\x03t", 7, ""},
		{"no STX", "\x01header only", 0, "message at byte 10: truncated at byte 22: no STX (start of text) after the header"},
		{"no ETX", "\x01h\x02text", 0, "message at byte 10: truncated at byte 22: no ETX (end of text) after the STX at byte 12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seg := []byte(tt.seg)
			stxAt := -1
			for i, b := range seg {
				if b == STX {
					stxAt = i
					break
				}
			}
			got, err := TextEnd(seg, 10, 22, stxAt)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr || got != tt.want {
				t.Errorf("TextEnd = %d, %q; want %d, %q", got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"trailer stops at EOT", string(Trailer([]byte("\x01h\x02t\x03 date \x04junk"), 4)), " date "},
		{"trailer without EOT", string(Trailer([]byte("\x01h\x02t\x03 date"), 4)), " date"},
		{"line ends normalised", LineText([]byte("a\r\nb\rc\n")), "a\nb\nc\n"},
		{"Latin-1 read as windows-1252", LineText([]byte("caf\xe9 \x80")), "café €"},
		{"controls stripped, tab and newline kept", StripControls("\x07a\tb\n\x16c\x7f"), "a\tb\nc"},
		{"teleprinter space trimmed", TrimSpace("\v\f a b \r\n"), "a b"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
