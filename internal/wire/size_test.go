package wire

import (
	"errors"
	"testing"
)

func TestCheckSize(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantReason string // "" means accepted
	}{
		{"empty", 0, ""},
		{"small", 1024, ""},
		{"at the limit", MaxDocumentBytes, ""},
		{"one byte over", MaxDocumentBytes + 1, "document is 64.1 MiB, over the 64 MiB limit"},
		{"100 MiB", 100 << 20, "document is 100 MiB, over the 64 MiB limit"},
		{"100.5 MiB", 100<<20 + 1<<19, "document is 100.5 MiB, over the 64 MiB limit"},
	}
	// One shared buffer: the cases are its prefixes.
	buf := make([]byte, 101<<20)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSize("rss", buf[:tt.size])
			if tt.wantReason == "" {
				if err != nil {
					t.Errorf("CheckSize(%d bytes) = %v, want nil", tt.size, err)
				}
				return
			}
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("CheckSize(%d bytes) = %v, want a *Error", tt.size, err)
			}
			if we.Format != "rss" || we.Reason != tt.wantReason {
				t.Errorf("CheckSize(%d bytes) = %q, %q; want rss, %q", tt.size, we.Format, we.Reason, tt.wantReason)
			}
		})
	}
}
