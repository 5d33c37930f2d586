package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/wiredesk/wiredesk/internal/story"
)

// ErrExists: a row with this unique key (a user name) is already there.
var ErrExists = errors.New("already exists")

// DeskStore is what the editors' desk keeps: accounts, server-side sessions
// (so that several nodes share them), login attempts for rate limiting, the
// append-only audit log, and the desk's view of stories.
type DeskStore interface {
	// CreateUser adds an account; ErrExists when the name is taken.
	CreateUser(ctx context.Context, p *CreateUserParams) (*User, error)
	// GetUser returns the account called name, or ErrNotFound.
	GetUser(ctx context.Context, name string) (*User, error)
	// ListUsers returns every account, by name.
	ListUsers(ctx context.Context) ([]*User, error)
	// DeleteUser removes an account and all its sessions. Audit rows keep
	// the name they were written with.
	DeleteUser(ctx context.Context, name string) error
	// UpdateUser changes an account's password hash and/or role, and ends
	// all its sessions: a new password or a lower role must not be
	// sidestepped by a session opened before.
	UpdateUser(ctx context.Context, p *UpdateUserParams) (*User, error)

	// CreateSession stores a new session under the SHA-256 of its id.
	CreateSession(ctx context.Context, p *CreateSessionParams) (*Session, error)
	// GetSession returns the session whose id hashes to idHash, with its
	// user, or ErrNotFound. It does not check expiry: the caller does,
	// with its own clock and timeouts.
	GetSession(ctx context.Context, idHash string) (*Session, error)
	// TouchSession records activity on a session (its idle expiry).
	TouchSession(ctx context.Context, p *TouchSessionParams) error
	// DeleteSession ends a session (sign-out); ErrNotFound when there is
	// none.
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteExpiredSessions removes sessions last seen before p.IdleBefore
	// or created before p.CreatedBefore, and returns how many.
	DeleteExpiredSessions(ctx context.Context, p *DeleteExpiredSessionsParams) (int, error)

	// RecordLoginAttempt stores one sign-in attempt, failed or not.
	RecordLoginAttempt(ctx context.Context, p *RecordLoginAttemptParams) error
	// CountLoginFailures counts the failed attempts since p.Since for the
	// account name and, separately, for the address. A success does not
	// reset them: the window does.
	CountLoginFailures(ctx context.Context, p *CountLoginFailuresParams) (*LoginFailures, error)

	// AppendAudit writes one audit row in its own transaction; inside a
	// transaction use the Tx's AppendAudit, so that the action and its
	// record commit together.
	AppendAudit(ctx context.Context, p *AppendAuditParams) (*AuditEntry, error)
	// ListAudit returns audit rows newest first, filtered.
	ListAudit(ctx context.Context, p *ListAuditParams) ([]*AuditEntry, error)

	// ListDeskStories returns stories in every state, most recently
	// updated first, optionally searched by headline or id.
	ListDeskStories(ctx context.Context, p *ListDeskStoriesParams) ([]*story.Story, error)
}

// DeskTx is the desk's side of a write transaction.
type DeskTx interface {
	// AppendAudit writes one audit row in the transaction. There is no
	// method to change or remove one: the log is append-only, and the
	// database refuses UPDATE and DELETE on it too.
	AppendAudit(ctx context.Context, p *AppendAuditParams) (*AuditEntry, error)
}

// Role is what an account may do on the desk.
type Role string

// Roles, from most to least allowed.
const (
	// RoleAdmin does everything an editor does, and manages sources and
	// accounts.
	RoleAdmin Role = "admin"
	// RoleEditor reviews, edits, kills, restores and unpublishes stories.
	RoleEditor Role = "editor"
	// RoleViewer sees the desk and changes nothing.
	RoleViewer Role = "viewer"
)

// rank orders roles: a higher rank may do all a lower one may.
func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleEditor:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether an account with role r may do what needs role
// need. An unknown role allows nothing.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// User is one desk account.
type User struct {
	ID   int64
	Name string
	Role Role
	// PasswordHash is the password's argon2id hash in PHC string format
	// (see internal/auth); never the password.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CreateUserParams is a new account.
type CreateUserParams struct {
	Name         string
	Role         Role
	PasswordHash string
	At           time.Time
}

// UpdateUserParams changes an account; empty fields are left as they are.
type UpdateUserParams struct {
	Name         string
	Role         Role
	PasswordHash string
	At           time.Time
}

// Session is one signed-in browser. The session id itself is only in the
// browser's cookie; the store keeps its SHA-256, so a leaked database
// does not hand out live sessions.
type Session struct {
	IDHash string
	User   *User
	// CSRFToken is the synchronizer token every form of this session
	// carries.
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// CreateSessionParams is a new session.
type CreateSessionParams struct {
	IDHash    string
	UserID    int64
	CSRFToken string
	IP        string
	UserAgent string
	At        time.Time
}

// TouchSessionParams records activity on a session.
type TouchSessionParams struct {
	IDHash string
	At     time.Time
}

// DeleteExpiredSessionsParams bounds the sessions still alive.
type DeleteExpiredSessionsParams struct {
	IdleBefore    time.Time
	CreatedBefore time.Time
}

// RecordLoginAttemptParams is one sign-in attempt.
type RecordLoginAttemptParams struct {
	// Name is the account name as typed (it may name no account).
	Name    string
	IP      string
	Success bool
	At      time.Time
}

// CountLoginFailuresParams asks for the recent failures of a name and an
// address.
type CountLoginFailuresParams struct {
	Name  string
	IP    string
	Since time.Time
}

// LoginFailures is how many sign-ins failed recently.
type LoginFailures struct {
	ByName int
	ByIP   int
}

// Audit object kinds: what an audit row's ObjectType names.
const (
	AuditStory  = "story"
	AuditSource = "source"
	AuditRule   = "rule"
	AuditUser   = "user"
)

// AuditEntry is one editor action as the audit log keeps it.
type AuditEntry struct {
	ID int64
	At time.Time
	// Actor is the account name that acted ("" never: the system acting
	// writes "system").
	Actor string
	// Action names what was done, "object.verb": "story.kill",
	// "source.pause", "rule.update".
	Action     string
	ObjectType string
	ObjectID   string
	// Before and After are the object's relevant state as JSON; null when
	// there was none (a creation, a removal).
	Before json.RawMessage
	After  json.RawMessage
	// Note is free text: the kill reason, the source test's outcome.
	Note string
}

// AppendAuditParams is one audit row to write. At zero means now.
type AppendAuditParams struct {
	At         time.Time
	Actor      string
	Action     string
	ObjectType string
	ObjectID   string
	Before     json.RawMessage
	After      json.RawMessage
	Note       string
}

// ListAuditParams filters the audit log; zero values do not filter.
type ListAuditParams struct {
	Actor      string
	Action     string
	ObjectType string
	ObjectID   string
	// Since and Until bound At: Since <= At < Until.
	Since *time.Time
	Until *time.Time
	// BeforeID pages: rows with a smaller id than this.
	BeforeID int64
	// Limit defaults to 100, at most 1000.
	Limit int
}

// ListDeskStoriesParams filters the desk's story list.
type ListDeskStoriesParams struct {
	// Query matches a story id exactly when it is a number, and the
	// current headline (case-insensitive substring) otherwise.
	Query string
	// State keeps stories in one state; "" keeps all.
	State story.State
	// Limit defaults to 50, at most 500.
	Limit int
}
