package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/wiredesk/wiredesk/internal/dedup"
	"github.com/wiredesk/wiredesk/internal/store"
)

// SetFingerprint stores the duplicate fingerprint of one version of the
// story, replacing any it had: its text hash and MinHash signature on the
// version row, its band keys in version_bands. store.ErrNotFound when the
// story has no such version. An empty TextSHA256 is stored as none, so
// that it can never match another; so is an empty signature.
func (t *tx) SetFingerprint(ctx context.Context, p *store.SetFingerprintParams) error {
	const setVersion = `
		UPDATE story_versions SET text_sha256 = NULLIF(?, ''), minhash = ?
		WHERE id = ? AND story_id = ?`
	res, err := t.ExecContext(ctx, setVersion, p.TextSHA256, signatureValue(p.MinHash), p.VersionID, p.StoryID)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	const clearBands = `DELETE FROM version_bands WHERE version_id = ?`
	if _, err := t.ExecContext(ctx, clearBands, p.VersionID); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: clear band keys: %w", p.VersionID, p.StoryID, err)
	}
	// "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the
	// INSERT, not to a join. A key repeated within one signature (two bands
	// equal by a 64-bit collision) is stored once; looking it up finds the
	// version all the same.
	const insertBands = `
		INSERT INTO version_bands (version_id, band_key, story_id)
		SELECT ?1, value, ?2 FROM json_each(?3) WHERE true
		ON CONFLICT DO NOTHING`
	if _, err := t.ExecContext(ctx, insertBands, p.VersionID, p.StoryID, bandKeysJSON(p.Bands)); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: store band keys: %w", p.VersionID, p.StoryID, err)
	}
	return nil
}

// similarVersions is the FindSimilar candidate query: the other stories'
// versions with the same text hash or at least one equal band key. Each
// half of the UNION is an index lookup (one per key for the bands); the
// versions and their stories are then read by primary key, never by a scan
// of every version.
const similarVersions = `
	SELECT v.story_id, s.cluster_id, v.text_sha256, v.minhash
	FROM story_versions v
	JOIN stories s ON s.id = v.story_id
	WHERE v.id IN (
		SELECT id FROM (
			SELECT id FROM story_versions WHERE text_sha256 = ?2 AND story_id <> ?1
			UNION
			SELECT version_id FROM version_bands
			WHERE band_key IN (SELECT value FROM json_each(?3)) AND story_id <> ?1)
		ORDER BY id DESC LIMIT ?4)
	ORDER BY v.story_id, v.id`

