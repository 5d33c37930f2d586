package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const authSecret = "tok-Zq81xWv"

// newAuthServer answers 200 only to the credentials its path names, and
// records what a second host (other) was sent after a redirect.
func newAuthServer(t *testing.T) (srv *httptest.Server, otherSaw func() string) {
	t.Helper()
	var (
		mu  sync.Mutex
		saw string
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		saw = r.Header.Get("Authorization") + "|" + r.Header.Get("X-Api-Key") + "|" + r.URL.RawQuery
		mu.Unlock()
		fmt.Fprint(w, "<rss>elsewhere</rss>")
	}))
	t.Cleanup(other.Close)
	check := func(ok func(r *http.Request) bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !ok(r) {
				http.Error(w, "credentials refused", http.StatusUnauthorized)
				return
			}
			if r.URL.Query().Get("go") == "elsewhere" {
				http.Redirect(w, r, other.URL+"/feed", http.StatusFound)
				return
			}
			fmt.Fprint(w, "<rss>secret words</rss>")
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /basic", check(func(r *http.Request) bool {
		u, p, ok := r.BasicAuth()
		return ok && u == "reader" && p == authSecret
	}))
	mux.HandleFunc("GET /bearer", check(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+authSecret }))
	mux.HandleFunc("GET /header", check(func(r *http.Request) bool { return r.Header.Get("X-Api-Key") == authSecret }))
	mux.HandleFunc("GET /query", check(func(r *http.Request) bool {
		return r.URL.Query().Get("apikey") == authSecret && r.URL.Query().Get("lang") == "en"
	}))
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, func() string {
		mu.Lock()
		defer mu.Unlock()
		return saw
	}
}

func TestGetAuth(t *testing.T) {
	srv, _ := newAuthServer(t)
	tests := []struct {
		name     string
		path     string
		auth     *Auth
		wantCode int // 0 for success
	}{
		{"basic", "/basic", &Auth{Kind: AuthBasic, Username: "reader", Secret: authSecret}, 0},
		{"bearer", "/bearer", &Auth{Kind: AuthBearer, Secret: authSecret}, 0},
		{"custom header", "/header", &Auth{Kind: AuthHeader, Name: "X-Api-Key", Secret: authSecret}, 0},
		{"query key beside the configured query", "/query?lang=en", &Auth{Kind: AuthQuery, Name: "apikey", Secret: authSecret}, 0},
		{"basic, wrong password", "/basic", &Auth{Kind: AuthBasic, Username: "reader", Secret: "nope"}, 401},
		{"bearer sent as a header", "/bearer", &Auth{Kind: AuthHeader, Name: "X-Api-Key", Secret: authSecret}, 401},
		{"no credentials", "/header", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{})
			t.Cleanup(c.CloseIdleConnections)
			resp, err := c.Get(t.Context(), &Request{URL: srv.URL + tt.path, AllowPrivate: true, Auth: tt.auth})
			if tt.wantCode != 0 {
				var se *StatusError
				if !errors.As(err, &se) || se.Code != tt.wantCode {
					t.Fatalf("Get error = %v, want HTTP %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if string(resp.Body) != "<rss>secret words</rss>" {
				t.Errorf("Body = %q", resp.Body)
			}
			if want := srv.URL + tt.path; resp.FinalURL != want {
				t.Errorf("FinalURL = %q, want %q (the configured URL, without the added key)", resp.FinalURL, want)
			}
		})
	}
}

