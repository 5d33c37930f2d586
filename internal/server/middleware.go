package server

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// contentSecurityPolicy allows the site's own stylesheet and remote images
// in agency copy, and no script at all: wiredesk pages need none, so any
// script that slips through sanitizing cannot run.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'none'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries. A handler may
// replace one for its own response (the raw delivery page tightens the CSP).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panicking handler into a logged 500, so one bad
// request does not take the process down.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			// net/http uses this panic to abort a response on purpose.
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			logger.ErrorContext(r.Context(), "http handler panicked",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if rec.status != 0 {
				// Part of the response is out; the client sees a cut
				// connection rather than a wrong status.
				panic(http.ErrAbortHandler)
			}
			// Headers the handler set before panicking describe a body
			// that will never be sent; the security headers stay.
			h := w.Header()
			for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Disposition", "ETag", "Last-Modified", "Location"} {
				h.Del(k)
			}
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("internal server error\n"))
		}()
		next.ServeHTTP(rec, r)
	})
}

// accessLog logs every request at Debug level once it is answered.
func accessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			// A handler that writes nothing answers 200.
			status = http.StatusOK
		}
		logger.DebugContext(r.Context(), "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Duration("duration", time.Since(start)))
	})
}

// statusRecorder remembers the status a handler sent.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	// 1xx responses are informational; the final status comes later.
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer for
// flushing and deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Defaults of ResponseCacheConfig fields.
const (
	DefaultCacheMaxBytes      = 64 << 20
	DefaultCacheMaxEntryBytes = 1 << 20
	// gzipMinBytes is the smallest body worth compressing: below it the
	// gzip header and the client's work cost more than the bytes saved.
	gzipMinBytes = 1024
)

// ResponseCacheConfig configures a ResponseCache.
type ResponseCacheConfig struct {
	// MaxBytes bounds the bodies held, compressed copies included; the
	// least recently used entries go first. Default DefaultCacheMaxBytes
	// (64 MiB).
	MaxBytes int64
	// MaxEntryBytes is the largest body buffered, and so cached,
	// compressed and given an ETag; larger responses stream through
	// untouched. Default DefaultCacheMaxEntryBytes (1 MiB).
	MaxEntryBytes int
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// ResponseCache is an in-process shared cache for public GET responses,
// with the HTTP around it: weak ETags and Last-Modified, 304 answers to
// If-None-Match and If-Modified-Since, and gzip for text. It keeps what a
// shared HTTP cache may keep: responses whose Cache-Control says public with
// a max-age or s-maxage (for that long), to requests without Authorization,
// without Set-Cookie, varying on nothing but Accept-Encoding. So a handler
// opts in by its Cache-Control alone, and a private page (the desk) is never
// kept. Entries live until they expire or Flush: whoever watches the store
// flushes on every change. A new cache is suspended: it keeps nothing until
// Resume, so it cannot serve stale pages before the watch is in place.
//
// It is safe for concurrent use.
type ResponseCache struct {
	maxBytes      int64
	maxEntryBytes int
	now           func() time.Time
	gzippers      sync.Pool

	mu sync.Mutex
	// live is false while nobody watches the store for changes.
	live bool
	// gen counts flushes: a response rendered before a flush must not be
	// kept after it, since it may show what the flush was for.
	gen      uint64
	entries  map[string]*list.Element // of *cachedResponse
	lru      *list.List               // most recently used first
	size     int64
	inflight map[string]*cacheFill
	hits     uint64
	misses   uint64
}

// cachedResponse is one buffered response, ready to be sent again.
type cachedResponse struct {
	key    string
	status int
	header http.Header
	body   []byte
	// gzipped is body compressed, nil when not worth it.
	gzipped      []byte
	etag         string
	lastModified time.Time
	expires      time.Time
	// Header values worked out once, not on every hit.
	lastModifiedHeader, bodyLength, gzippedLength string
}

func (e *cachedResponse) size() int64 { return int64(len(e.key) + len(e.body) + len(e.gzipped) + 512) }

// cacheFill is a response being rendered that other requests for the same
// key may wait for, instead of all rendering it at once.
type cacheFill struct {
	gen  uint64
	done chan struct{}
	// entry is set before done is closed when the response was kept.
	entry *cachedResponse
}

// NewResponseCache returns a suspended cache.
func NewResponseCache(cfg ResponseCacheConfig) *ResponseCache {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultCacheMaxBytes
	}
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = DefaultCacheMaxEntryBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ResponseCache{
		maxBytes:      cfg.MaxBytes,
		maxEntryBytes: cfg.MaxEntryBytes,
		now:           cfg.Now,
		entries:       make(map[string]*list.Element),
		lru:           list.New(),
		inflight:      make(map[string]*cacheFill),
	}
}

