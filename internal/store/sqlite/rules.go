package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wiredesk/wiredesk/internal/store"
)

const (
	defaultReviewLimit      = 100
	maxReviewLimit          = 500
	defaultRecentLimit      = 50
	maxRecentLimit          = 1000
	defaultDeskEventsLimit  = 100
	maxDeskEventsLimit      = 1000
	editorSourceNamePattern = `editor:%`
)

// limit is n bounded to (0, max], def when unset.
func limit(n, def, max int) int {
	if n <= 0 {
		return def
	}
	return min(n, max)
}

const ruleColumns = `id, position, name, disabled, conditions, action, section, continue_matching,
	updated_by, created_at, updated_at`

func scanRule(row interface{ Scan(...any) error }) (*store.Rule, error) {
	var (
		r                  store.Rule
		when               string
		created, updatedAt string
	)
	if err := row.Scan(&r.ID, &r.Position, &r.Name, &r.Disabled, &when, &r.Action, &r.Section, &r.Continue,
		&r.UpdatedBy, &created, &updatedAt); err != nil {
		return nil, err
	}
	r.When = json.RawMessage(when)
	var err error
	if r.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if r.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return nil, err
	}
	return &r, nil
}

// conditionsText is the stored text of a rule's conditions; none is {}.
func conditionsText(when json.RawMessage) (string, error) {
	if len(when) == 0 {
		return "{}", nil
	}
	if !json.Valid(when) {
		return "", errors.New("conditions are not JSON")
	}
	return string(when), nil
}

// GetRuleSet returns every rule in order, the defaults and the version.
func (s *Store) GetRuleSet(ctx context.Context) (*store.RuleSet, error) {
	// One read transaction, so the version matches the rules read.
	rtx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get rule set: %w", err)
	}
	defer rtx.Rollback() //nolint:errcheck // read only
	return loadRuleSet(ctx, rtx)
}

// LoadRuleSet is GetRuleSet inside the write transaction.
func (t *tx) LoadRuleSet(ctx context.Context) (*store.RuleSet, error) {
	return loadRuleSet(ctx, t)
}

func loadRuleSet(ctx context.Context, q queryer) (*store.RuleSet, error) {
	set := &store.RuleSet{Defaults: map[string]string{}}
	if err := q.QueryRowContext(ctx, `SELECT version FROM rule_set_version WHERE id = 1`).Scan(&set.Version); err != nil {
		return nil, fmt.Errorf("get rule set version: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT `+ruleColumns+` FROM rules ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("list rules: %w", err)
		}
		set.Rules = append(set.Rules, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	drows, err := q.QueryContext(ctx, `SELECT source_name, action FROM rule_source_defaults`)
	if err != nil {
		return nil, fmt.Errorf("list source default actions: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var src, action string
		if err := drows.Scan(&src, &action); err != nil {
			return nil, fmt.Errorf("list source default actions: %w", err)
		}
		set.Defaults[src] = action
	}
	if err := drows.Err(); err != nil {
		return nil, fmt.Errorf("list source default actions: %w", err)
	}
	return set, nil
}

// RuleSetVersion is the rule set's version.
func (t *tx) RuleSetVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := t.QueryRowContext(ctx, `SELECT version FROM rule_set_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("get rule set version: %w", err)
	}
	return v, nil
}

// bumpRuleSet moves the rule set's version on.
func (t *tx) bumpRuleSet(ctx context.Context) error {
	if _, err := t.ExecContext(ctx, `UPDATE rule_set_version SET version = version + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("move rule set version on: %w", err)
	}
	return nil
}

// CreateRule adds a rule after the last one.
func (t *tx) CreateRule(ctx context.Context, p *store.CreateRuleParams) (*store.Rule, error) {
	when, err := conditionsText(p.When)
	if err != nil {
		return nil, fmt.Errorf("create rule %q: %w", p.Name, err)
	}
	if err := t.bumpRuleSet(ctx); err != nil {
		return nil, fmt.Errorf("create rule %q: %w", p.Name, err)
	}
	at := formatTime(dbTime(orNow(p.At)))
	const q = `
		INSERT INTO rules (position, name, disabled, conditions, action, section, continue_matching,
			updated_by, created_at, updated_at)
		VALUES ((SELECT COALESCE(max(position), 0) + 1 FROM rules), ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING ` + ruleColumns
	r, err := scanRule(t.QueryRowContext(ctx, q, p.Name, p.Disabled, when, p.Action, p.Section, p.Continue, p.By, at, at))
	if err != nil {
		return nil, fmt.Errorf("create rule %q: %w", p.Name, err)
	}
	return r, nil
}

// UpdateRule replaces a rule's definition, keeping its place.
func (t *tx) UpdateRule(ctx context.Context, p *store.UpdateRuleParams) (*store.Rule, error) {
	when, err := conditionsText(p.When)
	if err != nil {
		return nil, fmt.Errorf("update rule %d: %w", p.ID, err)
	}
	if err := t.bumpRuleSet(ctx); err != nil {
		return nil, fmt.Errorf("update rule %d: %w", p.ID, err)
	}
	const q = `
		UPDATE rules SET name = ?, disabled = ?, conditions = ?, action = ?, section = ?,
			continue_matching = ?, updated_by = ?, updated_at = ?
		WHERE id = ?
		RETURNING ` + ruleColumns
	r, err := scanRule(t.QueryRowContext(ctx, q, p.Name, p.Disabled, when, p.Action, p.Section, p.Continue,
		p.By, formatTime(dbTime(orNow(p.At))), p.ID))
	if err != nil {
		return nil, fmt.Errorf("update rule %d: %w", p.ID, errNoRows(err))
	}
	return r, nil
}

// DeleteRule removes a rule.
func (t *tx) DeleteRule(ctx context.Context, id int64) error {
	if err := t.bumpRuleSet(ctx); err != nil {
		return fmt.Errorf("delete rule %d: %w", id, err)
	}
	res, err := t.ExecContext(ctx, `DELETE FROM rules WHERE id = ?`, id)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("delete rule %d: %w", id, err)
	}
	return nil
}

// ReorderRules gives the rules the positions of ids.
func (t *tx) ReorderRules(ctx context.Context, ids []int64) error {
	if err := t.bumpRuleSet(ctx); err != nil {
		return fmt.Errorf("reorder rules: %w", err)
	}
	rows, err := t.QueryContext(ctx, `SELECT id FROM rules`)
	if err != nil {
		return fmt.Errorf("reorder rules: %w", err)
	}
	var have []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("reorder rules: %w", err)
		}
		have = append(have, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reorder rules: %w", err)
	}
	if err := store.SameIDs(have, ids); err != nil {
		return fmt.Errorf("reorder rules: %w", err)
	}
	for i, id := range ids {
		if _, err := t.ExecContext(ctx, `UPDATE rules SET position = ? WHERE id = ?`, i+1, id); err != nil {
			return fmt.Errorf("reorder rules: move rule %d: %w", id, err)
		}
	}
	return nil
}

