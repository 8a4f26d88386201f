package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/otp"
)

// Where a setting's value came from, in order of precedence.
const (
	fromFlag    = "flag"
	fromEnv     = "environment"
	fromFile    = "config file"
	fromDefault = "default"
)

// setting is one flag that bind registered, after resolve: its value as
// text and where it came from.
type setting struct {
	name, env, key string // --name, MFAD_NAME, name in the config file
	value          string
	kind           string // "string", "int", "duration", "bool"
	source         string
}

// envName and fileKey derive a flag's other names: --audit-retention is
// MFAD_AUDIT_RETENTION and audit_retention.
func envName(flagName string) string {
	return "MFAD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func fileKey(flagName string) string { return strings.ReplaceAll(flagName, "-", "_") }

// secretKeys are settings that are never read from a config file (nor
// from a flag): they come from the environment only.
var secretKeys = map[string]string{
	"master_key":     "MFAD_MASTER_KEY",
	"admin_password": "MFAD_ADMIN_PASSWORD",
}

// boundNames lists the flags on fs so far: those of bind, before a
// command adds its own.
func boundNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// resolve gives each setting of bind that no flag set its value from the
// environment (MFAD_*), else from the config file (--config, else
// MFAD_CONFIG), else leaves the default. An environment variable set to ""
// counts as unset. Invalid values in either place are errors, and so is a
// key in the file that names no setting. Other MFAD_* variables (e.g.
// MFAD_PASSWORD for mfad user add) are left alone. Finally the whole
// configuration is checked.
func (c *config) resolve(fs *flag.FlagSet, names []string, lookupEnv func(string) (string, bool)) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	getenv := func(name string) (string, bool) {
		v, ok := lookupEnv(name)
		return v, ok && v != ""
	}
	if !set["config"] {
		if v, ok := getenv("MFAD_CONFIG"); ok {
			c.ConfigFile = v
		}
	}
	var file map[string]any
	if c.ConfigFile != "" {
		var err error
		if file, err = loadConfigFile(c.ConfigFile, names); err != nil {
			return err
		}
	}
	c.settings = c.settings[:0]
	for _, name := range names {
		f := fs.Lookup(name)
		s := setting{name: name, env: envName(name), key: fileKey(name), kind: kindOf(f), source: fromDefault}
		switch {
		case name == "config":
			if set[name] {
				s.source = fromFlag
			} else if _, ok := getenv("MFAD_CONFIG"); ok {
				s.source = fromEnv
			}
		default:
			// Every value is checked, also where a flag or the environment
			// overrides it: a bad file or variable is an error before it
			// matters. The file goes first, then the environment, then the
			// flag's own value is put back.
			flagValue := f.Value.String()
			if v, ok := file[s.key]; ok {
				if err := setFromFile(f, s.kind, v); err != nil {
					return fmt.Errorf("config file %s: %s: %v", c.ConfigFile, s.key, err)
				}
				s.source = fromFile
			}
			if v, ok := getenv(s.env); ok {
				if err := f.Value.Set(v); err != nil {
					return fmt.Errorf("%s=%q: invalid %s for --%s: %v", s.env, redact(name, v), s.kind, name, err)
				}
				s.source = fromEnv
			}
			if set[name] {
				_ = f.Value.Set(flagValue) // parsed once already: cannot fail
				s.source = fromFlag
			}
		}
		s.value = f.Value.String()
		c.settings = append(c.settings, s)
	}
	return c.validate()
}

// loadConfigFile reads a TOML config file: flat key = value pairs, one per
// setting. Unknown keys, tables and secrets are errors.
func loadConfigFile(path string, names []string) (map[string]any, error) {
	var m map[string]any
	md, err := toml.DecodeFile(path, &m)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("config file %s: line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return nil, fmt.Errorf("config file: %w", err)
	}
	known := map[string]bool{}
	for _, n := range names {
		if n != "config" {
			known[fileKey(n)] = true
		}
	}
	for _, k := range md.Keys() {
		key := k.String()
		switch {
		case secretKeys[key] != "":
			return nil, fmt.Errorf("config file %s: %s: secrets are not read from the config file; set %s in the environment (e.g. a systemd credential or EnvironmentFile)", path, key, secretKeys[key])
		case len(k) > 1 || isTable(m[key]):
			return nil, fmt.Errorf("config file %s: %s: unknown key (the file is flat: key = value, no tables)", path, key)
		case !known[key]:
			return nil, fmt.Errorf("config file %s: %s: unknown key%s", path, key, suggest(key, known))
		}
	}
	return m, nil
}

func isTable(v any) bool {
	switch v.(type) {
	case map[string]any, []map[string]any:
		return true
	}
	return false
}

// suggest names a known key close to an unknown one.
func suggest(key string, known map[string]bool) string {
	k := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	if known[k] {
		return fmt.Sprintf(" (did you mean %s?)", k)
	}
	return ""
}

// kindOf tells a flag's type from the value it holds.
func kindOf(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case int, int64, uint, uint64:
			return "int"
		case time.Duration:
			return "duration"
		case bool:
			return "bool"
		}
	}
	return "string"
}

