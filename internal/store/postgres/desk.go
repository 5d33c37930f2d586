package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

var (
	_ store.DeskStore = (*Store)(nil)
	_ store.DeskTx    = (*tx)(nil)
)

const userColumns = `id, name, role, password_hash, created_at, updated_at`

func scanUser(row pgx.Row) (*store.User, error) {
	var (
		u    store.User
		role string
	)
	if err := row.Scan(&u.ID, &u.Name, &role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.Role = store.Role(role)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// CreateUser adds an account; store.ErrExists when the name is taken.
func (s *Store) CreateUser(ctx context.Context, p *store.CreateUserParams) (*store.User, error) {
	if p.Name == "" || !p.Role.Valid() || p.PasswordHash == "" {
		return nil, fmt.Errorf("create user %q: name, a valid role and a password hash are required", p.Name)
	}
	const q = `
		INSERT INTO users (name, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		RETURNING ` + userColumns
	u, err := scanUser(s.pool.QueryRow(ctx, q, p.Name, string(p.Role), p.PasswordHash, dbTime(orNow(p.At))))
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("create user %s: %w", p.Name, store.ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", p.Name, err)
	}
	return u, nil
}

// GetUser returns the account called name.
func (s *Store) GetUser(ctx context.Context, name string) (*store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE name = $1`
	u, err := scanUser(s.pool.QueryRow(ctx, q, name))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", name, errNoRows(err))
	}
	return u, nil
}

// ListUsers returns every account by name.
func (s *Store) ListUsers(ctx context.Context) ([]*store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users ORDER BY name`
	rows, err := s.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var users []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// DeleteUser removes the account; its sessions go with it (ON DELETE
// CASCADE).
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE name = $1`, name)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	return nil
}

// UpdateUser changes the role and/or password hash and ends every session
// of the account, in one statement.
func (s *Store) UpdateUser(ctx context.Context, p *store.UpdateUserParams) (*store.User, error) {
	if p.Role != "" && !p.Role.Valid() {
		return nil, fmt.Errorf("update user %s: unknown role %q", p.Name, p.Role)
	}
	const q = `
		WITH u AS (
			UPDATE users SET
				role          = CASE WHEN $1 = '' THEN role ELSE $1 END,
				password_hash = CASE WHEN $2 = '' THEN password_hash ELSE $2 END,
				updated_at    = $3
			WHERE name = $4
			RETURNING ` + userColumns + `
		), ended AS (
			DELETE FROM sessions WHERE user_id IN (SELECT id FROM u)
		)
		SELECT ` + userColumns + ` FROM u`
	u, err := scanUser(s.pool.QueryRow(ctx, q, string(p.Role), p.PasswordHash, dbTime(orNow(p.At)), p.Name))
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", p.Name, errNoRows(err))
	}
	return u, nil
}

// CreateSession stores a session for an existing user.
func (s *Store) CreateSession(ctx context.Context, p *store.CreateSessionParams) (*store.Session, error) {
	const q = `
		INSERT INTO sessions (id_hash, user_id, csrf_token, ip, user_agent, created_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`
	if _, err := s.pool.Exec(ctx, q, p.IDHash, p.UserID, p.CSRFToken, p.IP, p.UserAgent, dbTime(orNow(p.At))); err != nil {
		return nil, fmt.Errorf("create session for user %d: %w", p.UserID, err)
	}
	return s.GetSession(ctx, p.IDHash)
}

// GetSession returns the session and its user.
func (s *Store) GetSession(ctx context.Context, idHash string) (*store.Session, error) {
	const q = `
		SELECT s.id_hash, s.csrf_token, s.ip, s.user_agent, s.created_at, s.last_seen_at,
		       u.id, u.name, u.role, u.password_hash, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1`
	var (
		ss   store.Session
		u    store.User
		role string
	)
	err := s.pool.QueryRow(ctx, q, idHash).Scan(&ss.IDHash, &ss.CSRFToken, &ss.IP, &ss.UserAgent, &ss.CreatedAt, &ss.LastSeenAt,
		&u.ID, &u.Name, &role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("get session: %w", errNoRows(err))
	}
	u.Role = store.Role(role)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	ss.CreatedAt, ss.LastSeenAt = ss.CreatedAt.UTC(), ss.LastSeenAt.UTC()
	ss.User = &u
	return &ss, nil
}

// TouchSession moves the session's last activity forward (never back).
func (s *Store) TouchSession(ctx context.Context, p *store.TouchSessionParams) error {
	const q = `UPDATE sessions SET last_seen_at = greatest(last_seen_at, $1) WHERE id_hash = $2`
	tag, err := s.pool.Exec(ctx, q, dbTime(orNow(p.At)), p.IDHash)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	if err := oneRow(tag, err); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes idle and too old sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, p *store.DeleteExpiredSessionsParams) (int, error) {
	const q = `DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2`
	tag, err := s.pool.Exec(ctx, q, dbTime(p.IdleBefore), dbTime(p.CreatedBefore))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// RecordLoginAttempt stores one attempt.
func (s *Store) RecordLoginAttempt(ctx context.Context, p *store.RecordLoginAttemptParams) error {
	const q = `INSERT INTO login_attempts (name, ip, success, at) VALUES ($1, $2, $3, $4)`
	if _, err := s.pool.Exec(ctx, q, p.Name, p.IP, p.Success, dbTime(orNow(p.At))); err != nil {
		return fmt.Errorf("record login attempt for %q: %w", p.Name, err)
	}
	return nil
}

// CountLoginFailures counts recent failures by name and by address.
func (s *Store) CountLoginFailures(ctx context.Context, p *store.CountLoginFailuresParams) (*store.LoginFailures, error) {
	const q = `
		SELECT
			(SELECT count(*) FROM login_attempts WHERE NOT success AND name = $1 AND at >= $3),
			(SELECT count(*) FROM login_attempts WHERE NOT success AND ip = $2 AND at >= $3)`
	var f store.LoginFailures
	if err := s.pool.QueryRow(ctx, q, p.Name, p.IP, dbTime(p.Since)).Scan(&f.ByName, &f.ByIP); err != nil {
		return nil, fmt.Errorf("count login failures for %q: %w", p.Name, err)
	}
	return &f, nil
}

const auditColumns = `id, at, actor, action, object_type, object_id, before::text, after::text, note`

func scanAudit(row pgx.Row) (*store.AuditEntry, error) {
	var (
		e             store.AuditEntry
		before, after *string
	)
	if err := row.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &before, &after, &e.Note); err != nil {
		return nil, err
	}
	e.At = e.At.UTC()
	if before != nil {
		e.Before = json.RawMessage(*before)
	}
	if after != nil {
		e.After = json.RawMessage(*after)
	}
	return &e, nil
}

// rawJSON stores nil (and JSON null) as NULL; the text is cast to json in
// the statement, so it is kept as written.
func rawJSON(js json.RawMessage) *string {
	if js == nil || string(js) == "null" {
		return nil
	}
	s := string(js)
	return &s
}

func appendAudit(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	if p.Actor == "" || p.Action == "" {
		return nil, errors.New("append audit: actor and action are required")
	}
	for _, js := range []json.RawMessage{p.Before, p.After} {
		if js != nil && !json.Valid(js) {
			return nil, fmt.Errorf("append audit %s: before/after is not valid JSON", p.Action)
		}
	}
	const ins = `
		INSERT INTO audit_log (at, actor, action, object_type, object_id, before, after, note)
		VALUES ($1, $2, $3, $4, $5, $6::text::json, $7::text::json, $8)
		RETURNING ` + auditColumns
	e, err := scanAudit(q.QueryRow(ctx, ins, dbTime(orNow(p.At)), p.Actor, p.Action,
		p.ObjectType, p.ObjectID, rawJSON(p.Before), rawJSON(p.After), p.Note))
	if err != nil {
		return nil, fmt.Errorf("append audit %s by %s: %w", p.Action, p.Actor, err)
	}
	return e, nil
}

// AppendAudit writes one audit row on its own.
func (s *Store) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	return appendAudit(ctx, s.pool, p)
}

// AppendAudit writes one audit row in the transaction.
func (t *tx) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	return appendAudit(ctx, t.tx, p)
}

// ListAudit returns audit rows newest first. The filters are built from
// fixed fragments; only values are parameters.
func (s *Store) ListAudit(ctx context.Context, p *store.ListAuditParams) ([]*store.AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if p.Actor != "" {
		add("actor = $%d", p.Actor)
	}
	if p.Action != "" {
		add("action = $%d", p.Action)
	}
	if p.ObjectType != "" {
		add("object_type = $%d", p.ObjectType)
	}
	if p.ObjectID != "" {
		add("object_id = $%d", p.ObjectID)
	}
	if p.Since != nil {
		add("at >= $%d", dbTime(*p.Since))
	}
	if p.Until != nil {
		add("at < $%d", dbTime(*p.Until))
	}
	if p.BeforeID > 0 {
		add("id < $%d", p.BeforeID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, auditLimit(p.Limit))
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []*store.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}

func auditLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// ListDeskStories lists stories of every state, most recently updated
// first. A numeric query also matches the story with that id.
func (s *Store) ListDeskStories(ctx context.Context, p *store.ListDeskStoriesParams) ([]*story.Story, error) {
	var (
		where []string
		args  []any
	)
	if q := strings.TrimSpace(p.Query); q != "" {
		args = append(args, "%"+likeEscape(q)+"%")
		cond := fmt.Sprintf(`(v.item->>'headline') ILIKE $%d ESCAPE '\'`, len(args))
		if id, err := strconv.ParseInt(q, 10, 64); err == nil {
			args = append(args, id)
			cond = fmt.Sprintf(`(s.id = $%d OR %s)`, len(args), cond)
		}
		where = append(where, cond)
	}
	if p.State != "" {
		args = append(args, string(p.State))
		where = append(where, fmt.Sprintf(`s.state = $%d`, len(args)))
	}
	q := storySelect
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, storyLimit(p.Limit))
	q += fmt.Sprintf(` ORDER BY s.updated_at DESC, s.id DESC LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list desk stories: %w", err)
	}
	defer rows.Close()
	var out []*story.Story
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			return nil, fmt.Errorf("list desk stories: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list desk stories: %w", err)
	}
	return out, nil
}

func storyLimit(n int) int {
	switch {
	case n <= 0:
		return defaultListLimit
	case n > maxListLimit:
		return maxListLimit
	}
	return n
}

// likeEscape makes s match itself in a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