// SetSourceDefault sets or removes a source's default action.
func (t *tx) SetSourceDefault(ctx context.Context, p *store.SetSourceDefaultParams) error {
	if err := t.bumpRuleSet(ctx); err != nil {
		return fmt.Errorf("set default action of source %q: %w", p.Source, err)
	}
	var err error
	if p.Action == "" {
		_, err = t.ExecContext(ctx, `DELETE FROM rule_source_defaults WHERE source_name = ?`, p.Source)
	} else {
		const q = `
			INSERT INTO rule_source_defaults (source_name, action, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (source_name) DO UPDATE SET action = excluded.action, updated_at = excluded.updated_at`
		_, err = t.ExecContext(ctx, q, p.Source, p.Action, formatTime(dbTime(orNow(p.At))))
	}
	if err != nil {
		return fmt.Errorf("set default action of source %q: %w", p.Source, err)
	}
	return nil
}

const routingColumns = `story_id, action, rule_id, rule_name, decided_at, scheduled_at, scheduled_by`

func scanRouting(row interface{ Scan(...any) error }) (*store.Routing, error) {
	var (
		r         store.Routing
		ruleID    sql.NullInt64
		decided   string
		scheduled sql.NullString
	)
	if err := row.Scan(&r.StoryID, &r.Action, &ruleID, &r.RuleName, &decided, &scheduled, &r.ScheduledBy); err != nil {
		return nil, err
	}
	r.RuleID = ruleID.Int64
	var err error
	if r.DecidedAt, err = parseTime(decided); err != nil {
		return nil, err
	}
	if r.ScheduledAt, err = parseTimePtr(scheduled); err != nil {
		return nil, err
	}
	return &r, nil
}

