package iptc7901

import (
	"testing"

	"github.com/wiredesk/wiredesk/internal/wire"
	"github.com/wiredesk/wiredesk/internal/wire/wiretest"
)

// FuzzDecode checks that Decode never panics, and that whatever it returns
// is either an error or items that each have an id and a valid status.
func FuzzDecode(f *testing.F) {
	for _, path := range fixturePaths(f) {
		f.Add(wiretest.Read(f, path))
	}
	for _, s := range []string{germanCorrection, englishKill, englishUrgent, plain,
		"", "\x01", "\x01a1 1 a 1\n\x02\x03", "\x01a1 1 a 1\n\x02(\n=\n\x03", "\x01a1 1 a 1\n\x02x =\n\x03\x01b2 2 b 2\n\x02y\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		shape := wire.SniffShape(data)
		_ = Match(&shape)
		items, err := Decode(data, &wire.Options{Agency: "Fuzz"})
		wiretest.CheckDecoded(t, items, err)
		if err == nil && len(items) == 0 {
			t.Fatal("no items and no error")
		}
	})
}
