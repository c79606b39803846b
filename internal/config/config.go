// Package config holds the server's settings: defaults, the environment
// variables that override them, and validation.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"openboards/internal/clientip"
	"openboards/internal/webhook/egress"
)

// DefaultDB is the embedded database used when none is configured.
var DefaultDB = filepath.Join("openboards-data", "openboards.db")

// Config is the server configuration. Default returns usable values.
type Config struct {
	DB           string // a file path, sqlite:PATH, or postgres://...
	DBMaxConns   int    // PostgreSQL pool size; 0 means the store's default
	Addr         string // listen address
	BaseURL      string // public URL; its path is the API's base path
	MaxBodyBytes int64  // request body limit
	Migrate      bool   // apply pending migrations on start
	// WebhookAllowedNetworks lists networks (comma-separated CIDRs) that
	// webhook endpoints may be in although private or reserved.
	WebhookAllowedNetworks string
	// WebhookRetention is how long webhook deliveries and events are kept.
	WebhookRetention time.Duration
	// MetricsAddr is the listen address of /metrics; empty means metrics
	// are not served. It is a listener of its own so that the public
	// address never shows them.
	MetricsAddr string
	// TrustedProxies lists the proxies (comma-separated CIDRs or
	// addresses) whose X-Forwarded-For is believed; empty trusts nobody.
	TrustedProxies string
	// MaxConns caps the open connections of the public listener;
	// MaxConnsPerIP caps those from one peer address (trusted proxies are
	// held only to MaxConns). 0 means no cap.
	MaxConns      int
	MaxConnsPerIP int
	LogFormat     string // "text" (default, also when empty) or "json"
	LogLevel      string // "debug", "info" (default, also when empty), "warn" or "error"
}

// Default returns the settings of a fresh install.
func Default() Config {
	return Config{
		DB: DefaultDB, Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, WebhookRetention: 30 * 24 * time.Hour,
		LogFormat: "text", LogLevel: "info", MaxConns: 4096, MaxConnsPerIP: 256,
	}
}

// Load applies the OPENBOARDS_* environment variables found by getenv on
// top of c.
func (c Config) Load(getenv func(string) string) (Config, error) {
	if v := getenv("OPENBOARDS_DB"); v != "" {
		c.DB = v
	}
	if v := getenv("OPENBOARDS_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("OPENBOARDS_METRICS_ADDR"); v != "" {
		c.MetricsAddr = v
	}
	if v := getenv("OPENBOARDS_LOG_FORMAT"); v != "" {
		c.LogFormat = v
	}
	if v := getenv("OPENBOARDS_LOG_LEVEL"); v != "" {
		c.LogLevel = v
	}
	if v := getenv("OPENBOARDS_BASE_URL"); v != "" {
		c.BaseURL = v
	}
	if v := getenv("OPENBOARDS_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("OPENBOARDS_DB_MAX_CONNS: %q is not a number of connections", v)
		}
		c.DBMaxConns = n
	}
	if v := getenv("OPENBOARDS_TRUSTED_PROXIES"); v != "" {
		c.TrustedProxies = v
	}
	for _, e := range []struct {
		name string
		dst  *int
	}{{"OPENBOARDS_MAX_CONNS", &c.MaxConns}, {"OPENBOARDS_MAX_CONNS_PER_IP", &c.MaxConnsPerIP}} {
		if v := getenv(e.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return c, fmt.Errorf("%s: %q is not a number of connections", e.name, v)
			}
			*e.dst = n
		}
	}
	if v := getenv("OPENBOARDS_WEBHOOK_ALLOWED_NETWORKS"); v != "" {
		c.WebhookAllowedNetworks = v
	}
	if v := getenv("OPENBOARDS_WEBHOOK_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("OPENBOARDS_WEBHOOK_RETENTION: %q is not a duration like 720h", v)
		}
		c.WebhookRetention = d
	}
	if v := getenv("OPENBOARDS_MAX_BODY_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("OPENBOARDS_MAX_BODY_BYTES: %q is not a number of bytes", v)
		}
		c.MaxBodyBytes = n
	}
	return c, nil
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if c.DB == "" {
		return fmt.Errorf("db: required")
	}
	if c.Addr == "" {
		return fmt.Errorf("addr: required")
	}
	if c.LogFormat != "" && c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("log-format: %q is neither text nor json", c.LogFormat)
	}
	if _, err := c.Level(); err != nil {
		return err
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max body size: at least 1024 bytes")
	}
	if c.WebhookRetention < time.Hour {
		return fmt.Errorf("webhook-retention: at least 1h")
	}
	if _, err := clientip.ParsePrefixes(c.TrustedProxies); err != nil {
		return fmt.Errorf("trusted-proxies: %w", err)
	}
	if c.MaxConns < 0 {
		return fmt.Errorf("max-conns: at least 0 (0 means no cap)")
	}
	if c.MaxConnsPerIP < 0 {
		return fmt.Errorf("max-conns-per-ip: at least 0 (0 means no cap)")
	}
	if _, err := egress.ParseAllowed(c.WebhookAllowedNetworks); err != nil {
		return fmt.Errorf("webhook-allowed-networks: %w", err)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("base-url: %q is not an absolute http(s) URL", c.BaseURL)
		}
	}
	return nil
}

// BasePath is the path of BaseURL without its trailing slash: the prefix the
// API is served under.
func (c Config) BasePath() string {
	if c.BaseURL == "" {
		return ""
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// Level is the slog level LogLevel names.
func (c Config) Level() (slog.Level, error) {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log-level: %q is not one of debug, info, warn, error", c.LogLevel)
}
