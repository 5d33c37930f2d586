package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// countingHandler answers with a body naming how often it ran, so a test
// can tell a cached response from a fresh one.
type countingHandler struct {
	calls       atomic.Int64
	cacheCtl    string
	contentType string
	size        int
	status      int
	setCookie   bool
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.calls.Add(1)
	if h.cacheCtl != "" {
		w.Header().Set("Cache-Control", h.cacheCtl)
	}
	ct := h.contentType
	if ct == "" {
		ct = "text/html; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	if h.setCookie {
		w.Header().Set("Set-Cookie", "session=1")
	}
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
	body := fmt.Sprintf("render %d of %s;", n, r.URL.Path)
	if pad := h.size - len(body); pad > 0 {
		body += strings.Repeat("news ", pad/5+1)
	}
	_, _ = io.WriteString(w, body)
}

func liveCache() *ResponseCache {
	c := NewResponseCache(ResponseCacheConfig{})
	c.Resume()
	return c
}

func do(t *testing.T, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestResponseCacheKeepsOnlyWhatASharedCacheMay(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler *countingHandler
		method  string
		header  map[string]string
		// wantCalls is how often the handler runs for two requests.
		wantCalls int64
	}{
		{"public with max-age", &countingHandler{cacheCtl: "public, max-age=30"}, "GET", nil, 1},
		{"s-maxage", &countingHandler{cacheCtl: "public, s-maxage=30, max-age=0"}, "GET", nil, 1},
		{"HEAD shares GET's entry", &countingHandler{cacheCtl: "public, max-age=30"}, "HEAD", nil, 1},
		{"410 Gone kept briefly", &countingHandler{cacheCtl: "public, max-age=30", status: http.StatusGone}, "GET", nil, 1},
		{"no Cache-Control", &countingHandler{}, "GET", nil, 2},
		{"private", &countingHandler{cacheCtl: "private, max-age=30"}, "GET", nil, 2},
		{"no-store", &countingHandler{cacheCtl: "no-store"}, "GET", nil, 2},
		{"public without lifetime", &countingHandler{cacheCtl: "public"}, "GET", nil, 2},
		{"sets a cookie", &countingHandler{cacheCtl: "public, max-age=30", setCookie: true}, "GET", nil, 2},
		{"server error", &countingHandler{cacheCtl: "public, max-age=30", status: http.StatusInternalServerError}, "GET", nil, 2},
		{"POST", &countingHandler{cacheCtl: "public, max-age=30"}, "POST", nil, 2},
		{"Authorization", &countingHandler{cacheCtl: "public, max-age=30"}, "GET", map[string]string{"Authorization": "Bearer x"}, 2},
		{"Range", &countingHandler{cacheCtl: "public, max-age=30"}, "GET", map[string]string{"Range": "bytes=0-3"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := liveCache().Wrap(tc.handler)
			first := do(t, h, tc.method, "/page", tc.header)
			second := do(t, h, tc.method, "/page", tc.header)
			if got := tc.handler.calls.Load(); got != tc.wantCalls {
				t.Errorf("handler ran %d times for two requests, want %d", got, tc.wantCalls)
			}
			if first.Code != second.Code {
				t.Errorf("status %d then %d", first.Code, second.Code)
			}
			if tc.method == "HEAD" && second.Body.Len() != 0 {
				t.Errorf("HEAD answered with a body: %q", second.Body.String())
			}
		})
	}
}

func TestResponseCacheSuspendedKeepsNothing(t *testing.T) {
	c := NewResponseCache(ResponseCacheConfig{})
	h := &countingHandler{cacheCtl: "public, max-age=30"}
	do(t, c.Wrap(h), "GET", "/", nil)
	do(t, c.Wrap(h), "GET", "/", nil)
	if got := h.calls.Load(); got != 2 {
		t.Errorf("a new (suspended) cache: handler ran %d times, want 2", got)
	}
	c.Resume()
	do(t, c.Wrap(h), "GET", "/", nil)
	do(t, c.Wrap(h), "GET", "/", nil)
	if got := h.calls.Load(); got != 3 {
		t.Errorf("after Resume: handler ran %d times in all, want 3", got)
	}
	c.Suspend()
	do(t, c.Wrap(h), "GET", "/", nil)
	if got := h.calls.Load(); got != 4 {
		t.Errorf("after Suspend: handler ran %d times in all, want 4", got)
	}
}

func TestResponseCacheFlushAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := NewResponseCache(ResponseCacheConfig{Now: clock})
	c.Resume()
	h := &countingHandler{cacheCtl: "public, max-age=30"}
	wrapped := c.Wrap(h)
	body := func() string { return do(t, wrapped, "GET", "/", nil).Body.String() }

	if got, want := body(), "render 1 of /;"; got != want {
		t.Fatalf("first = %q, want %q", got, want)
	}
	if got, want := body(), "render 1 of /;"; got != want {
		t.Errorf("second = %q, want the cached %q", got, want)
	}
	c.Flush()
	if got, want := body(), "render 2 of /;"; got != want {
		t.Errorf("after Flush = %q, want %q", got, want)
	}
	mu.Lock()
	now = now.Add(31 * time.Second)
	mu.Unlock()
	if got, want := body(), "render 3 of /;"; got != want {
		t.Errorf("after max-age = %q, want %q", got, want)
	}
	if s := c.Stats(); s.Entries != 1 || s.Hits != 1 || s.Misses != 3 {
		t.Errorf("Stats = %+v, want 1 entry, 1 hit, 3 misses", s)
	}
}

// A response rendered from data read before a change must not be kept
// after the flush for that change: it would serve the killed story on.
func TestResponseCacheDropsResponsesRenderedAcrossAFlush(t *testing.T) {
	c := liveCache()
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		w.Header().Set("Cache-Control", "public, max-age=30")
		fmt.Fprintf(w, "render %d", calls.Load())
	}))
	done := make(chan string)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		done <- rec.Body.String()
	}()
	<-started
	c.Flush()
	close(release)
	if got := <-done; got != "render 1" {
		t.Errorf("slow request got %q", got)
	}
	if got := do(t, h, "GET", "/", nil).Body.String(); got != "render 2" {
		t.Errorf("request after the flush got %q, want a fresh render 2", got)
	}
}

// Concurrent misses for one page render it once.
func TestResponseCacheCoalescesMisses(t *testing.T) {
	c := liveCache()
	var calls atomic.Int64
	gate := make(chan struct{})
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-gate
		w.Header().Set("Cache-Control", "public, max-age=30")
		io.WriteString(w, "page")
	}))
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			bodies[i] = rec.Body.String()
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(gate)
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Errorf("handler ran %d times for 8 concurrent requests, want 1", got)
	}
	for i, b := range bodies {
		if b != "page" {
			t.Errorf("request %d got %q", i, b)
		}
	}
}

func TestResponseCacheConditionalRequests(t *testing.T) {
	c := liveCache()
	h := c.Wrap(&countingHandler{cacheCtl: "public, max-age=30"})
	first := do(t, h, "GET", "/", nil)
	etag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	if !strings.HasPrefix(etag, `W/"`) || lastMod == "" {
		t.Fatalf("ETag %q, Last-Modified %q: want a weak ETag and a date", etag, lastMod)
	}
	lm, _ := http.ParseTime(lastMod)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"matching ETag", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"strong form of the weak ETag", map[string]string{"If-None-Match": strings.TrimPrefix(etag, "W/")}, http.StatusNotModified},
		{"one of a list", map[string]string{"If-None-Match": `"other", ` + etag}, http.StatusNotModified},
		{"star", map[string]string{"If-None-Match": "*"}, http.StatusNotModified},
		{"other ETag", map[string]string{"If-None-Match": `W/"other"`}, http.StatusOK},
		{"other ETag wins over a fresh date", map[string]string{"If-None-Match": `W/"other"`, "If-Modified-Since": lastMod}, http.StatusOK},
		{"modified since: same second", map[string]string{"If-Modified-Since": lastMod}, http.StatusNotModified},
		{"modified since: later", map[string]string{"If-Modified-Since": lm.Add(time.Hour).Format(http.TimeFormat)}, http.StatusNotModified},
		{"modified since: earlier", map[string]string{"If-Modified-Since": lm.Add(-time.Second).Format(http.TimeFormat)}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, "GET", "/", tc.header)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
			if rec.Code == http.StatusNotModified {
				if rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag || rec.Header().Get("Cache-Control") == "" {
					t.Errorf("304: body %q, ETag %q, Cache-Control %q", rec.Body.String(), rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
				}
			}
		})
	}
}