// SetRouting records or replaces a story's routing decision.
func (t *tx) SetRouting(ctx context.Context, p *store.SetRoutingParams) error {
	var ruleID sql.NullInt64
	if p.RuleID != 0 {
		ruleID = sql.NullInt64{Int64: p.RuleID, Valid: true}
	}
	const q = `
		INSERT INTO story_routing (` + routingColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (story_id) DO UPDATE SET
			action = excluded.action, rule_id = excluded.rule_id, rule_name = excluded.rule_name,
			decided_at = excluded.decided_at, scheduled_at = excluded.scheduled_at,
			scheduled_by = excluded.scheduled_by`
	_, err := t.ExecContext(ctx, q, p.StoryID, p.Action, ruleID, p.RuleName,
		formatTime(dbTime(orNow(p.DecidedAt))), formatTimePtr(p.ScheduledAt), p.ScheduledBy)
	if err != nil {
		return fmt.Errorf("set routing of story %d: %w", p.StoryID, err)
	}
	return nil
}

// GetRouting returns a story's routing decision.
func (s *Store) GetRouting(ctx context.Context, storyID int64) (*store.Routing, error) {
	return getRouting(ctx, s.reader, storyID)
}

// LoadRouting is GetRouting inside the transaction.
func (t *tx) LoadRouting(ctx context.Context, storyID int64) (*store.Routing, error) {
	return getRouting(ctx, t, storyID)
}

func getRouting(ctx context.Context, q queryer, storyID int64) (*store.Routing, error) {
	r, err := scanRouting(q.QueryRowContext(ctx, `SELECT `+routingColumns+` FROM story_routing WHERE story_id = ?`, storyID))
	if err != nil {
		return nil, fmt.Errorf("get routing of story %d: %w", storyID, errNoRows(err))
	}
	return r, nil
}

// ListReview returns held stories and stories with an agency update
// pending, newest first. The two arms each walk their partial index.
func (s *Store) ListReview(ctx context.Context, p *store.ListReviewParams) ([]*store.ReviewEntry, error) {
	n := limit(p.Limit, defaultReviewLimit, maxReviewLimit)
	const q = storySelect + `
		WHERE s.id IN (
			SELECT id FROM (SELECT id FROM stories WHERE state = 'held' ORDER BY id DESC LIMIT ?1)
			UNION
			SELECT id FROM (SELECT id FROM stories WHERE pending_version_id IS NOT NULL ORDER BY id DESC LIMIT ?1))
		ORDER BY s.id DESC
		LIMIT ?1`
	rows, err := s.reader.QueryContext(ctx, q, n)
	if err != nil {
		return nil, fmt.Errorf("list review queue: %w", err)
	}
	var entries []*store.ReviewEntry
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list review queue: %w", err)
		}
		entries = append(entries, &store.ReviewEntry{Story: st})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list review queue: %w", err)
	}
	// A queue is short (bounded above): one lookup each keeps the SQL plain.
	for _, e := range entries {
		r, err := s.GetRouting(ctx, e.Story.ID)
		switch {
		case err == nil:
			e.Routing = r
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("list review queue: %w", err)
		}
		if e.Story.PendingVersionID != 0 {
			v, err := scanVersion(s.reader.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM story_versions WHERE id = ?`, e.Story.PendingVersionID))
			if err != nil {
				return nil, fmt.Errorf("list review queue: pending version of story %d: %w", e.Story.ID, err)
			}
			e.Pending = v
		}
	}
	return entries, nil
}

// ListRecentVersions returns the newest agency versions.
func (s *Store) ListRecentVersions(ctx context.Context, p *store.ListRecentVersionsParams) ([]*store.Version, error) {
	n := limit(p.Limit, defaultRecentLimit, maxRecentLimit)
	const q = `SELECT ` + versionColumns + ` FROM story_versions
		WHERE source_name NOT LIKE ? ORDER BY id DESC LIMIT ?`
	rows, err := s.reader.QueryContext(ctx, q, editorSourceNamePattern, n)
	if err != nil {
		return nil, fmt.Errorf("list recent versions: %w", err)
	}
	defer rows.Close()
	var vs []*store.Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("list recent versions: %w", err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list recent versions: %w", err)
	}
	return vs, nil
}

// AppendDeskEvent logs one desk event. SQLite's single writer commits
// transactions one at a time, so ids become visible in order.
func (t *tx) AppendDeskEvent(ctx context.Context, p *store.AppendDeskEventParams) (*store.DeskEvent, error) {
	if strings.TrimSpace(p.Kind) == "" {
		return nil, fmt.Errorf("append desk event for story %d: empty kind", p.StoryID)
	}
	const q = `INSERT INTO desk_events (kind, story_id, actor, at) VALUES (?, ?, ?, ?)
		RETURNING id, kind, story_id, actor, at`
	ev, err := scanDeskEvent(t.QueryRowContext(ctx, q, p.Kind, p.StoryID, p.Actor, formatTime(dbTime(orNow(p.At)))))
	if err != nil {
		return nil, fmt.Errorf("append %s desk event for story %d: %w", p.Kind, p.StoryID, err)
	}
	return ev, nil
}

func scanDeskEvent(row interface{ Scan(...any) error }) (*store.DeskEvent, error) {
	var (
		ev store.DeskEvent
		at string
	)
	if err := row.Scan(&ev.ID, &ev.Kind, &ev.StoryID, &ev.Actor, &at); err != nil {
		return nil, err
	}
	var err error
	if ev.At, err = parseTime(at); err != nil {
		return nil, err
	}
	return &ev, nil
}

// ListDeskEvents returns the events after p.AfterID, oldest first.
func (s *Store) ListDeskEvents(ctx context.Context, p *store.ListDeskEventsParams) ([]*store.DeskEvent, error) {
	n := limit(p.Limit, defaultDeskEventsLimit, maxDeskEventsLimit)
	const q = `SELECT id, kind, story_id, actor, at FROM desk_events WHERE id > ? ORDER BY id LIMIT ?`
	rows, err := s.reader.QueryContext(ctx, q, p.AfterID, n)
	if err != nil {
		return nil, fmt.Errorf("list desk events after %d: %w", p.AfterID, err)
	}
	defer rows.Close()
	var evs []*store.DeskEvent
	for rows.Next() {
		ev, err := scanDeskEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list desk events after %d: %w", p.AfterID, err)
		}
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list desk events after %d: %w", p.AfterID, err)
	}
	return evs, nil
}

// LastDeskEventID is the newest desk event's id.
func (s *Store) LastDeskEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.reader.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM desk_events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last desk event id: %w", err)
	}
	return id, nil
}
