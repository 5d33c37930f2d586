package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/auth"
	"github.com/wiredesk/wiredesk/internal/desk"
	"github.com/wiredesk/wiredesk/internal/fetch"
	"github.com/wiredesk/wiredesk/internal/store"
)

// deskWiring is what the desk is built from.
type deskWiring struct {
	Mux     *http.ServeMux
	Store   store.Store
	Applier *apply.Applier
	Fetcher *fetch.Client
	Config  Config
	Logger  *slog.Logger
	// Demo creates a demo admin account when there is no account yet.
	Demo bool
	// Tasks receives the desk's live-update loop, which serve runs and
	// stops with everything else.
	Tasks *[]func(context.Context) error
}

// demoAdminName is the account `wiredesk demo` creates.
const demoAdminName = "demo-admin"

// mountDesk builds the editors' desk and registers it under /desk/.
func mountDesk(ctx context.Context, w *deskWiring) error {
	a, err := auth.New(auth.Config{Store: w.Store, Logger: w.Logger})
	if err != nil {
		return err
	}
	secure := !w.Demo
	if w.Config.DeskSecureCookies != nil {
		secure = *w.Config.DeskSecureCookies
	}
	d, err := desk.New(desk.Config{
		Store: w.Store, Auth: a, Applier: w.Applier, Fetcher: w.Fetcher, Logger: w.Logger,
		SiteName: w.Config.SiteName, SecureCookies: secure,
	})
	if err != nil {
		return err
	}
	d.Register(w.Mux)
	if w.Tasks != nil {
		*w.Tasks = append(*w.Tasks, d.RunLiveUpdates)
	}
	if w.Demo {
		return ensureDemoAdmin(ctx, a, w.Store, w.Logger)
	}
	return nil
}

// ensureDemoAdmin gives a newcomer a way into the demo's desk: when no
// account exists, it creates an admin with a random password and logs both.
// A demo restarted on its old data gets a new password for that account,
// since the old one was only ever in an old log.
func ensureDemoAdmin(ctx context.Context, a *auth.Auth, s store.Store, logger *slog.Logger) error {
	users, err := s.ListUsers(ctx)
	if err != nil {
		return fmt.Errorf("demo desk account: %w", err)
	}
	password := auth.NewToken()[:20]
	switch {
	case len(users) == 0:
		if _, err := a.CreateUser(ctx, &auth.CreateUserParams{Name: demoAdminName, Role: store.RoleAdmin, Password: password}); err != nil {
			return fmt.Errorf("demo desk account: %w", err)
		}
	case slices.ContainsFunc(users, func(u *store.User) bool { return u.Name == demoAdminName }):
		if err := a.SetPassword(ctx, demoAdminName, password); err != nil {
			return fmt.Errorf("demo desk account: %w", err)
		}
	default:
		return nil // accounts of its own: the demo leaves them alone
	}
	logger.Info("demo desk account: sign in at /desk/", "name", demoAdminName, "password", password)
	return nil
}
