package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

// cheap keeps the tests fast; DefaultHashParams is exercised by the
// password tests' benchmark.
var cheap = auth.HashParams{MemoryKiB: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newAuth(t *testing.T, s store.Store) (*auth.Auth, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	a, err := auth.New(auth.Config{Store: s, Now: c.now, Hash: cheap})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

const goodPassword = "correct horse battery staple"

func TestCreateUserChecks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		a, _ := newAuth(t, s)
		ctx := t.Context()
		for _, tc := range []struct {
			name string
			p    auth.CreateUserParams
		}{
			{"empty name", auth.CreateUserParams{Name: "", Role: store.RoleEditor, Password: goodPassword}},
			{"name with a space", auth.CreateUserParams{Name: "a b", Role: store.RoleEditor, Password: goodPassword}},
			{"unknown role", auth.CreateUserParams{Name: "ann", Role: "root", Password: goodPassword}},
			{"short password", auth.CreateUserParams{Name: "ann", Role: store.RoleEditor, Password: "hunter2"}},
			{"empty password", auth.CreateUserParams{Name: "ann", Role: store.RoleEditor, Password: ""}},
		} {
			if _, err := a.CreateUser(ctx, &tc.p); err == nil {
				t.Errorf("%s: CreateUser succeeded, want a refusal", tc.name)
			}
		}
		u, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: "ann", Role: store.RoleEditor, Password: goodPassword})
		if err != nil {
			t.Fatal(err)
		}
		if u.PasswordHash == goodPassword || len(u.PasswordHash) < 50 {
			t.Errorf("stored hash %q does not look like an argon2id hash", u.PasswordHash)
		}
		if ok, err := auth.Verify(u.PasswordHash, goodPassword); err != nil || !ok {
			t.Errorf("Verify(stored hash, password) = %v, %v; want true", ok, err)
		}
	})
}

func TestLoginSessionLogout(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		a, _ := newAuth(t, s)
		ctx := t.Context()
		if _, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: "ann", Role: store.RoleEditor, Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, pw string }{{"ann", "wrong password!"}, {"nobody", goodPassword}} {
			if _, err := a.Login(ctx, &auth.LoginParams{Name: tc.name, Password: tc.pw, IP: "192.0.2.1"}); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("Login(%s, %q) err = %v, want ErrBadCredentials", tc.name, tc.pw, err)
			}
		}
		login, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: goodPassword, IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(login.Token) != 43 || login.Session.User.Name != "ann" || len(login.Session.CSRFToken) != 43 {
			t.Fatalf("login = token %q, session %+v; want a 32-byte token and ann's session with a CSRF token", login.Token, login.Session)
		}
		if login.Session.IDHash == login.Token || login.Session.IDHash != auth.HashToken(login.Token) {
			t.Error("the store keeps the session token itself, not its SHA-256")
		}
		got, err := a.Session(ctx, login.Token)
		if err != nil || got.User.Name != "ann" {
			t.Fatalf("Session(token) = %+v, %v; want ann's", got, err)
		}
		if _, err := a.Session(ctx, login.Token+"x"); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("Session(wrong token) err = %v, want ErrNoSession", err)
		}
		if !auth.CheckCSRF(got, login.Session.CSRFToken) || auth.CheckCSRF(got, "") || auth.CheckCSRF(got, login.Session.CSRFToken[1:]) {
			t.Error("CheckCSRF does not accept exactly the session's token")
		}
		if err := a.Logout(ctx, login.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, login.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("Session after Logout err = %v, want ErrNoSession", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a, c := newAuth(t, s)
		if _, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: "ann", Role: store.RoleViewer, Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		login := func() string {
			t.Helper()
			l, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: goodPassword, IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			return l.Token
		}
		// Idle: used every 3h, a session lives past the 4h idle timeout;
		// left 4h+ it ends.
		tok := login()
		for range 3 {
			c.advance(3 * time.Hour)
			if _, err := a.Session(ctx, tok); err != nil {
				t.Fatalf("session used every 3h ended: %v", err)
			}
		}
		c.advance(4*time.Hour + time.Second)
		if _, err := a.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session idle past 4h: err = %v, want ErrNoSession", err)
		}
		// Absolute: however busy, a session ends after 24h.
		tok = login()
		for range 8 {
			c.advance(3 * time.Hour)
			if _, err := a.Session(ctx, tok); err != nil {
				t.Fatalf("busy session ended before 24h: %v", err)
			}
		}
		c.advance(time.Minute)
		if _, err := a.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session past 24h: err = %v, want ErrNoSession", err)
		}
	})
}

func TestSetPasswordEndsSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a, _ := newAuth(t, s)
		if _, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: "ann", Role: store.RoleViewer, Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		l, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: goodPassword, IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetPassword(ctx, "ann", "short"); err == nil {
			t.Error("SetPassword accepted a short password")
		}
		if err := a.SetPassword(ctx, "ann", "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, l.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session after a password change: err = %v, want ErrNoSession", err)
		}
		if _, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: goodPassword, IP: "192.0.2.1"}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("old password after the change: err = %v, want ErrBadCredentials", err)
		}
		if _, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: "a brand new passphrase", IP: "192.0.2.1"}); err != nil {
			t.Errorf("new password: %v", err)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		a, c := newAuth(t, s)
		for _, name := range []string{"ann", "ben"} {
			if _, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: name, Role: store.RoleViewer, Password: goodPassword}); err != nil {
				t.Fatal(err)
			}
		}
		// Five failures for ann lock her name, even with the right
		// password, from any address; ben is not affected.
		for i := range 5 {
			if _, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: "wrong password!", IP: "192.0.2.1"}); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("failure %d: err = %v, want ErrBadCredentials", i+1, err)
			}
		}
		if _, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: goodPassword, IP: "198.51.100.7"}); !errors.Is(err, auth.ErrRateLimited) {
			t.Errorf("sixth attempt with the right password: err = %v, want ErrRateLimited", err)
		}
		if _, err := a.Login(ctx, &auth.LoginParams{Name: "ben", Password: goodPassword, IP: "192.0.2.1"}); err != nil {
			t.Errorf("another account from the same address: %v", err)
		}
		// The window passes.
		c.advance(15*time.Minute + time.Second)
		if _, err := a.Login(ctx, &auth.LoginParams{Name: "ann", Password: goodPassword, IP: "192.0.2.1"}); err != nil {
			t.Errorf("after the window: %v", err)
		}
		// Twenty failures from one address, over many names, lock the
		// address out.
		for i := range 20 {
			_, _ = a.Login(ctx, &auth.LoginParams{Name: "guess" + string(rune('a'+i)), Password: "wrong password!", IP: "203.0.113.9"})
		}
		if _, err := a.Login(ctx, &auth.LoginParams{Name: "ben", Password: goodPassword, IP: "203.0.113.9"}); !errors.Is(err, auth.ErrRateLimited) {
			t.Errorf("after 20 failures from one address: err = %v, want ErrRateLimited", err)
		}
	})
}
