package store

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestReadMigrations(t *testing.T) {
	good := fstest.MapFS{
		"m/0002_more.sql": {Data: []byte("B")},
		"m/0001_init.sql": {Data: []byte("A")},
	}
	got, err := ReadMigrations(good, "m")
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{{1, "0001_init.sql", "A"}, {2, "0002_more.sql", "B"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadMigrations (-want +got):\n%s", diff)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"not NNNN_name.sql": {"m/1_init.sql": {}},
		"share version":     {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if _, err := ReadMigrations(fsys, "m"); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("ReadMigrations: error %v, want one saying %q", err, name)
		}
	}
}

func TestSignatureRoundTrip(t *testing.T) {
	sig := []uint32{0, 1, 0xdeadbeef, 0xffffffff}
	got, err := DecodeSignature(EncodeSignature(sig))
	if err != nil || !cmp.Equal(got, sig) {
		t.Errorf("round trip = %v, %v; want %v", got, err, sig)
	}
	if EncodeSignature(nil) != nil {
		t.Error("no signature did not encode as nil (NULL)")
	}
	if _, err := DecodeSignature([]byte{1, 2, 3}); err == nil {
		t.Error("a 3-byte signature decoded without error")
	}
}

func TestCompareSchema(t *testing.T) {
	ms := []Migration{{Version: 1}, {Version: 2}}
	tests := []struct {
		name    string
		applied map[int]bool
		want    error
	}{
		{"up to date", map[int]bool{1: true, 2: true}, nil},
		{"lacks one", map[int]bool{1: true}, ErrSchemaOutdated},
		{"has an unknown one", map[int]bool{1: true, 2: true, 3: true}, ErrSchemaNewer},
		{"newer wins over a gap", map[int]bool{1: true, 3: true}, ErrSchemaNewer},
	}
	for _, tt := range tests {
		err := CompareSchema("test", tt.applied, ms)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: CompareSchema = %v, want %v", tt.name, err, tt.want)
		}
	}
}
