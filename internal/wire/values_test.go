package wire

import (
	"testing"
	"time"
)

func TestOptionsValues(t *testing.T) {
	opts := &Options{Agency: "dpa", SHA256: "abc"}
	tests := []struct {
		name      string
		got, want string
	}{
		{"agency", ConfiguredAgency(opts), "dpa"},
		{"agency without options", ConfiguredAgency(nil), ""},
		{"sha256", DeliverySHA256(opts), "abc"},
		{"sha256 without options", DeliverySHA256(nil), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestFirstNonBlank(t *testing.T) {
	tests := []struct {
		in          []string
		want, wantT string
	}{
		{nil, "", ""},
		{[]string{"", " \t", "\n"}, "", ""},
		{[]string{"", " a ", "b"}, " a ", "a"},
		{[]string{"x", "y"}, "x", "x"},
	}
	for _, tt := range tests {
		if got := FirstNonBlank(tt.in...); got != tt.want {
			t.Errorf("FirstNonBlank(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := FirstNonBlankTrimmed(tt.in...); got != tt.wantT {
			t.Errorf("FirstNonBlankTrimmed(%q) = %q, want %q", tt.in, got, tt.wantT)
		}
	}
}

func TestOptionalDate(t *testing.T) {
	if got := OptionalDate("not a date", time.UTC); got != nil {
		t.Errorf("OptionalDate(junk) = %v, want nil", got)
	}
	got := OptionalDate("2024-03-01T10:00:00Z", time.UTC)
	want := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	if got == nil || !got.Equal(want) {
		t.Errorf("OptionalDate = %v, want %v", got, want)
	}
}
