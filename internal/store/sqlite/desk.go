package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/story"
)

var (
	_ store.DeskStore = (*Store)(nil)
	_ store.DeskTx    = (*tx)(nil)
)

const userColumns = `id, name, role, password_hash, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (*store.User, error) {
	var (
		u                  store.User
		role               string
		created, updatedAt string
	)
	if err := row.Scan(&u.ID, &u.Name, &role, &u.PasswordHash, &created, &updatedAt); err != nil {
		return nil, err
	}
	u.Role = store.Role(role)
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if u.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return nil, err
	}
	return &u, nil
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// CreateUser adds an account; store.ErrExists when the name is taken.
func (s *Store) CreateUser(ctx context.Context, p *store.CreateUserParams) (*store.User, error) {
	if p.Name == "" || !p.Role.Valid() || p.PasswordHash == "" {
		return nil, fmt.Errorf("create user %q: name, a valid role and a password hash are required", p.Name)
	}
	at := formatTime(dbTime(orNow(p.At)))
	const q = `
		INSERT INTO users (name, role, password_hash, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?4)
		RETURNING ` + userColumns
	u, err := scanUser(s.writer.QueryRowContext(ctx, q, p.Name, string(p.Role), p.PasswordHash, at))
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
	const q = `SELECT ` + userColumns + ` FROM users WHERE name = ?`
	u, err := scanUser(s.reader.QueryRowContext(ctx, q, name))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", name, errNoRows(err))
	}
	return u, nil
}

// ListUsers returns every account by name.
func (s *Store) ListUsers(ctx context.Context) ([]*store.User, error) {
	const q = `SELECT ` + userColumns + ` FROM users ORDER BY name`
	rows, err := s.reader.QueryContext(ctx, q)
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
// CASCADE, foreign keys are on for every connection).
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	const q = `DELETE FROM users WHERE name = ?`
	if err := oneRow(s.writer.ExecContext(ctx, q, name)); err != nil {
		return fmt.Errorf("delete user %s: %w", name, err)
	}
	return nil
}

// UpdateUser changes the role and/or password hash and ends every session
// of the account, in one transaction.
func (s *Store) UpdateUser(ctx context.Context, p *store.UpdateUserParams) (*store.User, error) {
	if p.Role != "" && !p.Role.Valid() {
		return nil, fmt.Errorf("update user %s: unknown role %q", p.Name, p.Role)
	}
	sqlTx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", p.Name, err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	const q = `
		UPDATE users SET
			role          = CASE WHEN ?1 = '' THEN role ELSE ?1 END,
			password_hash = CASE WHEN ?2 = '' THEN password_hash ELSE ?2 END,
			updated_at    = ?3
		WHERE name = ?4
		RETURNING ` + userColumns
	u, err := scanUser(sqlTx.QueryRowContext(ctx, q, string(p.Role), p.PasswordHash, formatTime(dbTime(orNow(p.At))), p.Name))
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", p.Name, errNoRows(err))
	}
	if _, err := sqlTx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
		return nil, fmt.Errorf("update user %s: end sessions: %w", p.Name, err)
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("update user %s: commit: %w", p.Name, err)
	}
	return u, nil
}

// CreateSession stores a session for an existing user.
func (s *Store) CreateSession(ctx context.Context, p *store.CreateSessionParams) (*store.Session, error) {
	at := formatTime(dbTime(orNow(p.At)))
	const q = `
		INSERT INTO sessions (id_hash, user_id, csrf_token, ip, user_agent, created_at, last_seen_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)`
	if _, err := s.writer.ExecContext(ctx, q, p.IDHash, p.UserID, p.CSRFToken, p.IP, p.UserAgent, at); err != nil {
		return nil, fmt.Errorf("create session for user %d: %w", p.UserID, err)
	}
	return s.getSession(ctx, s.writer, p.IDHash)
}

// GetSession returns the session and its user.
func (s *Store) GetSession(ctx context.Context, idHash string) (*store.Session, error) {
	return s.getSession(ctx, s.reader, idHash)
}

func (s *Store) getSession(ctx context.Context, q queryer, idHash string) (*store.Session, error) {
	const sel = `
		SELECT s.id_hash, s.csrf_token, s.ip, s.user_agent, s.created_at, s.last_seen_at,
		       u.id, u.name, u.role, u.password_hash, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = ?`
	var (
		ss                            store.Session
		u                             store.User
		role                          string
		created, seen, uCreated, uUpd string
	)
	err := q.QueryRowContext(ctx, sel, idHash).Scan(&ss.IDHash, &ss.CSRFToken, &ss.IP, &ss.UserAgent, &created, &seen,
		&u.ID, &u.Name, &role, &u.PasswordHash, &uCreated, &uUpd)
	if err != nil {
		return nil, fmt.Errorf("get session: %w", errNoRows(err))
	}
	u.Role = store.Role(role)
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&ss.CreatedAt, created}, {&ss.LastSeenAt, seen}, {&u.CreatedAt, uCreated}, {&u.UpdatedAt, uUpd}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return nil, fmt.Errorf("get session: %w", err)
		}
	}
	ss.User = &u
	return &ss, nil
}

// TouchSession moves the session's last activity forward (never back).
func (s *Store) TouchSession(ctx context.Context, p *store.TouchSessionParams) error {
	const q = `UPDATE sessions SET last_seen_at = max(last_seen_at, ?1) WHERE id_hash = ?2`
	if err := oneRow(s.writer.ExecContext(ctx, q, formatTime(dbTime(orNow(p.At))), p.IDHash)); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if err := oneRow(s.writer.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes idle and too old sessions.
func (s *Store) DeleteExpiredSessions(ctx context.Context, p *store.DeleteExpiredSessionsParams) (int, error) {
	const q = `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`
	res, err := s.writer.ExecContext(ctx, q, formatTime(dbTime(p.IdleBefore)), formatTime(dbTime(p.CreatedBefore)))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(n), nil
}

// RecordLoginAttempt stores one attempt.
func (s *Store) RecordLoginAttempt(ctx context.Context, p *store.RecordLoginAttemptParams) error {
	const q = `INSERT INTO login_attempts (name, ip, success, at) VALUES (?, ?, ?, ?)`
	if _, err := s.writer.ExecContext(ctx, q, p.Name, p.IP, p.Success, formatTime(dbTime(orNow(p.At)))); err != nil {
		return fmt.Errorf("record login attempt for %q: %w", p.Name, err)
	}
	return nil
}

// CountLoginFailures counts recent failures by name and by address, each
// through its partial index.
func (s *Store) CountLoginFailures(ctx context.Context, p *store.CountLoginFailuresParams) (*store.LoginFailures, error) {
	const q = `
		SELECT
			(SELECT count(*) FROM login_attempts WHERE success = 0 AND name = ?1 AND at >= ?3),
			(SELECT count(*) FROM login_attempts WHERE success = 0 AND ip = ?2 AND at >= ?3)`
	var f store.LoginFailures
	if err := s.reader.QueryRowContext(ctx, q, p.Name, p.IP, formatTime(dbTime(p.Since))).Scan(&f.ByName, &f.ByIP); err != nil {
		return nil, fmt.Errorf("count login failures for %q: %w", p.Name, err)
	}
	return &f, nil
}

// execer is what both *sql.DB and *sql.Tx offer for AppendAudit.
type execer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const auditColumns = `id, at, actor, action, object_type, object_id, before, after, note`

func scanAudit(row interface{ Scan(...any) error }) (*store.AuditEntry, error) {
	var (
		e             store.AuditEntry
		at            string
		before, after sql.NullString
	)
	if err := row.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &before, &after, &e.Note); err != nil {
		return nil, err
	}
	var err error
	if e.At, err = parseTime(at); err != nil {
		return nil, err
	}
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return &e, nil
}

func appendAudit(ctx context.Context, q execer, p *store.AppendAuditParams) (*store.AuditEntry, error) {
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
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING ` + auditColumns
	e, err := scanAudit(q.QueryRowContext(ctx, ins, formatTime(dbTime(orNow(p.At))), p.Actor, p.Action,
		p.ObjectType, p.ObjectID, rawJSON(p.Before), rawJSON(p.After), p.Note))
	if err != nil {
		return nil, fmt.Errorf("append audit %s by %s: %w", p.Action, p.Actor, err)
	}
	return e, nil
}

