package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of `wiredesk serve` and `wiredesk demo`. Each is
// read, in rising precedence, from its default, the config file (JSON, keys
// as in the json tags), the environment variable named in its comment, and
// for the common ones a command-line flag.
type Config struct {
	// Addr is the listen address of the site. Default ":8080".
	// WIREDESK_ADDR, --addr.
	Addr string `json:"addr"`
	// Data is the directory of the embedded SQLite store, used when
	// DatabaseURL is empty. Default "./wiredesk-data". WIREDESK_DATA, --data.
	Data string `json:"data"`
	// DatabaseURL switches the store to PostgreSQL
	// ("postgres://user@host:5432/db"). Default empty.
	// WIREDESK_DATABASE_URL, --database-url.
	DatabaseURL string `json:"database_url"`
	// LogLevel is debug, info, warn or error. Default "info".
	// WIREDESK_LOG_LEVEL, --log-level.
	LogLevel string `json:"log_level"`
	// SiteName is shown in page titles and the header. Default "wiredesk".
	// WIREDESK_SITE_NAME.
	SiteName string `json:"site_name"`
	// Provenance is the line on every auto-published story; "{agency}" is
	// replaced by the agency's name. Default "Published automatically from
	// the {agency} feed, without changes to its text. Not reviewed by an
	// editor." WIREDESK_PROVENANCE.
	Provenance string `json:"provenance"`
	// PollScan is how often due sources are looked for. Default "1s".
	// WIREDESK_POLL_SCAN.
	PollScan Duration `json:"poll_scan"`
	// FetchTimeout caps one fetch of a source. Default "30s".
	// WIREDESK_FETCH_TIMEOUT.
	FetchTimeout Duration `json:"fetch_timeout"`
	// FetchMaxBytes caps one response from a source. Default 10485760
	// (10 MiB). WIREDESK_FETCH_MAX_BYTES.
	FetchMaxBytes int64 `json:"fetch_max_bytes"`
	// DeskSecureCookies marks the desk's session cookie Secure (sent over
	// HTTPS only). Default true for serve, false for demo (plain
	// http://localhost); set false only to use the desk over plain HTTP.
	// WIREDESK_DESK_SECURE_COOKIES.
	DeskSecureCookies *bool `json:"desk_secure_cookies"`
	// PublicURL is the site's address as readers reach it
	// ("https://news.example"), for the absolute links in feeds and
	// sitemaps. Default empty: each request's own scheme and host.
	// WIREDESK_PUBLIC_URL.
	PublicURL string `json:"public_url"`
	// WebSubHub is the WebSub hub the feeds advertise (rel="hub"). Default
	// empty: none. WIREDESK_WEBSUB_HUB.
	WebSubHub string `json:"websub_hub"`
	// Sources are created or updated at start, by name.
	Sources []SourceConfig `json:"sources"`
	// DropFolders are directories agencies deliver files into (their FTP
	// or SFTP landing folders), watched for complete files.
	DropFolders []DropFolderConfig `json:"drop_folders"`
}

// DropFolderConfig is one watched landing directory.
type DropFolderConfig struct {
	// Dir is the directory; done/ and failed/ are made inside it.
	Dir string `json:"dir"`
	// Agency names the agency for files whose payload names none.
	Agency string `json:"agency"`
}

// SourceConfig is one source in the config file.
type SourceConfig struct {
	Name         string   `json:"name"`
	URL          string   `json:"url"`
	Format       string   `json:"format"`
	Agency       string   `json:"agency"`
	Interval     Duration `json:"interval"`
	AllowPrivate bool     `json:"allow_private"`
	Paused       bool     `json:"paused"`
	// Auth is the source's credentials; absent for none.
	Auth *SourceAuthConfig `json:"auth"`
	// PushSecret lets the agency push to POST /ingest/{name}, signed with
	// this secret as Standard Webhooks specifies ("whsec_" + base64, or
	// any string). Empty: the source takes no pushes.
	PushSecret string `json:"push_secret"`
	// WebSub lets wiredesk subscribe to the hub the source's feed names
	// (needs public_url). Absent: true when a hub is found.
	WebSub *bool `json:"websub"`
}

// SourceAuthConfig is a source's credentials in the config file. The secret
// itself is never in the file: SecretEnv names the environment variable that
// holds it.
type SourceAuthConfig struct {
	// Kind is basic, bearer, header or query.
	Kind      string `json:"kind"`
	Username  string `json:"username"`
	SecretEnv string `json:"secret_env"`
	// Name is the header name (header) or query parameter (query).
	Name string `json:"name"`
}

// Duration reads "90s" or "5m" from JSON.
type Duration time.Duration

