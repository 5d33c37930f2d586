package fetch

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/google/go-cmp/cmp"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func brotlied(t testing.TB, r io.Reader) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 2, LGWin: 24})
	if _, err := io.Copy(bw, r); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBomb is a few KB that inflate to 1 GiB: a member holding 1 MiB of
// zeros, repeated 1024 times (gzip readers read concatenated members as one
// stream), gzipped once more. Sent as "Content-Encoding: gzip, gzip".
func gzipBomb(t testing.TB) []byte {
	t.Helper()
	member := gzipped(t, make([]byte, 1<<20))
	return gzipped(t, bytes.Repeat(member, 1024))
}

// rawResponse serves bytes written straight to the connection: how an
// upstream lies about its Content-Length, which net/http will not do.
func rawResponse(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		buf.WriteString(raw)
		buf.Flush()
	}
}

// newHostileServer is an upstream misbehaving one way per path.
func newHostileServer(t *testing.T) *httptest.Server {
	t.Helper()
	bomb := gzipBomb(t)
	brBomb := brotlied(t, io.LimitReader(zeros{}, 32<<20))
	brFeed := brotlied(t, strings.NewReader("<rss>brotli words</rss>"))
	noise := make([]byte, 16<<10)
	rand.Read(noise)
	incompressible := gzipped(t, noise)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /brotli", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "br") {
			http.Error(w, "br expected", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "br")
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(brFeed)
	})
	mux.HandleFunc("GET /gzip-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip, gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("GET /brotli-bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "br")
		w.Write(brBomb)
	})
	mux.HandleFunc("GET /gzip-wire-huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(incompressible)
	})
	mux.HandleFunc("GET /gzip-garbage", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		fmt.Fprint(w, "<rss>not gzip at all</rss>")
	})
	mux.HandleFunc("GET /compress", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "compress")
		fmt.Fprint(w, "lzw")
	})
	mux.HandleFunc("GET /drip", func(w http.ResponseWriter, r *http.Request) {
		// A byte every 50ms: never idle long, always far too slow.
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	mux.HandleFunc("GET /stall-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<rss>")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /stall-headers", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /length-longer", rawResponse("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100\r\n\r\n<rss/>"))
	mux.HandleFunc("GET /length-shorter", rawResponse("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5\r\n\r\n<rss>and more</rss>"))
	mux.HandleFunc("GET /wrong-type", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, "<rss/>")
	})
	mux.HandleFunc("GET /html-error", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Service temporarily unavailable</body></html>")
	})
	mux.HandleFunc("GET /always-304", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("GET /endless-chunked", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("<item/>"), 512)
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("GET /busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("GET /down", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /teapot", func(w http.ResponseWriter, r *http.Request) {
		// Retry-After means nothing on other codes.
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTeapot)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestGetHostileUpstreams(t *testing.T) {
	srv := newHostileServer(t)
	tests := []struct {
		name string
		cfg  Config
		path string
		// want is the body, for the upstreams that are merely odd.
		want            string
		wantContentType string
		wantErr         string
		wantErrIs       error
		within          time.Duration
	}{
		{name: "brotli body is decoded", path: "/brotli", want: "<rss>brotli words</rss>", wantContentType: "application/rss+xml"},
		{name: "gzip bomb stops at the decoded cap", cfg: Config{MaxBytes: 1 << 20}, path: "/gzip-bomb",
			wantErr: "response larger than 1 MiB limit", wantErrIs: &TooLargeError{}, within: 10 * time.Second},
		{name: "brotli bomb stops at the decoded cap", cfg: Config{MaxBytes: 1 << 20}, path: "/brotli-bomb",
			wantErr: "response larger than 1 MiB limit", wantErrIs: &TooLargeError{}, within: 10 * time.Second},
		{name: "compressed bytes have their own cap", cfg: Config{MaxBytes: 1 << 20, MaxWireBytes: 512}, path: "/gzip-wire-huge",
			wantErr: "response larger than 512 bytes limit before decoding", wantErrIs: &TooLargeError{}},
		{name: "gzip that is not gzip", path: "/gzip-garbage", wantErr: "decode gzip body"},
		{name: "coding we did not ask for", path: "/compress", wantErr: `unsupported Content-Encoding "compress"`, wantErrIs: ErrUnsupportedEncoding},
		{name: "slow drip under the minimum rate", cfg: Config{MinRate: 1000, MinRateGrace: 300 * time.Millisecond}, path: "/drip",
			wantErr: "under the minimum of 1000 bytes/s", wantErrIs: ErrSlowTransfer, within: 5 * time.Second},
		{name: "body stalls", cfg: Config{IdleTimeout: 300 * time.Millisecond}, path: "/stall-body",
			wantErr: "transfer too slow: nothing received for 300ms", wantErrIs: ErrSlowTransfer, within: 5 * time.Second},
		{name: "headers never come", cfg: Config{IdleTimeout: 300 * time.Millisecond}, path: "/stall-headers",
			wantErr: "transfer too slow: nothing received for 300ms", wantErrIs: ErrSlowTransfer, within: 5 * time.Second},
		{name: "Content-Length larger than the body", path: "/length-longer", wantErr: "unexpected EOF", wantErrIs: io.ErrUnexpectedEOF},
		{name: "Content-Length smaller than the body: the declared length is all we take", path: "/length-shorter",
			want: "<rss>", wantContentType: "application/rss+xml"},
		{name: "wrong Content-Type is returned as sent", path: "/wrong-type", want: "<rss/>", wantContentType: "image/png"},
		{name: "200 with an HTML error page is returned for the decoder to refuse", path: "/html-error",
			want: "<html><body>Service temporarily unavailable</body></html>", wantContentType: "text/html"},
		{name: "304 to a request without validators", path: "/always-304",
			wantErr: "304 Not Modified to a request without validators", wantErrIs: ErrUnsolicitedNotModified},
		{name: "endless chunked body stops at the cap", cfg: Config{MaxBytes: 64 << 10}, path: "/endless-chunked",
			wantErr: "response larger than 64 KiB limit", wantErrIs: &TooLargeError{}, within: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.cfg)
			t.Cleanup(c.CloseIdleConnections)
			start := time.Now()
			got, err := c.Get(t.Context(), &Request{URL: srv.URL + tt.path, AllowPrivate: true})
			took := time.Since(start)
			if tt.within > 0 && took > tt.within {
				t.Errorf("Get took %s, want under %s", took, tt.within)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if string(got.Body) != tt.want || got.ContentType != tt.wantContentType {
					t.Errorf("Get = %q (%s), want %q (%s)", got.Body, got.ContentType, tt.want, tt.wantContentType)
				}
				return
			}
			if err == nil {
				t.Fatalf("Get = %d bytes, want an error containing %q", len(got.Body), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Get error = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantErrIs != nil && !errorMatches(err, tt.wantErrIs) {
				t.Errorf("Get error = %q (%T), want it to match %T", err, err, tt.wantErrIs)
			}
		})
	}
}

// The bomb must fail without the decoder's output ever being held: the
// memory allocated during the Get stays near the cap, not the gigabyte.
func TestGetGzipBombAllocatesLittle(t *testing.T) {
	srv := newHostileServer(t)
	const limit = 1 << 20
	c := New(Config{MaxBytes: limit})
	t.Cleanup(c.CloseIdleConnections)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Get(t.Context(), &Request{URL: srv.URL + "/gzip-bomb", AllowPrivate: true})
	runtime.ReadMemStats(&after)
	var tle *TooLargeError
	if !errors.As(err, &tle) {
		t.Fatalf("Get error = %v, want *TooLargeError", err)
	}
	// readAtMost grows to limit+1 by doubling (about 2×limit in all), plus
	// two gzip readers' windows and tables; the server's side is small.
	if got, most := after.TotalAlloc-before.TotalAlloc, uint64(6*limit); got > most {
		t.Errorf("Get allocated %d bytes for a 1 GiB bomb, want at most %d", got, most)
	}
}

func TestGetHeaderAndRetryAfter(t *testing.T) {
	srv := newHostileServer(t)
	c := New(Config{})
	t.Cleanup(c.CloseIdleConnections)
	tests := []struct {
		path string
		code int
		want time.Duration
	}{
		{"/busy", 429, 120 * time.Second},
		{"/down", 503, 90 * time.Second},
		{"/teapot", 418, 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := c.Get(t.Context(), &Request{URL: srv.URL + tt.path, AllowPrivate: true})
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("Get error = %v, want *StatusError", err)
			}
			// An HTTP-date has one-second resolution and the clock moves on.
			if se.Code != tt.code || se.RetryAfter > tt.want || se.RetryAfter < tt.want-2*time.Second {
				t.Errorf("StatusError = %d, RetryAfter %s; want %d, %s", se.Code, se.RetryAfter, tt.code, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"30", 30 * time.Second},
		{" 3600 ", time.Hour},
		{"-5", 0},
		{"99999999999999999", 100 * 365 * 24 * time.Hour},
		{"Sun, 29 Nov 2026 09:02:00 GMT", 2 * time.Minute},
		{"Sunday, 29-Nov-26 09:00:30 GMT", 30 * time.Second},
		{"Sun Nov 29 09:00:10 2026", 10 * time.Second},
		{"Sun, 29 Nov 2026 08:00:00 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestGetHeader(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plain", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		w.Header().Set("Expires", "Sun, 29 Nov 2026 09:05:00 GMT")
		fmt.Fprint(w, "<rss/>")
	})
	mux.HandleFunc("GET /gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(t, []byte("<rss/>")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := New(Config{})
	t.Cleanup(c.CloseIdleConnections)
	tests := []struct {
		path string
		want map[string]string
	}{
		// The decoded body's header no longer names the coding nor the
		// encoded length, as net/http does when it decodes.
		{"/plain", map[string]string{"Cache-Control": "max-age=300", "Expires": "Sun, 29 Nov 2026 09:05:00 GMT", "Content-Length": "6", "Content-Encoding": ""}},
		{"/gzip", map[string]string{"Cache-Control": "max-age=60", "Content-Length": "", "Content-Encoding": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := c.Get(t.Context(), &Request{URL: srv.URL + tt.path, AllowPrivate: true})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k := range tt.want {
				got[k] = resp.Header.Get(k)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Header mismatch (-want +got):\n%s", diff)
			}
			if string(resp.Body) != "<rss/>" {
				t.Errorf("Body = %q", resp.Body)
			}
		})
	}
}

// Ten fetches of one upstream, plain and compressed, 200 and 304, go over
// one kept-alive connection.
func TestGetReusesConnections(t *testing.T) {
	brBody := brotlied(t, strings.NewReader("<rss>br</rss>"))
	gzBody := gzipped(t, []byte("<rss>gz</rss>"))
	var newConns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/br":
			w.Header().Set("Content-Encoding", "br")
			w.Write(brBody)
		case "/gz":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzBody)
		case "/etag":
			w.Header().Set("ETag", `"1"`)
			if r.Header.Get("If-None-Match") == `"1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			fmt.Fprint(w, "<rss/>")
		default:
			fmt.Fprint(w, "<rss/>")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := New(Config{})
	t.Cleanup(c.CloseIdleConnections)
	paths := []string{"/plain", "/gz", "/br", "/etag", "/plain", "/gz", "/br", "/etag", "/gz", "/br"}
	for _, p := range paths {
		if _, err := c.Get(t.Context(), &Request{URL: srv.URL + p, ETag: `"1"`, AllowPrivate: true}); err != nil {
			t.Fatalf("Get %s: %v", p, err)
		}
	}
	if got := newConns.Load(); got != 1 {
		t.Errorf("%d requests opened %d connections, want 1", len(paths), got)
	}
}

// listenOn starts an httptest server on a given loopback address, so that
// a test guard can treat one loopback address as public and another not.
func listenOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// The guard runs on every hop: an upstream the guard lets through cannot
// redirect the fetch to an address it refuses.
func TestGuardOnRedirect(t *testing.T) {
	inside := listenOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "metadata secrets")
	}))
	public := listenOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/inward":
			http.Redirect(w, r, inside.URL+"/latest/meta-data", http.StatusFound)
		case "/inward-by-name":
			http.Redirect(w, r, strings.Replace(inside.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound)
		case "/outward":
			http.Redirect(w, r, "/feed", http.StatusFound)
		default:
			fmt.Fprint(w, "<rss/>")
		}
	}))
	// In this test 127.0.0.2 stands for the public internet.
	onlyFirstLoopback := func(a netip.Addr) string {
		if a.Is4() && a == netip.MustParseAddr("127.0.0.2") {
			return ""
		}
		return blockedKind(a)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"redirect staying public", "/outward", ""},
		{"redirect to a loopback address", "/inward", "refusing to connect to loopback address 127.0.0.1"},
		{"redirect to a name resolving to loopback", "/inward-by-name", "refusing to connect to loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(Config{}, onlyFirstLoopback)
			t.Cleanup(c.CloseIdleConnections)
			resp, err := c.Get(t.Context(), &Request{URL: public.URL + tt.path})
			if tt.wantErr == "" {
				if err != nil || string(resp.Body) != "<rss/>" {
					t.Fatalf("Get = %v, %v; want the feed", resp, err)
				}
				return
			}
			var be *BlockedAddressError
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Get error = %v, want a *BlockedAddressError containing %q", err, tt.wantErr)
			}
		})
	}
}

// A host name is checked on the address it resolves to.
func TestGuardAfterDNS(t *testing.T) {
	srv := newSourceServer(t)
	c := New(Config{})
	t.Cleanup(c.CloseIdleConnections)
	_, err := c.Get(t.Context(), &Request{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/ok"})
	var be *BlockedAddressError
	if !errors.As(err, &be) || be.Kind != "loopback" {
		t.Errorf("Get localhost = %v, want a loopback *BlockedAddressError", err)
	}
}
