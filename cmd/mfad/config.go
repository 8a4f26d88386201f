package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad/api/zimbra"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/internal/stores"
	"github.com/mfad/mfad/otp"
)

// config is every setting of mfad. Each comes from a flag, else from its
// MFAD_* environment variable, else from the config file, else the default
// (see resolve in configfile.go).
type config struct {
	ConfigFile     string // --config, else MFAD_CONFIG: the optional config file
	Addr           string
	DataDir        string
	DB             string // "" or a file path: SQLite; postgres://...: PostgreSQL
	Issuer         string
	TrustedProxies string
	PublicHosts    string // comma-separated host names browsers reach the server by
	TchmiOrigins   string // comma-separated origins whose pages may use the TwinCAT dialect
	CORSOrigins    string
	LogFormat      string
	LogLevel       string
	AdminName      string
	AdminEmail     string
	AdminPassword  string
	MasterKey      string // the key ring itself (MFAD_MASTER_KEY)
	KeyFile        string
	TLSCert        string
	TLSKey         string
	Window         int
	AllowedAlgs    string // comma-separated algorithms users may choose at enrollment
	AllowedDigits  string // comma-separated digit counts
	AllowedPeriods string // comma-separated periods in seconds
	PendingTTL     time.Duration
	AccessTTL      time.Duration
	RefreshTTL     time.Duration
	RefreshReuse   time.Duration
	PersistentIdle time.Duration
	StepUpTTL      time.Duration
	ZimbraTokenTTL time.Duration // the auth token lifetime of the Zimbra dialect
	AuditRetention time.Duration
	ArgonMemoryKiB int
	ArgonTime      int
	ArgonParallel  int
	HashConcurrent int
	Webhooks       string // notification endpoints: NAME=URL[;events=KIND,KIND] ...
	SMTPAddr       string // host:port of the mail server for notifications; "": no email
	SMTPFrom       string
	SMTPUser       string
	SMTPTLS        string // starttls, tls or none
	NoMigrate      bool   // PostgreSQL: do not migrate at start; refuse a schema with pending migrations
	PprofAddr      string // loopback host:port of the net/http/pprof listener; "": off

	settings []setting // the settings bind registered, in order, with where each came from
}