func TestResponseCacheGzip(t *testing.T) {
	for _, tc := range []struct {
		name           string
		handler        *countingHandler
		acceptEncoding string
		wantGzip       bool
	}{
		{"large html", &countingHandler{cacheCtl: "public, max-age=30", size: 4000}, "gzip, deflate, br", true},
		{"large feed", &countingHandler{cacheCtl: "public, max-age=30", size: 4000, contentType: "application/atom+xml"}, "gzip", true},
		{"uncached page too", &countingHandler{size: 4000}, "gzip", true},
		{"client without gzip", &countingHandler{cacheCtl: "public, max-age=30", size: 4000}, "", false},
		{"gzip refused", &countingHandler{cacheCtl: "public, max-age=30", size: 4000}, "gzip;q=0, *", false},
		{"star", &countingHandler{cacheCtl: "public, max-age=30", size: 4000}, "*", true},
		{"small body", &countingHandler{cacheCtl: "public, max-age=30", size: 100}, "gzip", false},
		{"image", &countingHandler{cacheCtl: "public, max-age=30", size: 4000, contentType: "image/png"}, "gzip", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := liveCache().Wrap(tc.handler)
			plain := do(t, h, "GET", "/", nil)
			rec := do(t, h, "GET", "/", map[string]string{"Accept-Encoding": tc.acceptEncoding})
			gotGzip := rec.Header().Get("Content-Encoding") == "gzip"
			if gotGzip != tc.wantGzip {
				t.Fatalf("Content-Encoding %q, want gzip: %v", rec.Header().Get("Content-Encoding"), tc.wantGzip)
			}
			body := rec.Body.Bytes()
			if gotGzip {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
				if rec.Header().Get("Vary") != "Accept-Encoding" {
					t.Errorf("Vary = %q, want Accept-Encoding", rec.Header().Get("Vary"))
				}
				if rec.Body.Len() >= plain.Body.Len() {
					t.Errorf("gzip body %d bytes, plain %d", rec.Body.Len(), plain.Body.Len())
				}
			}
			if diff := cmp.Diff(plain.Body.String(), string(body)); tc.handler.cacheCtl != "" && diff != "" {
				t.Errorf("decoded body differs from the plain one (-plain +decoded):\n%s", diff)
			}
			if cl := rec.Header().Get("Content-Length"); cl != fmt.Sprint(rec.Body.Len()) {
				t.Errorf("Content-Length %s for %d bytes", cl, rec.Body.Len())
			}
		})
	}
}

// A response larger than MaxEntryBytes streams through whole, uncached.
func TestResponseCacheStreamsLargeResponses(t *testing.T) {
	c := NewResponseCache(ResponseCacheConfig{MaxEntryBytes: 1000})
	c.Resume()
	h := &countingHandler{cacheCtl: "public, max-age=30", size: 5000}
	wrapped := c.Wrap(h)
	a := do(t, wrapped, "GET", "/big", map[string]string{"Accept-Encoding": "gzip"})
	b := do(t, wrapped, "GET", "/big", nil)
	if h.calls.Load() != 2 {
		t.Errorf("handler ran %d times, want 2 (too large to keep)", h.calls.Load())
	}
	if a.Header().Get("Content-Encoding") != "" || a.Body.Len() < 5000 || !strings.HasPrefix(b.Body.String(), "render 2") {
		t.Errorf("large response: encoding %q, %d bytes; second %.20q", a.Header().Get("Content-Encoding"), a.Body.Len(), b.Body.String())
	}
}

// The cache holds at most MaxBytes, dropping the least recently used.
func TestResponseCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewResponseCache(ResponseCacheConfig{MaxBytes: 3 * (600 + 512 + 10)})
	c.Resume()
	h := &countingHandler{cacheCtl: "public, max-age=30", size: 600}
	wrapped := c.Wrap(h)
	for _, p := range []string{"/a", "/b", "/c", "/a", "/d"} {
		do(t, wrapped, "GET", p, nil)
	}
	before := h.calls.Load()
	do(t, wrapped, "GET", "/a", nil) // kept: used recently
	do(t, wrapped, "GET", "/b", nil) // evicted for /d
	if got := h.calls.Load() - before; got != 1 {
		t.Errorf("%d renders for /a and /b, want 1 (only /b evicted)", got)
	}
	if s := c.Stats(); s.Bytes > 3*(600+512+10) {
		t.Errorf("cache holds %d bytes, over its bound", s.Bytes)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"br, gzip;q=0.5":       true,
		"gzip;q=0":             false,
		"identity":             false,
		"*":                    true,
		"*;q=0":                false,
		"x-gzip":               true,
		"deflate, gzip ;q=1.0": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// A handler that flushes (server-sent events) streams through the cache:
// the client sees each event as it is flushed, and nothing is kept.
func TestResponseCacheStreamsFlushedResponses(t *testing.T) {
	c := liveCache()
	sent, next := make(chan struct{}), make(chan struct{})
	h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "public, max-age=30")
		rc := http.NewResponseController(w)
		io.WriteString(w, "data: one\n\n")
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
		close(sent)
		<-next
		io.WriteString(w, "data: two\n\n")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-sent
	buf := make([]byte, 64)
	n, err := resp.Body.Read(buf)
	if err != nil || string(buf[:n]) != "data: one\n\n" {
		t.Fatalf("first event: %q, %v", buf[:n], err)
	}
	close(next)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "data: two\n\n" {
		t.Errorf("second event: %q", rest)
	}
	if e := c.Stats().Entries; e != 0 {
		t.Errorf("%d entries kept from a streamed response", e)
	}
}

// BenchmarkCachedPage is the hot path of serving a kept page: the server's
// middleware, the cache lookup and writing the response.
func BenchmarkCachedPage(b *testing.B) {
	c := liveCache()
	page := strings.Repeat("<p>The harbour board published the winter timetable.</p>\n", 60)
	h := New(Config{Handler: c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))}).Handler()
	req := httptest.NewRequest("GET", "/story/1/harbour", nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
}
