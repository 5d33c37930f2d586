package anpa

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
	for _, s := range []string{correctiveBulletin, agate, kill,
		"", "\x01", "\x01W1\x1fa\nr a\x13\x11 K  01-01 1\n\x02^x<\n\x03", "\x01W1\x1fa\nr a\x14\x12 K V R 12-31 0\n\x02\t  a  b\n\x03AP-01-05-20 0101ET\x04", "\x01W1\x1fa\nr a\n\x02^K,1<\n^\n\x03\x01W2\x1fa\nb b\x13\x11 K\n\x02\x07"} {
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
