// Package dbtest opens real, migrated, throwaway stores for tests: SQLite in a
// temporary directory always, PostgreSQL in a fresh schema when reachable.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/postgres"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// defaultPostgresURL is the database the project's tests use when
// WIREDESK_TEST_DATABASE_URL is not set.
const defaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SQLite returns a migrated SQLite store in a temporary directory, closed
// when the test ends.
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "wiredesk.db")})
	if err != nil {
		t.Fatalf("open test sqlite store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close test sqlite store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate test sqlite store: %v", err)
	}
	return s
}

// PostgresURL is the test database: WIREDESK_TEST_DATABASE_URL, or a local
// PostgreSQL with trust authentication.
func PostgresURL() string {
	if u := os.Getenv("WIREDESK_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultPostgresURL
}

// Postgres returns a migrated PostgreSQL store in a fresh schema of the test
// database, dropped with everything in it when the test ends. When the
// database cannot be reached the test is skipped, except in CI (CI=true),
// where it fails: CI must run the PostgreSQL tests.
func Postgres(t testing.TB) *postgres.Store {
	t.Helper()
	url := PostgresURL()
	if err := probe(url); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL test database unreachable, and CI=true requires it: %v", err)
		}
		t.Skipf("skipping: PostgreSQL test database unreachable (set WIREDESK_TEST_DATABASE_URL; CI=true makes this a failure): %v", err)
	}

	var suffix [8]byte
	_, _ = rand.Read(suffix[:]) // crypto/rand.Read never fails
	schema := "wdtest_" + hex.EncodeToString(suffix[:])
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: shortIdlePool(url), Schema: schema})
	if err != nil {
		t.Fatalf("open test postgres store: %v", err)
	}
	// The test's own context is already cancelled when cleanups run.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Dropping a schema locks every table in it; a job runner of the
		// test still stopping can hold some in another order, and
		// PostgreSQL then aborts one side as a deadlock. Try again.
		var err error
		for attempt := range 5 {
			if _, err = s.Pool().Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err == nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close test postgres store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate test postgres store in schema %s: %v", schema, err)
	}
	return s
}

// shortIdlePool adds to url pool settings that close a test store's idle
// connections within about a second, unless url sets them already. A store
// lives until its test ends, and a test that opens many in turn (one per
// delivery order tried) would otherwise keep every one's connections open
// and run the server out of them ("too many clients already").
func shortIdlePool(url string) string {
	settings := []struct{ key, value string }{
		{"pool_max_conn_idle_time", "1s"},
		{"pool_health_check_period", "250ms"},
	}
	// url is either a URL (postgres://...) or keyword=value pairs; pgxpool
	// reads its settings from both.
	isURL := strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
	for _, kv := range settings {
		if strings.Contains(url, kv.key+"=") {
			continue
		}
		switch {
		case !isURL:
			url += " " + kv.key + "=" + kv.value
		case strings.Contains(url, "?"):
			url += "&" + kv.key + "=" + kv.value
		default:
			url += "?" + kv.key + "=" + kv.value
		}
	}
	return url
}

// probe reports whether the database answers, within a few seconds: each
// test probes again, so an unreachable database must not cost long.
func probe(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// Each runs fn against every backend, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