// UnmarshalJSON accepts a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"60s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func defaultConfig() Config {
	return Config{
		Addr:          ":8080",
		Data:          "./wiredesk-data",
		LogLevel:      "info",
		SiteName:      "wiredesk",
		Provenance:    "Published automatically from the {agency} feed, without changes to its text. Not reviewed by an editor.",
		PollScan:      Duration(time.Second),
		FetchTimeout:  Duration(30 * time.Second),
		FetchMaxBytes: 10 << 20,
	}
}

// configFlags are the flags every store-using subcommand shares.
type configFlags struct {
	file        string
	addr        string
	data        string
	databaseURL string
	logLevel    string
}

func (f *configFlags) register(fs *flag.FlagSet, withAddr bool) {
	fs.StringVar(&f.file, "config", "", "config file (JSON); settings also come from WIREDESK_* variables")
	if withAddr {
		fs.StringVar(&f.addr, "addr", "", "listen address (default \":8080\")")
	}
	fs.StringVar(&f.data, "data", "", "SQLite data directory (default \"./wiredesk-data\")")
	fs.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL URL; replaces the SQLite store")
	fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (default \"info\")")
}

// load builds the config from defaults, file, environment and flags.
func (f *configFlags) load(getenv func(string) string) (Config, error) {
	cfg := defaultConfig()
	file := f.file
	if file == "" {
		file = getenv("WIREDESK_CONFIG")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return cfg, err
	}
	for _, o := range []struct {
		flag string
		dst  *string
	}{{f.addr, &cfg.Addr}, {f.data, &cfg.Data}, {f.databaseURL, &cfg.DatabaseURL}, {f.logLevel, &cfg.LogLevel}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	return cfg, cfg.validate()
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	strs := map[string]*string{
		"WIREDESK_ADDR":         &cfg.Addr,
		"WIREDESK_DATA":         &cfg.Data,
		"WIREDESK_DATABASE_URL": &cfg.DatabaseURL,
		"WIREDESK_LOG_LEVEL":    &cfg.LogLevel,
		"WIREDESK_SITE_NAME":    &cfg.SiteName,
		"WIREDESK_PROVENANCE":   &cfg.Provenance,
		"WIREDESK_PUBLIC_URL":   &cfg.PublicURL,
		"WIREDESK_WEBSUB_HUB":   &cfg.WebSubHub,
	}
	for k, dst := range strs {
		if v := getenv(k); v != "" {
			*dst = v
		}
	}
	durs := map[string]*Duration{"WIREDESK_POLL_SCAN": &cfg.PollScan, "WIREDESK_FETCH_TIMEOUT": &cfg.FetchTimeout}
	for k, dst := range durs {
		if v := getenv(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			*dst = Duration(d)
		}
	}
	if v := getenv("WIREDESK_DESK_SECURE_COOKIES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("WIREDESK_DESK_SECURE_COOKIES: %w", err)
		}
		cfg.DeskSecureCookies = &b
	}
	if v := getenv("WIREDESK_FETCH_MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("WIREDESK_FETCH_MAX_BYTES: %w", err)
		}
		cfg.FetchMaxBytes = n
	}
	return nil
}

func (c *Config) validate() error {
	var errs []error
	if c.DatabaseURL == "" && c.Data == "" {
		errs = append(errs, errors.New("data: a directory is needed when database_url is empty"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database_url: must start with postgres:// or postgresql://"))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.PollScan <= 0 {
		errs = append(errs, errors.New("poll_scan: must be positive"))
	}
	if c.FetchTimeout <= 0 {
		errs = append(errs, errors.New("fetch_timeout: must be positive"))
	}
	if c.FetchMaxBytes <= 0 {
		errs = append(errs, errors.New("fetch_max_bytes: must be positive"))
	}
	for _, u := range []struct{ key, value string }{{"public_url", c.PublicURL}, {"websub_hub", c.WebSubHub}} {
		if p, err := url.Parse(u.value); u.value != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
			errs = append(errs, fmt.Errorf("%s: must be an absolute http(s) URL", u.key))
		}
	}
	if !strings.Contains(c.Provenance, "{agency}") {
		errs = append(errs, errors.New("provenance: must name the agency with {agency}"))
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		if s.Name == "" || s.URL == "" {
			errs = append(errs, fmt.Errorf("sources[%d]: name and url are required", i))
		}
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("sources[%d]: name %q used twice", i, s.Name))
		}
		if s.Interval != 0 && s.Interval < Duration(minSourceInterval) {
			errs = append(errs, fmt.Errorf("sources[%d]: interval %s is under the minimum of %s", i, time.Duration(s.Interval), minSourceInterval))
		}
		seen[s.Name] = true
	}
	for i, d := range c.DropFolders {
		if d.Dir == "" {
			errs = append(errs, fmt.Errorf("drop_folders[%d]: dir is required", i))
		}
	}
	return errors.Join(errs...)
}