// bind registers the flags of c on fs with their built-in defaults; resolve
// then fills in what the environment and the config file say. A flag
// --some-name is MFAD_SOME_NAME in the environment and some_name in the
// file.
func (c *config) bind(fs *flag.FlagSet) {
	d := auth.DefaultConfig()
	fs.StringVar(&c.ConfigFile, "config", "", "config file (TOML; MFAD_CONFIG): flags and MFAD_* variables override it")
	str := func(p *string, name, env, def, help string) {
		fs.StringVar(p, name, def, help+" ("+env+")")
	}
	str(&c.Addr, "addr", "MFAD_ADDR", "127.0.0.1:8080", "listen address")
	str(&c.DataDir, "data-dir", "MFAD_DATA_DIR", "./mfad-data", "data directory (SQLite database, key file, admin password file)")
	str(&c.DB, "db", "MFAD_DB", "", "database: empty for SQLite in the data dir, or a postgres:// URL")
	str(&c.Issuer, "issuer", "MFAD_ISSUER", d.Issuer, "issuer shown in authenticator apps")
	str(&c.TrustedProxies, "trusted-proxies", "MFAD_TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is believed")
	str(&c.PublicHosts, "public-hosts", "MFAD_PUBLIC_HOSTS", "", "comma-separated host names browsers reach this server by (besides IP addresses and localhost); a page addressing another is refused (DNS rebinding)")
	str(&c.TchmiOrigins, "tchmi-origins", "MFAD_TCHMI_ORIGINS", "", "comma-separated origins (https://hmi.example:1010) or host patterns (*.example.com) whose pages may open the TwinCAT WebSocket and log in at /Login")
	str(&c.CORSOrigins, "cors-origins", "MFAD_CORS_ORIGINS", "", "comma-separated origins (https://host[:port]) whose web pages may call the Cloudreve API from a browser")
	str(&c.LogFormat, "log-format", "MFAD_LOG_FORMAT", "text", "log format: text or json")
	str(&c.LogLevel, "log-level", "MFAD_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	str(&c.AdminName, "admin-name", "MFAD_ADMIN_NAME", "admin", "name of the admin created on an empty database")
	str(&c.AdminEmail, "admin-email", "MFAD_ADMIN_EMAIL", "admin@mfad.local", "email of the admin created on an empty database")
	c.AdminPassword = os.Getenv("MFAD_ADMIN_PASSWORD") // never a flag: flags show in ps
	c.MasterKey = os.Getenv("MFAD_MASTER_KEY")
	str(&c.KeyFile, "key-file", "MFAD_KEY_FILE", "", "master key file (default: master.key in the data dir)")
	str(&c.TLSCert, "tls-cert", "MFAD_TLS_CERT", "", "TLS certificate file: serve HTTPS")
	str(&c.TLSKey, "tls-key", "MFAD_TLS_KEY", "", "TLS key file")
	fs.IntVar(&c.Window, "window", d.Window, "accepted TOTP steps either side of now (MFAD_WINDOW)")
	str(&c.AllowedAlgs, "allowed-algorithms", "MFAD_ALLOWED_ALGORITHMS", "SHA1", "comma-separated TOTP algorithms users may choose at enrollment (SHA1, SHA256, SHA512)")
	str(&c.AllowedDigits, "allowed-digits", "MFAD_ALLOWED_DIGITS", "6", "comma-separated code lengths users may choose at enrollment (6, 7, 8)")
	str(&c.AllowedPeriods, "allowed-periods", "MFAD_ALLOWED_PERIODS", "30", "comma-separated code periods in seconds users may choose at enrollment")
	dur := func(p *time.Duration, name, env string, def time.Duration, help string) {
		fs.DurationVar(p, name, def, help+" ("+env+")")
	}
	dur(&c.PendingTTL, "pending-ttl", "MFAD_PENDING_TTL", d.PendingTTL, "lifetime of a prepared enrollment")
	dur(&c.AccessTTL, "access-ttl", "MFAD_ACCESS_TTL", d.AccessTTL, "access token lifetime")
	dur(&c.RefreshTTL, "refresh-ttl", "MFAD_REFRESH_TTL", d.RefreshTTL, "refresh token lifetime")
	dur(&c.RefreshReuse, "refresh-reuse", "MFAD_REFRESH_REUSE", d.RefreshReuse, "how long a rotated refresh token still gets the pair it was rotated to, for parallel refreshes (0: never, a second use revokes the session)")
	dur(&c.PersistentIdle, "persistent-idle-ttl", "MFAD_PERSISTENT_IDLE_TTL", d.PersistentIdleTTL, "idle timeout of a persistent TwinCAT login (sessions kept alive by use; others idle for access-ttl)")
	dur(&c.StepUpTTL, "step-up-ttl", "MFAD_STEP_UP_TTL", d.StepUpTTL, "how long a proven second factor allows sensitive actions")
	dur(&c.ZimbraTokenTTL, "zimbra-token-lifetime", "MFAD_ZIMBRA_TOKEN_LIFETIME", zimbra.TokenLifetime, "auth token lifetime of the Zimbra dialect (Zimbra's default: 2 days)")
	dur(&c.AuditRetention, "audit-retention", "MFAD_AUDIT_RETENTION", 365*24*time.Hour, "audit events older than this are pruned (0 keeps all)")
	fs.IntVar(&c.ArgonMemoryKiB, "argon-memory", int(d.Password.Memory), "argon2id memory in KiB (MFAD_ARGON_MEMORY)")
	fs.IntVar(&c.ArgonTime, "argon-time", int(d.Password.Time), "argon2id passes (MFAD_ARGON_TIME)")
	fs.IntVar(&c.ArgonParallel, "argon-parallel", int(d.Password.Threads), "argon2id lanes (MFAD_ARGON_PARALLEL)")
	fs.IntVar(&c.HashConcurrent, "hash-concurrency", d.Password.Concurrent, "password hashes computed at once (MFAD_HASH_CONCURRENCY)")
	str(&c.Webhooks, "webhooks", "MFAD_WEBHOOKS", "", "notification webhooks, space-separated NAME=URL[;events=KIND,KIND]; signed with MFAD_WEBHOOK_SECRET_<NAME> or MFAD_WEBHOOK_SECRET (docs/notifications.md)")
	str(&c.SMTPAddr, "smtp-addr", "MFAD_SMTP_ADDR", "", "mail server (host:port) for emailing users about their second factor; empty: no email")
	str(&c.SMTPFrom, "smtp-from", "MFAD_SMTP_FROM", "mfad@localhost", "sender address of notification emails")
	str(&c.SMTPUser, "smtp-user", "MFAD_SMTP_USER", "", "SMTP AUTH user (its password: MFAD_SMTP_PASSWORD)")
	str(&c.SMTPTLS, "smtp-tls", "MFAD_SMTP_TLS", "starttls", "SMTP transport security: starttls, tls (implicit, port 465) or none (a relay on this machine)")
	str(&c.PprofAddr, "pprof-addr", "MFAD_PPROF_ADDR", "", "loopback address (127.0.0.1:6060) of a separate listener serving Go profiles at /debug/pprof/; empty: off")
	fs.BoolVar(&c.NoMigrate, "no-migrate", false, "PostgreSQL: do not apply pending migrations at start, refuse to start while any is pending; run mfad migrate instead (MFAD_NO_MIGRATE)")
}

// authConfig is the core's configuration.
func (c *config) authConfig() (auth.Config, error) {
	if c.ArgonMemoryKiB < 8 || c.ArgonTime < 1 || c.ArgonParallel < 1 || c.ArgonParallel > 255 || c.HashConcurrent < 1 {
		return auth.Config{}, fmt.Errorf("argon2id settings out of range")
	}
	a := auth.DefaultConfig()
	a.Issuer, a.Window = c.Issuer, c.Window
	a.PendingTTL, a.AccessTTL, a.RefreshTTL, a.StepUpTTL = c.PendingTTL, c.AccessTTL, c.RefreshTTL, c.StepUpTTL
	a.RefreshReuse = c.RefreshReuse
	if a.RefreshReuse == 0 {
		a.RefreshReuse = -1 // the core's "off"; its 0 is the default
	}
	a.PersistentIdleTTL = c.PersistentIdle
	a.DialectAccessTTL = map[string]time.Duration{zimbra.Dialect: c.ZimbraTokenTTL}
	a.Password.Memory, a.Password.Time, a.Password.Threads = uint32(c.ArgonMemoryKiB), uint32(c.ArgonTime), uint8(c.ArgonParallel)
	a.Password.Concurrent = c.HashConcurrent
	var err error
	if a.Allowed, err = c.choices(); err != nil {
		return auth.Config{}, err
	}
	return a, nil
}

// choices parses the allowed-* settings; the first of each list is not a
// default: a user who asks for nothing gets SHA1, 6 digits, 30 s.
func (c *config) choices() (auth.OTPChoices, error) {
	var ch auth.OTPChoices
	for _, s := range splitList(c.AllowedAlgs) {
		a, err := otp.ParseAlgorithm(s)
		if err != nil {
			return ch, fmt.Errorf("allowed-algorithms: %v", err)
		}
		ch.Algorithms = append(ch.Algorithms, a.String())
	}
	ints := func(name, list string, ok func(int) bool) ([]int, error) {
		var out []int
		for _, s := range splitList(list) {
			n, err := strconv.Atoi(s)
			if err != nil || !ok(n) {
				return nil, fmt.Errorf("%s: %q is not allowed", name, s)
			}
			out = append(out, n)
		}
		return out, nil
	}
	var err error
	if ch.Digits, err = ints("allowed-digits", c.AllowedDigits, func(n int) bool { return n >= 6 && n <= 8 }); err != nil {
		return ch, err
	}
	if ch.Periods, err = ints("allowed-periods", c.AllowedPeriods, func(n int) bool { return n >= 15 && n <= 300 }); err != nil {
		return ch, err
	}
	return ch, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// store is the store --db names (internal/stores).
func (c *config) store() stores.Store { return stores.For(c.DB) }

// spec is where the store's data is, with this machine's clock wall.
func (c *config) spec(wall func() time.Time) stores.Spec {
	return stores.Spec{DB: c.DB, DataDir: c.DataDir, NoMigrate: c.NoMigrate, Wall: wall}
}
