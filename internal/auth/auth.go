// Package auth keeps the desk's accounts and sessions: argon2id password
// hashes, server-side sessions stored in the store (so several nodes share
// them) under the SHA-256 of their id, per-session CSRF tokens, and
// sign-in rate limiting recorded in the store.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wiredesk/wiredesk/internal/store"
)

// Sentinel errors callers act on.
var (
	// ErrBadCredentials: no such account, or the wrong password. The two
	// are not told apart, to the user or in timing.
	ErrBadCredentials = errors.New("wrong account name or password")
	// ErrRateLimited: too many failed sign-ins for this account or from
	// this address lately; try again later.
	ErrRateLimited = errors.New("too many failed sign-ins; try again later")
	// ErrNoSession: the session does not exist, has expired, or was ended.
	ErrNoSession = errors.New("no valid session")
)

// Defaults of Config fields.
const (
	DefaultIdleTimeout       = 4 * time.Hour
	DefaultAbsoluteTimeout   = 24 * time.Hour
	DefaultFailureWindow     = 15 * time.Minute
	DefaultMaxFailuresByName = 5
	DefaultMaxFailuresByIP   = 20
	// DefaultHashConcurrency bounds the argon2id hashes running at once:
	// each takes HashParams.MemoryKiB of memory.
	DefaultHashConcurrency = 2
)

// touchEvery is how stale a session's last activity may get before a
// request writes it again: most requests then only read.
const touchEvery = time.Minute

// Config configures Auth.
type Config struct {
	// Store keeps accounts, sessions and sign-in attempts. Required.
	Store store.DeskStore
	// Logger receives session clean-up failures. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// IdleTimeout ends a session unused this long. Default
	// DefaultIdleTimeout (4h).
	IdleTimeout time.Duration
	// AbsoluteTimeout ends a session this long after sign-in, however busy.
	// Default DefaultAbsoluteTimeout (24h): one working day, then a fresh
	// sign-in.
	AbsoluteTimeout time.Duration
	// FailureWindow is how far back failed sign-ins count. Default
	// DefaultFailureWindow (15m).
	FailureWindow time.Duration
	// MaxFailuresByName is how many failures within FailureWindow lock an
	// account name. Default DefaultMaxFailuresByName (5).
	MaxFailuresByName int
	// MaxFailuresByIP is how many failures within FailureWindow lock an
	// address out. Default DefaultMaxFailuresByIP (20): higher than per
	// name because a newsroom signs in from behind one address.
	MaxFailuresByIP int
	// Hash are the argon2id parameters for new hashes. Default
	// DefaultHashParams.
	Hash HashParams
	// HashConcurrency bounds the hashes running at once. Default
	// DefaultHashConcurrency (2).
	HashConcurrency int
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("auth config: Store is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.AbsoluteTimeout <= 0 {
		c.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if c.FailureWindow <= 0 {
		c.FailureWindow = DefaultFailureWindow
	}
	if c.MaxFailuresByName <= 0 {
		c.MaxFailuresByName = DefaultMaxFailuresByName
	}
	if c.MaxFailuresByIP <= 0 {
		c.MaxFailuresByIP = DefaultMaxFailuresByIP
	}
	if c.Hash == (HashParams{}) {
		c.Hash = DefaultHashParams
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = DefaultHashConcurrency
	}
	return nil
}

// Auth signs editors in and out and checks their sessions. It is safe for
// concurrent use.
type Auth struct {
	cfg Config
	// hashSlots bounds concurrent argon2id runs.
	hashSlots chan struct{}
	// dummyHash is verified against when the account does not exist, so
	// that a wrong name costs the same time as a wrong password.
	dummyHash string
}

// New returns an Auth for cfg.
func New(cfg Config) (*Auth, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Auth{
		cfg:       cfg,
		hashSlots: make(chan struct{}, cfg.HashConcurrency),
		dummyHash: Hash("wiredesk dummy password", cfg.Hash),
	}, nil
}

// hash runs Hash within the concurrency bound.
func (a *Auth) hash(ctx context.Context, pw string) (string, error) {
	select {
	case a.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-a.hashSlots }()
	return Hash(pw, a.cfg.Hash), nil
}

// verify runs Verify within the concurrency bound.
func (a *Auth) verify(ctx context.Context, phc, pw string) (bool, error) {
	select {
	case a.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-a.hashSlots }()
	return Verify(phc, pw)
}

// CheckName says why an account name is refused, or nil: 1 to 64 letters,
// digits, dots, hyphens or underscores, so names print cleanly in the
// audit log.
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("an account name has 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("account name %q: only letters, digits, '.', '-' and '_'", name)
		}
	}
	return nil
}

// CreateUserParams is a new account with its password in the clear.
type CreateUserParams struct {
	Name     string
	Role     store.Role
	Password string
}

// CreateUser checks the name, role and password, hashes the password and
// stores the account; store.ErrExists when the name is taken.
func (a *Auth) CreateUser(ctx context.Context, p *CreateUserParams) (*store.User, error) {
	if err := CheckName(p.Name); err != nil {
		return nil, err
	}
	if !p.Role.Valid() {
		return nil, fmt.Errorf("role %q: want admin, editor or viewer", p.Role)
	}
	if err := CheckPassword(p.Password); err != nil {
		return nil, err
	}
	h, err := a.hash(ctx, p.Password)
	if err != nil {
		return nil, err
	}
	return a.cfg.Store.CreateUser(ctx, &store.CreateUserParams{Name: p.Name, Role: p.Role, PasswordHash: h, At: a.cfg.Now()})
}

