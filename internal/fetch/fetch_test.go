package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const lastModified = "Tue, 25 Nov 2025 10:00:00 GMT"

// newSourceServer is a feed server with one path per behaviour under test.
func newSourceServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", lastModified)
		fmt.Fprint(w, "<rss/>")
	})
	mux.HandleFunc("GET /echo-headers", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s", r.UserAgent(), r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since"))
	})
	mux.HandleFunc("GET /etag", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "fresh")
	})
	mux.HandleFunc("GET /lastmod", func(w http.ResponseWriter, r *http.Request) {
		// Like many servers, the 304 repeats no validator.
		if r.Header.Get("If-Modified-Since") == lastModified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lastModified)
		fmt.Fprint(w, "fresh")
	})
	mux.HandleFunc("GET /gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip expected", http.StatusBadRequest)
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		if n > 0 {
			zw.Write(bytes.Repeat([]byte("z"), n))
		} else {
			fmt.Fprint(zw, "unzipped words")
		}
		zw.Close()
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("GET /to-ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://files.example/feed.xml", http.StatusFound)
	})
	mux.HandleFunc("GET /declared-huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(11<<20))
		w.Write(make([]byte, 1024))
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: n bytes, or endless when n is absent.
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		chunk := bytes.Repeat([]byte("x"), 256)
		for sent := 0; n == 0 || sent < n; sent += len(chunk) {
			if n > 0 {
				chunk = chunk[:min(len(chunk), n-sent)]
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("GET /slow-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("GET /slow-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss>")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestGet(t *testing.T) {
	srv := newSourceServer(t)
	base := srv.URL

	tests := []struct {
		name string
		cfg  Config
		req  Request
		want *Response
		// wantErr is a substring of the error; wantErrIs a sentinel or,
		// for typed errors, a value of the type (matched with errors.As).
		wantErr   string
		wantErrIs error
	}{
		{
			name: "200 with validators",
			req:  Request{URL: base + "/ok", AllowPrivate: true},
			want: &Response{StatusCode: 200, Body: []byte("<rss/>"), ContentType: "application/rss+xml; charset=utf-8",
				ETag: `"v1"`, LastModified: lastModified, FinalURL: base + "/ok"},
		},
		{
			name: "sends user agent and validators",
			req:  Request{URL: base + "/echo-headers", ETag: `"v7"`, LastModified: lastModified, AllowPrivate: true},
			want: &Response{StatusCode: 200, ContentType: "text/plain; charset=utf-8", FinalURL: base + "/echo-headers",
				Body: []byte(DefaultUserAgent + `|"v7"|` + lastModified)},
		},
		{
			name: "304 on matching ETag",
			req:  Request{URL: base + "/etag", ETag: `"v1"`, AllowPrivate: true},
			want: &Response{StatusCode: 304, NotModified: true, ETag: `"v1"`, FinalURL: base + "/etag"},
		},
		{
			name: "200 on stale ETag",
			req:  Request{URL: base + "/etag", ETag: `"v0"`, AllowPrivate: true},
			want: &Response{StatusCode: 200, Body: []byte("fresh"), ContentType: "text/plain; charset=utf-8",
				ETag: `"v1"`, FinalURL: base + "/etag"},
		},
		{
			name: "304 on Last-Modified keeps the request's validator",
			req:  Request{URL: base + "/lastmod", LastModified: lastModified, AllowPrivate: true},
			want: &Response{StatusCode: 304, NotModified: true, LastModified: lastModified, FinalURL: base + "/lastmod"},
		},
		{
			name: "gzip body is decoded",
			req:  Request{URL: base + "/gzip", AllowPrivate: true},
			want: &Response{StatusCode: 200, Body: []byte("unzipped words"), ContentType: "text/plain; charset=utf-8",
				FinalURL: base + "/gzip"},
		},
		{
			name: "redirect followed",
			req:  Request{URL: base + "/redirect", AllowPrivate: true},
			want: &Response{StatusCode: 200, Body: []byte("<rss/>"), ContentType: "application/rss+xml; charset=utf-8",
				ETag: `"v1"`, LastModified: lastModified, FinalURL: base + "/ok"},
		},
		{
			name: "body exactly at the limit",
			cfg:  Config{MaxBytes: 1 << 10},
			req:  Request{URL: base + "/stream?n=1024", AllowPrivate: true},
			want: &Response{StatusCode: 200, Body: bytes.Repeat([]byte("x"), 1024), ContentType: "text/plain; charset=utf-8",
				FinalURL: base + "/stream?n=1024"},
		},
		{
			name:      "404 is a StatusError with the URL redacted",
			req:       Request{URL: base + "/missing?apikey=s3cret", AllowPrivate: true},
			wantErr:   "HTTP 404 Not Found from " + base + "/missing?redacted",
			wantErrIs: &StatusError{},
		},
		{
			name:      "over the limit by Content-Length",
			req:       Request{URL: base + "/declared-huge", AllowPrivate: true},
			wantErr:   "response larger than 10 MiB limit",
			wantErrIs: &TooLargeError{},
		},
		{
			name:      "over the limit without Content-Length",
			cfg:       Config{MaxBytes: 1 << 10},
			req:       Request{URL: base + "/stream?n=1025", AllowPrivate: true},
			wantErr:   "response larger than 1 KiB limit",
			wantErrIs: &TooLargeError{},
		},
		{
			name:      "endless body stops at the limit",
			cfg:       Config{MaxBytes: 4 << 10},
			req:       Request{URL: base + "/stream", AllowPrivate: true},
			wantErr:   "response larger than 4 KiB limit",
			wantErrIs: &TooLargeError{},
		},
		{
			name:      "over the limit after gzip decoding",
			cfg:       Config{MaxBytes: 1 << 10},
			req:       Request{URL: base + "/gzip?n=100000", AllowPrivate: true},
			wantErr:   "response larger than 1 KiB limit",
			wantErrIs: &TooLargeError{},
		},
		{
			name:      "redirect loop",
			req:       Request{URL: base + "/loop", AllowPrivate: true},
			wantErr:   "too many redirects: stopped after 5",
			wantErrIs: ErrTooManyRedirects,
		},
		{
			name:      "redirect cap from config",
			cfg:       Config{MaxRedirects: -1},
			req:       Request{URL: base + "/redirect", AllowPrivate: true},
			wantErr:   "stopped after 0",
			wantErrIs: ErrTooManyRedirects,
		},
		{
			name:      "redirect to a non-http scheme",
			req:       Request{URL: base + "/to-ftp", AllowPrivate: true},
			wantErr:   `unsupported URL scheme "ftp"`,
			wantErrIs: ErrUnsupportedScheme,
		},
		{
			name:      "loopback refused without AllowPrivate",
			req:       Request{URL: base + "/ok"},
			wantErr:   "refusing to connect to loopback address 127.0.0.1",
			wantErrIs: &BlockedAddressError{},
		},
		{
			name:      "slow headers hit the timeout",
			cfg:       Config{Timeout: 200 * time.Millisecond},
			req:       Request{URL: base + "/slow-headers", AllowPrivate: true},
			wantErr:   "no complete response within 200ms",
			wantErrIs: ErrTimeout,
		},
		{
			name:      "slow body hits the timeout",
			cfg:       Config{Timeout: 200 * time.Millisecond},
			req:       Request{URL: base + "/slow-body", AllowPrivate: true},
			wantErr:   "no complete response within 200ms",
			wantErrIs: ErrTimeout,
		},
		{
			name:      "file scheme refused",
			req:       Request{URL: "file:///etc/passwd", AllowPrivate: true},
			wantErr:   `unsupported URL scheme "file"`,
			wantErrIs: ErrUnsupportedScheme,
		},
		{
			name:      "ftp scheme refused",
			req:       Request{URL: "ftp://user:pw@files.example/feed.xml", AllowPrivate: true},
			wantErr:   `get ftp://redacted@files.example/feed.xml: unsupported URL scheme "ftp"`,
			wantErrIs: ErrUnsupportedScheme,
		},
		{
			name:      "relative URL refused",
			req:       Request{URL: "/feed.xml", AllowPrivate: true},
			wantErrIs: ErrUnsupportedScheme,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.cfg)
			t.Cleanup(c.CloseIdleConnections)
			start := time.Now()
			got, err := c.Get(t.Context(), &tt.req)
			if tt.wantErr == "" && tt.wantErrIs == nil {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				// Header is checked by TestGetHeader.
				if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Response{}, "Header")); diff != "" {
					t.Errorf("Get response mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("Get = %+v, want an error", got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Get error = %q, want it to contain %q", err, tt.wantErr)
			}
			if !errorMatches(err, tt.wantErrIs) {
				t.Errorf("Get error = %q (%T), want it to match %T %v", err, err, tt.wantErrIs, tt.wantErrIs)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Get error = %q leaks a query secret", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Get took %s, want it bounded by the timeout", d)
			}
		})
	}
}

