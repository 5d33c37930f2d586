package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wiredesk/wiredesk/internal/apply"
	"github.com/wiredesk/wiredesk/internal/ingest"
	"github.com/wiredesk/wiredesk/internal/store"
	"github.com/wiredesk/wiredesk/internal/store/dbtest"
)

const pushSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestPush(t *testing.T) {
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	good := []byte(threeItems)
	html := []byte("<!DOCTYPE html><html><body>moved</body></html>")
	tests := []struct {
		name       string
		source     string
		body       []byte
		id         string
		at         time.Time
		signature  func(body []byte, id string, at time.Time) string
		wantCode   int
		wantStored int // stories after the push
		wantError  string
	}{
		{name: "signed payload", source: "wire", body: good, id: "msg-1", at: now, wantCode: 202, wantStored: 3},
		{name: "rotated secret: one of two signatures matches", source: "wire", body: good, id: "msg-2", at: now,
			signature: func(b []byte, id string, at time.Time) string {
				return "v1,bm90IHRoaXMgb25l " + ingest.Sign(pushSecret, id, at.Unix(), b)
			}, wantCode: 202, wantStored: 3},
		{name: "wrong signature", source: "wire", body: good, id: "msg-3", at: now,
			signature: func(b []byte, id string, at time.Time) string { return ingest.Sign("whsec_other", id, at.Unix(), b) },
			wantCode:  401, wantError: "does not match"},
		{name: "body changed after signing", source: "wire", body: good, id: "msg-4", at: now,
			signature: func(b []byte, id string, at time.Time) string { return ingest.Sign(pushSecret, id, at.Unix(), b[1:]) },
			wantCode:  401, wantError: "does not match"},
		{name: "replayed an hour later", source: "wire", body: good, id: "msg-5", at: now.Add(-time.Hour), wantCode: 400, wantError: "tolerance"},
		{name: "no signature headers", source: "wire", body: good, id: "", at: now,
			signature: func([]byte, string, time.Time) string { return "" }, wantCode: 400, wantError: "missing"},
		{name: "unknown source", source: "nosuch", body: good, id: "msg-6", at: now, wantCode: 404, wantError: "no source"},
		{name: "source without a push secret", source: "polled", body: good, id: "msg-7", at: now, wantCode: 404, wantError: "takes no pushes"},
		{name: "over the size limit", source: "wire", body: bytes.Repeat([]byte("x"), 2<<20), id: "msg-8", at: now, wantCode: 413, wantError: "limit"},
		{name: "signed HTML page", source: "wire", body: html, id: "msg-9", at: now, wantCode: 422, wantError: "HTML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, s store.Store) {
				ctx := context.Background()
				for _, name := range []string{"wire", "polled"} {
					if _, err := s.UpsertSource(ctx, &store.UpsertSourceParams{Name: name, URL: "https://wire.example/" + name, Agency: "Test Wire", Interval: time.Minute}); err != nil {
						t.Fatal(err)
					}
				}
				pipeline := ingest.NewPipeline(s, apply.New(s, nil, nil), nil, nil)
				push, err := ingest.NewPush(ingest.PushConfig{
					Store: s, Pipeline: pipeline, MaxBytes: 1 << 20, Now: func() time.Time { return now },
					Secret: func(name string) (string, bool) { return pushSecret, name == "wire" || name == "nosuch" },
				})
				if err != nil {
					t.Fatal(err)
				}
				mux := http.NewServeMux()
				push.Register(mux)
				srv := httptest.NewServer(mux)
				defer srv.Close()

				send := func() (int, string) {
					req, _ := http.NewRequest("POST", srv.URL+"/ingest/"+tt.source, bytes.NewReader(tt.body))
					sig := ingest.Sign(pushSecret, tt.id, tt.at.Unix(), tt.body)
					if tt.signature != nil {
						sig = tt.signature(tt.body, tt.id, tt.at)
					}
					if tt.id != "" {
						req.Header.Set("webhook-id", tt.id)
						req.Header.Set("webhook-timestamp", fmt.Sprint(tt.at.Unix()))
					}
					if sig != "" {
						req.Header.Set("webhook-signature", sig)
					}
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					buf := new(bytes.Buffer)
					buf.ReadFrom(resp.Body)
					return resp.StatusCode, buf.String()
				}
				code, body := send()
				if code != tt.wantCode || !strings.Contains(body, tt.wantError) {
					t.Fatalf("push: %d %s, want %d naming %q", code, body, tt.wantCode, tt.wantError)
				}
				if n, _ := s.CountStories(ctx); n != tt.wantStored {
					t.Errorf("stories after push = %d, want %d", n, tt.wantStored)
				}
				if code == 202 {
					// The agency retries: archived once, nothing changes.
					code, body := send()
					if code != 202 || !strings.Contains(body, `"repeat":true`) || !strings.Contains(body, `"new":0`) {
						t.Errorf("repeated push: %d %s, want 202, a repeat and nothing new", code, body)
					}
					if n, _ := s.CountStories(ctx); n != tt.wantStored {
						t.Errorf("stories after a repeated push = %d, want %d", n, tt.wantStored)
					}
				}
			})
		})
	}
}
