package store

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// What follows is shared by the backends (sqlite/, postgres/): the parts of
// storing that do not depend on the database.

// Migration is one numbered, forward-only schema migration.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// migrationName is NNNN_what.sql; NNNN is the version.
var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// ReadMigrations returns the migrations in dir of fsys (a backend's
// embedded files) in version order, refusing a misnamed file or two files
// with one version.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("embedded migration %q: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if prev, ok := seen[v]; ok {
			return nil, fmt.Errorf("embedded migrations %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read embedded migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// CompareSchema says how the applied migration versions of a backend's
// database stand against its embedded migrations: ErrSchemaNewer when the
// database has versions this binary does not know, ErrSchemaOutdated when
// it lacks some. Newer wins over outdated: a binary older than the database
// must not run against it even if a gap also exists.
func CompareSchema(backend string, applied map[int]bool, ms []Migration) error {
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
	}
	var newer []int
	for v := range applied {
		if !known[v] {
			newer = append(newer, v)
		}
	}
	if len(newer) > 0 {
		sort.Ints(newer)
		return fmt.Errorf("%s schema has unknown migrations %v: %w", backend, newer, ErrSchemaNewer)
	}
	var missing []int
	for _, m := range ms {
		if !applied[m.Version] {
			missing = append(missing, m.Version)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s schema lacks migrations %v: %w", backend, missing, ErrSchemaOutdated)
	}
	return nil
}

// EncodeSignature is a MinHash signature as stored: each value as 4 bytes
// little-endian; nil for none (stored as NULL).
func EncodeSignature(sig []uint32) []byte {
	if len(sig) == 0 {
		return nil
	}
	b := make([]byte, 0, 4*len(sig))
	for _, v := range sig {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// DecodeSignature reads a stored signature back; NULL (empty) is none.
func DecodeSignature(b []byte) ([]uint32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("stored MinHash signature of %d bytes, not a multiple of 4", len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	sig := make([]uint32, len(b)/4)
	for i := range sig {
		sig[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return sig, nil
}

// FoldSimilar adds candidate c, one version of a story, to similar (in
// story order), folding the versions of one story into one row: identical
// if any version is, at the similarity of the closest.
func FoldSimilar(similar []*SimilarStory, c *SimilarStory) []*SimilarStory {
	if n := len(similar); n > 0 && similar[n-1].ID == c.ID {
		last := similar[n-1]
		last.Identical = last.Identical || c.Identical
		last.Similarity = max(last.Similarity, c.Similarity)
		return similar
	}
	return append(similar, c)
}