// Flush drops every entry, and any response being rendered is not kept.
func (c *ResponseCache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

func (c *ResponseCache) flushLocked() {
	c.gen++
	clear(c.entries)
	c.lru.Init()
	c.size = 0
}

// Suspend flushes the cache and keeps nothing until Resume: for while the
// watch on the store is broken and changes may go unseen.
func (c *ResponseCache) Suspend() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = false
	c.flushLocked()
}

// Resume flushes the cache (changes may have been missed while nobody
// watched) and starts keeping responses again.
func (c *ResponseCache) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = true
	c.flushLocked()
}

// Live reports whether the cache keeps responses (it is not suspended).
func (c *ResponseCache) Live() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// CacheStats are a cache's counters.
type CacheStats struct {
	Hits, Misses uint64
	Entries      int
	Bytes        int64
}

// Stats returns the cache's counters.
func (c *ResponseCache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses, Entries: len(c.entries), Bytes: c.size}
}

// Wrap returns next behind the cache.
func (c *ResponseCache) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) ||
			r.Header.Get("Authorization") != "" || r.Header.Get("Range") != "" {
			next.ServeHTTP(w, r)
			return
		}
		// The host is part of the key: pages built from it must not be
		// served to requests for another.
		key := r.Host + " " + r.URL.RequestURI()
		e, wait, lead, gen := c.lookup(key)
		if e != nil {
			c.send(w, r, e)
			return
		}
		if wait != nil {
			select {
			case <-wait.done:
			case <-r.Context().Done():
				return
			}
			if wait.entry != nil {
				c.send(w, r, wait.entry)
				return
			}
			// The response was not kept (private, too large, or a flush
			// came first): render it for this request.
			lead, gen = c.lead(key)
		}
		if lead != nil {
			// Waiters must not hang on a handler that panicked: they
			// render for themselves.
			defer func() {
				if v := recover(); v != nil {
					c.finish(key, lead, nil)
					panic(v)
				}
			}()
		}
		e = c.render(w, r, next, key)
		if e != nil && !e.expires.IsZero() {
			c.keep(e, gen)
		}
		if lead != nil {
			c.finish(key, lead, e)
		}
		if e != nil {
			c.send(w, r, e)
		}
	})
}

// lookup returns a live entry for key; else, when another request has been
// rendering key since the last flush, that fill to wait for; else it
// registers this request as the one rendering key (lead, nil while the
// cache is suspended), with the generation its response belongs to.
func (c *ResponseCache) lookup(key string) (e *cachedResponse, wait, lead *cacheFill, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cachedResponse)
		if c.now().Before(e.expires) {
			c.lru.MoveToFront(el)
			c.hits++
			return e, nil, nil, 0
		}
		c.removeLocked(el)
	}
	c.misses++
	if !c.live {
		return nil, nil, nil, c.gen
	}
	if f, ok := c.inflight[key]; ok && f.gen == c.gen {
		return nil, f, nil, 0
	}
	f := &cacheFill{gen: c.gen, done: make(chan struct{})}
	c.inflight[key] = f
	return nil, nil, f, c.gen
}

// lead registers a request as the one rendering key.
func (c *ResponseCache) lead(key string) (*cacheFill, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := &cacheFill{gen: c.gen, done: make(chan struct{})}
	c.inflight[key] = f
	return f, c.gen
}