// errorMatches reports whether err is target (a sentinel) or, for the typed
// errors of this package, holds one of that type.
func errorMatches(err, target error) bool {
	switch target.(type) {
	case *StatusError:
		var e *StatusError
		return errors.As(err, &e)
	case *TooLargeError:
		var e *TooLargeError
		return errors.As(err, &e)
	case *BlockedAddressError:
		var e *BlockedAddressError
		return errors.As(err, &e)
	}
	return errors.Is(err, target)
}

func TestGetStatusErrorFields(t *testing.T) {
	srv := newSourceServer(t)
	c := New(Config{})
	t.Cleanup(c.CloseIdleConnections)
	_, err := c.Get(t.Context(), &Request{URL: srv.URL + "/missing?token=s3cret", AllowPrivate: true})
	var got *StatusError
	if !errors.As(err, &got) {
		t.Fatalf("Get error = %v, want a *StatusError", err)
	}
	want := &StatusError{Code: 404, URL: srv.URL + "/missing?redacted"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("StatusError mismatch (-want +got):\n%s", diff)
	}
}

func TestGetCallerCancelIsNotTimeout(t *testing.T) {
	srv := newSourceServer(t)
	c := New(Config{Timeout: 10 * time.Second})
	t.Cleanup(c.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, &Request{URL: srv.URL + "/slow-headers", AllowPrivate: true})
	if err == nil {
		t.Fatal("Get succeeded, want the caller's deadline to end it")
	}
	if errors.Is(err, ErrTimeout) {
		t.Errorf("Get error = %q, want the caller's deadline, not ErrTimeout", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get error = %q, want context.DeadlineExceeded", err)
	}
}

func TestBlockedKind(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.254", "private"},
		{"192.168.1.1", "private"},
		{"fd12:3456::1", "private"},
		{"::ffff:192.168.0.1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"224.0.0.1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"239.1.2.3", "multicast"},
		{"ff0e::1", "multicast"},
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.254", "shared (CGNAT)"},
		{"100.128.0.1", ""},
		{"172.32.0.1", ""},
		{"8.8.4.4", ""},
		{"2a00:1450::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got := blockedKind(netip.MustParseAddr(tt.addr))
			if got != tt.want {
				t.Errorf("blockedKind(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestRefusePrivateNamesTheAddress(t *testing.T) {
	tests := []struct {
		address string
		want    string // "" for allowed
	}{
		{"127.0.0.1:80", "refusing to connect to loopback address 127.0.0.1: private addresses need allow-private"},
		{"[::1]:443", "refusing to connect to loopback address ::1: private addresses need allow-private"},
		{"[fe80::1%eth0]:80", "refusing to connect to link-local address fe80::1%eth0: private addresses need allow-private"},
		{"not-an-address", `refusing to connect to "not-an-address": cannot check the address`},
		{"8.8.4.4:443", ""},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := refusePrivate("tcp", tt.address, nil)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if !strings.HasPrefix(got, tt.want) || (tt.want == "" && got != "") {
				t.Errorf("refusePrivate(%s) = %q, want %q", tt.address, got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"https://wire.example/feed.rss", "https://wire.example/feed.rss"},
		{"https://user:pass@wire.example/feed.rss", "https://redacted@wire.example/feed.rss"},
		{"https://token@wire.example/feed.rss", "https://redacted@wire.example/feed.rss"},
		{"https://wire.example/feed?apikey=s3cret&lang=en", "https://wire.example/feed?redacted"},
		{"https://wire.example/feed?s3cret", "https://wire.example/feed?redacted"},
		{"https://wire.example/feed#s3cret", "https://wire.example/feed"},
		{"http://[::1]:8080/x?k=v", "http://[::1]:8080/x?redacted"},
		{"https://wire.example/%zz?k=s3cret", "(unparseable URL)"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTooLargeErrorMessage(t *testing.T) {
	tests := []struct {
		limit int64
		want  string
	}{
		{10 << 20, "response larger than 10 MiB limit"},
		{1 << 10, "response larger than 1 KiB limit"},
		{1500, "response larger than 1500 bytes limit"},
		{(1 << 20) + (1 << 10), "response larger than 1025 KiB limit"},
	}
	for _, tt := range tests {
		if got := (&TooLargeError{Limit: tt.limit}).Error(); got != tt.want {
			t.Errorf("TooLargeError{%d} = %q, want %q", tt.limit, got, tt.want)
		}
	}
}

func TestGetLogsRedactedURLs(t *testing.T) {
	srv := newSourceServer(t)
	var logs bytes.Buffer
	c := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	t.Cleanup(c.CloseIdleConnections)
	for _, path := range []string{"/ok?apikey=s3cret", "/missing?apikey=s3cret"} {
		u := strings.Replace(srv.URL, "http://", "http://reader:s3cret@", 1) + path
		c.Get(t.Context(), &Request{URL: u, AllowPrivate: true})
	}
	got := logs.String()
	if got == "" {
		t.Fatal("no debug log lines, want one per request")
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("log leaks a secret:\n%s", got)
	}
	if want := "redacted@127.0.0.1"; !strings.Contains(got, want) {
		t.Errorf("log = %s, want it to contain %q", got, want)
	}
}