// FindSimilar returns the stories other than p.StoryID with a version whose
// text is identical to the fingerprint's, or whose signature is at least
// p.MinSimilarity similar to it, in id order. A story with several such
// versions comes once: identical if any version is, at the similarity of
// its closest version (1 for identical text). Killed and hidden stories are
// found too: a duplicate of a killed story is still the same story.
//
// Candidates are the versions with the same text hash or a shared band
// key, looked up in the indexes; their similarity is then computed here
// from the stored signatures. A version similar enough but sharing no band
// is not found: that is the price of not comparing against every version,
// and with 32 bands of 4 rows it befalls about 1 in 85 pairs of Jaccard
// similarity 0.6 and 1 in 6,500 of 0.7 (see dedup.BandCount).
func (t *tx) FindSimilar(ctx context.Context, p *store.FindSimilarParams) ([]*store.SimilarStory, error) {
	var sha sql.NullString
	if p.TextSHA256 != "" {
		sha = sql.NullString{String: p.TextSHA256, Valid: true}
	}
	rows, err := t.QueryContext(ctx, similarVersions, p.StoryID, sha, bandKeysJSON(p.Bands), maxCandidates(p))
	if err != nil {
		return nil, fmt.Errorf("find stories similar to story %d: %w", p.StoryID, err)
	}
	defer rows.Close()
	var similar []*store.SimilarStory
	for rows.Next() {
		var (
			id        int64
			clusterID sql.NullInt64
			textSHA   sql.NullString
			minhash   []byte
		)
		if err := rows.Scan(&id, &clusterID, &textSHA, &minhash); err != nil {
			return nil, fmt.Errorf("find stories similar to story %d: %w", p.StoryID, err)
		}
		sig, err := store.DecodeSignature(minhash)
		if err != nil {
			return nil, fmt.Errorf("find stories similar to story %d: a version of story %d: %w", p.StoryID, id, err)
		}
		c := &store.SimilarStory{
			ID:        id,
			ClusterID: clusterID.Int64,
			Identical: sha.Valid && textSHA.Valid && textSHA.String == sha.String,
		}
		if c.Identical {
			c.Similarity = 1
		} else {
			c.Similarity = dedup.Similarity(p.MinHash, sig)
		}
		similar = store.FoldSimilar(similar, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find stories similar to story %d: %w", p.StoryID, err)
	}
	return slices.DeleteFunc(similar, func(c *store.SimilarStory) bool {
		return !c.Identical && c.Similarity < p.MinSimilarity
	}), nil
}

// bandKeysJSON is band keys as the JSON array json_each reads, each uint64
// as the int64 of the same bits: SQLite integers are signed 64-bit, and
// JSON integers beyond int64 would be read as floats. No keys is "[]".
func bandKeysJSON(keys []uint64) string {
	signed := make([]int64, len(keys))
	for i, k := range keys {
		signed[i] = int64(k)
	}
	b, _ := json.Marshal(signed) // a slice of int64 always marshals
	return string(b)
}

// clusterMembers is the stories in a JSON array of ids, and every story in a
// cluster with any of them, in id order. Each half of the UNION is an index
// lookup; a lone story's NULL cluster_id joins nothing.
const clusterMembers = `
	SELECT id FROM stories WHERE id IN (SELECT value FROM json_each(?1))
	UNION
	SELECT m.id FROM stories g JOIN stories m ON m.cluster_id = g.cluster_id
	WHERE g.id IN (SELECT value FROM json_each(?1))
	ORDER BY id`

// MergeClusters puts the given stories and every story sharing a cluster
// with any of them into one cluster, identified by the smallest story id
// among them all, and returns that id. Since the id depends only on the
// members, the clusters come out the same whatever order the merges come
// in. A story that would be alone stays alone (cluster_id NULL) and its own
// id is returned. store.ErrNotFound when a given story does not exist.
//
// Merging cannot race here: the transaction holds SQLite's only write lock.
func (t *tx) MergeClusters(ctx context.Context, storyIDs []int64) (int64, error) {
	ids := slices.Clone(storyIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return 0, errors.New("merge clusters: no stories given")
	}
	given, err := json.Marshal(ids)
	if err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: %w", ids, err)
	}

	var found int
	const count = `SELECT count(*) FROM stories WHERE id IN (SELECT value FROM json_each(?))`
	if err := t.QueryRowContext(ctx, count, string(given)).Scan(&found); err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: %w", ids, err)
	}
	if found != len(ids) {
		return 0, fmt.Errorf("merge clusters of stories %v: %d of them do not exist: %w", ids, len(ids)-found, store.ErrNotFound)
	}

	rows, err := t.QueryContext(ctx, clusterMembers, string(given))
	if err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: read members: %w", ids, err)
	}
	var union []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("merge clusters of stories %v: read members: %w", ids, err)
		}
		union = append(union, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: read members: %w", ids, err)
	}
	cluster := union[0]
	if len(union) == 1 {
		return cluster, nil
	}

	all, err := json.Marshal(union)
	if err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: %w", ids, err)
	}
	const merge = `
		UPDATE stories SET cluster_id = ?1
		WHERE id IN (SELECT value FROM json_each(?2)) AND cluster_id IS NOT ?1`
	if _, err := t.ExecContext(ctx, merge, cluster, string(all)); err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v into %d: %w", ids, cluster, err)
	}
	return cluster, nil
}

// maxCandidates is p.MaxCandidates or its default.
func maxCandidates(p *store.FindSimilarParams) int {
	if p.MaxCandidates > 0 {
		return p.MaxCandidates
	}
	return store.DefaultMaxCandidates
}

// signatureValue is the stored signature as database/sql passes it: a nil
// interface, so SQLite stores NULL, when there is none.
func signatureValue(sig []uint32) any {
	if b := store.EncodeSignature(sig); b != nil {
		return b
	}
	return nil
}