// Credentials go to the source's host only: a redirect to another host
// gets none of them.
func TestGetAuthNotForwardedToAnotherHost(t *testing.T) {
	srv, otherSaw := newAuthServer(t)
	tests := []struct {
		path string
		auth *Auth
	}{
		{"/basic?go=elsewhere", &Auth{Kind: AuthBasic, Username: "reader", Secret: authSecret}},
		{"/bearer?go=elsewhere", &Auth{Kind: AuthBearer, Secret: authSecret}},
		{"/header?go=elsewhere", &Auth{Kind: AuthHeader, Name: "X-Api-Key", Secret: authSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.auth.Kind, func(t *testing.T) {
			c := New(Config{})
			t.Cleanup(c.CloseIdleConnections)
			resp, err := c.Get(t.Context(), &Request{URL: srv.URL + tt.path, AllowPrivate: true, Auth: tt.auth})
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if string(resp.Body) != "<rss>elsewhere</rss>" {
				t.Fatalf("Body = %q, want the other host's", resp.Body)
			}
			if got := otherSaw(); got != "||" {
				t.Errorf("other host received %q, want no credentials", got)
			}
		})
	}
}

// The secret appears nowhere a person or another system could read it:
// not in log lines, error messages, FinalURL, or the archived origin.
func TestGetAuthSecretNeverShown(t *testing.T) {
	srv, _ := newAuthServer(t)
	var logs bytes.Buffer
	c := New(Config{
		IdleTimeout: 200 * time.Millisecond,
		Logger:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	t.Cleanup(c.CloseIdleConnections)
	kinds := []*Auth{
		{Kind: AuthBasic, Username: "reader", Secret: authSecret},
		{Kind: AuthBearer, Secret: authSecret},
		{Kind: AuthHeader, Name: "X-Api-Key", Secret: authSecret},
		{Kind: AuthQuery, Name: "apikey", Secret: authSecret},
	}
	var shown []string
	for _, a := range kinds {
		wrong := *a
		wrong.Secret = authSecret + "x"
		broken := *a
		broken.Secret = authSecret + "\r\nX-Injected: 1"
		for _, req := range []Request{
			{URL: srv.URL + "/" + a.Kind + "?lang=en", Auth: a},                   // success (query kind needs lang)
			{URL: srv.URL + "/" + a.Kind + "?lang=en&go=elsewhere", Auth: a},      // redirected
			{URL: srv.URL + "/" + a.Kind + "?lang=en", Auth: &wrong},              // 401
			{URL: srv.URL + "/slow", Auth: a},                                     // stalled
			{URL: srv.URL + "/" + a.Kind, Auth: &broken},                          // cannot be sent
			{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), Auth: a}, // refused by the guard
		} {
			req.AllowPrivate = !strings.Contains(req.URL, "localhost")
			resp, err := c.Get(t.Context(), &req)
			if err != nil {
				shown = append(shown, err.Error())
				continue
			}
			shown = append(shown, resp.FinalURL, fmt.Sprint(resp.Header))
		}
	}
	shown = append(shown, logs.String())
	for _, s := range shown {
		if strings.Contains(s, authSecret) {
			t.Errorf("secret shown in %q", s)
		}
	}
	if !strings.Contains(logs.String(), "fetch failed") || !strings.Contains(logs.String(), "fetched") {
		t.Errorf("log = %s, want lines for both outcomes", logs.String())
	}
}

func TestGetAuthRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		auth *Auth
		want string
	}{
		{&Auth{Kind: "digest", Secret: authSecret}, `unknown kind "digest"`},
		{&Auth{Kind: AuthHeader, Name: "Bad Name", Secret: authSecret}, `header name "Bad Name" is not a valid header name`},
		{&Auth{Kind: AuthHeader, Name: "X-Key", Secret: "a\nb"}, "value of header X-Key has characters a header cannot carry"},
		{&Auth{Kind: AuthBearer, Secret: "a\r\nb"}, "bearer token has characters"},
		{&Auth{Kind: AuthQuery, Secret: authSecret}, "query auth needs a parameter name"},
		{&Auth{Kind: AuthBasic, Username: "a:b", Secret: authSecret}, "user name contains ':'"},
	}
	c := New(Config{})
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := c.Get(t.Context(), &Request{URL: "http://127.0.0.1:1/feed", AllowPrivate: true, Auth: tt.auth})
			if !errors.Is(err, ErrBadAuth) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Get error = %v, want ErrBadAuth naming %q", err, tt.want)
			}
		})
	}
}

func TestWithoutAuthQuery(t *testing.T) {
	tests := []struct {
		raw  string
		auth *Auth
		want string
	}{
		{"https://w.example/f?lang=en&apikey=s", &Auth{Kind: AuthQuery, Name: "apikey", Secret: "s"}, "https://w.example/f?lang=en"},
		{"https://w.example/f?apikey=s", &Auth{Kind: AuthQuery, Name: "apikey", Secret: "s"}, "https://w.example/f"},
		{"https://w.example/f?a%20key=s&b=2", &Auth{Kind: AuthQuery, Name: "a key", Secret: "s"}, "https://w.example/f?b=2"},
		{"https://w.example/f?apikey=s", &Auth{Kind: AuthBearer, Secret: "s"}, "https://w.example/f?apikey=s"},
		{"https://w.example/f?apikey=s", nil, "https://w.example/f?apikey=s"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", tt.raw, nil)
		if got := withoutAuthQuery(req.URL, tt.auth); got != tt.want {
			t.Errorf("withoutAuthQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}
