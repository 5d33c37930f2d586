package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

const (
	// defaultListLimit and maxListLimit bound ListStories pages.
	defaultListLimit = 50
	maxListLimit     = 500
)

// storySelect reads a story with its current version (if any), its number
// of versions and the agencies of the other visible stories of its cluster
// (as a JSON array, sorted in Go so both backends order them alike). The
// cluster terms match the stories_cluster index; a lone story (cluster_id
// NULL) matches nothing. Callers append the WHERE clause.
const storySelect = `
	SELECT s.id, s.agency, s.uri, s.slug, s.state, s.first_seen_at, s.published_at, s.updated_at,
	       s.state_reason, s.edited_by, s.pending_version_id, s.cluster_id, s.section,
	       v.version_key, v.item, v.link, v.id_derived, v.delivery_id, v.delivery_sha256, v.source_name,
	       (SELECT count(*) FROM story_versions c WHERE c.story_id = s.id),
	       (SELECT json_group_array(DISTINCT o.agency) FROM stories o
	        WHERE o.cluster_id = s.cluster_id AND o.id <> s.id AND o.agency <> s.agency
	          AND o.state = 'published' AND o.published_at IS NOT NULL)
	FROM stories s
	LEFT JOIN story_versions v ON v.id = s.current_version_id`

func scanStory(row interface{ Scan(...any) error }) (*story.Story, error) {
	var (
		st                                      story.Story
		state, firstSeen, updated               string
		published                               sql.NullString
		pendingID, clusterID                    sql.NullInt64
		versionKey, item, link, sha, sourceName sql.NullString
		idDerived                               sql.NullBool
		deliveryID                              sql.NullInt64
		alsoReportedBy                          string
	)
	err := row.Scan(&st.ID, &st.Agency, &st.URI, &st.Slug, &state, &firstSeen, &published, &updated,
		&st.StateReason, &st.EditedBy, &pendingID, &clusterID, &st.Section,
		&versionKey, &item, &link, &idDerived, &deliveryID, &sha, &sourceName, &st.Versions, &alsoReportedBy)
	if err != nil {
		return nil, err
	}
	st.PendingVersionID = pendingID.Int64
	st.ClusterID = clusterID.Int64
	if st.AlsoReportedBy, err = decodeAgencies(alsoReportedBy); err != nil {
		return nil, fmt.Errorf("story %d: %w", st.ID, err)
	}
	st.State = story.State(state)
	if st.FirstSeenAt, err = parseTime(firstSeen); err != nil {
		return nil, err
	}
	if st.UpdatedAt, err = parseTime(updated); err != nil {
		return nil, err
	}
	if published.Valid {
		if st.PublishedAt, err = parseTime(published.String); err != nil {
			return nil, err
		}
	}
	if item.Valid {
		if st.Current, err = decodeItem(item.String, link.String, idDerived.Bool); err != nil {
			return nil, fmt.Errorf("story %d: %w", st.ID, err)
		}
		st.CurrentVersionKey = versionKey.String
		st.DeliveryID = deliveryID.Int64
		st.DeliverySHA256 = sha.String
		st.SourceName = sourceName.String
	}
	return &st, nil
}

// decodeAgencies reads the JSON array of agencies storySelect builds: nil
// when there are none, sorted otherwise.
func decodeAgencies(js string) ([]string, error) {
	var agencies []string
	if err := json.Unmarshal([]byte(js), &agencies); err != nil {
		return nil, fmt.Errorf("decode agencies of the cluster: %w", err)
	}
	if len(agencies) == 0 {
		return nil, nil
	}
	slices.Sort(agencies)
	return agencies, nil
}

// encodeItem is the stored form of an item: its canonical JSON. Link and
// IDDerived are left out of that JSON by design and stored beside it.
func encodeItem(it *story.Item) (string, error) {
	b, err := json.Marshal(it)
	if err != nil {
		return "", fmt.Errorf("encode item %s: %w", it.URI, err)
	}
	return string(b), nil
}

func decodeItem(js, link string, idDerived bool) (*story.Item, error) {
	var it story.Item
	if err := json.Unmarshal([]byte(js), &it); err != nil {
		return nil, fmt.Errorf("decode stored item: %w", err)
	}
	it.Link = link
	it.IDDerived = idDerived
	return &it, nil
}