// finish ends a fill, handing waiters the entry when it was kept.
func (c *ResponseCache) finish(key string, f *cacheFill, e *cachedResponse) {
	c.mu.Lock()
	if c.inflight[key] == f {
		delete(c.inflight, key)
	}
	if e != nil {
		if el, ok := c.entries[key]; ok && el.Value == e {
			f.entry = e
		}
	}
	c.mu.Unlock()
	close(f.done)
}

// keep stores e unless the cache was flushed since its rendering began.
func (c *ResponseCache) keep(e *cachedResponse, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || gen != c.gen || e.size() > c.maxBytes {
		return
	}
	if el, ok := c.entries[e.key]; ok {
		c.removeLocked(el)
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.size += e.size()
	for c.size > c.maxBytes {
		c.removeLocked(c.lru.Back())
	}
}

func (c *ResponseCache) removeLocked(el *list.Element) {
	e := c.lru.Remove(el).(*cachedResponse)
	delete(c.entries, e.key)
	c.size -= e.size()
}

// render runs next into a buffer and returns the response to send, with
// its validators and compressed copy; nil when the response was too large
// to buffer and has already been streamed to w. An entry that may be kept
// has a non-zero expires.
func (c *ResponseCache) render(w http.ResponseWriter, r *http.Request, next http.Handler, key string) *cachedResponse {
	rec := &bufferedResponse{w: w, header: make(http.Header), limit: c.maxEntryBytes}
	next.ServeHTTP(rec, r)
	if rec.streaming {
		return nil
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	now := c.now()
	e := &cachedResponse{key: key, status: rec.status, header: rec.header, body: rec.buf.Bytes()}
	h := e.header
	h.Del("Content-Length")
	cc := parseCacheControl(h.Get("Cache-Control"))
	if rec.status == http.StatusOK && !cc.noStore {
		e.etag = h.Get("ETag")
		if e.etag == "" {
			sum := sha256.Sum256(e.body)
			e.etag = `W/"` + hex.EncodeToString(sum[:12]) + `"`
		}
		h.Del("ETag")
	}
	if lm, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		e.lastModified = lm
	}
	h.Del("Last-Modified")
	if ttl := sharedTTL(rec.status, cc, h); ttl > 0 {
		if e.lastModified.IsZero() {
			e.lastModified = now.Truncate(time.Second)
		}
		e.expires = now.Add(ttl)
	}
	if h.Get("Content-Encoding") == "" && len(e.body) >= gzipMinBytes && compressible(h.Get("Content-Type")) {
		e.gzipped = c.gzip(e.body)
		h.Add("Vary", "Accept-Encoding")
	}
	if !e.lastModified.IsZero() {
		e.lastModifiedHeader = e.lastModified.UTC().Format(http.TimeFormat)
	}
	e.bodyLength = strconv.Itoa(len(e.body))
	e.gzippedLength = strconv.Itoa(len(e.gzipped))
	// send shares these slices between requests: clipped, a middleware's
	// Header().Add after it allocates anew instead of writing into them.
	for k, v := range h {
		h[k] = slices.Clip(v)
	}
	return e
}

func (c *ResponseCache) gzip(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 3)
	zw, _ := c.gzippers.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	} else {
		zw.Reset(&buf)
	}
	_, _ = zw.Write(body) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	c.gzippers.Put(zw)
	return buf.Bytes()
}

// send writes e, or 304 Not Modified when the request's validators match.
func (c *ResponseCache) send(w http.ResponseWriter, r *http.Request, e *cachedResponse) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	if e.etag != "" {
		h.Set("ETag", e.etag)
	}
	if e.lastModifiedHeader != "" {
		h.Set("Last-Modified", e.lastModifiedHeader)
	}
	if e.status == http.StatusOK && notModified(r, e) {
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
			h.Del(k)
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, length := e.body, e.bodyLength
	if e.gzipped != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body, length = e.gzipped, e.gzippedLength
	}
	h.Set("Content-Length", length)
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// notModified evaluates If-None-Match (weak comparison, RFC 9110 13.1.2)
// and, only without it, If-Modified-Since.
func notModified(r *http.Request, e *cachedResponse) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if e.etag == "" {
			return false
		}
		want := strings.TrimPrefix(e.etag, "W/")
		for tag := range strings.SplitSeq(inm, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
		return false
	}
	if e.lastModified.IsZero() {
		return false
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	if err != nil {
		return false
	}
	return !e.lastModified.Truncate(time.Second).After(ims)
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip.
func acceptsGzip(header string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if coding == "*" {
			star = q > 0
			continue
		}
		return q > 0
	}
	return star
}