// setFromFile sets a flag from a TOML value of the matching type: a string,
// an integer, a duration as a string ("10m", "8760h"), a boolean. A string
// setting that is a list (trusted_proxies, public_hosts, tchmi_origins,
// cors_origins) may also be an array of strings.
func setFromFile(f *flag.Flag, kind string, v any) error {
	var text string
	switch kind {
	case "int":
		n, ok := v.(int64)
		if !ok {
			return fmt.Errorf("want an integer, not %s", tomlType(v))
		}
		text = strconv.FormatInt(n, 10)
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, not %s", tomlType(v))
		}
		text = strconv.FormatBool(b)
	case "duration":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a duration as a string, e.g. \"10m\" or \"8760h\", not %s", tomlType(v))
		}
		text = s
	default:
		switch x := v.(type) {
		case string:
			text = x
		case int64:
			if !listSettings[f.Name] {
				return fmt.Errorf("want a string, not %s", tomlType(v))
			}
			text = strconv.FormatInt(x, 10)
		case []any:
			if !listSettings[f.Name] {
				return fmt.Errorf("want a string, not an array")
			}
			parts := make([]string, len(x))
			for i, e := range x {
				switch v := e.(type) {
				case string:
					parts[i] = v
				case int64: // allowed_digits = [6, 8]
					parts[i] = strconv.FormatInt(v, 10)
				default:
					return fmt.Errorf("want an array of strings")
				}
			}
			text = strings.Join(parts, ",")
		default:
			return fmt.Errorf("want a string, not %s", tomlType(v))
		}
	}
	if err := f.Value.Set(text); err != nil {
		return fmt.Errorf("%q: invalid %s: %v", redact(f.Name, text), kind, err)
	}
	return nil
}

// listSettings are the string settings that are lists: the file may give
// them as arrays.
var listSettings = map[string]bool{"trusted-proxies": true, "public-hosts": true, "tchmi-origins": true, "cors-origins": true,
	"allowed-algorithms": true, "allowed-digits": true, "allowed-periods": true}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// validate checks the settings that the commands would otherwise only
// trip over later (or, for serve, while starting).
func (c *config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format %q: want text or json", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("%v", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls-cert and tls-key: give both or neither")
	}
	if _, err := httpx.ParseProxies(c.TrustedProxies); err != nil {
		bad("trusted-proxies: %v", err)
	}
	if _, err := httpx.ParseOrigins(c.CORSOrigins); err != nil {
		bad("cors-origins: %v", err)
	}
	if c.Window < 0 || c.Window > otp.MaxWindow {
		bad("window %d: want 0 to %d steps", c.Window, otp.MaxWindow)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"pending-ttl", c.PendingTTL}, {"access-ttl", c.AccessTTL}, {"refresh-ttl", c.RefreshTTL}, {"step-up-ttl", c.StepUpTTL}, {"persistent-idle-ttl", c.PersistentIdle}, {"zimbra-token-lifetime", c.ZimbraTokenTTL}} {
		if d.v <= 0 {
			bad("%s %v: want a positive duration", d.name, d.v)
		}
	}
	if c.RefreshReuse < 0 || c.RefreshReuse > 10*time.Minute {
		bad("refresh-reuse %v: want 0 (off) to 10m", c.RefreshReuse)
	}
	if c.AuditRetention < 0 {
		bad("audit-retention %v: want 0 (keep all) or a positive duration", c.AuditRetention)
	}
	if _, err := c.authConfig(); err != nil {
		bad("%v", err)
	}
	if c.Addr == "" || c.DataDir == "" {
		bad("addr and data-dir must not be empty")
	}
	if err := checkPprofAddr(c.PprofAddr); err != nil {
		bad("pprof-addr %q: %v", c.PprofAddr, err)
	}
	return errors.Join(errs...)
}

// redact hides the password of a database URL (postgres://u:PASSWORD@h/db
// or ?password=...).
func redact(name, value string) string {
	if name != "db" || value == "" {
		return value
	}
	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" {
		return value
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "REDACTED")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// printConfig writes the effective configuration as a TOML config file
// that gives the same settings, each commented with where it came from.
// Secrets are never printed: only whether they are set.
func (c *config) printConfig(w io.Writer) {
	fmt.Fprintln(w, "# mfad: the effective configuration (flags > MFAD_* environment > config file > defaults)")
	if c.ConfigFile != "" {
		fmt.Fprintf(w, "# config file: %s\n", c.ConfigFile)
	} else {
		fmt.Fprintln(w, "# config file: none (--config FILE or MFAD_CONFIG)")
	}
	width := 0
	for _, s := range c.settings {
		if s.name != "config" {
			width = max(width, len(s.key)+3+len(c.literal(s)))
		}
	}
	for _, s := range c.settings {
		if s.name == "config" {
			continue
		}
		src := s.source
		switch s.source {
		case fromFlag:
			src = "flag --" + s.name
		case fromEnv:
			src = "environment " + s.env
		}
		line := s.key + " = " + c.literal(s)
		fmt.Fprintf(w, "%-*s  # %s\n", width, line, src)
	}
	for _, env := range slices.Sorted(func(yield func(string) bool) {
		for _, v := range secretKeys {
			if !yield(v) {
				return
			}
		}
	}) {
		state := "not set"
		if (env == "MFAD_MASTER_KEY" && c.MasterKey != "") || (env == "MFAD_ADMIN_PASSWORD" && c.AdminPassword != "") {
			state = "set (redacted)"
		}
		fmt.Fprintf(w, "# %s: %s\n", env, state)
	}
}

// literal is a setting's value as TOML.
func (c *config) literal(s setting) string {
	switch s.kind {
	case "int", "bool":
		return s.value
	}
	return tomlString(redact(s.name, s.value))
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// configCmd prints the effective configuration.
//
//	mfad config [--config FILE] [flags]
func (e *cmdEnv) configCmd(args []string) error {
	c, rest, err := e.parse("config", args, nil)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "config [--config FILE] [flags]"); err != nil {
		return err
	}
	c.printConfig(e.stdout)
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log-level %q: want debug, info, warn or error", s)
	}
	return level, nil
}