// GetStory returns a story with its current version, or store.ErrNotFound.
func (s *Store) GetStory(ctx context.Context, id int64) (*story.Story, error) {
	st, err := scanStory(s.reader.QueryRowContext(ctx, storySelect+` WHERE s.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("get story %d: %w", id, errNoRows(err))
	}
	return st, nil
}

// listedStory is the ListStories filter: visible, and the first visible
// story of its cluster, so a cluster shows once, as its smallest visible id:
// when that one is killed the next visible copy takes its place. The state
// and published_at terms repeat the predicate of the stories_visible_newest
// index word for word, so SQLite walks that index in order; the NOT EXISTS
// probes stories_cluster. 'published' is the one state for which
// story.State.Visible is true.
const listedStory = `s.state = 'published' AND s.published_at IS NOT NULL
		  AND NOT EXISTS (
		      SELECT 1 FROM stories o
		      WHERE o.cluster_id = s.cluster_id AND o.id < s.id
		        AND o.state = 'published' AND o.published_at IS NOT NULL)`

// listFirstPage and listPageAfter are the ListStories queries: the first
// page, and the page after a keyset cursor (published_at, id).
const (
	listFirstPage = storySelect + `
		WHERE ` + listedStory + `
		ORDER BY s.published_at DESC, s.id DESC
		LIMIT ?`
	listPageAfter = storySelect + `
		WHERE ` + listedStory + `
		  AND (s.published_at, s.id) < (?, ?)
		ORDER BY s.published_at DESC, s.id DESC
		LIMIT ?`
)

// ListStories returns visible stories newest first, one per cluster,
// p.Limit (default 50, at most 500) at a time, after p.Before when set.
func (s *Store) ListStories(ctx context.Context, p *store.ListStoriesParams) ([]*story.Story, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)

	q, args := listStoriesQuery(p, limit)
	rows, err := s.reader.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	defer rows.Close()
	var sts []*story.Story
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		sts = append(sts, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	return sts, nil
}

// CountStories counts stories in every state.
func (s *Store) CountStories(ctx context.Context) (int, error) {
	var n int
	if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM stories`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stories: %w", err)
	}
	return n, nil
}

const versionColumns = `id, story_id, version_key, item, link, id_derived, delivery_id,
	delivery_sha256, source_name, received_at, applied`

func scanVersion(row interface{ Scan(...any) error }) (*store.Version, error) {
	var (
		v          store.Version
		item, link string
		idDerived  bool
		deliveryID sql.NullInt64
		receivedAt string
	)
	err := row.Scan(&v.ID, &v.StoryID, &v.Key, &item, &link, &idDerived, &deliveryID,
		&v.DeliverySHA256, &v.SourceName, &receivedAt, &v.Applied)
	if err != nil {
		return nil, err
	}
	if v.Item, err = decodeItem(item, link, idDerived); err != nil {
		return nil, fmt.Errorf("version %d: %w", v.ID, err)
	}
	if deliveryID.Valid {
		v.DeliveryID = &deliveryID.Int64
	}
	if v.ReceivedAt, err = parseTime(receivedAt); err != nil {
		return nil, err
	}
	return &v, nil
}

// ListVersions returns every stored version of a story in the order they
// were stored; none for an unknown story.
func (s *Store) ListVersions(ctx context.Context, storyID int64) ([]*store.Version, error) {
	return listVersions(ctx, s.reader, storyID)
}

// StoryVersions is ListVersions inside the transaction: it sees the versions
// the transaction has stored.
func (t *tx) StoryVersions(ctx context.Context, storyID int64) ([]*store.Version, error) {
	return listVersions(ctx, t, storyID)
}

func listVersions(ctx context.Context, q queryer, storyID int64) ([]*store.Version, error) {
	const list = `SELECT ` + versionColumns + ` FROM story_versions WHERE story_id = ? ORDER BY id`
	rows, err := q.QueryContext(ctx, list, storyID)
	if err != nil {
		return nil, fmt.Errorf("list versions of story %d: %w", storyID, err)
	}
	defer rows.Close()
	var vs []*store.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("list versions of story %d: %w", storyID, err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list versions of story %d: %w", storyID, err)
	}
	return vs, nil
}

// LockStory finds or creates the story keyed by (p.Agency, p.URI). The
// transaction already holds SQLite's only write lock (it began IMMEDIATE on
// the single writer connection), so nothing else can touch the story until
// it ends: the lock is the transaction itself.
func (t *tx) LockStory(ctx context.Context, p *store.LockStoryParams) (*story.Story, bool, error) {
	if p.URI == "" {
		return nil, false, fmt.Errorf("lock story of %q: empty uri", p.Agency)
	}
	if p.State == "" {
		return nil, false, fmt.Errorf("lock story %s %s: empty state", p.Agency, p.URI)
	}
	const find = storySelect + ` WHERE s.agency = ? AND s.uri = ?`
	// Look before inserting: a re-delivery, the common case, then costs no
	// INSERT, and no AUTOINCREMENT value is burnt (story ids are public URLs).
	// The single writer connection already serializes transactions.
	if st, err := scanStory(t.QueryRowContext(ctx, find, p.Agency, p.URI)); err == nil {
		return st, false, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("lock story %s %s: read: %w", p.Agency, p.URI, err)
	}
	at := formatTime(dbTime(orNow(p.At)))
	const insert = `
		INSERT INTO stories (agency, uri, slug, state, first_seen_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (agency, uri) DO NOTHING`
	res, err := t.ExecContext(ctx, insert, p.Agency, p.URI, p.Slug, string(p.State), at, at)
	if err != nil {
		return nil, false, fmt.Errorf("lock story %s %s: create: %w", p.Agency, p.URI, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, fmt.Errorf("lock story %s %s: create: %w", p.Agency, p.URI, err)
	}
	st, err := scanStory(t.QueryRowContext(ctx, find, p.Agency, p.URI))
	if err != nil {
		return nil, false, fmt.Errorf("lock story %s %s: read: %w", p.Agency, p.URI, err)
	}
	return st, n == 1, nil
}

// LockStoryByID reads the story in the transaction; the one writer
// connection already keeps every other writer out.
func (t *tx) LockStoryByID(ctx context.Context, id int64) (*story.Story, error) {
	st, err := scanStory(t.QueryRowContext(ctx, storySelect+` WHERE s.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("lock story %d: %w", id, errNoRows(err))
	}
	return st, nil
}

// VersionExists reports whether the story has a version with this key.
func (t *tx) VersionExists(ctx context.Context, storyID int64, versionKey string) (bool, error) {
	var n int
	const q = `SELECT count(*) FROM story_versions WHERE story_id = ? AND version_key = ?`
	if err := t.QueryRowContext(ctx, q, storyID, versionKey).Scan(&n); err != nil {
		return false, fmt.Errorf("check version %s of story %d: %w", versionKey, storyID, err)
	}
	return n > 0, nil
}

// InsertVersion stores one immutable version. A second version with the same
// key for the same story is an error: the caller checks VersionExists first.
func (t *tx) InsertVersion(ctx context.Context, p *store.InsertVersionParams) (*store.Version, error) {
	if p.Item == nil {
		return nil, fmt.Errorf("insert version %s of story %d: no item", p.Key, p.StoryID)
	}
	if p.Key == "" {
		return nil, fmt.Errorf("insert version of story %d: empty version key", p.StoryID)
	}
	js, err := encodeItem(p.Item)
	if err != nil {
		return nil, fmt.Errorf("insert version %s of story %d: %w", p.Key, p.StoryID, err)
	}
	var deliveryID sql.NullInt64
	if p.DeliveryID != nil {
		deliveryID = sql.NullInt64{Int64: *p.DeliveryID, Valid: true}
	}
	// The delivery's SHA-256 is copied in; with no delivery, the item's own
	// record of where it came from is the best there is.
	const q = `
		INSERT INTO story_versions (story_id, version_key, item, link, id_derived, delivery_id,
			delivery_sha256, source_name, received_at, applied)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6,
			COALESCE((SELECT sha256 FROM deliveries WHERE id = ?6), ?7), ?8, ?9, ?10)
		RETURNING id, delivery_sha256`
	receivedAt := dbTime(orNow(p.ReceivedAt))
	v := &store.Version{StoryID: p.StoryID, Key: p.Key, Item: p.Item, DeliveryID: p.DeliveryID,
		SourceName: p.SourceName, ReceivedAt: receivedAt, Applied: p.Applied}
	err = t.QueryRowContext(ctx, q, p.StoryID, p.Key, js, p.Item.Link, p.Item.IDDerived,
		deliveryID, p.Item.Source.SHA256, p.SourceName, formatTime(receivedAt), p.Applied).Scan(&v.ID, &v.DeliverySHA256)
	if err != nil {
		return nil, fmt.Errorf("insert version %s of story %d: %w", p.Key, p.StoryID, err)
	}
	t.remember(v.ID, p.Item)
	return v, nil
}

// SetCurrent puts a version of the story on show, marks it applied and sets
// the story's state and its reason. The first publication time is kept once
// set; a story that becomes visible without one is published at p.At. An
// empty p.Slug keeps the slug the story has. A pending agency update is
// settled by whatever is put on show, so the pending mark is cleared.
func (t *tx) SetCurrent(ctx context.Context, p *store.SetCurrentParams) error {
	if p.State == "" {
		return fmt.Errorf("set current version of story %d: empty state", p.StoryID)
	}
	at := dbTime(orNow(p.At))
	published := p.PublishedAt
	if published == nil && p.State.Visible() {
		published = &at
	}

	const markApplied = `UPDATE story_versions SET applied = 1 WHERE id = ? AND story_id = ?`
	res, err := t.ExecContext(ctx, markApplied, p.VersionID, p.StoryID)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set current version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	const setStory = `
		UPDATE stories SET
			current_version_id = ?,
			state              = ?,
			state_reason       = ?,
			pending_version_id = NULL,
			slug               = COALESCE(NULLIF(?, ''), slug),
			published_at       = COALESCE(published_at, ?),
			updated_at         = ?
		WHERE id = ?`
	res, err = t.ExecContext(ctx, setStory, p.VersionID, string(p.State), p.Reason, p.Slug,
		formatTimePtr(published), formatTime(at), p.StoryID)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set current version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	return t.indexCurrent(ctx, p.StoryID, p.VersionID)
}

// oneRow turns an UPDATE that touched no row into store.ErrNotFound.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