// compressible reports whether a media type is text worth compressing;
// images, archives and already compressed types are not.
func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", mt == "application/xml", mt == "application/javascript",
		mt == "image/svg+xml",
		strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	return false
}

// cacheControl is what a shared cache reads from Cache-Control.
type cacheControl struct {
	public, private, noStore, noCache bool
	maxAge, sMaxAge                   int // -1 when absent
}

func parseCacheControl(v string) cacheControl {
	cc := cacheControl{maxAge: -1, sMaxAge: -1}
	for d := range strings.SplitSeq(v, ",") {
		name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "public":
			cc.public = true
		case "private":
			cc.private = true
		case "no-store":
			cc.noStore = true
		case "no-cache":
			cc.noCache = true
		case "max-age":
			if n, err := strconv.Atoi(strings.Trim(arg, `"`)); err == nil {
				cc.maxAge = n
			}
		case "s-maxage":
			if n, err := strconv.Atoi(strings.Trim(arg, `"`)); err == nil {
				cc.sMaxAge = n
			}
		}
	}
	return cc
}

// sharedTTL is how long a shared cache may keep a response: 0 unless it
// says public with a lifetime, has a status such a cache may keep, sets no
// cookie and varies on nothing a cache key here does not hold.
func sharedTTL(status int, cc cacheControl, h http.Header) time.Duration {
	switch status {
	case http.StatusOK, http.StatusMovedPermanently, http.StatusPermanentRedirect,
		http.StatusNotFound, http.StatusGone:
	default:
		return 0
	}
	if !cc.public || cc.private || cc.noStore || cc.noCache || len(h.Values("Set-Cookie")) > 0 {
		return 0
	}
	for _, v := range h.Values("Vary") {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" && !strings.EqualFold(f, "Accept-Encoding") {
				return 0
			}
		}
	}
	secs := cc.maxAge
	if cc.sMaxAge >= 0 {
		secs = cc.sMaxAge
	}
	return time.Duration(max(secs, 0)) * time.Second
}

// bufferedResponse holds a handler's response up to limit bytes; past it,
// it sends what it holds and streams the rest through.
type bufferedResponse struct {
	w         http.ResponseWriter
	header    http.Header
	status    int
	buf       bytes.Buffer
	limit     int
	streaming bool
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.streaming {
		b.w.WriteHeader(code)
		return
	}
	if b.status == 0 && code >= 200 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.streaming {
		return b.w.Write(p)
	}
	if b.buf.Len()+len(p) <= b.limit {
		return b.buf.Write(p)
	}
	if err := b.stream(); err != nil {
		return 0, err
	}
	return b.w.Write(p)
}

// stream sends the status, headers and what is buffered, and from then on
// passes writes through.
func (b *bufferedResponse) stream() error {
	if b.streaming {
		return nil
	}
	b.streaming = true
	if b.status == 0 {
		b.status = http.StatusOK
	}
	h := b.w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	b.w.WriteHeader(b.status)
	_, err := b.w.Write(b.buf.Bytes())
	b.buf = bytes.Buffer{}
	return err
}

// FlushError is how a handler that streams (the desk's server-sent events)
// says so: the response is sent as it comes, never buffered or kept.
// http.ResponseController finds it.
func (b *bufferedResponse) FlushError() error {
	if err := b.stream(); err != nil {
		return err
	}
	return http.NewResponseController(b.w).Flush()
}

// Flush is FlushError for handlers that assert http.Flusher.
func (b *bufferedResponse) Flush() { _ = b.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer for
// deadlines.
func (b *bufferedResponse) Unwrap() http.ResponseWriter { return b.w }
