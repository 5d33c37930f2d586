package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
// (NULL when none; sorted in Go so both backends order them alike, whatever
// the database's collation). The cluster terms match the stories_cluster
// index; a lone story (cluster_id NULL) matches nothing. Callers append the
// WHERE clause.
const storySelect = `
	SELECT s.id, s.agency, s.uri, s.slug, s.state, s.first_seen_at, s.published_at, s.updated_at,
	       s.state_reason, s.edited_by, s.pending_version_id, s.cluster_id, s.section,
	       v.version_key, v.item, v.link, v.id_derived, v.delivery_id, v.delivery_sha256, v.source_name,
	       (SELECT count(*) FROM story_versions c WHERE c.story_id = s.id),
	       (SELECT array_agg(DISTINCT o.agency) FROM stories o
	        WHERE o.cluster_id = s.cluster_id AND o.id <> s.id AND o.agency <> s.agency
	          AND o.state = 'published' AND o.published_at IS NOT NULL)
	FROM stories s
	LEFT JOIN story_versions v ON v.id = s.current_version_id`

func scanStory(row pgx.Row) (*story.Story, error) {
	var (
		st                                story.Story
		state                             string
		published                         *time.Time
		versionKey, link, sha, sourceName *string
		item                              []byte
		idDerived                         *bool
		deliveryID                        *int64
		pendingID, clusterID              *int64
	)
	err := row.Scan(&st.ID, &st.Agency, &st.URI, &st.Slug, &state, &st.FirstSeenAt, &published, &st.UpdatedAt,
		&st.StateReason, &st.EditedBy, &pendingID, &clusterID, &st.Section,
		&versionKey, &item, &link, &idDerived, &deliveryID, &sha, &sourceName, &st.Versions, &st.AlsoReportedBy)
	if err != nil {
		return nil, err
	}
	if pendingID != nil {
		st.PendingVersionID = *pendingID
	}
	if clusterID != nil {
		st.ClusterID = *clusterID
	}
	if len(st.AlsoReportedBy) == 0 {
		st.AlsoReportedBy = nil
	}
	slices.Sort(st.AlsoReportedBy)
	st.State = story.State(state)
	st.FirstSeenAt = st.FirstSeenAt.UTC()
	st.UpdatedAt = st.UpdatedAt.UTC()
	if published != nil {
		st.PublishedAt = published.UTC()
	}
	if item != nil {
		if st.Current, err = decodeItem(item, *link, *idDerived); err != nil {
			return nil, fmt.Errorf("story %d: %w", st.ID, err)
		}
		st.CurrentVersionKey = *versionKey
		if deliveryID != nil {
			st.DeliveryID = *deliveryID
		}
		st.DeliverySHA256 = *sha
		st.SourceName = *sourceName
	}
	return &st, nil
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

func decodeItem(js []byte, link string, idDerived bool) (*story.Item, error) {
	var it story.Item
	if err := json.Unmarshal(js, &it); err != nil {
		return nil, fmt.Errorf("decode stored item: %w", err)
	}
	it.Link = link
	it.IDDerived = idDerived
	return &it, nil
}

// GetStory returns a story with its current version, or store.ErrNotFound.
func (s *Store) GetStory(ctx context.Context, id int64) (*story.Story, error) {
	st, err := scanStory(s.pool.QueryRow(ctx, storySelect+` WHERE s.id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("get story %d: %w", id, errNoRows(err))
	}
	return st, nil
}

// listedStory is the ListStories filter: visible, and the first visible
// story of its cluster, so a cluster shows once, as its smallest visible id:
// when that one is killed the next visible copy takes its place. The state
// and published_at terms repeat the predicate of the stories_visible_newest
// index word for word, so the planner can walk that index in order; the NOT
// EXISTS probes stories_cluster. 'published' is the one state for which
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
		LIMIT $1`
	listPageAfter = storySelect + `
		WHERE ` + listedStory + `
		  AND (s.published_at, s.id) < ($2, $3)
		ORDER BY s.published_at DESC, s.id DESC
		LIMIT $1`
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
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	sts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*story.Story, error) { return scanStory(row) })
	if err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	return sts, nil
}

// CountStories counts stories in every state.
func (s *Store) CountStories(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM stories`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stories: %w", err)
	}
	return n, nil
}

const versionColumns = `id, story_id, version_key, item, link, id_derived, delivery_id,
	delivery_sha256, source_name, received_at, applied`

func scanVersion(row pgx.Row) (*store.Version, error) {
	var (
		v         store.Version
		item      []byte
		link      string
		idDerived bool
	)
	err := row.Scan(&v.ID, &v.StoryID, &v.Key, &item, &link, &idDerived, &v.DeliveryID,
		&v.DeliverySHA256, &v.SourceName, &v.ReceivedAt, &v.Applied)
	if err != nil {
		return nil, err
	}
	if v.Item, err = decodeItem(item, link, idDerived); err != nil {
		return nil, fmt.Errorf("version %d: %w", v.ID, err)
	}
	v.ReceivedAt = v.ReceivedAt.UTC()
	return &v, nil
}

// ListVersions returns every stored version of a story in the order they
// were stored; none for an unknown story.
func (s *Store) ListVersions(ctx context.Context, storyID int64) ([]*store.Version, error) {
	return listVersions(ctx, s.pool, storyID)
}

// StoryVersions is ListVersions inside the transaction: it sees the versions
// the transaction has stored.
func (t *tx) StoryVersions(ctx context.Context, storyID int64) ([]*store.Version, error) {
	return listVersions(ctx, t.tx, storyID)
}

func listVersions(ctx context.Context, q querier, storyID int64) ([]*store.Version, error) {
	const list = `SELECT ` + versionColumns + ` FROM story_versions WHERE story_id = $1 ORDER BY id`
	rows, err := q.Query(ctx, list, storyID)
	if err != nil {
		return nil, fmt.Errorf("list versions of story %d: %w", storyID, err)
	}
	vs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Version, error) { return scanVersion(row) })
	if err != nil {
		return nil, fmt.Errorf("list versions of story %d: %w", storyID, err)
	}
	return vs, nil
}

// LockStory finds or creates the story keyed by (p.Agency, p.URI) and holds
// its row lock until the transaction ends. Two nodes seeing a new story at
// once both try the INSERT; the second waits on the first's unique-index
// entry and then inserts nothing, and its SELECT ... FOR UPDATE (a fresh
// snapshot under READ COMMITTED) finds the committed row and waits for no
// one else. Neither can miss the other's story.
func (t *tx) LockStory(ctx context.Context, p *store.LockStoryParams) (*story.Story, bool, error) {
	if p.URI == "" {
		return nil, false, fmt.Errorf("lock story of %q: empty uri", p.Agency)
	}
	if p.State == "" {
		return nil, false, fmt.Errorf("lock story %s %s: empty state", p.Agency, p.URI)
	}
	// Lock the row first, then read the story in a second statement. One
	// SELECT ... FOR UPDATE that waited for another transaction returns
	// the locked row as that one committed it, but the rows it joins (the
	// version on show) as of its own start: a story whose version changed
	// meanwhile came back without one, and apply took it for new. A new
	// statement under READ COMMITTED sees everything committed.
	const lock = `SELECT id FROM stories WHERE agency = $1 AND uri = $2 FOR UPDATE`
	const read = storySelect + ` WHERE s.id = $1`
	lockAndRead := func() (*story.Story, error) {
		var id int64
		if err := t.tx.QueryRow(ctx, lock, p.Agency, p.URI).Scan(&id); err != nil {
			return nil, err
		}
		return scanStory(t.tx.QueryRow(ctx, read, id))
	}
	// Look before inserting: a re-delivery, the common case, then costs no
	// INSERT, and no sequence value is burnt (story ids are public URLs).
	if st, err := lockAndRead(); err == nil {
		return st, false, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("lock story %s %s: read: %w", p.Agency, p.URI, err)
	}
	at := dbTime(orNow(p.At))
	const insert = `
		INSERT INTO stories (agency, uri, slug, state, first_seen_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (agency, uri) DO NOTHING`
	tag, err := t.tx.Exec(ctx, insert, p.Agency, p.URI, p.Slug, string(p.State), at)
	if err != nil {
		return nil, false, fmt.Errorf("lock story %s %s: create: %w", p.Agency, p.URI, err)
	}
	st, err := lockAndRead()
	if err != nil {
		return nil, false, fmt.Errorf("lock story %s %s: read: %w", p.Agency, p.URI, err)
	}
	return st, tag.RowsAffected() == 1, nil
}

// LockStoryByID locks the story's row, then reads the story in a second
// statement, for the reason given in LockStory.
func (t *tx) LockStoryByID(ctx context.Context, id int64) (*story.Story, error) {
	const lock = `SELECT id FROM stories WHERE id = $1 FOR UPDATE`
	if err := t.tx.QueryRow(ctx, lock, id).Scan(&id); err != nil {
		return nil, fmt.Errorf("lock story %d: %w", id, errNoRows(err))
	}
	st, err := scanStory(t.tx.QueryRow(ctx, storySelect+` WHERE s.id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("lock story %d: read: %w", id, errNoRows(err))
	}
	return st, nil
}

// VersionExists reports whether the story has a version with this key.
func (t *tx) VersionExists(ctx context.Context, storyID int64, versionKey string) (bool, error) {
	var exists bool
	const q = `SELECT EXISTS (SELECT 1 FROM story_versions WHERE story_id = $1 AND version_key = $2)`
	if err := t.tx.QueryRow(ctx, q, storyID, versionKey).Scan(&exists); err != nil {
		return false, fmt.Errorf("check version %s of story %d: %w", versionKey, storyID, err)
	}
	return exists, nil
}

// InsertVersion stores one immutable version. A second version with the same
// key for the same story is an error (and, on PostgreSQL, ends the
// transaction): the caller checks VersionExists first.
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
	// The delivery's SHA-256 is copied in; with no delivery, the item's own
	// record of where it came from is the best there is.
	const q = `
		INSERT INTO story_versions (story_id, version_key, item, link, id_derived, delivery_id,
			delivery_sha256, source_name, received_at, applied)
		VALUES ($1, $2, $3, $4, $5, $6,
			COALESCE((SELECT sha256 FROM deliveries WHERE id = $6), $7), $8, $9, $10)
		RETURNING id, delivery_sha256`
	receivedAt := dbTime(orNow(p.ReceivedAt))
	v := &store.Version{StoryID: p.StoryID, Key: p.Key, Item: p.Item, DeliveryID: p.DeliveryID,
		SourceName: p.SourceName, ReceivedAt: receivedAt, Applied: p.Applied}
	err = t.tx.QueryRow(ctx, q, p.StoryID, p.Key, js, p.Item.Link, p.Item.IDDerived,
		p.DeliveryID, p.Item.Source.SHA256, p.SourceName, receivedAt, p.Applied).Scan(&v.ID, &v.DeliverySHA256)
	if err != nil {
		return nil, fmt.Errorf("insert version %s of story %d: %w", p.Key, p.StoryID, err)
	}
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
	published := timePtr(p.PublishedAt)
	if published == nil && p.State.Visible() {
		published = &at
	}

	const markApplied = `UPDATE story_versions SET applied = true WHERE id = $1 AND story_id = $2`
	tag, err := t.tx.Exec(ctx, markApplied, p.VersionID, p.StoryID)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("set current version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	const setStory = `
		UPDATE stories SET
			current_version_id = $1,
			state              = $2,
			state_reason       = $3,
			pending_version_id = NULL,
			slug               = COALESCE(NULLIF($4, ''), slug),
			published_at       = COALESCE(published_at, $5),
			updated_at         = $6
		WHERE id = $7`
	tag, err = t.tx.Exec(ctx, setStory, p.VersionID, string(p.State), p.Reason, p.Slug, published, at, p.StoryID)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("set current version %d of story %d: %w", p.VersionID, p.StoryID, err)
	}
	return t.indexCurrent(ctx, p.StoryID, p.VersionID)
}

// oneRow turns a statement that touched no row into store.ErrNotFound.
func oneRow(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
