package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/dedup"
	"github.com/wiredesk/wiredesk/internal/store"
)

// clustersLock names the transaction-level advisory lock that serializes
// duplicate detection, one per schema. Without it, two nodes applying two
// copies of one story at the same moment would each look for the other's
// fingerprint before it is committed, find nothing, and leave the copies
// apart for good; and two merges could each read a cluster before the other
// changed it. With it, the second waits for the first to commit and then,
// under READ COMMITTED, sees everything the first wrote.
const clustersLock = `hashtext('wiredesk clusters ' || current_schema())`

// lockClusters takes clustersLock for the rest of the transaction, once.
func (t *tx) lockClusters(ctx context.Context) error {
	if t.clustersLocked {
		return nil
	}
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(`+clustersLock+`)`); err != nil {
		return fmt.Errorf("take the clusters lock: %w", err)
	}
	t.clustersLocked = true
	return nil
}

// SetFingerprint stores the duplicate fingerprint of one version of the
// story, replacing any it had: its text hash and MinHash signature on the
// version row, its band keys in version_bands. store.ErrNotFound when the
// story has no such version. An empty TextSHA256 is stored as none, so
// that it can never match another; so is an empty signature. It takes the
// clusters lock, so that the FindSimilar and MergeClusters that follow in
// this transaction see every fingerprint committed before them.
func (t *tx) SetFingerprint(ctx context.Context, p *store.SetFingerprintParams) error {
	if err := t.lockClusters(ctx); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	const setVersion = `
		UPDATE story_versions SET text_sha256 = NULLIF($1, ''), minhash = $2
		WHERE id = $3 AND story_id = $4`
	tag, err := t.tx.Exec(ctx, setVersion, p.TextSHA256, store.EncodeSignature(p.MinHash), p.VersionID, p.StoryID)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	const clearBands = `DELETE FROM version_bands WHERE version_id = $1`
	if _, err := t.tx.Exec(ctx, clearBands, p.VersionID); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: clear band keys: %w", p.VersionID, p.StoryID, err)
	}
	// A key repeated within one signature (two bands equal by a 64-bit
	// collision) is stored once; looking it up finds the version all the
	// same.
	const insertBands = `
		INSERT INTO version_bands (version_id, band_key, story_id)
		SELECT $1, k, $2 FROM unnest($3::bigint[]) AS k
		ON CONFLICT DO NOTHING`
	if _, err := t.tx.Exec(ctx, insertBands, p.VersionID, p.StoryID, signedKeys(p.Bands)); err != nil {
		return fmt.Errorf("set fingerprint of version %d of story %d: store band keys: %w", p.VersionID, p.StoryID, err)
	}
	return nil
}

// similarVersions is the FindSimilar candidate query: the other stories'
// versions with the same text hash or at least one equal band key. Each
// half of the UNION is an index lookup; the versions and their stories are
// then read by primary key, never by a scan of every version.
const similarVersions = `
	SELECT v.story_id, s.cluster_id, v.text_sha256, v.minhash
	FROM story_versions v
	JOIN stories s ON s.id = v.story_id
	WHERE v.id IN (
		SELECT id FROM (
			SELECT id FROM story_versions WHERE text_sha256 = $2 AND story_id <> $1
			UNION
			SELECT version_id FROM version_bands WHERE band_key = ANY($3) AND story_id <> $1) c
		ORDER BY id DESC LIMIT $4)
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
	if err := t.lockClusters(ctx); err != nil {
		return nil, fmt.Errorf("find stories similar to story %d: %w", p.StoryID, err)
	}
	var sha *string
	if p.TextSHA256 != "" {
		sha = &p.TextSHA256
	}
	rows, err := t.tx.Query(ctx, similarVersions, p.StoryID, sha, signedKeys(p.Bands), maxCandidates(p))
	if err != nil {
		return nil, fmt.Errorf("find stories similar to story %d: %w", p.StoryID, err)
	}
	defer rows.Close()
	var similar []*store.SimilarStory
	for rows.Next() {
		var (
			id        int64
			clusterID *int64
			textSHA   *string
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
			Identical: sha != nil && textSHA != nil && *textSHA == *sha,
		}
		if clusterID != nil {
			c.ClusterID = *clusterID
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

// signedKeys is band keys as bigints of the same bits.
func signedKeys(keys []uint64) []int64 {
	signed := make([]int64, len(keys))
	for i, k := range keys {
		signed[i] = int64(k)
	}
	return signed
}

// clusterMembers is the stories with the given ids, and every story in a
// cluster with any of them, in id order. A UNION rather than an OR, so that
// each half is an index lookup (an OR with a subquery is a sequential scan).
const clusterMembers = `
	SELECT id FROM stories WHERE id = ANY($1)
	UNION
	SELECT m.id FROM stories g JOIN stories m ON m.cluster_id = g.cluster_id
	WHERE g.id = ANY($1)
	ORDER BY id`

// MergeClusters puts the given stories and every story sharing a cluster
// with any of them into one cluster, identified by the smallest story id
// among them all, and returns that id. Since the id depends only on the
// members, the clusters come out the same whatever order the merges come
// in. A story that would be alone stays alone (cluster_id NULL) and its own
// id is returned. store.ErrNotFound when a given story does not exist.
//
// The clusters lock keeps merges from interleaving. The UPDATE waits for
// the row locks of stories other transactions are applying to; two
// transactions that each hold one copy and merge the other deadlock, and
// PostgreSQL aborts one of them (SQLSTATE 40P01), to be retried.
func (t *tx) MergeClusters(ctx context.Context, storyIDs []int64) (int64, error) {
	ids := slices.Clone(storyIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return 0, errors.New("merge clusters: no stories given")
	}
	if err := t.lockClusters(ctx); err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: %w", ids, err)
	}

	var found int
	const count = `SELECT count(*) FROM stories WHERE id = ANY($1)`
	if err := t.tx.QueryRow(ctx, count, ids).Scan(&found); err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: %w", ids, err)
	}
	if found != len(ids) {
		return 0, fmt.Errorf("merge clusters of stories %v: %d of them do not exist: %w", ids, len(ids)-found, store.ErrNotFound)
	}

	rows, err := t.tx.Query(ctx, clusterMembers, ids)
	if err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: read members: %w", ids, err)
	}
	union, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("merge clusters of stories %v: read members: %w", ids, err)
	}
	cluster := union[0]
	if len(union) == 1 {
		return cluster, nil
	}

	const merge = `
		UPDATE stories SET cluster_id = $1
		WHERE id = ANY($2) AND cluster_id IS DISTINCT FROM $1`
	if _, err := t.tx.Exec(ctx, merge, cluster, union); err != nil {
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
