package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wiredesk/wiredesk/internal/api"
	"github.com/wiredesk/wiredesk/internal/store/sqlite"
)

// token add prints a token once; the API takes it, and not after revoke.
// webhook add/list/log/remove manage subscribers without printing secrets.
func TestTokenAndWebhookCommands(t *testing.T) {
	data := t.TempDir()
	env := envFunc(map[string]string{"WIREDESK_DATA": data, "WIREDESK_LOG_LEVEL": "error", "HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	cmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, nil, &out, &errOut, env)
		return out.String(), errOut.String(), err
	}
	if _, _, err := cmd("migrate"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cmd("token", "add", "ops", "--scope", "write"); !errors.Is(err, errUsage) {
		t.Errorf("token add --scope write: %v, want a usage error", err)
	}
	out, _, err := cmd("token", "add", "ops", "--scope", "admin")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out)
	if !strings.HasPrefix(token, "wdt_") {
		t.Fatalf("token add printed %q, want a wdt_ token", out)
	}
	if _, _, err := cmd("token", "add", "ops", "--scope", "admin"); err == nil {
		t.Error("token add with a taken name succeeded")
	}
	if list, _, _ := cmd("token", "list"); !strings.Contains(list, "ops") || !strings.Contains(list, "admin") || strings.Contains(list, token) {
		t.Errorf("token list = %q, want the name and scope, never the token", list)
	}

	// The API accepts the printed token: the store kept its hash.
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: data + "/wiredesk.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := api.New(api.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	status := func() int {
		req := httptest.NewRequest("GET", "/api/v1/webhooks", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := status(); got != 200 {
		t.Errorf("API with the printed token: %d, want 200", got)
	}

	if _, _, err := cmd("webhook", "add", "cms", "--url", "https://cms.example/hook?key=k", "--secret-env", "NOPE"); !errors.Is(err, errUsage) {
		t.Errorf("webhook add with an unset secret variable: %v, want a usage error", err)
	}
	if _, _, err := cmd("webhook", "add", "cms", "--url", "https://cms.example/hook?key=k", "--secret-env", "HOOK_SECRET", "--events", "killed,published"); err != nil {
		t.Fatal(err)
	}
	out, _, err = cmd("webhook", "add", "gen", "--url", "https://gen.example/hook")
	if err != nil || !strings.Contains(out, "whsec_") {
		t.Errorf("webhook add without a secret: %v, printed %q; want a generated whsec_ secret", err, out)
	}
	list, _, _ := cmd("webhook", "list")
	for _, want := range []string{"cms", "killed,published", "gen", "all", "hook?redacted"} {
		if !strings.Contains(list, want) {
			t.Errorf("webhook list = %q, missing %q", list, want)
		}
	}
	if strings.Contains(list, "whsec_") || strings.Contains(list, "key=k") {
		t.Errorf("webhook list shows a secret or the URL's key: %q", list)
	}
	if log, _, err := cmd("webhook", "log", "cms"); err != nil || !strings.HasPrefix(log, "SEQ") {
		t.Errorf("webhook log: %v %q", err, log)
	}
	if _, _, err := cmd("webhook", "remove", "cms"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cmd("webhook", "log", "cms"); err == nil {
		t.Error("webhook log of a removed webhook succeeded")
	}

	if _, _, err := cmd("token", "revoke", "ops"); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != 401 {
		t.Errorf("API with a revoked token: %d, want 401", got)
	}
}