// SetPassword replaces an account's password and ends its sessions.
func (a *Auth) SetPassword(ctx context.Context, name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	h, err := a.hash(ctx, password)
	if err != nil {
		return err
	}
	_, err = a.cfg.Store.UpdateUser(ctx, &store.UpdateUserParams{Name: name, PasswordHash: h, At: a.cfg.Now()})
	return err
}

// LoginParams is one sign-in attempt.
type LoginParams struct {
	Name      string
	Password  string
	IP        string
	UserAgent string
}

// Login is a new session: Token goes into the cookie, and is known only
// to the browser; the store keeps its SHA-256.
type Login struct {
	Token   string
	Session *store.Session
}

// Login checks the rate limit and the password and opens a session. Every
// attempt is recorded. It returns ErrRateLimited before looking at the
// password when the name or the address has failed too often lately, and
// ErrBadCredentials for a wrong name or password.
func (a *Auth) Login(ctx context.Context, p *LoginParams) (*Login, error) {
	now := a.cfg.Now()
	name := strings.TrimSpace(p.Name)
	fails, err := a.cfg.Store.CountLoginFailures(ctx, &store.CountLoginFailuresParams{
		Name: name, IP: p.IP, Since: now.Add(-a.cfg.FailureWindow),
	})
	if err != nil {
		return nil, fmt.Errorf("sign in %q: %w", name, err)
	}
	if fails.ByName >= a.cfg.MaxFailuresByName || fails.ByIP >= a.cfg.MaxFailuresByIP {
		return nil, ErrRateLimited
	}
	u, err := a.cfg.Store.GetUser(ctx, name)
	hash := a.dummyHash
	switch {
	case err == nil:
		hash = u.PasswordHash
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("sign in %q: %w", name, err)
	}
	ok, err := a.verify(ctx, hash, p.Password)
	if err != nil {
		return nil, fmt.Errorf("sign in %q: %w", name, err)
	}
	ok = ok && u != nil
	if err := a.cfg.Store.RecordLoginAttempt(ctx, &store.RecordLoginAttemptParams{Name: name, IP: p.IP, Success: ok, At: now}); err != nil {
		return nil, fmt.Errorf("sign in %q: %w", name, err)
	}
	if !ok {
		return nil, ErrBadCredentials
	}
	token, idHash := newToken(), ""
	idHash = HashToken(token)
	sess, err := a.cfg.Store.CreateSession(ctx, &store.CreateSessionParams{
		IDHash: idHash, UserID: u.ID, CSRFToken: newToken(), IP: p.IP, UserAgent: p.UserAgent, At: now,
	})
	if err != nil {
		return nil, fmt.Errorf("sign in %q: %w", name, err)
	}
	// Sign-in is a quiet moment to sweep sessions nobody will use again.
	if _, err := a.cfg.Store.DeleteExpiredSessions(ctx, &store.DeleteExpiredSessionsParams{
		IdleBefore: now.Add(-a.cfg.IdleTimeout), CreatedBefore: now.Add(-a.cfg.AbsoluteTimeout),
	}); err != nil {
		a.cfg.Logger.WarnContext(ctx, "delete expired sessions", slog.Any("err", err))
	}
	return &Login{Token: token, Session: sess}, nil
}

// Session returns the live session the cookie token names, recording the
// activity; ErrNoSession when there is none or it has expired (an expired
// one is deleted).
func (a *Auth) Session(ctx context.Context, token string) (*store.Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	idHash := HashToken(token)
	sess, err := a.cfg.Store.GetSession(ctx, idHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	now := a.cfg.Now()
	if now.Sub(sess.LastSeenAt) > a.cfg.IdleTimeout || now.Sub(sess.CreatedAt) > a.cfg.AbsoluteTimeout {
		if err := a.cfg.Store.DeleteSession(ctx, idHash); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("end expired session: %w", err)
		}
		return nil, ErrNoSession
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if err := a.cfg.Store.TouchSession(ctx, &store.TouchSessionParams{IDHash: idHash, At: now}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, ErrNoSession // signed out meanwhile
			}
			return nil, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// Logout ends the session the token names; ending one already gone is not
// an error.
func (a *Auth) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	err := a.cfg.Store.DeleteSession(ctx, HashToken(token))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// IdleTimeout is how long an unused session lives.
func (a *Auth) IdleTimeout() time.Duration { return a.cfg.IdleTimeout }

// AbsoluteTimeout is how long any session lives.
func (a *Auth) AbsoluteTimeout() time.Duration { return a.cfg.AbsoluteTimeout }

// CheckCSRF reports whether a form's token is the session's, in constant
// time.
func CheckCSRF(sess *store.Session, token string) bool {
	if sess == nil || sess.CSRFToken == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(sess.CSRFToken), []byte(token)) == 1
}

// NewToken returns 32 random bytes, base64url without padding: a session
// id or a CSRF token.
func NewToken() string { return newToken() }

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is what the store keeps of a session id: its SHA-256 in hex.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