// rawJSON stores nil (and JSON null) as NULL.
func rawJSON(js json.RawMessage) sql.NullString {
	if js == nil || string(js) == "null" {
		return sql.NullString{}
	}
	return sql.NullString{String: string(js), Valid: true}
}

// AppendAudit writes one audit row on its own.
func (s *Store) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	return appendAudit(ctx, s.writer, p)
}

// AppendAudit writes one audit row in the transaction.
func (t *tx) AppendAudit(ctx context.Context, p *store.AppendAuditParams) (*store.AuditEntry, error) {
	return appendAudit(ctx, t, p)
}

// ListAudit returns audit rows newest first. The filters are built from
// fixed fragments; only values are parameters.
func (s *Store) ListAudit(ctx context.Context, p *store.ListAuditParams) ([]*store.AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if p.Actor != "" {
		add("actor = ?", p.Actor)
	}
	if p.Action != "" {
		add("action = ?", p.Action)
	}
	if p.ObjectType != "" {
		add("object_type = ?", p.ObjectType)
	}
	if p.ObjectID != "" {
		add("object_id = ?", p.ObjectID)
	}
	if p.Since != nil {
		add("at >= ?", formatTime(dbTime(*p.Since)))
	}
	if p.Until != nil {
		add("at < ?", formatTime(dbTime(*p.Until)))
	}
	if p.BeforeID > 0 {
		add("id < ?", p.BeforeID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, auditLimit(p.Limit))
	rows, err := s.reader.QueryContext(ctx, q, args...)
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
		cond := `lower(json_extract(v.item, '$.headline')) LIKE ? ESCAPE '\'`
		args = append(args, "%"+likeEscape(strings.ToLower(q))+"%")
		if id, err := strconv.ParseInt(q, 10, 64); err == nil {
			cond = `(s.id = ? OR ` + cond + `)`
			args = append([]any{id}, args...)
		}
		where = append(where, cond)
	}
	if p.State != "" {
		where = append(where, `s.state = ?`)
		args = append(args, string(p.State))
	}
	q := storySelect
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY s.updated_at DESC, s.id DESC LIMIT ?`
	args = append(args, storyLimit(p.Limit))
	rows, err := s.reader.QueryContext(ctx, q, args...)
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
