// Package server runs wiredesk's HTTP server: listening, middleware, health check and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Config fields.
const (
	DefaultAddr            = ":8080"
	DefaultShutdownTimeout = 10 * time.Second
)

// Limits on every connection. Reading a request is bounded so slow clients
// cannot hold connections open; writing is bounded generously because the
// site streams nothing long.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// readyTimeout bounds one health check so a hung database answers 503
	// rather than hanging the load balancer's probe.
	readyTimeout = 5 * time.Second
)

// Config configures a Server.
type Config struct {
	// Addr is the TCP address to listen on. Default DefaultAddr (":8080");
	// "127.0.0.1:0" picks a free port (see Server.Addr).
	Addr string
	// Handler serves every request but GET /healthz. Required.
	Handler http.Handler
	// Logger receives the access log (Debug), panics and server errors.
	// Default: a text logger on stderr at level Warn.
	Logger *slog.Logger
	// Ready is the health check behind GET /healthz, e.g. a store ping: nil
	// error means ready. Default: always ready.
	Ready func(ctx context.Context) error
	// ShutdownTimeout is how long in-flight requests get to finish once
	// Run's context is canceled; after it connections are closed. Default
	// DefaultShutdownTimeout (10s).
	ShutdownTimeout time.Duration
}

func (c *Config) validate() error {
	if c.Handler == nil {
		return errors.New("server config: Handler is required")
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if c.Ready == nil {
		c.Ready = func(context.Context) error { return nil }
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return nil
}

// Server is wiredesk's HTTP server. Create it with New and start it with Run;
// a Server runs once.
type Server struct {
	cfg       Config
	cfgErr    error
	listening chan struct{}
	started   atomic.Bool

	mu   sync.Mutex
	addr string
}

// New returns a Server for cfg. Configuration errors are reported by Run.
func New(cfg Config) *Server {
	err := cfg.validate()
	return &Server{cfg: cfg, cfgErr: err, listening: make(chan struct{})}
}

// Listening is closed once the server is listening, after which Addr
// returns the bound address.
func (s *Server) Listening() <-chan struct{} { return s.listening }

// Addr returns the address the server is bound to, such as
// "127.0.0.1:41234", or "" before it is listening.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Handler returns the full handler Run serves: health check, middleware and
// the configured handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.Handle("/", s.cfg.Handler)
	return accessLog(s.cfg.Logger, securityHeaders(recoverPanics(s.cfg.Logger, mux)))
}

// Run listens on Config.Addr and serves until ctx is canceled, then shuts
// down gracefully: it stops accepting connections and waits up to
// ShutdownTimeout for in-flight requests. It returns nil after a shutdown
// triggered by ctx, and the error otherwise.
func (s *Server) Run(ctx context.Context) error {
	if s.cfgErr != nil {
		return s.cfgErr
	}
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("server: Run called twice")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
		// Requests carry ctx's values but not its cancellation, so
		// shutting down lets in-flight requests finish instead of
		// canceling them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	close(s.listening)
	s.cfg.Logger.InfoContext(ctx, "http server listening", slog.String("addr", ln.Addr().String()))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	if shutdownErr != nil {
		// Requests still running after the timeout are cut off.
		_ = srv.Close()
		shutdownErr = fmt.Errorf("shut down http server on %s: %w", ln.Addr(), shutdownErr)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(shutdownErr, fmt.Errorf("serve http on %s: %w", ln.Addr(), err))
	}
	s.cfg.Logger.InfoContext(ctx, "http server stopped", slog.String("addr", ln.Addr().String()))
	return shutdownErr
}

// serveHealth answers 200 "ok" when Ready says so and 503 with the reason
// otherwise, for load balancers and `wiredesk` operators.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.cfg.Ready(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	_, _ = w.Write([]byte("ok"))
}
